// verification/zoo/zoo_suite.cpp: broken variants of our primitives that the checker must catch.
//
// Each entry is a local copy of the few lines that matter, with one memory order weakened or one
// step of the protocol removed, next to the shipped original it mutates. (Mutating the shipped
// files automatically is the next step, DESIGN.md §6.)
//   zoo.spin_lock_relaxed_unlock   spin.hpp S2 release -> relaxed: critical sections race
//   zoo.spin_lock_relaxed_lock     spin.hpp S1 acquire -> relaxed: critical sections race
//   zoo.mp_relaxed_flag            a message-passing flag stored relaxed: the reader races on the data
//   zoo.mp_relaxed_flag_atomic     the same with atomic data: the stale read shows (assertion)
//   zoo.parker_relaxed_unpark      parker.hpp P1 release -> relaxed: the woken thread races
//   zoo.parker_no_permit           park without a permit (check, then sleep): lost wake-up
//   zoo.wait_context_relaxed_done  waiter.hpp W3 release -> relaxed: the receiver's slot races
//   zoo.dekker_acq_rel             Dekker's entry with release/acquire instead of seq_cst: both enter
//
// Invariants: every broken variant must be caught with its expected failure kind, and each correct
// control (zoo.*_original, zoo.dekker_seq_cst) must pass; the memory orders here are the subjects.
#include <cstdint>

#include "gocxx/verify/verify.hpp"

namespace {

namespace v = gocxx::verify;
using env = v::env;
using std::memory_order, std::memory_order_acquire, std::memory_order_relaxed, std::memory_order_release,
    std::memory_order_seq_cst;

// spin.hpp's spin_lock with its two orders as parameters.
template <memory_order Lock, memory_order Unlock>
struct mutant_spin_lock {
  v::atomic<bool> locked{false};
  void lock() {
    for (;;) {
      if (!locked.exchange(true, Lock)) return;
      while (locked.load(memory_order_relaxed)) env::spin_hint();
    }
  }
  void unlock() { locked.store(false, Unlock); }
};

template <memory_order Lock, memory_order Unlock>
struct spin_lock_mutant {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::data_race;
  mutant_spin_lock<Lock, Unlock> lock;
  v::cell<int> counter;
  void thread(unsigned) {
    lock.lock();
    counter.with_mut([](int* c) { ++*c; });
    lock.unlock();
  }
};

struct mp_relaxed_flag {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::data_race;
  v::cell<int> data;
  v::atomic<int> flag{0};
  void thread(unsigned i) {
    if (i == 0) {
      data.store(42);
      flag.store(1, memory_order_relaxed);  // mutant: was release
    } else {
      while (flag.load(memory_order_acquire) == 0) env::spin_hint();
      v::check_that(data.load() == 42, "stale data");
    }
  }
};

struct mp_relaxed_flag_atomic {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::assertion;
  v::atomic<int> data{0};
  v::atomic<int> flag{0};
  void thread(unsigned i) {
    if (i == 0) {
      data.store(42, memory_order_relaxed);
      flag.store(1, memory_order_relaxed);  // mutant: was release
    } else {
      while (flag.load(memory_order_acquire) == 0) env::spin_hint();
      v::check_that(data.load(memory_order_relaxed) == 42, "read stale data after seeing the flag");
    }
  }
};

// parker.hpp's permit word with P1 as a parameter (spin phase left out).
template <memory_order P1, bool Permit>
struct mutant_parker {
  static constexpr std::uint32_t empty = 0, notified = 1, parked = 2;
  v::atomic<std::uint32_t> state{empty};
  v::atomic<std::uint32_t> sleep_word{0};  // for the permit-less mutant
  void park() {
    if constexpr (Permit) {
      std::uint32_t e = notified;
      if (state.compare_exchange_strong(e, empty, memory_order_acquire)) return;  // P2
      e = empty;
      if (!state.compare_exchange_strong(e, parked, memory_order_relaxed)) {  // P3
        e = notified;
        (void)state.compare_exchange_strong(e, empty, memory_order_acquire);
        return;
      }
      for (;;) {
        (void)env::futex_wait(state, parked, env::clock::time_point::max());
        e = notified;
        if (state.compare_exchange_strong(e, empty, memory_order_acquire)) return;  // P4
      }
    } else {
      // mutant: "check, then sleep" on a word the waker never changes
      while (state.load(memory_order_acquire) != notified) {
        (void)env::futex_wait(sleep_word, 0, env::clock::time_point::max());
      }
    }
  }
  void unpark() {
    if constexpr (Permit) {
      if (state.exchange(notified, P1) == parked) env::futex_wake(state, 1);  // P1
    } else {
      state.store(notified, memory_order_release);
      env::futex_wake(sleep_word, 1);
    }
  }
};

template <memory_order P1, bool Permit, v::failure Expected>
struct parker_mutant {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = Expected;
  mutant_parker<P1, Permit> parker;
  v::cell<int> data;
  void thread(unsigned i) {
    if (i == 0) {
      parker.park();
      (void)data.load();
    } else {
      data.store(1);
      parker.unpark();
    }
  }
};

// waiter.hpp's completion (W3) and observation (W4) with W3 weakened: the completer writes the
// receiver's slot, then publishes DONE relaxed.
struct wait_context_relaxed_done {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::data_race;
  v::atomic<std::uint64_t> word{0};
  v::cell<int> slot;
  void thread(unsigned i) {
    if (i == 0) {  // owner
      while ((word.load(memory_order_acquire) & 3) != 3) env::spin_hint();  // W4
      (void)slot.load();
    } else {  // completer
      std::uint64_t e = 0;
      if (word.compare_exchange_strong(e, 2, memory_order_relaxed)) {  // W1
        slot.store(5);
        word.store(3, memory_order_relaxed);  // mutant W3: was release
      }
    }
  }
};

// Dekker's mutual exclusion needs store->load ordering (seq_cst); release/acquire lets both in.
template <memory_order Store, memory_order Load>
struct dekker {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = Store == memory_order_seq_cst ? v::failure::none : v::failure::invariant;
  v::atomic<int> want[2] = {v::atomic<int>(0), v::atomic<int>(0)};
  v::atomic<int> inside{0};
  void thread(unsigned i) {
    want[i].store(1, Store);
    if (want[1 - i].load(Load) == 0) {
      inside.fetch_add(1, memory_order_relaxed);
      inside.fetch_sub(1, memory_order_relaxed);
    }
  }
  void invariant() { v::check_that(inside.load() <= 1, "both threads in the critical section"); }
};

using v::strategy;
const auto all3 = {strategy::exhaustive, strategy::bounded, strategy::random};
const bool registered =
    v::register_test<spin_lock_mutant<memory_order_acquire, memory_order_relaxed>>("zoo.spin_lock_relaxed_unlock",
                                                                                   all3) &&
    v::register_test<spin_lock_mutant<memory_order_relaxed, memory_order_release>>("zoo.spin_lock_relaxed_lock", all3) &&
    v::register_test<mp_relaxed_flag>("zoo.mp_relaxed_flag", all3) &&
    v::register_test<mp_relaxed_flag_atomic>("zoo.mp_relaxed_flag_atomic", all3) &&
    v::register_test<parker_mutant<memory_order_relaxed, true, v::failure::data_race>>("zoo.parker_relaxed_unpark",
                                                                                         all3) &&
    v::register_test<parker_mutant<memory_order_release, false, v::failure::deadlock>>("zoo.parker_no_permit", all3) &&
    v::register_test<parker_mutant<memory_order_release, true, v::failure::none>>("zoo.parker_original", all3) &&
    v::register_test<wait_context_relaxed_done>("zoo.wait_context_relaxed_done", all3) &&
    v::register_test<dekker<memory_order_release, memory_order_acquire>>("zoo.dekker_acq_rel", all3) &&
    v::register_test<dekker<memory_order_seq_cst, memory_order_seq_cst>>("zoo.dekker_seq_cst", all3);

}  // namespace
