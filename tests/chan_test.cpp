// Channels: every rule of Go's channel semantics, from plain threads, on every flavor.
#include "gocxx/chan.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using gocxx::chan;
using gocxx::detail::chan_dir;

// Waits until `n` operations are queued on `ch` in direction `dir`: "blocked", observed without
// sleeping.
template <class T>
void wait_queued(const chan<T>& ch, chan_dir dir, std::size_t n) {
  while (ch.core()->queue(dir).size() < n) std::this_thread::yield();
}

std::string panic_text(auto&& f) {
  try {
    f();
  } catch (const gocxx::panic_error& e) {
    return e.what();
  }
  return "no panic";
}

// Each flavor: unbuffered, buffered lock-free ring, buffered reference (lock-based).
struct flavor {
  const char* name;
  std::size_t capacity;
  bool reference;
  template <class T>
  chan<T> make() const {
    return reference ? gocxx::make_reference_chan<T>(capacity) : gocxx::make_chan<T>(capacity);
  }
  friend void PrintTo(const flavor& f, std::ostream* os) { *os << f.name; }
};

class ChanFlavors : public ::testing::TestWithParam<flavor> {};

INSTANTIATE_TEST_SUITE_P(All, ChanFlavors,
                         ::testing::Values(flavor{"unbuffered", 0, false}, flavor{"ring1", 1, false},
                                           flavor{"ring3", 3, false}, flavor{"reference0", 0, true},
                                           flavor{"reference3", 3, true}),
                         [](const ::testing::TestParamInfo<flavor>& p) { return std::string(p.param.name); });

TEST(Chan, NilChannelNeverProceedsAndCloseOfNilPanics) {
  chan<int> nil;
  EXPECT_FALSE(nil);
  EXPECT_FALSE(nil.try_send(1));
  EXPECT_FALSE(nil.try_recv().has_value());
  std::optional<int> out;
  EXPECT_EQ(nil.try_recv(out), gocxx::recv_state::empty);
  EXPECT_FALSE(nil.send_for(1, 10ms));
  EXPECT_FALSE(nil.recv_for(10ms).has_value());
  EXPECT_EQ(nil.size(), 0u);
  EXPECT_EQ(nil.capacity(), 0u);
  EXPECT_EQ(panic_text([&] { nil.close(); }), "close of nil channel");
}

TEST_P(ChanFlavors, LenAndCapLikeGo) {
  auto ch = GetParam().make<int>();
  EXPECT_TRUE(ch);
  EXPECT_EQ(ch.capacity(), GetParam().capacity);
  for (std::size_t i = 0; i < GetParam().capacity; ++i) {
    EXPECT_TRUE(ch.try_send(int(i)));
    EXPECT_EQ(ch.size(), i + 1);
  }
  EXPECT_FALSE(ch.try_send(99));  // full (or no receiver, unbuffered)
  EXPECT_EQ(ch.size(), GetParam().capacity);
}

TEST_P(ChanFlavors, CloseOfClosedPanics) {
  auto ch = GetParam().make<int>();
  ch.close();
  EXPECT_EQ(panic_text([&] { ch.close(); }), "close of closed channel");
}

TEST_P(ChanFlavors, SendOnClosedPanicsAlsoForTrySend) {
  auto ch = GetParam().make<int>();
  ch.close();
  EXPECT_EQ(panic_text([&] { ch.send(1); }), "send on closed channel");
  EXPECT_EQ(panic_text([&] { ch.try_send(1); }), "send on closed channel");
  EXPECT_EQ(panic_text([&] { ch.send_for(1, 1ms); }), "send on closed channel");
}

TEST_P(ChanFlavors, ReceiveOnClosedDrainsThenReturnsEmptyForever) {
  auto ch = GetParam().make<int>();
  for (std::size_t i = 0; i < GetParam().capacity; ++i) ch.send(int(i) + 1);
  ch.close();
  for (std::size_t i = 0; i < GetParam().capacity; ++i) EXPECT_EQ(ch.recv(), int(i) + 1);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(ch.recv().has_value());
  std::optional<int> out;
  EXPECT_EQ(ch.try_recv(out), gocxx::recv_state::closed);
  EXPECT_EQ(ch.recv_for(out, 1s), gocxx::recv_state::closed);
}

TEST_P(ChanFlavors, CloseWakesEveryBlockedReceiver) {
  auto ch = GetParam().make<int>();
  constexpr int receivers = 4;
  std::atomic<int> got_empty{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < receivers; ++i) {
    pool.emplace_back([&] {
      if (!ch.recv().has_value()) got_empty.fetch_add(1);
    });
  }
  wait_queued(ch, chan_dir::recv, receivers);
  ch.close();
  for (auto& t : pool) t.join();
  EXPECT_EQ(got_empty.load(), receivers);
}

TEST_P(ChanFlavors, BlockedSendersPanicWhenClosed) {
  auto ch = GetParam().make<int>();
  for (std::size_t i = 0; i < GetParam().capacity; ++i) ch.send(0);  // fill
  constexpr int senders = 3;
  std::atomic<int> panicked{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < senders; ++i) {
    pool.emplace_back([&] {
      if (panic_text([&] { ch.send(7); }) == "send on closed channel") panicked.fetch_add(1);
    });
  }
  wait_queued(ch, chan_dir::send, senders);
  ch.close();
  for (auto& t : pool) t.join();
  EXPECT_EQ(panicked.load(), senders);
  // The buffered values are still there; none of the failed sends is.
  for (std::size_t i = 0; i < GetParam().capacity; ++i) EXPECT_EQ(ch.recv(), 0);
  EXPECT_FALSE(ch.recv().has_value());
}

TEST_P(ChanFlavors, BlockedReceiversAreServedFirstInFirstOut) {
  auto ch = GetParam().make<int>();
  constexpr int receivers = 4;
  std::vector<int> got(receivers, -1);
  std::vector<std::thread> pool;
  for (int i = 0; i < receivers; ++i) {
    pool.emplace_back([&, i] { got[i] = *ch.recv(); });
    wait_queued(ch, chan_dir::recv, std::size_t(i) + 1);  // receiver i is queued i-th
  }
  for (int v = 0; v < receivers; ++v) ch.send(v);
  for (auto& t : pool) t.join();
  for (int i = 0; i < receivers; ++i) EXPECT_EQ(got[i], i) << "receiver " << i;
}

TEST_P(ChanFlavors, BlockedSendersAreServedFirstInFirstOut) {
  auto ch = GetParam().make<int>();
  const int buffered = int(GetParam().capacity);
  for (int v = 0; v < buffered; ++v) ch.send(v);
  constexpr int senders = 4;
  std::vector<std::thread> pool;
  for (int i = 0; i < senders; ++i) {
    pool.emplace_back([&, i] { ch.send(buffered + i); });
    wait_queued(ch, chan_dir::send, std::size_t(i) + 1);
  }
  for (int v = 0; v < buffered + senders; ++v) EXPECT_EQ(ch.recv(), v);
  for (auto& t : pool) t.join();
}

// Go: a receive from a full buffered channel takes the head and moves the first blocked sender's
// value into the freed slot, so len stays at cap and order is kept.
TEST(Chan, ReceiveFromFullBufferRefillsFromTheFirstBlockedSender) {
  for (bool reference : {false, true}) {
    auto ch = reference ? gocxx::make_reference_chan<int>(2) : gocxx::make_chan<int>(2);
    ch.send(1);
    ch.send(2);
    std::thread s3([&] { ch.send(3); });
    wait_queued(ch, chan_dir::send, 1);
    EXPECT_EQ(ch.recv(), 1);
    EXPECT_EQ(ch.size(), 2u) << "the blocked sender's value refilled the slot";
    s3.join();  // its send completed with the refill
    EXPECT_EQ(ch.recv(), 2);
    EXPECT_EQ(ch.recv(), 3);
  }
}

// Go: a sender hands its value straight to a waiting receiver, also on a buffered channel.
TEST(Chan, SenderHandsStraightToAWaitingReceiverOnABufferedChannel) {
  for (bool reference : {false, true}) {
    auto ch = reference ? gocxx::make_reference_chan<int>(4) : gocxx::make_chan<int>(4);
    std::optional<int> got;
    std::thread r([&] { got = ch.recv(); });
    wait_queued(ch, chan_dir::recv, 1);
    ch.send(42);
    EXPECT_EQ(ch.size(), 0u) << "the value never stays in the buffer";
    r.join();
    EXPECT_EQ(got, 42);
  }
}

TEST(Chan, UnbufferedSendReturnsOnlyAfterTheReceiverTookTheValue) {
  for (bool reference : {false, true}) {
    auto ch = reference ? gocxx::make_reference_chan<int>() : gocxx::make_chan<int>();
    std::atomic<bool> sent{false};
    std::thread s([&] {
      ch.send(5);
      sent.store(true);
    });
    wait_queued(ch, chan_dir::send, 1);
    EXPECT_FALSE(sent.load());  // still blocked: nobody received
    EXPECT_EQ(ch.recv(), 5);
    s.join();
    EXPECT_TRUE(sent.load());
  }
}

TEST_P(ChanFlavors, TimedOperationsGiveUpAfterTheirDeadline) {
  auto ch = GetParam().make<int>();
  for (std::size_t i = 0; i < GetParam().capacity; ++i) ch.send(0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(ch.send_for(1, 20ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
  EXPECT_EQ(ch.core()->queue(chan_dir::send).size(), 0u) << "the timed-out sender left the queue";
  for (std::size_t i = 0; i < GetParam().capacity; ++i) ch.recv();
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE(ch.recv_for(20ms).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
  EXPECT_EQ(ch.core()->queue(chan_dir::recv).size(), 0u);
  EXPECT_EQ(ch.size(), 0u);
}

TEST_P(ChanFlavors, RangeReceivesUntilClosedAndDrained) {
  auto ch = GetParam().make<int>();
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) ch.send(i);
    ch.close();
  });
  int expected = 0;
  for (int v : ch) EXPECT_EQ(v, expected++);
  producer.join();
  EXPECT_EQ(expected, 100);
}

TEST_P(ChanFlavors, MoveOnlyAndNonDefaultConstructibleValues) {
  struct no_default {
    explicit no_default(int x) : v(x) {}
    int v;
  };
  auto boxes = GetParam().make<std::unique_ptr<int>>();
  auto plain = GetParam().make<no_default>();
  std::thread producer([&] {
    for (int i = 0; i < 10; ++i) {
      boxes.send(std::make_unique<int>(i));
      plain.send(no_default(i));
    }
  });
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(**boxes.recv(), i);
    EXPECT_EQ(plain.recv()->v, i);
  }
  producer.join();
}

TEST(Chan, DirectionViewsShareTheChannel) {
  auto ch = gocxx::make_chan<int>(1);
  gocxx::send_chan<int> out = ch;
  gocxx::recv_chan<int> in = ch;
  EXPECT_EQ(out.core(), in.core());
  out.send(3);
  EXPECT_EQ(in.size(), 1u);
  EXPECT_EQ(in.recv(), 3);
  out.close();
  EXPECT_FALSE(in.recv().has_value());
  auto copy = ch;
  EXPECT_TRUE(copy == ch);
  EXPECT_FALSE(gocxx::make_chan<int>() == ch);
}

// The buffered channel as a counting semaphore: Go's "the k-th receive happens-before the
// (k+C)-th send completes" bounds the threads inside the critical section by C.
TEST(Chan, BufferedChannelIsACountingSemaphore) {
  constexpr std::size_t limit = 2;
  auto sem = gocxx::make_chan<int>(limit);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 6; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        sem.send(0);
        const int now = inside.fetch_add(1) + 1;
        int prev = most.load();
        while (now > prev && !most.compare_exchange_weak(prev, now)) {
        }
        inside.fetch_sub(1);
        sem.recv();
      }
    });
  }
  for (auto& t : pool) t.join();
  EXPECT_LE(most.load(), int(limit));
  EXPECT_GE(most.load(), 1);
}

// Message passing: a plain write before send is visible after the matching receive (TSan checks
// the happens-before edge, the assertion checks the value).
TEST_P(ChanFlavors, SendHappensBeforeTheMatchingReceiveCompletes) {
  auto ch = GetParam().make<int>();
  std::vector<long> data(1000, 0);
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) {
      data[i] = i * 3L;  // plain write
      ch.send(i);
    }
  });
  for (int i = 0; i < 1000; ++i) {
    const int k = *ch.recv();
    EXPECT_EQ(data[k], k * 3L);  // plain read
  }
  producer.join();
}

}  // namespace
