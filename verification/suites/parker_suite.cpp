// verification/suites/parker_suite.cpp: basic_parker<verify::env> (primitives/.../detail/parker.hpp).
//
//   parker.unpark_before_park   a permit left before park() makes park() return at once (INV-2)
//   parker.handoff/N            N-1 producers publish, then unpark the consumer, which parks in a
//                               loop until it sees all of them: no lost wake-up (no deadlock) and the
//                               producers' writes are visible after park() returns (P1/P2/P4)
//   parker.park_until           park_until() against a racing unpark: a true return means the
//                               permit (and what was written before unpark) arrived; after a false
//                               one the permit is still there for the next park (INV-1)
#include <chrono>

#include "gocxx/verify/verify.hpp"

namespace {

namespace v = gocxx::verify;
using env = v::env;
using std::memory_order_acquire, std::memory_order_relaxed, std::memory_order_release;

struct unpark_before_park {
  static constexpr unsigned threads = 1;
  void thread(unsigned) {
    env::parker& p = env::this_parker();
    p.unpark();
    v::check_that(p.park_until(env::clock::time_point::max()), "a permit was lost");
  }
};

template <unsigned N>
struct handoff {
  static constexpr unsigned threads = N;
  v::atomic<env::parker*> consumer{nullptr};
  v::atomic<unsigned> published{0};
  v::cell<int> data[N];
  void thread(unsigned i) {
    if (i == 0) {
      consumer.store(&env::this_parker(), memory_order_release);
      while (published.load(memory_order_acquire) != N - 1) env::this_parker().park();
      for (unsigned k = 1; k < N; ++k) v::check_that(data[k].load() == static_cast<int>(k), "a write was lost");
    } else {
      data[i].store(static_cast<int>(i));
      published.fetch_add(1, memory_order_release);
      env::parker* p = nullptr;
      while ((p = consumer.load(memory_order_acquire)) == nullptr) env::spin_hint();
      p->unpark();
    }
  }
};

struct park_until {
  static constexpr unsigned threads = 2;
  v::atomic<env::parker*> owner{nullptr};
  v::cell<int> data;
  void thread(unsigned i) {
    if (i == 0) {
      env::parker& p = env::this_parker();
      owner.store(&p, memory_order_release);
      if (p.park_until(env::clock::now() + std::chrono::milliseconds(1))) {
        v::check_that(data.load() == 1, "park_until returned true before the unpark's writes were visible");
      } else {
        p.park();  // the deadline passed first: the permit must still come (INV-1)
        v::check_that(data.load() == 1, "park returned before the unpark's writes were visible");
      }
    } else {
      env::parker* p = nullptr;
      while ((p = owner.load(memory_order_acquire)) == nullptr) env::spin_hint();
      data.store(1);
      p->unpark();
    }
  }
};

using v::strategy;
const bool registered =
    v::register_test<unpark_before_park>("parker.unpark_before_park", {strategy::exhaustive}) &&
    v::register_test<handoff<2>>("parker.handoff/2", {strategy::exhaustive, strategy::random, strategy::pct}) &&
    v::register_test<handoff<3>>("parker.handoff/3", {strategy::bounded, strategy::random}) &&
    v::register_test<park_until>("parker.park_until", {strategy::exhaustive, strategy::random});

}  // namespace
