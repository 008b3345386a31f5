// worker_pool: Go in Action's buffered channel of tasks drained by a fixed pool of workers.
//
//   tasks := make(chan string, taskLoad)
//   for gr := 1; gr <= numberGoroutines; gr++ { go worker(tasks, gr) }
//   for post := 1; post <= taskLoad; post++ { tasks <- fmt.Sprintf("Task : %d", post) }
//   close(tasks)
//   wg.Wait()
//
// Go constructs: a buffered channel as a work queue, close() to tell the workers no more work is
// coming, and `task, ok := <-tasks` to see the channel closed and drained. Workers are std::threads
// here (goroutines once the runtime lands); the Go program's random 0-100 ms of "work" is scaled to
// 0-10 ms so the example runs fast.
#include <atomic>
#include <chrono>
#include <random>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gocxx/chan.hpp"

constexpr int number_workers = 4;
constexpr int task_load = 10;

std::atomic<int> completed{0};

void worker(gocxx::recv_chan<std::string> tasks, int id) {
  for (;;) {
    std::optional<std::string> task = tasks.recv();  // task, ok := <-tasks
    if (!task) {                                     // closed and drained
      std::printf("Worker: %d : Shutting Down\n", id);
      return;
    }
    std::printf("Worker: %d : Started %s\n", id, task->c_str());
    thread_local std::mt19937 rng(std::random_device{}());
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 10));  // time.Sleep(rand): "work"
    std::printf("Worker: %d : Completed %s\n", id, task->c_str());
    completed.fetch_add(1);
  }
}

int main() {
  auto tasks = gocxx::make_chan<std::string>(task_load);
  std::vector<std::thread> pool;
  for (int id = 1; id <= number_workers; ++id) pool.emplace_back(worker, tasks, id);
  for (int post = 1; post <= task_load; ++post) tasks.send("Task : " + std::to_string(post));
  tasks.close();  // the workers finish what is buffered, then see the channel closed
  for (auto& t : pool) t.join();
  std::printf("%d tasks completed by %d workers\n", completed.load(), number_workers);
}
