// verification/suites/spin_lock_suite.cpp: detail::spin_lock<verify::env> (detail/spin.hpp).
//
//   spin_lock.mutex/N      N threads increment a plain cell under the lock: mutual exclusion as an
//                          invariant checked after every step (INV-1), no data race on the cell
//                          (INV-2: S2 release pairs with S1 acquire), and no increment lost
//   spin_lock.try_lock/N   the same through try_lock() retried with spin_hint()
#include "gocxx/detail/spin.hpp"
#include "gocxx/verify/verify.hpp"

namespace {

namespace v = gocxx::verify;
using env = v::env;
using std::memory_order_relaxed;

template <unsigned N, bool Try>
struct mutex {
  static constexpr unsigned threads = N;
  gocxx::detail::spin_lock<env> lock;
  v::atomic<int> inside{0};  // threads in the critical section (observed by invariant())
  v::cell<int> counter;
  void thread(unsigned) {
    if constexpr (Try) {
      while (!lock.try_lock()) env::spin_hint();
    } else {
      lock.lock();
    }
    inside.fetch_add(1, memory_order_relaxed);
    counter.with_mut([](int* c) { ++*c; });
    inside.fetch_sub(1, memory_order_relaxed);
    lock.unlock();
  }
  void invariant() { v::check_that(inside.load() <= 1, "two threads inside the critical section"); }
  void after() { v::check_that(counter.load() == static_cast<int>(N), "an increment was lost"); }
};

using v::strategy;
const bool registered =
    v::register_test<mutex<2, false>>("spin_lock.mutex/2", {strategy::exhaustive, strategy::random, strategy::pct}) &&
    v::register_test<mutex<3, false>>("spin_lock.mutex/3", {strategy::bounded, strategy::random}) &&
    v::register_test<mutex<2, true>>("spin_lock.try_lock/2", {strategy::exhaustive, strategy::random}) &&
    v::register_test<mutex<3, true>>("spin_lock.try_lock/3", {strategy::bounded, strategy::random});

}  // namespace
