// verification/suites/must_fail_suite.cpp: programs the checker must reject.
//
// Each test declares the failure it must produce (Test::expected) and is run with the random,
// bounded and exhaustive strategies: every one of them has to find it.
//
// Invariants: each program's expected failure is found by every strategy; the memory orders used
// are part of the broken programs under test.
#include <cstdint>

#include "gocxx/detail/spin.hpp"
#include "gocxx/verify/verify.hpp"

namespace {

namespace v = gocxx::verify;
using env = v::env;
using std::memory_order_acquire, std::memory_order_relaxed, std::memory_order_release;

// Two spin locks taken in opposite orders: both threads end up spin-waiting on each other.
struct lock_order_inversion {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::deadlock;
  gocxx::detail::spin_lock<env> a, b;
  void thread(unsigned i) {
    auto& first = i == 0 ? a : b;
    auto& second = i == 0 ? b : a;
    first.lock();
    second.lock();
    second.unlock();
    first.unlock();
  }
};

// Each thread parks before it unparks the other: nobody is left to wake anyone.
struct parkers_wait_for_each_other {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::deadlock;
  v::atomic<env::parker*> slot[2] = {v::atomic<env::parker*>(nullptr), v::atomic<env::parker*>(nullptr)};
  void thread(unsigned i) {
    slot[i].store(&env::this_parker(), memory_order_release);
    env::this_parker().park();
    env::parker* other = nullptr;
    while ((other = slot[1 - i].load(memory_order_acquire)) == nullptr) env::spin_hint();
    other->unpark();
  }
};

// Check-then-sleep on a futex word nobody changes: the wake can fall between the check and the
// sleep (the lost wake-up that the parker's permit exists to prevent).
struct lost_wakeup {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::deadlock;
  v::atomic<int> ready{0};
  v::atomic<std::uint32_t> word{0};
  void thread(unsigned i) {
    if (i == 0) {
      if (ready.load(memory_order_acquire) == 0) {
        (void)env::futex_wait(word, 0, env::clock::time_point::max());
      }
    } else {
      ready.store(1, memory_order_release);
      env::futex_wake(word, 1);
    }
  }
};

// A plain cell written by one thread and read by the other with no synchronisation.
struct cell_race {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::data_race;
  v::cell<int> data;
  v::atomic<int> flag{0};
  void thread(unsigned i) {
    if (i == 0) {
      data.store(42);
      flag.store(1, memory_order_relaxed);  // relaxed: publishes nothing
    } else {
      if (flag.load(memory_order_relaxed) == 1) (void)data.load();
      else (void)data.load();
    }
  }
};

struct node {
  v::atomic<int> value{7};
  v::cell<int> payload;
};

// T0 destroys the node and says so; T1 still reads it.
struct use_after_free {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::use_after_free;
  node* n = nullptr;
  v::atomic<int> freed{0};
  void before() { n = env::create<node>(); }
  void thread(unsigned i) {
    if (i == 0) {
      env::destroy(n);
      freed.store(1, memory_order_release);
    } else {
      while (freed.load(memory_order_acquire) == 0) env::spin_hint();
      (void)n->value.load(memory_order_relaxed);
    }
  }
};

// Both threads destroy the same node, one after the other.
struct double_free {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::double_free;
  node* n = nullptr;
  v::atomic<int> freed{0};
  void before() { n = env::create<node>(); }
  void thread(unsigned i) {
    if (i == 0) {
      env::destroy(n);
      freed.store(1, memory_order_release);
    } else {
      while (freed.load(memory_order_acquire) == 0) env::spin_hint();
      env::destroy(n);
    }
  }
};

// A node handed from T0 to T1, which forgets to destroy it.
struct leak {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::leak;
  v::atomic<node*> box{nullptr};
  void thread(unsigned i) {
    if (i == 0) {
      box.store(env::create<node>(), memory_order_release);
    } else {
      while (box.load(memory_order_acquire) == nullptr) env::spin_hint();
    }
  }
};

// Two threads each wait for a value that only the other could write, while writing their own
// values forever: every step writes, so this is no spin-wait; the step bound catches it.
struct livelock {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::livelock;
  v::atomic<int> x{0};
  void thread(unsigned i) {
    const int want = i == 0 ? 1 : 2;
    const int write = i == 0 ? 3 : 4;
    while (x.load(memory_order_relaxed) != want) x.store(write, memory_order_relaxed);
  }
};

// An assertion that fails in one interleaving only (a non-atomic increment split in two steps).
struct lost_update {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::assertion;
  v::atomic<int> counter{0};
  void thread(unsigned) {
    const int seen = counter.load(memory_order_relaxed);
    counter.store(seen + 1, memory_order_relaxed);
  }
  void after() { v::check_that(counter.load(memory_order_relaxed) == 2, "an increment was lost"); }
};

using v::strategy;
const auto all3 = {strategy::random, strategy::bounded, strategy::exhaustive};

const bool registered = v::register_test<lock_order_inversion>("must_fail.lock_order_inversion", all3) &&
                        v::register_test<parkers_wait_for_each_other>("must_fail.parkers_wait_for_each_other", all3) &&
                        v::register_test<lost_wakeup>("must_fail.lost_wakeup", all3) &&
                        v::register_test<cell_race>("must_fail.cell_race", all3) &&
                        v::register_test<use_after_free>("must_fail.use_after_free", all3) &&
                        v::register_test<double_free>("must_fail.double_free", all3) &&
                        v::register_test<leak>("must_fail.leak", all3) &&
                        v::register_test<livelock>("must_fail.livelock", all3) &&
                        v::register_test<lost_update>("must_fail.lost_update", all3);

}  // namespace
