// gocxx/verify/atomic.hpp: the model checker's std::atomic.
//
// verify::atomic<T> has the std::atomic API the primitives use (env.hpp's concept), and each call
// is one scheduling point with C++20 memory-model semantics: a load may read any store of the
// location's modification-order history that coherence, happens-before and the seq_cst order
// allow; read-modify-writes read the latest store; release/acquire and fences synchronise through
// vector clocks (see docs/verification.md, "The memory model as implemented").
// Every operation takes a defaulted std::source_location, so traces name the caller's line.
// T must be trivially copyable and at most 8 bytes (integers, bool, enums, pointers).
//
// INVARIANTS
//   INV-1 Every operation is exactly one call into the engine (detail/runtime.hpp), hence one
//         scheduling point; the memory order is passed through unchanged, never strengthened.
//   INV-2 `raw` always holds the latest value in modification order, so outside a check the
//         object behaves as a plain single-threaded value.
// This file orders no memory itself: the orders it carries are the tested code's.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <source_location>
#include <type_traits>

#include "gocxx/verify/detail/runtime.hpp"

namespace gocxx::verify {

template <class T>
class atomic {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                "verify::atomic<T> models trivially copyable types of at most 8 bytes");
  using loc_t = std::source_location;
  static constexpr unsigned size_ = sizeof(T);
  static constexpr std::memory_order sc = std::memory_order_seq_cst;

 public:
  using value_type = T;

  atomic(loc_t loc = loc_t::current()) noexcept : atomic(T{}, loc) {}
  atomic(T value, loc_t loc = loc_t::current()) noexcept : raw_(bits(value)) {
    detail::atomic_init(ref_, raw_, size_, this, loc);
  }
  atomic(const atomic&) = delete;
  atomic& operator=(const atomic&) = delete;
  ~atomic() { detail::atomic_destroy(ref_, raw_, size_, this); }

  T load(std::memory_order order = sc, loc_t loc = loc_t::current()) const noexcept {
    return value(op(detail::rmw_op::load, 0, nullptr, order, order, loc));
  }
  void store(T v, std::memory_order order = sc, loc_t loc = loc_t::current()) noexcept {
    (void)op(detail::rmw_op::store, bits(v), nullptr, order, order, loc);
  }
  T exchange(T v, std::memory_order order = sc, loc_t loc = loc_t::current()) noexcept {
    return value(op(detail::rmw_op::exchange, bits(v), nullptr, order, order, loc));
  }

  bool compare_exchange_strong(T& expected, T desired, std::memory_order success, std::memory_order failure,
                               loc_t loc = loc_t::current()) noexcept {
    return cas(detail::rmw_op::cas_strong, expected, desired, success, failure, loc);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order order = sc,
                               loc_t loc = loc_t::current()) noexcept {
    return cas(detail::rmw_op::cas_strong, expected, desired, order, failure_order(order), loc);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order success, std::memory_order failure,
                             loc_t loc = loc_t::current()) noexcept {
    return cas(detail::rmw_op::cas_weak, expected, desired, success, failure, loc);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order order = sc,
                             loc_t loc = loc_t::current()) noexcept {
    return cas(detail::rmw_op::cas_weak, expected, desired, order, failure_order(order), loc);
  }

  T fetch_add(T v, std::memory_order order = sc, loc_t loc = loc_t::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value(op(detail::rmw_op::fetch_add, bits(v), nullptr, order, order, loc));
  }
  T fetch_sub(T v, std::memory_order order = sc, loc_t loc = loc_t::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value(op(detail::rmw_op::fetch_sub, bits(v), nullptr, order, order, loc));
  }
  T fetch_and(T v, std::memory_order order = sc, loc_t loc = loc_t::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value(op(detail::rmw_op::fetch_and, bits(v), nullptr, order, order, loc));
  }
  T fetch_or(T v, std::memory_order order = sc, loc_t loc = loc_t::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value(op(detail::rmw_op::fetch_or, bits(v), nullptr, order, order, loc));
  }
  T fetch_xor(T v, std::memory_order order = sc, loc_t loc = loc_t::current()) noexcept
    requires std::is_integral_v<T>
  {
    return value(op(detail::rmw_op::fetch_xor, bits(v), nullptr, order, order, loc));
  }

  // C++20 wait/notify: wait() blocks the model thread while the value equals `old`.
  void wait(T old, std::memory_order order = sc, loc_t loc = loc_t::current()) const noexcept {
    while (load(order, loc) == old) {
      (void)detail::futex_wait(ref_, raw_, size_, bits(old), false, this, loc);
    }
  }
  void notify_one(loc_t loc = loc_t::current()) noexcept { detail::futex_wake(ref_, raw_, size_, 1, this, loc); }
  void notify_all(loc_t loc = loc_t::current()) noexcept {
    detail::futex_wake(ref_, raw_, size_, INT_MAX, this, loc);
  }

  // Operators are seq_cst, like std::atomic's (traces show this header as their location).
  operator T() const noexcept { return load(); }
  T operator=(T v) noexcept {
    store(v);
    return v;
  }

  // For verify::env::futex_wait/futex_wake.
  detail::object_ref& ref() const noexcept { return ref_; }
  std::uint64_t& raw() const noexcept { return raw_; }

 private:
  static std::uint64_t bits(T v) noexcept {
    std::uint64_t b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
  }
  static T value(std::uint64_t b) noexcept {
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
  }
  static constexpr std::memory_order failure_order(std::memory_order o) noexcept {
    if (o == std::memory_order_acq_rel) return std::memory_order_acquire;
    if (o == std::memory_order_release) return std::memory_order_relaxed;
    return o;
  }
  std::uint64_t op(detail::rmw_op o, std::uint64_t operand, std::uint64_t* expected, std::memory_order order,
                   std::memory_order failure, const loc_t& loc) const noexcept {
    return detail::atomic_op(ref_, raw_, size_, o, operand, expected, order, failure, this, loc);
  }
  bool cas(detail::rmw_op o, T& expected, T desired, std::memory_order success, std::memory_order failure,
           const loc_t& loc) noexcept {
    std::uint64_t e = bits(expected);
    const bool ok = op(o, bits(desired), &e, success, failure, loc) != 0;
    if (!ok) expected = value(e);
    return ok;
  }

  mutable detail::object_ref ref_;
  mutable std::uint64_t raw_;
};

}  // namespace gocxx::verify
