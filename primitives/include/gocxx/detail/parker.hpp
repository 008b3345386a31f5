// gocxx/detail/parker.hpp: one parker per execution context, with permit semantics.
//
// WHAT. basic_parker<Env> lets its owner (a plain thread or a goroutine) sleep until another context calls
// unpark(). It holds at most one permit: an unpark() that comes before park() is remembered, so the
// blocking protocol of every primitive, "publish myself, re-check, park", cannot lose a wake-up.
// This is the permit of java.util.concurrent.locks.LockSupport and of Rust's std::thread::park;
// the three-state futex word follows the futex-based parker described by Drepper ("Futexes Are
// Tricky", 2011) and used by Rust's std. A goroutine's parker does not sleep itself: it suspends
// through the runtime's hook table (park_hooks.hpp), like Go's gopark/goready pair.
//
// STATES of the word `state_` (only the owner leaves NOTIFIED; only unpark() enters it):
//   EMPTY    = 0  no permit, owner not asleep
//   NOTIFIED = 1  a permit is waiting; the owner's next park() consumes it and returns at once
//   PARKED   = 2  the owner is asleep (futex) or suspended (goroutine) and must be woken
//
// INVARIANTS
//   INV-1 Exactly one transition leaves PARKED per sleep: unpark()'s exchange (-> NOTIFIED, then it
//         wakes the owner) or the owner's own timeout CAS (-> EMPTY). So a goroutine is resumed at
//         most once per suspension, and a timed-out thread never consumes a wake meant for later.
//   INV-2 park() returns true only after consuming a permit (NOTIFIED -> EMPTY with acquire), so
//         everything the unparker wrote before unpark() is visible after park() returns true.
//   INV-3 Parkers are type-stable: a thread's parker returns to a pool at thread exit and is never
//         freed; a goroutine's lives in the runtime's pooled G record. A completer may therefore
//         unpark() a context that has already moved on: the cost is a stale permit, i.e. one
//         spurious return from a later park(). Every caller re-checks its condition in a loop.
//   INV-4 A goroutine's state moves EMPTY -> PARKED only in commit_park(), which the runtime runs
//         after the goroutine's context is saved, so resume() never sees a goroutine still running.
//
// ATOMIC OPERATIONS
//   P1 unpark:       state_.exchange(NOTIFIED, release)  pairs with P2/P4/P5: the unparker's prior
//                    writes happen-before the owner's return from park().
//   P2 park fast:    state_.compare_exchange(NOTIFIED -> EMPTY, acquire)  pairs with P1.
//   P3 park sleep:   state_.compare_exchange(EMPTY -> PARKED, relaxed). Success publishes nothing
//                    (the owner wrote nothing the unparker needs); failure means NOTIFIED, and P2
//                    is retried to consume it with acquire.
//   P4 after wake:   state_.compare_exchange(NOTIFIED -> EMPTY, acquire)  pairs with P1.
//   P5 timeout:      state_.compare_exchange(PARKED -> EMPTY, relaxed): the timeout publishes and
//                    consumes nothing; if it fails an unpark won (INV-1) and P4 consumes it.
//                    Only Env::futex_wait's own "timed out" decides a timeout; the parker never
//                    reads a clock, so the model checker can choose when deadlines pass.
//   P6 goroutine:    commit_park() CAS EMPTY -> PARKED relaxed (as P3); expire() CAS PARKED -> EMPTY
//                    relaxed (as P5); after resumption exchange(EMPTY, acquire) pairs with P1.
//   spin loads:      relaxed; they only decide when to try P2.
//   Verification: P1-P5 run under the model checker (verification/suites/parker_suite.cpp and every
//   channel suite). P6, the goroutine path, is compiled only for an Env with runtime hooks, which
//   verify::env does not have yet: it is exercised natively by tests/parker_test.cpp's fake runtime
//   (under TSan in CI), and gets a model-checking suite with the runtime's modelled scheduler.
//
// ALTERNATIVES REJECTED
//   - std::atomic<T>::wait/notify: no timed wait, so park_until() could not be built on it.
//
// ONE SOURCE, TWO WORLDS. The sleep itself is Env::futex_wait/futex_wake: the Linux futex in
// native_env (native_parker = basic_parker<native_env>), a blocked model thread in verify::env. So
// the model checker explores this state machine's real code.
//   - mutex + condition_variable per thread: two locks per wake-up and no way to hand a goroutine's
//     park to the runtime.
//   - A counting semaphore: permits would accumulate; one bounded permit is what "publish,
//     re-check, park" needs, and it keeps stale wake-ups to at most one spurious return.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "gocxx/detail/park_hooks.hpp"

namespace gocxx {

// What Env::futex_wait reports.
enum class futex_result { woken, timed_out, value_changed, interrupted };

template <class Env>
class basic_parker {
 public:
  using clock = typename Env::clock;

  basic_parker() noexcept = default;
  basic_parker(const basic_parker&) = delete;
  basic_parker& operator=(const basic_parker&) = delete;

  // park() returns once a permit is consumed. A permit may be stale (INV-3): callers loop on their
  // condition. On a plain thread it blocks the thread; on a goroutine it parks only the goroutine.
  void park(wait_reason reason = wait_reason::none) { (void)park_until(clock::time_point::max(), reason); }

  // park_until() returns true when a permit was consumed, false when `deadline` passed first.
  bool park_until(typename clock::time_point deadline, wait_reason reason = wait_reason::none) {
    if (try_consume()) return true;
    if constexpr (requires { Env::runtime_hooks(); }) {
      if (owner_ != nullptr) {
        if (const park_hooks* hooks = Env::runtime_hooks()) return park_goroutine(*hooks, deadline, reason);
      }
    }
    return park_thread(deadline);
  }

  // unpark() leaves a permit and wakes the owner if it sleeps. Never blocks; callable from any
  // context, including one that is not a gocxx thread or goroutine.
  void unpark() noexcept {
    const std::uint32_t prev = state_.exchange(notified, std::memory_order_release);  // P1 release
    if (prev != parked) return;
    if constexpr (requires { Env::runtime_hooks(); }) {
      if (owner_ != nullptr) {
        if (const park_hooks* hooks = Env::runtime_hooks()) {
          hooks->resume(*this);
          return;
        }
      }
    }
    Env::futex_wake(state_, 1);
  }

  // --- for the runtime (park_hooks.hpp) --------------------------------------------------------
  // set_owner() binds this parker to a goroutine (opaque to primitives); nullptr = a thread's.
  void set_owner(void* goroutine) noexcept { owner_ = goroutine; }
  void* owner() const noexcept { return owner_; }
  // commit_park() is called by the runtime after saving the goroutine's context: true = stay
  // suspended until resume(); false = a permit arrived, make the goroutine runnable now (P6).
  bool commit_park() noexcept {
    std::uint32_t expected = empty;
    return state_.compare_exchange_strong(expected, parked, std::memory_order_relaxed);  // P6 relaxed: as P3
  }
  // expire() is called by the runtime when the deadline of a suspended goroutine passes: true =
  // the runtime must resume it (timed out); false = an unpark won and resumes it instead (P6).
  bool expire() noexcept {
    std::uint32_t expected = parked;
    return state_.compare_exchange_strong(expected, empty, std::memory_order_relaxed);  // P6 relaxed: as P5
  }

  // Spin iterations before a thread sleeps in the kernel. A futex wake-up costs tens of
  // microseconds on the VMs we measure on, so a hand-off that arrives within a few microseconds is
  // far cheaper caught by spinning. 0 disables spinning.
  static inline std::atomic<unsigned> spin_iterations{256};

 private:
  static constexpr std::uint32_t empty = 0, notified = 1, parked = 2;

  bool try_consume() noexcept {
    std::uint32_t expected = notified;
    return state_.compare_exchange_strong(expected, empty, std::memory_order_acquire);  // P2/P4 acquire: pairs with P1
  }

  bool park_thread(typename clock::time_point deadline) {
    // Spin briefly: a hand-off already under way is much cheaper to catch than a futex round trip.
    const unsigned spins = spin_iterations.load(std::memory_order_relaxed);
    for (unsigned i = 0; i < spins; ++i) {
      if (state_.load(std::memory_order_relaxed) == notified && try_consume()) return true;
      Env::spin_hint();
    }
    std::uint32_t expected = empty;
    if (!state_.compare_exchange_strong(expected, parked, std::memory_order_relaxed)) {  // P3 relaxed
      // Only unpark() leaves EMPTY besides us, and it writes NOTIFIED: consume it.
      return try_consume();
    }
    for (;;) {
      const futex_result r = Env::futex_wait(state_, parked, deadline);
      if (try_consume()) return true;  // P4 acquire
      if (r == futex_result::timed_out) {
        expected = parked;
        if (state_.compare_exchange_strong(expected, empty, std::memory_order_relaxed)) return false;  // P5
        return try_consume();  // an unpark won the race (INV-1): its permit is ours
      }
      // Spurious wake-up or EINTR while still PARKED: sleep again.
    }
  }

  bool park_goroutine(const park_hooks& hooks, typename clock::time_point deadline, wait_reason reason) {
    hooks.suspend(*this, deadline, reason);  // INV-4: the runtime runs commit_park() after the switch
    // Resumed: by unpark (NOTIFIED), by expire() (EMPTY), or because commit_park() failed (NOTIFIED).
    return state_.exchange(empty, std::memory_order_acquire) == notified;  // P6 acquire: pairs with P1
  }

  typename Env::template atomic<std::uint32_t> state_{empty};
  void* owner_ = nullptr;
};

}  // namespace gocxx
