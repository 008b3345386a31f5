// gocxx/detail/futex.hpp: the Linux futex calls the native parker sleeps in.
//
// std::atomic<T>::wait has no timeout, and a timed park needs one, so the native parker talks to
// the kernel directly: FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, which is
// std::chrono::steady_clock on Linux. Private futexes: the word never crosses a process boundary.
// No memory ordering happens here: the futex word is a std::atomic whose loads and exchanges carry
// the orders (see parker.hpp); the kernel only compares and sleeps.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "gocxx/detail/parker.hpp"

namespace gocxx::detail {

// futex_wait() sleeps while `word` holds `expected`, until futex_wake() on it or until `deadline`
// (steady_clock::time_point::max() for none). May return spuriously; callers loop on their state.
futex_result futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                        std::chrono::steady_clock::time_point deadline) noexcept;

// futex_wake() wakes up to `count` threads sleeping on `word`.
void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept;

}  // namespace gocxx::detail
