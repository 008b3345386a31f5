// Park/unpark round trip between two threads (bench/README.md: "park_pingpong").
//
// Two threads bounce a turn back and forth; one iteration is one round trip (two hand-offs, each
// "publish the turn, wake the other side"). Peers: gocxx's parker (as shipped, and with its
// pre-sleep spinning off), a std::mutex + std::condition_variable pair, and a bare futex ping-pong
// (what a kernel sleep costs per hand-off).
// The partner thread lives for the whole benchmark run, so thread creation is not measured.
#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gocxx/env.hpp"

namespace {

// gocxx: the turn is an atomic; each side parks until the turn is its own.
void park_pingpong_gocxx(benchmark::State& state) {
  std::atomic<long> turn{0};  // even: main's turn, odd: partner's
  std::atomic<gocxx::native_parker*> partner_parker{nullptr};
  gocxx::native_parker& mine = gocxx::native_env::this_parker();
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    gocxx::native_parker& p = gocxx::native_env::this_parker();
    partner_parker.store(&p, std::memory_order_release);
    for (long expect = 1;; expect += 2) {
      while (turn.load(std::memory_order_acquire) != expect) {
        if (stop.load(std::memory_order_acquire)) return;
        p.park();
      }
      turn.store(expect + 1, std::memory_order_release);
      mine.unpark();
    }
  });
  while (partner_parker.load(std::memory_order_acquire) == nullptr) std::this_thread::yield();
  long t = 0;
  for (auto _ : state) {
    turn.store(t + 1, std::memory_order_release);
    partner_parker.load(std::memory_order_relaxed)->unpark();
    while (turn.load(std::memory_order_acquire) != t + 2) mine.park();
    t += 2;
  }
  stop.store(true, std::memory_order_release);
  partner_parker.load()->unpark();
  partner.join();
}

// std::mutex + std::condition_variable: the textbook hand-off.
void park_pingpong_condvar(benchmark::State& state) {
  std::mutex m;
  std::condition_variable cv;
  long turn = 0;
  bool stop = false;
  std::thread partner([&] {
    std::unique_lock lock(m);
    for (long expect = 1;; expect += 2) {
      cv.wait(lock, [&] { return turn == expect || stop; });
      if (stop) return;
      turn = expect + 1;
      cv.notify_one();
    }
  });
  long t = 0;
  for (auto _ : state) {
    std::unique_lock lock(m);
    turn = t + 1;
    cv.notify_one();
    cv.wait(lock, [&] { return turn == t + 2; });
    t += 2;
  }
  {
    std::lock_guard lock(m);
    stop = true;
  }
  cv.notify_all();
  partner.join();
}

// A bare futex on the turn word: sleep while it is not ours, wake after writing it. No spinning.
long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t val) {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, val, nullptr, nullptr, 0);
}

void park_pingpong_futex(benchmark::State& state) {
  std::atomic<std::uint32_t> turn{0};
  std::atomic<bool> stop{false};
  std::thread partner([&] {
    for (std::uint32_t expect = 1;; expect += 2) {
      std::uint32_t seen;
      while ((seen = turn.load(std::memory_order_acquire)) != expect) {
        if (stop.load(std::memory_order_acquire)) return;
        futex(turn, FUTEX_WAIT_PRIVATE, seen);
      }
      turn.store(expect + 1, std::memory_order_release);
      futex(turn, FUTEX_WAKE_PRIVATE, 1);
    }
  });
  std::uint32_t t = 0;
  for (auto _ : state) {
    turn.store(t + 1, std::memory_order_release);
    futex(turn, FUTEX_WAKE_PRIVATE, 1);
    std::uint32_t seen;
    while ((seen = turn.load(std::memory_order_acquire)) != t + 2) futex(turn, FUTEX_WAIT_PRIVATE, seen);
    t += 2;
  }
  stop.store(true, std::memory_order_release);
  turn.fetch_add(1, std::memory_order_release);  // change the word so a sleeper cannot miss stop
  futex(turn, FUTEX_WAKE_PRIVATE, 1);
  partner.join();
}

// gocxx with spinning switched off: what the parker's futex path costs on its own.
void park_pingpong_gocxx_nospin(benchmark::State& state) {
  const unsigned saved = gocxx::native_parker::spin_iterations.exchange(0);
  park_pingpong_gocxx(state);
  gocxx::native_parker::spin_iterations.store(saved);
}

}  // namespace

// Names are workload/peer: bench/compare groups by workload and divides by the gocxx row.
BENCHMARK(park_pingpong_gocxx)->Name("park_pingpong/gocxx")->UseRealTime();
BENCHMARK(park_pingpong_gocxx_nospin)->Name("park_pingpong/gocxx_nospin")->UseRealTime();
BENCHMARK(park_pingpong_condvar)->Name("park_pingpong/condvar")->UseRealTime();
BENCHMARK(park_pingpong_futex)->Name("park_pingpong/futex")->UseRealTime();

BENCHMARK_MAIN();
