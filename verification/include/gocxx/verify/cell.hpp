// gocxx/verify/cell.hpp: plain shared memory, checked for data races.
//
// verify::cell<T> is the model checker's Env::cell (loom's UnsafeCell): with(f) is one read,
// with_mut(f) one write, each time-stamped with the accessing thread's vector clock. Two accesses,
// at least one a write, that are not ordered by happens-before are a data race (the FastTrack
// rule: remember the last write epoch and each thread's last read). Destroying the cell (the end of
// its object's lifetime, e.g. env::destroy) counts as a write; touching it afterwards is a use
// after free.
#pragma once

#include <cstdint>
#include <cstring>
#include <source_location>
#include <type_traits>
#include <utility>

#include "gocxx/verify/detail/runtime.hpp"

namespace gocxx::verify {

template <class T>
class cell {
  using loc_t = std::source_location;

 public:
  cell(loc_t loc = loc_t::current()) : value_{} { detail::cell_init(ref_, this, loc); }
  template <class... A>
  explicit cell(std::in_place_t, A&&... args) : value_(std::forward<A>(args)...) {
    detail::cell_init(ref_, this, loc_t::current());
  }
  cell(const cell&) = delete;
  cell& operator=(const cell&) = delete;
  ~cell() { detail::cell_destroy(ref_, this); }

  // with(f) reads: f gets `const T*`.
  template <class F>
  decltype(auto) with(F&& f, loc_t loc = loc_t::current()) const {
    detail::cell_access(ref_, this, false, false, 0, loc);
    return std::forward<F>(f)(static_cast<const T*>(&value_));
  }
  // with_mut(f) writes: f gets `T*`.
  template <class F>
  decltype(auto) with_mut(F&& f, loc_t loc = loc_t::current()) {
    detail::cell_access(ref_, this, true, false, 0, loc);
    return std::forward<F>(f)(&value_);
  }
  T load(loc_t loc = loc_t::current()) const {
    detail::cell_access(ref_, this, false, traceable, trace_bits(value_), loc);
    return value_;
  }
  void store(T v, loc_t loc = loc_t::current()) {
    detail::cell_access(ref_, this, true, traceable, trace_bits(v), loc);
    value_ = std::move(v);
  }

 private:
  static constexpr bool traceable = std::is_trivially_copyable_v<T> && sizeof(T) <= 8;
  static std::uint64_t trace_bits(const T& v) noexcept {
    std::uint64_t b = 0;
    if constexpr (traceable) std::memcpy(&b, &v, sizeof(T));
    (void)v;
    return b;
  }

  mutable detail::object_ref ref_;
  T value_;
};

}  // namespace gocxx::verify
