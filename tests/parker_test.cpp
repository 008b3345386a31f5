// The parker: permits, deadlines, no lost wake-ups under a storm, and the runtime's hook table.
#include "gocxx/detail/parker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gocxx/env.hpp"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using gocxx::native_parker;

// A deadline so far away that reaching it means a wake-up was lost.
clock_type::time_point lost_wakeup_deadline() { return clock_type::now() + 20s; }

TEST(Parker, UnparkBeforeParkIsRemembered) {
  native_parker& p = gocxx::native_env::this_parker();
  p.unpark();
  EXPECT_TRUE(p.park_until(lost_wakeup_deadline()));
}

TEST(Parker, PermitsDoNotAccumulate) {
  native_parker& p = gocxx::native_env::this_parker();
  p.unpark();
  p.unpark();
  EXPECT_TRUE(p.park_until(lost_wakeup_deadline()));
  // Only one permit was kept: the next park times out.
  EXPECT_FALSE(p.park_until(clock_type::now() + 5ms));
}

TEST(Parker, ParkUntilHonoursItsDeadline) {
  native_parker& p = gocxx::native_env::this_parker();
  const auto start = clock_type::now();
  EXPECT_FALSE(p.park_until(start + 50ms));
  const auto waited = clock_type::now() - start;
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 10s);  // generous: the machine is shared
}

TEST(Parker, DeadlineInThePastReturnsAtOnce) {
  native_parker& p = gocxx::native_env::this_parker();
  EXPECT_FALSE(p.park_until(clock_type::now() - 1s));
}

TEST(Parker, UnparkFromAnotherThreadWakesASleeper) {
  native_parker* sleeper = nullptr;
  std::atomic<bool> ready{false}, flag{false};
  std::thread t([&] {
    sleeper = &gocxx::native_env::this_parker();
    ready.store(true, std::memory_order_release);
    while (!flag.load(std::memory_order_acquire)) {
      ASSERT_TRUE(sleeper->park_until(lost_wakeup_deadline())) << "lost wake-up";
    }
  });
  while (!ready.load(std::memory_order_acquire)) std::this_thread::yield();
  flag.store(true, std::memory_order_release);
  sleeper->unpark();
  t.join();
}

// A ring of N threads passes a token M times around; each hand-off is "publish, unpark", each
// wait is "re-check, park". A lost wake-up shows as a park that reaches its far deadline.
TEST(Parker, TokenRingStormLosesNoWakeUp) {
  constexpr int threads = 6, rounds = 2000;
  std::vector<native_parker*> parkers(threads, nullptr);
  std::atomic<int> registered{0};
  std::atomic<long> token{0};  // whose turn: token % threads
  std::atomic<int> lost{0};
  std::atomic<long> passes{0};
  std::vector<std::thread> pool;
  for (int id = 0; id < threads; ++id) {
    pool.emplace_back([&, id] {
      parkers[id] = &gocxx::native_env::this_parker();
      registered.fetch_add(1, std::memory_order_acq_rel);
      while (registered.load(std::memory_order_acquire) < threads) std::this_thread::yield();
      for (int r = 0; r < rounds; ++r) {
        const long mine = long(r) * threads + id;
        while (token.load(std::memory_order_acquire) != mine) {
          if (!parkers[id]->park_until(lost_wakeup_deadline()) && token.load() != mine) {
            lost.fetch_add(1);
            return;
          }
        }
        passes.fetch_add(1, std::memory_order_relaxed);
        token.store(mine + 1, std::memory_order_release);
        parkers[(id + 1) % threads]->unpark();
      }
    });
  }
  for (auto& t : pool) t.join();
  EXPECT_EQ(lost.load(), 0);
  EXPECT_EQ(passes.load(), long(threads) * rounds);
}

// Many wakers, one sleeper: unparks collapse into one permit, and the sleeper's re-check still
// sees every event.
TEST(Parker, ManyWakersOneSleeperCountsEveryEvent) {
  constexpr int wakers = 4, events_each = 20000;
  native_parker* sleeper = &gocxx::native_env::this_parker();
  std::atomic<long> events{0};
  std::vector<std::thread> pool;
  for (int w = 0; w < wakers; ++w) {
    pool.emplace_back([&] {
      for (int i = 0; i < events_each; ++i) {
        events.fetch_add(1, std::memory_order_release);
        sleeper->unpark();
      }
    });
  }
  long seen = 0;
  int lost = 0;
  while ((seen = events.load(std::memory_order_acquire)) < long(wakers) * events_each) {
    if (!sleeper->park_until(lost_wakeup_deadline()) && events.load() == seen) {
      ++lost;
      break;
    }
  }
  for (auto& t : pool) t.join();
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(events.load(), long(wakers) * events_each);
}

// --- the hook table: a fake runtime whose "goroutines" are threads ---------------------------------

struct fake_goroutine {
  native_parker parker;
  std::mutex m;
  std::condition_variable cv;
  bool resumed = false;
  bool committed = false;
};

struct fake_runtime {
  static inline thread_local fake_goroutine* running = nullptr;
  static inline std::atomic<int> suspends{0}, commits{0}, resumes{0}, yields{0};
  static inline std::atomic<gocxx::wait_reason> last_reason{gocxx::wait_reason::none};

  static native_parker* current() noexcept { return running ? &running->parker : nullptr; }

  static void suspend(native_parker& p, clock_type::time_point deadline, gocxx::wait_reason reason) {
    auto* g = static_cast<fake_goroutine*>(p.owner());
    suspends.fetch_add(1);
    last_reason.store(reason);
    std::unique_lock lock(g->m);
    // "The context is saved": now the runtime may commit the park (INV-4).
    if (!p.commit_park()) return;  // a permit came first: runnable at once
    commits.fetch_add(1);
    g->committed = true;
    g->cv.notify_all();
    while (!g->resumed) {
      if (g->cv.wait_until(lock, deadline) == std::cv_status::timeout && !g->resumed) {
        if (p.expire()) break;  // timed out: the runtime resumes it itself
      }
    }
    g->resumed = false;
    g->committed = false;
  }

  static void resume(native_parker& p) noexcept {
    auto* g = static_cast<fake_goroutine*>(p.owner());
    resumes.fetch_add(1);
    std::lock_guard lock(g->m);
    g->resumed = true;
    g->cv.notify_all();
  }

  static void yield() noexcept { yields.fetch_add(1); }

  static constexpr gocxx::park_hooks table{&current, &suspend, &resume, &yield};
};

class ParkHooks : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_runtime::suspends = 0;
    fake_runtime::commits = 0;
    fake_runtime::resumes = 0;
    fake_runtime::yields = 0;
    gocxx::install_park_hooks(&fake_runtime::table);
  }
  void TearDown() override { gocxx::install_park_hooks(nullptr); }
};

TEST_F(ParkHooks, GoroutineParksThroughTheRuntime) {
  fake_goroutine g;
  g.parker.set_owner(&g);
  std::atomic<bool> done{false};
  std::thread t([&] {
    fake_runtime::running = &g;
    EXPECT_EQ(&gocxx::native_env::this_parker(), &g.parker);  // current() went through the hook
    gocxx::native_env::yield();                                 // and so does yield()
    EXPECT_TRUE(gocxx::native_env::this_parker().park_until(lost_wakeup_deadline(), gocxx::wait_reason::chan_receive));
    done = true;
  });
  {
    std::unique_lock lock(g.m);
    g.cv.wait(lock, [&] { return g.committed; });  // suspended and committed
  }
  EXPECT_FALSE(done.load());
  g.parker.unpark();  // must call resume(), not a futex
  t.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(fake_runtime::suspends.load(), 1);
  EXPECT_EQ(fake_runtime::resumes.load(), 1);
  EXPECT_EQ(fake_runtime::yields.load(), 1);
  EXPECT_EQ(fake_runtime::last_reason.load(), gocxx::wait_reason::chan_receive);
}

TEST_F(ParkHooks, GoroutineDeadlineExpiresThroughTheRuntime) {
  fake_goroutine g;
  g.parker.set_owner(&g);
  bool woken = true;
  std::thread t([&] {
    fake_runtime::running = &g;
    woken = g.parker.park_until(clock_type::now() + 20ms, gocxx::wait_reason::sleep);
  });
  t.join();
  EXPECT_FALSE(woken);
  EXPECT_EQ(fake_runtime::suspends.load(), 1);
  EXPECT_EQ(fake_runtime::resumes.load(), 0);  // expire() took it, no unpark
  // A later unpark leaves a permit but calls no resume: the goroutine is not parked.
  g.parker.unpark();
  EXPECT_EQ(fake_runtime::resumes.load(), 0);
}

TEST_F(ParkHooks, PlainThreadsIgnoreTheHooks) {
  EXPECT_EQ(fake_runtime::current(), nullptr);
  native_parker& p = gocxx::native_env::this_parker();
  EXPECT_EQ(p.owner(), nullptr);
  p.unpark();
  EXPECT_TRUE(p.park_until(lost_wakeup_deadline()));
  gocxx::native_env::yield();
  EXPECT_EQ(fake_runtime::suspends.load(), 0);
  EXPECT_EQ(fake_runtime::yields.load(), 0);
}

// Unpark storms against a fake goroutine: every suspension is resumed exactly once (INV-1).
TEST_F(ParkHooks, ResumeIsCalledOncePerSuspension) {
  fake_goroutine g;
  g.parker.set_owner(&g);
  constexpr int events_total = 20000;
  std::atomic<int> events{0};
  std::thread wakers[2];
  std::thread sleeper([&] {
    fake_runtime::running = &g;
    int seen;
    while ((seen = events.load(std::memory_order_acquire)) < events_total) {
      if (!g.parker.park_until(lost_wakeup_deadline()) && events.load() == seen) {
        ADD_FAILURE() << "lost wake-up";
        return;
      }
    }
  });
  {
    std::unique_lock lock(g.m);  // start the storm once the sleeper really is suspended
    g.cv.wait(lock, [&] { return g.committed; });
  }
  for (auto& w : wakers) {
    w = std::thread([&] {
      for (int i = 0; i < events_total / 2; ++i) {
        events.fetch_add(1, std::memory_order_release);
        g.parker.unpark();
      }
    });
  }
  for (auto& w : wakers) w.join();
  sleeper.join();
  // No deadline expired, so every committed suspension was resumed by exactly one unpark.
  EXPECT_EQ(fake_runtime::resumes.load(), fake_runtime::commits.load());
  EXPECT_GT(fake_runtime::commits.load(), 0);
}

}  // namespace
