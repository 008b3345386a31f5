// gocxx/env.hpp: the Env policy, one source for two worlds.
//
// Every lock-free or blocking primitive of gocxx is a template over an Env that supplies everything
// it shares between contexts. `native_env` maps it to the machine; the model checker's `verify::env`
// maps it to instrumented objects, so the checker explores the very source that ships (DESIGN.md §2).
//
//   Env member                          native_env                    verify::env (model checker)
//   template<T> atomic<T>               std::atomic<T>                every op a scheduling point
//   template<T> cell<T>                 plain storage                 race-checked (vector clocks)
//   fence(order)                        std::atomic_thread_fence      modelled fence
//   spin_hint()                         CPU pause                     yield, marked as spinning
//   yield()                             Gosched / sched_yield         yield
//   parker, this_parker()               native_parker                 blocks the model thread
//   futex_wait(a, v, t), futex_wake(a,n) Linux futex                   model futex (parker's sleep)
//   create<T>(args...), destroy(p)      new / delete                  tracked: leak, double free, UAF
//   clock                               std::chrono::steady_clock     the same clock
//
// A cell<T> is read through with(f) (f gets `const T*`) and written through with_mut(f) (f gets
// `T*`), like loom's UnsafeCell: each call is one access the checker can time-stamp.
// The concept `gocxx::env` states all of it; a primitive names `template <class T, env Env>`, so an
// incomplete Env fails to compile with the member it lacks.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <new>
#include <thread>
#include <utility>

#include "gocxx/detail/futex.hpp"
#include "gocxx/detail/park_hooks.hpp"
#include "gocxx/detail/parker.hpp"
#include "gocxx/detail/spin.hpp"

namespace gocxx {

// native_cell<T> is plain storage behind the cell interface: with()/with_mut() compile to a
// direct access.
template <class T>
class native_cell {
 public:
  native_cell() = default;
  template <class... A>
  explicit native_cell(std::in_place_t, A&&... args) : value_(std::forward<A>(args)...) {}

  template <class F>
  decltype(auto) with(F&& f) const {
    return std::forward<F>(f)(static_cast<const T*>(&value_));
  }
  template <class F>
  decltype(auto) with_mut(F&& f) {
    return std::forward<F>(f)(&value_);
  }
  T load() const { return value_; }
  void store(T v) { value_ = std::move(v); }

 private:
  T value_{};
};

struct native_env {
  template <class T>
  using atomic = std::atomic<T>;
  template <class T>
  using cell = native_cell<T>;
  using parker = basic_parker<native_env>;
  using clock = std::chrono::steady_clock;

  static void fence(std::memory_order order) noexcept { std::atomic_thread_fence(order); }
  static void spin_hint() noexcept { detail::cpu_relax(); }
  static void yield() noexcept {
    const park_hooks* hooks = installed_park_hooks();
    if (hooks != nullptr && hooks->yield != nullptr && hooks->current() != nullptr) {
      hooks->yield();
    } else {
      std::this_thread::yield();
    }
  }
  // this_parker() is the running context's parker: its goroutine's when the runtime says so, else
  // the calling thread's own (created on first use, pooled at thread exit; parker.hpp INV-3).
  static parker& this_parker() noexcept;
  // The futex the parker sleeps in (detail/futex.hpp), and the runtime's hook table.
  static futex_result futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                                 clock::time_point deadline) noexcept {
    return detail::futex_wait(word, expected, deadline);
  }
  static void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept { detail::futex_wake(word, count); }
  static const park_hooks* runtime_hooks() noexcept { return installed_park_hooks(); }

  template <class T, class... A>
  static T* create(A&&... args) {
    return new T(std::forward<A>(args)...);
  }
  template <class T>
  static void destroy(T* p) noexcept {
    delete p;
  }
};

// env<E> holds when E supplies the whole Env policy above.
template <class E>
concept env = requires(typename E::parker& p, typename E::clock::time_point deadline,
                       typename E::template atomic<int>& a, typename E::template atomic<std::uint32_t>& word,
                       typename E::template cell<int>& c,
                       const typename E::template cell<int>& cc, std::memory_order order) {
  typename E::clock;
  // atomics: the std::atomic operations the primitives use
  { a.load(order) } -> std::same_as<int>;
  { a.store(1, order) };
  { a.exchange(1, order) } -> std::same_as<int>;
  { a.compare_exchange_strong(std::declval<int&>(), 1, order, order) } -> std::same_as<bool>;
  { a.compare_exchange_weak(std::declval<int&>(), 1, order, order) } -> std::same_as<bool>;
  { a.fetch_add(1, order) } -> std::same_as<int>;
  { a.fetch_sub(1, order) } -> std::same_as<int>;
  { a.fetch_or(1, order) } -> std::same_as<int>;
  { a.fetch_and(1, order) } -> std::same_as<int>;
  // plain shared memory
  { c.with_mut([](int* v) { return *v; }) } -> std::same_as<int>;
  { cc.with([](const int* v) { return *v; }) } -> std::same_as<int>;
  { cc.load() } -> std::same_as<int>;
  { c.store(1) };
  // fences, spinning, parking
  { E::fence(order) } noexcept;
  { E::spin_hint() } noexcept;
  { E::yield() } noexcept;
  { E::this_parker() } noexcept -> std::same_as<typename E::parker&>;
  { p.park(wait_reason::none) };
  { p.park_until(deadline, wait_reason::none) } -> std::same_as<bool>;
  { p.unpark() } noexcept;
  { E::futex_wait(word, 0u, deadline) } noexcept -> std::same_as<futex_result>;
  { E::futex_wake(word, 1) } noexcept;
  // memory
  { E::template create<int>(1) } -> std::same_as<int*>;
  { E::destroy(static_cast<int*>(nullptr)) } noexcept;
};

static_assert(env<native_env>, "native_env must satisfy the Env policy");

}  // namespace gocxx
