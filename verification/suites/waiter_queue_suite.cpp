// verification/suites/waiter_queue_suite.cpp: detail::waiter_queue and wait_context under
// verify::env (detail/waiter.hpp, THE HAND-OFF PROTOCOL).
//
//   waiter_queue.handoff/N         N-1 blocked senders push a waiter whose slot holds their value;
//                                  thread 0 claims them all (claim_front), reads each value and
//                                  completes it: every value arrives intact (INV-2), nobody waits
//                                  forever, no race on slots or links (INV-4)
//   waiter_queue.cancel_vs_claim/N the owner waits with a deadline (the checker may time it out at
//                                  any point) while N-1 completers try to claim: exactly one of
//                                  cancelled / done, and the value is consumed exactly once (INV-1)
//   waiter_queue.select/N          one wait_context with a waiter on each of two queues (a select);
//                                  completers claim from both: exactly one case wins (INV-1)
#include <chrono>

#include "gocxx/detail/waiter.hpp"
#include "gocxx/verify/verify.hpp"

namespace {

namespace v = gocxx::verify;
using env = v::env;
using gocxx::detail::wait_context;
using gocxx::detail::wait_result;
using gocxx::detail::waiter;
using gocxx::detail::waiter_queue;
using std::memory_order_acquire, std::memory_order_relaxed, std::memory_order_release;

constexpr auto forever = env::clock::time_point::max();

template <unsigned N>
struct handoff {
  static constexpr unsigned threads = N;
  waiter_queue<env> queue;
  int received = 0;
  void thread(unsigned i) {
    if (i == 0) {  // the completer: takes N-1 values
      for (unsigned got = 0; got < N - 1;) {
        waiter<env>* w = queue.claim_front();
        if (w == nullptr) {
          env::spin_hint();
          continue;
        }
        auto* slot = static_cast<v::cell<int>*>(w->slot());
        received += slot->load();
        w->context().complete(false);
        ++got;
      }
      v::check_that(received == static_cast<int>(N * (N - 1) / 2), "a value was lost or corrupted");
    } else {  // a blocked sender
      v::cell<int> value(std::in_place, static_cast<int>(i));
      wait_context<env> ctx(env::this_parker());
      waiter<env> w(ctx, &value);
      queue.push(w);
      const wait_result r = ctx.wait(forever, gocxx::wait_reason::chan_send);
      v::check_that(r.how == wait_result::status::done && !r.closed, "the send did not complete");
      v::check_that(!queue.remove(w), "a completed waiter was still linked");
    }
  }
};

template <unsigned N>
struct cancel_vs_claim {
  static constexpr unsigned threads = N;
  waiter_queue<env> queue;
  v::atomic<int> consumed{0};
  v::atomic<int> owner_done{0};
  void thread(unsigned i) {
    if (i == 0) {
      v::cell<int> value(std::in_place, 42);
      wait_context<env> ctx(env::this_parker());
      waiter<env> w(ctx, &value);
      queue.push(w);
      const wait_result r =
          ctx.wait(env::clock::now() + std::chrono::milliseconds(1), gocxx::wait_reason::chan_send);
      (void)queue.remove(w);
      const int c = consumed.load(memory_order_relaxed);  // completers publish before DONE (W3)
      if (r.how == wait_result::status::done) {
        v::check_that(c == 1 && value.load() == -1, "done, but the value was not consumed exactly once");
      } else {
        v::check_that(c == 0 && value.load() == 42, "cancelled, but the value was consumed");
      }
      owner_done.store(1, memory_order_release);
    } else {
      waiter<env>* w = queue.claim_front();
      if (w != nullptr) {
        auto* slot = static_cast<v::cell<int>*>(w->slot());
        v::check_that(slot->load() == 42, "the value arrived corrupted");
        slot->store(-1);
        consumed.fetch_add(1, memory_order_relaxed);
        w->context().complete(false);
      }
    }
  }
};

template <unsigned N>
struct select {
  static constexpr unsigned threads = N;
  waiter_queue<env> q[2];
  v::atomic<int> wins{0};
  v::atomic<int> owner_done{0};
  void thread(unsigned i) {
    if (i == 0) {
      wait_context<env> ctx(env::this_parker());
      waiter<env> w0(ctx, nullptr, 0), w1(ctx, nullptr, 1);
      q[0].push(w0);
      q[1].push(w1);
      const wait_result r = ctx.wait(forever, gocxx::wait_reason::select);
      (void)q[0].remove(w0);
      (void)q[1].remove(w1);
      v::check_that(r.how == wait_result::status::done && r.case_index < 2, "the select did not complete");
      owner_done.store(1, memory_order_release);
    } else {
      // N == 2: one completer tries both queues; N == 3: one completer per queue.
      const unsigned first = N == 2 ? 0 : i - 1, last = N == 2 ? 1 : i - 1;
      for (;;) {
        for (unsigned k = first; k <= last; ++k) {
          if (waiter<env>* w = q[k].claim_front()) {
            v::check_that(w->case_index() == k, "claimed the waiter of another case");
            wins.fetch_add(1, memory_order_relaxed);
            w->context().complete(false);
          }
        }
        if (owner_done.load(memory_order_acquire) == 1) break;
        env::spin_hint();
      }
    }
  }
  void after() { v::check_that(wins.load() == 1, "a select must have exactly one winning case"); }
};

using v::strategy;
const bool registered =
    v::register_test<handoff<2>>("waiter_queue.handoff/2", {strategy::exhaustive, strategy::random}) &&
    v::register_test<handoff<3>>("waiter_queue.handoff/3", {strategy::bounded, strategy::random}) &&
    v::register_test<cancel_vs_claim<2>>("waiter_queue.cancel_vs_claim/2", {strategy::exhaustive, strategy::random}) &&
    v::register_test<cancel_vs_claim<3>>("waiter_queue.cancel_vs_claim/3", {strategy::bounded, strategy::random}) &&
    v::register_test<select<2>>("waiter_queue.select/2", {strategy::exhaustive, strategy::random}) &&
    v::register_test<select<3>>("waiter_queue.select/3", {strategy::bounded, strategy::random});

}  // namespace
