// gocxx/verify/check.hpp: writing a test and running the checker on it.
//
//   struct handoff {                                  // one object per execution
//     static constexpr unsigned threads = 2;          // model threads 0..threads-1 (at most 7)
//     verify::atomic<int> flag{0};
//     verify::cell<int> data;
//     void before() {}                                // optional: runs first, happens-before all
//     void thread(unsigned i) { ... }                 // the body of model thread i
//     void after() { verify::check_that(...); }       // optional: runs after all threads
//     void invariant() { ... }                        // optional: checked after every step
//     static constexpr verify::failure expected = verify::failure::data_race;  // optional: must fail
//   };
//   verify::result r = verify::check<handoff>({.strat = verify::strategy::exhaustive});
//
// check_that(cond, "msg") is the assertion: a false cond stops the execution and reports the trace.
//
// INVARIANTS
//   INV-1 One fresh test object per execution; before() happens-before every thread, every thread
//         happens-before after() and the leak check.
//   INV-2 check_that() stops only the current execution; the verdict is "found == expected".
// Memory orders named here are the tested code's; the checker itself runs one thread at a time.
#pragma once

#include <source_location>
#include <type_traits>

#include "gocxx/verify/detail/runtime.hpp"
#include "gocxx/verify/env.hpp"
#include "gocxx/verify/options.hpp"

namespace gocxx::verify {

// check_that() fails the execution when `cond` is false (failure::assertion, or failure::invariant
// inside Test::invariant()). Outside a check it does nothing.
inline void check_that(bool cond, const char* message = "check failed",
                       std::source_location loc = std::source_location::current()) noexcept {
  if (!cond) detail::report(failure::assertion, message, loc);
}

template <class Test>
concept test = std::is_default_constructible_v<Test> && requires(Test& t, unsigned i) {
  { Test::threads } -> std::convertible_to<unsigned>;
  t.thread(i);
};

namespace detail {
template <class Test>
constexpr failure expected_failure() {
  if constexpr (requires { Test::expected; }) {
    return Test::expected;
  } else {
    return failure::none;
  }
}
}  // namespace detail

// check<Test>() explores Test under `opts` and says whether it behaved as expected.
template <test Test>
result check(const options& opts = {}, const char* name = "") {
  static_assert(Test::threads >= 1 && Test::threads <= 7, "a test has 1 to 7 model threads");
  detail::test_descriptor d{
      name,
      Test::threads,
      sizeof(Test),
      alignof(Test),
      detail::expected_failure<Test>(),
      [](void* p) { ::new (p) Test(); },
      [](void* p) { static_cast<Test*>(p)->~Test(); },
      [](void* p) {
        if constexpr (requires(Test& t) { t.before(); }) static_cast<Test*>(p)->before();
        (void)p;
      },
      [](void* p, unsigned i) { static_cast<Test*>(p)->thread(i); },
      [](void* p) {
        if constexpr (requires(Test& t) { t.after(); }) static_cast<Test*>(p)->after();
        (void)p;
      },
      nullptr,
  };
  if constexpr (requires(Test& t) { t.invariant(); }) {
    d.invariant = [](void* p) { static_cast<Test*>(p)->invariant(); };
  }
  // The parker's spin phase is exercised but kept short: each spin is a scheduling point.
  const unsigned saved_spins = env::parker::spin_iterations.load(std::memory_order_relaxed);
  env::parker::spin_iterations.store(opts.parker_spins, std::memory_order_relaxed);
  result r = detail::run(d, opts);
  env::parker::spin_iterations.store(saved_spins, std::memory_order_relaxed);
  return r;
}

}  // namespace gocxx::verify
