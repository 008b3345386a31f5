// tour: the README's tour, compiled and run as a test so that it cannot rot.
// Go constructs: buffered and unbuffered channels, range, close, select with a timeout.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "gocxx/chan.hpp"
#include "gocxx/select.hpp"

int main() {
  auto jobs = gocxx::make_chan<std::string>(64);  // make(chan string, 64): a lock-free ring
  auto done = gocxx::make_chan<int>();            // make(chan int): a rendezvous

  std::thread worker([jobs, done]() mutable {     // a goroutine, once the runtime lands
    int n = 0;
    for (std::string job : jobs) ++n;             // for job := range jobs
    done.send(n);                                 // done <- n
  });
  jobs.send("compile");                           // jobs <- "compile"
  jobs.close();                                   // close(jobs)

  gocxx::select(                                  // select {
      gocxx::case_recv(done, [](std::optional<int> n) { std::printf("%d jobs\n", *n); }),
      gocxx::case_after(std::chrono::seconds(10), [] { std::puts("Timed out!"); }));
  worker.join();
}
