// gocxx/detail/spin.hpp: the CPU pause hint and the short spin lock of the slow paths.
//
// WHAT. spin_lock<Env> is a test-and-test-and-set lock (Anderson, "The Performance of Spin Lock
// Alternatives for Shared-Memory Multiprocessors", 1990) guarding only O(1) critical sections: the
// splicing of an intrusive waiter list. Fast paths of the primitives never take it. Waiting spins
// on a relaxed load with Env::spin_hint() (a PAUSE natively; a marked yield under the model
// checker, so a spinning thread is not a false livelock) and, after a bounded number of rounds,
// gives the processor away with Env::yield() (Gosched on a goroutine, sched_yield on a thread), so
// no waiter spins unboundedly against a holder that was descheduled.
//
// INVARIANTS
//   INV-1 At most one context holds the lock: only the exchange that reads false acquires it.
//   INV-2 Everything written in one critical section happens-before the next one (S1/S2).
//
// ATOMIC OPERATIONS
//   S1 lock:     locked_.exchange(true, acquire)  pairs with S2 of the previous holder.
//   S2 unlock:   locked_.store(false, release)    pairs with S1 of the next holder.
//   S3 waiting:  locked_.load(relaxed): only decides when to retry S1, which does the acquiring.
//
// ALTERNATIVES REJECTED
//   - std::mutex: invisible to the model checker and may block a goroutine's OS thread.
//   - A ticket or MCS lock: fair, but the sections are a few pointer writes and uncontended in the
//     common case; fairness of the waiters themselves comes from the FIFO waiter queue.
#pragma once

#include <atomic>

namespace gocxx::detail {

// cpu_relax() tells the processor this is a spin-wait loop (x86 PAUSE, Arm YIELD).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}

template <class Env>
class spin_lock {
 public:
  void lock() noexcept {
    unsigned rounds = 0;
    for (;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;  // S1 acquire: pairs with S2
      while (locked_.load(std::memory_order_relaxed)) {                 // S3 relaxed: retry hint only
        if (++rounds < spin_rounds) {
          Env::spin_hint();
        } else {
          Env::yield();
        }
      }
    }
  }

  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&              // S3 relaxed
           !locked_.exchange(true, std::memory_order_acquire);    // S1 acquire: pairs with S2
  }

  void unlock() noexcept { locked_.store(false, std::memory_order_release); }  // S2 release: pairs with S1

 private:
  // About a microsecond of PAUSEs before yielding: the critical sections are a few stores.
  static constexpr unsigned spin_rounds = 64;
  typename Env::template atomic<bool> locked_{false};
};

}  // namespace gocxx::detail
