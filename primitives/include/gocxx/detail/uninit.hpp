// gocxx/detail/uninit.hpp: raw, correctly aligned storage for one T that may or may not hold a
// value (buffer slots of channels). Whether it holds one is decided by the owner's protocol.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace gocxx::detail {

template <class T>
struct uninit {
  alignas(T) std::byte bytes[sizeof(T)];

  template <class... A>
  T* construct(A&&... args) {
    return ::new (static_cast<void*>(bytes)) T(std::forward<A>(args)...);
  }
  T* get() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
  void destroy() noexcept { get()->~T(); }
};

}  // namespace gocxx::detail
