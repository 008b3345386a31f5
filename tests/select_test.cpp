// select: default, deadlines, nil channels, closed channels, exactly one commit, blocking wake-ups.
#include "gocxx/select.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using gocxx::case_after;
using gocxx::case_default;
using gocxx::case_recv;
using gocxx::case_send;
using gocxx::chan;
using gocxx::detail::chan_dir;

template <class T>
void wait_queued(const chan<T>& ch, chan_dir dir, std::size_t n) {
  while (ch.core()->queue(dir).size() < n) std::this_thread::yield();
}

TEST(Select, DefaultRunsWhenNothingIsReady) {
  auto a = gocxx::make_chan<int>(1);
  auto b = gocxx::make_chan<int>();
  int ran = -1;
  const auto idx = gocxx::select(case_recv(a, [&] { ran = 0; }), case_recv(b, [&] { ran = 1; }),
                                 case_default([&] { ran = 2; }));
  EXPECT_EQ(idx, 2u);
  EXPECT_EQ(ran, 2);
}

TEST(Select, ReadyReceiveCaseGetsItsValue) {
  auto a = gocxx::make_chan<int>(1);
  auto b = gocxx::make_chan<int>(1);
  b.send(7);
  std::optional<int> got;
  const auto idx = gocxx::select(case_recv(a, [&](std::optional<int> v) { got = v; }),
                                 case_recv(b, [&](std::optional<int> v) { got = v; }), case_default([] {}));
  EXPECT_EQ(idx, 1u);
  EXPECT_EQ(got, 7);
  EXPECT_EQ(b.size(), 0u);
}

TEST(Select, ASendCaseThatLosesSendsNothing) {
  auto full = gocxx::make_chan<int>(1);
  full.send(1);
  auto ready = gocxx::make_chan<int>(1);
  ready.send(2);
  const auto idx = gocxx::select(case_send(full, 99, [] { FAIL() << "full channel cannot take a value"; }),
                                 case_recv(ready, [](std::optional<int> v) { EXPECT_EQ(v, 2); }));
  EXPECT_EQ(idx, 1u);
  EXPECT_EQ(full.size(), 1u);
  EXPECT_EQ(full.recv(), 1);  // the old value, not 99
  EXPECT_FALSE(full.try_recv().has_value());
}

TEST(Select, ClosedChannelIsReadyWithEmptyValue) {
  auto ch = gocxx::make_chan<int>();
  ch.close();
  bool closed_seen = false;
  gocxx::select(case_recv(ch, [&](std::optional<int> v) { closed_seen = !v.has_value(); }));
  EXPECT_TRUE(closed_seen);
}

TEST(Select, SendCaseOnClosedChannelPanics) {
  auto ch = gocxx::make_chan<int>(1);
  ch.close();
  try {
    gocxx::select(case_send(ch, 1, [] {}), case_default([] {}));
    FAIL() << "no panic";
  } catch (const gocxx::panic_error& e) {
    EXPECT_STREQ(e.what(), "send on closed channel");
  }
}

TEST(Select, NilChannelsAreNeverReady) {
  chan<int> nil;
  EXPECT_EQ(gocxx::select(case_recv(nil, [] {}), case_send(nil, 1, [] {}), case_default([] {})), 2u);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(gocxx::select(case_recv(nil, [] {}), case_after(20ms, [] {})), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
}

TEST(Select, DeadlinePassesAndLeavesNoWaiterBehind) {
  auto a = gocxx::make_chan<int>();
  auto b = gocxx::make_chan<int>(2);
  bool timed_out = false;
  const auto start = std::chrono::steady_clock::now();
  const auto idx = gocxx::select(case_recv(a, [] {}), case_recv(b, [] {}), case_after(30ms, [&] { timed_out = true; }));
  EXPECT_EQ(idx, 2u);
  EXPECT_TRUE(timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  EXPECT_EQ(a.core()->queue(chan_dir::recv).size(), 0u);
  EXPECT_EQ(b.core()->queue(chan_dir::recv).size(), 0u);
  // The channels still work normally afterwards (no step-aside bit left behind).
  b.send(1);
  EXPECT_EQ(b.try_recv(), 1);
}

TEST(Select, BlockedSelectIsWokenByTheSecondChannel) {
  for (std::size_t cap : {0, 4}) {
    auto a = gocxx::make_chan<int>(cap);
    auto b = gocxx::make_chan<int>(cap);
    std::optional<int> got;
    std::size_t idx = 99;
    std::thread t([&] {
      idx = gocxx::select(case_recv(a, [&](std::optional<int> v) { got = v; }),
                          case_recv(b, [&](std::optional<int> v) { got = v; }));
    });
    wait_queued(a, chan_dir::recv, 1);
    wait_queued(b, chan_dir::recv, 1);
    b.send(5);
    t.join();
    EXPECT_EQ(idx, 1u);
    EXPECT_EQ(got, 5);
    EXPECT_EQ(a.core()->queue(chan_dir::recv).size(), 0u) << "the losing case was withdrawn";
    EXPECT_FALSE(a.try_recv().has_value());
  }
}

TEST(Select, BlockedSendCaseDeliversExactlyOnce) {
  auto a = gocxx::make_chan<int>();
  auto b = gocxx::make_chan<int>();
  std::size_t idx = 99;
  std::thread t([&] { idx = gocxx::select(case_send(a, 1, [] {}), case_send(b, 2, [] {})); });
  wait_queued(a, chan_dir::send, 1);
  wait_queued(b, chan_dir::send, 1);
  EXPECT_EQ(b.recv(), 2);
  t.join();
  EXPECT_EQ(idx, 1u);
  EXPECT_FALSE(a.try_recv().has_value()) << "the losing send case delivered nothing";
}

// Two selects, each offering to send and to receive on one unbuffered channel, pair up.
TEST(Select, SendAndReceiveCasesOnOneChannelPairUp) {
  auto ch = gocxx::make_chan<int>();
  std::atomic<int> sends{0}, recvs{0};
  auto body = [&](int id) {
    gocxx::select(case_send(ch, id, [&] { sends.fetch_add(1); }),
                  case_recv(ch, [&](std::optional<int> v) {
                    EXPECT_TRUE(v.has_value());
                    recvs.fetch_add(1);
                  }));
  };
  std::thread t1(body, 1), t2(body, 2);
  t1.join();
  t2.join();
  EXPECT_EQ(sends.load(), 1);
  EXPECT_EQ(recvs.load(), 1);
}

TEST(Select, CloseWakesABlockedSelect) {
  auto a = gocxx::make_chan<int>(1);
  auto b = gocxx::make_chan<int>();
  bool closed_seen = false;
  std::thread t([&] {
    gocxx::select(case_recv(a, [&](std::optional<int> v) { closed_seen = !v.has_value(); }),
                  case_recv(b, [] {}));
  });
  wait_queued(a, chan_dir::recv, 1);
  a.close();
  t.join();
  EXPECT_TRUE(closed_seen);
}

TEST(Select, BiasedSelectPrefersTheFirstReadyCase) {
  auto a = gocxx::make_chan<int>(1000);
  auto b = gocxx::make_chan<int>(1000);
  for (int i = 0; i < 100; ++i) {
    a.send(i);
    b.send(i);
  }
  for (int i = 0; i < 100; ++i) EXPECT_EQ(gocxx::select_biased(case_recv(a, [] {}), case_recv(b, [] {})), 0u);
}

TEST(Select, RandomChoiceReachesEveryReadyCase) {
  auto a = gocxx::make_chan<int>(1);
  auto b = gocxx::make_chan<int>(1);
  a.send(0);
  b.send(0);
  int count[2] = {0, 0};
  for (int i = 0; i < 20000; ++i) {
    const auto idx = gocxx::select(case_recv(a, [&] { a.send(0); }), case_recv(b, [&] { b.send(0); }));
    ++count[idx];
  }
  // Uniform choice: 10000 each; 9000 is over 14 standard deviations away.
  EXPECT_GT(count[0], 9000);
  EXPECT_GT(count[1], 9000);
}

}  // namespace
