// The waiter queue and the hand-off protocol: FIFO, cancellation from the middle, one claim per
// select, and exact counts under concurrent hand-offs with deadlines racing claims.
#include "gocxx/detail/waiter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "gocxx/env.hpp"

namespace {

using namespace std::chrono_literals;
using env = gocxx::native_env;
using context = gocxx::detail::wait_context<env>;
using waiter = gocxx::detail::waiter<env>;
using queue = gocxx::detail::waiter_queue<env>;
using status = gocxx::detail::wait_result::status;

constexpr auto forever = env::clock::time_point::max();

// A blocked operation as a test can hold it: its own parker, context and waiter.
struct op {
  explicit op(int v, unsigned case_index = 0) : value(v), ctx(parker), w(ctx, &value, case_index) {}
  int value;
  gocxx::native_parker parker;
  context ctx;
  waiter w;
};

TEST(WaiterQueue, ServesWaitersFirstInFirstOut) {
  queue q;
  std::vector<std::unique_ptr<op>> ops;
  for (int i = 0; i < 5; ++i) {
    ops.push_back(std::make_unique<op>(i));
    q.push(ops.back()->w);
  }
  for (int i = 0; i < 5; ++i) {
    waiter* w = q.claim_front();
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(*static_cast<int*>(w->slot()), i);
    w->context().complete(false);
  }
  EXPECT_EQ(q.claim_front(), nullptr);
  EXPECT_TRUE(q.empty());
}

TEST(WaiterQueue, CancelledWaiterLeavesFromTheMiddle) {
  queue q;
  op a(1), b(2), c(3);
  q.push(a.w);
  q.push(b.w);
  q.push(c.w);
  ASSERT_TRUE(b.ctx.try_cancel());
  EXPECT_TRUE(q.remove(b.w));
  EXPECT_FALSE(q.remove(b.w));  // removing twice is harmless
  waiter* first = q.claim_front();
  waiter* second = q.claim_front();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first, &a.w);
  EXPECT_EQ(second, &c.w);
  EXPECT_EQ(q.claim_front(), nullptr);
  first->context().complete(false);
  second->context().complete(false);
}

TEST(WaiterQueue, ClaimSkipsAndUnlinksCancelledWaiters) {
  queue q;
  op a(1), b(2);
  q.push(a.w);
  q.push(b.w);
  ASSERT_TRUE(a.ctx.try_cancel());  // cancelled but not yet removed by its owner
  EXPECT_EQ(q.claim_front(), &b.w);
  EXPECT_FALSE(q.remove(a.w));  // the claim already unlinked it
  EXPECT_TRUE(q.empty());
  b.ctx.complete(false);
}

TEST(WaiterQueue, ClaimLeavesTheExcludedContextInPlace) {
  queue q;
  op mine(1), theirs(2);
  q.push(mine.w);
  q.push(theirs.w);
  EXPECT_EQ(q.claim_front(&mine.ctx), &theirs.w);
  EXPECT_EQ(q.claim_front(&mine.ctx), nullptr);
  EXPECT_TRUE(q.remove(mine.w));
  theirs.ctx.complete(false);
}

// A select waits on two queues with one context: only one case can be claimed.
TEST(WaiterQueue, OneSelectCommitsExactlyOneCase) {
  queue q1, q2;
  gocxx::native_parker parker;
  context ctx(parker);
  int slot1 = 10, slot2 = 20;
  waiter w1(ctx, &slot1, 0), w2(ctx, &slot2, 1);
  q1.push(w1);
  q2.push(w2);
  waiter* won = q2.claim_front();
  ASSERT_EQ(won, &w2);
  EXPECT_EQ(q1.claim_front(), nullptr);  // the other case lost, and was unlinked on the way
  EXPECT_FALSE(ctx.try_cancel());        // a claimed operation cannot be cancelled
  won->context().complete(false);
  const auto r = ctx.wait(forever, gocxx::wait_reason::select);
  EXPECT_EQ(r.how, status::done);
  EXPECT_EQ(r.case_index, 1u);
  EXPECT_FALSE(r.closed);
  EXPECT_FALSE(q1.remove(w1));
  EXPECT_FALSE(q2.remove(w2));
}

TEST(WaiterQueue, DrainReportsClosedToEveryWaiter) {
  queue q;
  op a(1), b(2);
  q.push(a.w);
  q.push(b.w);
  int drained = 0;
  q.drain([&](waiter& w) {
    if (w.context().try_claim(w.case_index())) w.context().complete(true);
    ++drained;
  });
  EXPECT_EQ(drained, 2);
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(a.ctx.wait(forever, gocxx::wait_reason::chan_send).closed);
  EXPECT_TRUE(b.ctx.wait(forever, gocxx::wait_reason::chan_send).closed);
}

TEST(WaitContext, DeadlinePassesWhenNobodyClaims) {
  op a(1);
  queue q;
  q.push(a.w);
  const auto start = env::clock::now();
  const auto r = a.ctx.wait(start + 20ms, gocxx::wait_reason::chan_send);
  EXPECT_EQ(r.how, status::cancelled);
  EXPECT_GE(env::clock::now() - start, 20ms);
  EXPECT_TRUE(q.remove(a.w));
  EXPECT_EQ(q.claim_front(), nullptr);
}

// Senders block with their value in the slot; receivers claim, take the value, complete. Half the
// senders use short deadlines, so cancellations race claims. Every value is received exactly once
// or its sender saw "cancelled"; nothing is both or neither.
TEST(WaiterQueue, ConcurrentHandOffsAreExactlyOnce) {
  constexpr int senders = 4, per_sender = 3000, receivers = 2;
  queue q;
  std::vector<std::atomic<int>> received(senders * per_sender);
  std::vector<std::atomic<int>> cancelled(senders * per_sender);
  std::atomic<int> senders_left{senders};
  std::vector<std::thread> pool;
  for (int s = 0; s < senders; ++s) {
    pool.emplace_back([&, s] {
      gocxx::native_parker& parker = env::this_parker();
      for (int i = 0; i < per_sender; ++i) {
        int value = s * per_sender + i;
        context ctx(parker);
        waiter w(ctx, &value);
        q.push(w);
        const auto deadline = (i % 2 == 0) ? forever : env::clock::now() + std::chrono::microseconds(i % 50);
        const auto r = ctx.wait(deadline, gocxx::wait_reason::chan_send);
        q.remove(w);
        if (r.how == status::cancelled) cancelled[s * per_sender + i].fetch_add(1);
      }
      senders_left.fetch_sub(1);
    });
  }
  for (int r = 0; r < receivers; ++r) {
    pool.emplace_back([&] {
      for (;;) {
        waiter* w = q.claim_front();
        if (w == nullptr) {
          if (senders_left.load() == 0) return;
          env::yield();
          continue;
        }
        received[*static_cast<int*>(w->slot())].fetch_add(1);
        w->context().complete(false);
      }
    });
  }
  for (auto& t : pool) t.join();
  int got = 0, gave_up = 0;
  for (int v = 0; v < senders * per_sender; ++v) {
    ASSERT_EQ(received[v].load() + cancelled[v].load(), 1) << "value " << v;
    got += received[v].load();
    gave_up += cancelled[v].load();
  }
  EXPECT_EQ(got + gave_up, senders * per_sender);
  EXPECT_GE(got, senders * per_sender / 2);  // every sender without a deadline was served
  EXPECT_TRUE(q.empty());
}

// Receivers block with an empty slot; completers write into it before DONE. Each receiver must
// read the value its completer wrote (INV-2), and every value arrives exactly once.
TEST(WaiterQueue, ValuesWrittenIntoReceiverSlotsArriveWhole) {
  constexpr int receivers = 3, per_receiver = 3000;
  struct payload {
    long a = -1, b = -1;  // written non-atomically by the completer; a torn read shows a != -b
  };
  queue q;
  std::atomic<long> next{1};
  std::atomic<int> receivers_left{receivers};
  std::atomic<long> sum{0};
  std::atomic<int> torn{0};
  std::vector<std::thread> pool;
  for (int r = 0; r < receivers; ++r) {
    pool.emplace_back([&] {
      gocxx::native_parker& parker = env::this_parker();
      for (int i = 0; i < per_receiver; ++i) {
        payload slot;
        context ctx(parker);
        waiter w(ctx, &slot);
        q.push(w);
        const auto res = ctx.wait(forever, gocxx::wait_reason::chan_receive);
        ASSERT_EQ(res.how, status::done);
        if (slot.a != -slot.b || slot.a <= 0) torn.fetch_add(1);
        sum.fetch_add(slot.a);
      }
      receivers_left.fetch_sub(1);
    });
  }
  pool.emplace_back([&] {
    while (receivers_left.load() > 0) {
      waiter* w = q.claim_front();
      if (w == nullptr) {
        env::yield();
        continue;
      }
      auto* slot = static_cast<payload*>(w->slot());
      const long v = next.fetch_add(1);
      slot->a = v;
      slot->b = -v;
      w->context().complete(false);
    }
  });
  for (auto& t : pool) t.join();
  const long n = long(receivers) * per_receiver;
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(sum.load(), n * (n + 1) / 2);
}

}  // namespace
