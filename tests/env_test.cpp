// The Env policy: the concept accepts native_env and rejects an Env that lacks a member.
#include "gocxx/env.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

// An Env with everything but a parker: the concept must refuse it at compile time.
struct env_without_parker {
  template <class T>
  using atomic = std::atomic<T>;
  template <class T>
  using cell = gocxx::native_cell<T>;
  using clock = std::chrono::steady_clock;
  static void fence(std::memory_order o) noexcept { std::atomic_thread_fence(o); }
  static void spin_hint() noexcept {}
  static void yield() noexcept {}
  template <class T, class... A>
  static T* create(A&&... a) {
    return new T(std::forward<A>(a)...);
  }
  template <class T>
  static void destroy(T* p) noexcept {
    delete p;
  }
};

// The same Env whose destroy() may throw: refused too (a free on a failure path must not throw).
struct env_with_throwing_destroy : gocxx::native_env {
  template <class T>
  static void destroy(T*) {}
};

static_assert(gocxx::env<gocxx::native_env>);
static_assert(!gocxx::env<env_without_parker>);
static_assert(!gocxx::env<env_with_throwing_destroy>);

TEST(NativeCell, WithMutWritesWhatWithReads) {
  gocxx::native_cell<std::string> cell(std::in_place, "go");
  cell.with_mut([](std::string* s) { *s += "cxx"; });
  EXPECT_EQ(cell.with([](const std::string* s) { return *s; }), "gocxx");
  gocxx::native_cell<int> n;
  EXPECT_EQ(n.load(), 0);
  n.store(7);
  EXPECT_EQ(n.load(), 7);
}

TEST(WaitReason, PrintsGosWords) {
  EXPECT_STREQ(gocxx::to_string(gocxx::wait_reason::chan_send), "chan send");
  EXPECT_STREQ(gocxx::to_string(gocxx::wait_reason::chan_receive_nil), "chan receive (nil chan)");
  EXPECT_STREQ(gocxx::to_string(gocxx::wait_reason::select_no_cases), "select (no cases)");
  EXPECT_STREQ(gocxx::to_string(gocxx::wait_reason::sync_mutex_lock), "sync.Mutex.Lock");
}

}  // namespace
