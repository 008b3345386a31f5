// gocxx/verify/env.hpp: verify::env, the Env policy of the model checker (DESIGN.md §2).
//
// A primitive instantiated with verify::env runs its shipped source under the checker: atomics and
// fences follow the C++20 memory model, cells are race-checked, spin_hint()/yield() are scheduling
// points marked as spinning (a spinning thread waits until another thread writes, so spin loops
// are neither explored forever nor reported as livelock while someone can still progress), the
// futex is a blocked model thread (deadlock if nothing can wake it), and create/destroy are
// tracked (leak, double free, use after free; freed addresses are reused LIFO so ABA can show).
//
// INVARIANTS
//   INV-1 Each model thread has one parker for the whole execution (the native parker's
//         type-stability, parker.hpp INV-3, holds here too).
//   INV-2 fence(order) forwards the tested code's order; a timed futex_wait may time out at any
//         point the checker chooses, so primitives never read a clock.
#pragma once

#include <chrono>
#include <climits>
#include <cstdint>
#include <new>
#include <source_location>
#include <typeinfo>
#include <utility>

#include "gocxx/detail/parker.hpp"
#include "gocxx/env.hpp"
#include "gocxx/verify/atomic.hpp"
#include "gocxx/verify/cell.hpp"
#include "gocxx/verify/detail/runtime.hpp"

namespace gocxx::verify {

struct env {
  template <class T>
  using atomic = verify::atomic<T>;
  template <class T>
  using cell = verify::cell<T>;
  using parker = gocxx::basic_parker<env>;
  using clock = std::chrono::steady_clock;

  static void fence(std::memory_order order, std::source_location loc = std::source_location::current()) noexcept {
    detail::fence(order, loc);
  }
  // spin_hint(): one turn of a spin-wait loop.
  static void spin_hint(std::source_location loc = std::source_location::current()) noexcept {
    detail::spin(false, loc);
  }
  static void yield(std::source_location loc = std::source_location::current()) noexcept {
    detail::spin(true, loc);
  }
  // this_parker(): the running model thread's parker, alive for the whole execution.
  static parker& this_parker() noexcept { return *static_cast<parker*>(detail::current_parker()); }

  // futex_wait() blocks while `word` (its latest value) equals `expected`, until futex_wake().
  // With a deadline the checker may time it out at any point (a scheduling choice).
  static futex_result futex_wait(atomic<std::uint32_t>& word, std::uint32_t expected, clock::time_point deadline,
                                 std::source_location loc = std::source_location::current()) noexcept {
    return detail::futex_wait(word.ref(), word.raw(), 4, expected, deadline != clock::time_point::max(), &word,
                              loc);
  }
  static void futex_wake(atomic<std::uint32_t>& word, int count,
                         std::source_location loc = std::source_location::current()) noexcept {
    detail::futex_wake(word.ref(), word.raw(), 4, count, &word, loc);
  }

  // random_below(n): a choice in [0, n) the checker explores (select's random case order), so
  // every order is reachable and every run replays from its token.
  static unsigned random_below(unsigned n) noexcept { return detail::choose_value(n); }

  // create/destroy: tracked allocation.
  template <class T, class... A>
  static T* create(A&&... args) {
    void* p = detail::allocate(sizeof(T), alignof(T), typeid(T).name(), std::source_location::current());
    return ::new (p) T(std::forward<A>(args)...);
  }
  template <class T>
  static void destroy(T* p, std::source_location loc = std::source_location::current()) noexcept {
    if (p == nullptr) return;
    if (!detail::begin_free(const_cast<void*>(static_cast<const void*>(p)), loc)) return;
    p->~T();
    detail::end_free(const_cast<void*>(static_cast<const void*>(p)));
  }
};

static_assert(gocxx::env<env>, "verify::env must satisfy the Env policy");

}  // namespace gocxx::verify
