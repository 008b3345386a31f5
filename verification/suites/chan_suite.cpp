// verification/suites/chan_suite.cpp: gocxx's channels under verify::env — the shipped
// buffered_ring (detail/buffered_ring.hpp), the locked rendezvous (detail/locked_chan.hpp) and
// select (select.hpp), instantiated with the model checker's Env.
//
//   chan.ring_spsc/2          cap 1 ring: 3 values, sender vs receiver; FIFO, nothing lost, both
//                             slow paths (full and empty) and the step-aside bits exercised
//   chan.ring_mpsc/3          cap 1 ring: two senders, one receiver; each value exactly once
//   chan.ring_spmc/3          cap 1 ring: one sender, two receivers (queued receivers, drain)
//   chan.rendezvous/2         unbuffered: send returns only after the receiver took the value
//   chan.close_vs_send/2      a send racing close: it either delivered (value drained later) or
//                             panicked with "send on closed channel"; never both, never lost
//   chan.close_vs_recv/2      receivers blocked or not when close comes: buffered value first,
//                             then empty
//   chan.select_once/3        a select over two rings fed by two senders: exactly one case
//                             commits, the other value stays in its channel
//   chan.select_deadline/2    a select with a deadline against a timed send on a rendezvous:
//                             the value moves iff both sides say it did (cancellation vs claim)
//
// Invariants checked by every test here: each value sent is received exactly once or is still in
// the channel; no data race on any slot or waiter cell; no deadlock or livelock; no leak of the
// channel state (every test drops its handles). Memory orders in this file are the tests' own
// (relaxed counters read after the threads end, or release/acquire flags between model threads).
#include <chrono>
#include <stdexcept>
#include <string_view>
#include <optional>

#include "gocxx/chan.hpp"
#include "gocxx/select.hpp"
#include "gocxx/verify/verify.hpp"

namespace {

namespace v = gocxx::verify;
using env = v::env;
using ch_t = gocxx::basic_chan<int, env>;

// Blocking operations retry the fast path with backoff before they queue; each retry is the same
// code again, so one step keeps that path explored while leaving the queuing paths reachable.
const bool short_patience = [] {
  gocxx::detail::chan_core<env>::patience_steps.store(1);
  return true;
}();

ch_t make(std::size_t cap, bool reference = false) { return gocxx::make_basic_chan<int, env>(cap, reference); }

bool send_or_panic(ch_t& ch, int value) {
  try {
    ch.send(value);
    return true;
  } catch (const gocxx::panic_error& e) {
    v::check_that(std::string_view(e.what()) == "send on closed channel", "wrong panic message");
    return false;
  }
}

template <std::size_t Cap, bool Reference>
struct spsc {
  static constexpr unsigned threads = 2;
  ch_t ch;
  void before() { ch = make(Cap, Reference); }
  void thread(unsigned i) {
    if (i == 0) {
      for (int k = 1; k <= 3; ++k) ch.send(k);
    } else {
      for (int k = 1; k <= 3; ++k) v::check_that(ch.recv() == k, "values out of order or lost");
    }
  }
  void after() {
    v::check_that(ch.size() == 0, "channel not empty");
    ch = ch_t();  // release: the checker reports a leak if the state is not freed
  }
};

// Go: a receive from a full buffer moves the first blocked sender's value into the freed slot. So
// with cap 1, send(1); send(2) completes after a single receive; the receiver spins until it does
// (a missed refill leaves both stuck: the checker reports it).
struct refill {
  static constexpr unsigned threads = 2;
  ch_t ch;
  v::atomic<int> sent_both{0};
  void before() { ch = make(1); }
  void thread(unsigned i) {
    if (i == 0) {
      ch.send(1);
      ch.send(2);
      sent_both.store(1, std::memory_order_release);
    } else {
      v::check_that(ch.recv() == 1, "wrong first value");
      while (sent_both.load(std::memory_order_acquire) == 0) env::spin_hint();
      v::check_that(ch.size() == 1, "the second value must be buffered");
    }
  }
  void after() { ch = ch_t(); }
};

// Two handles of one channel dropped concurrently, one after using it: whichever drops last
// destroys the channel, and everything the other did with it must happen-before that (C2).
struct handle_drop {
  static constexpr unsigned threads = 2;
  ch_t c0, c1;
  void before() {
    c0 = make(1);
    c1 = c0;
  }
  void thread(unsigned i) {
    if (i == 0) {
      c0.send(1);  // writes a slot of the ring
      c0 = ch_t();
    } else {
      c1 = ch_t();
    }
  }
};

// A value whose move constructor writes its destination, then throws while `armed` (a T whose
// move may throw: the locked flavor). The writes make a missing happens-before edge a data race.
struct fragile {
  v::cell<int> payload;
  bool armed = false;
  explicit fragile(int p, bool a = false) : payload(std::in_place, p), armed(a) {}
  fragile(fragile&& o) noexcept(false) : payload(std::in_place, o.payload.load()), armed(false) {
    if (o.armed) throw std::runtime_error("move failed");
  }
};
using fragile_ch = gocxx::basic_chan<fragile, env>;

// A sender whose value cannot be moved into a waiting receiver: the sender gets the exception, the
// receiver is told to retry (W3 in retry()) and then receives the next value.
struct move_throws_to_receiver {
  static constexpr unsigned threads = 2;
  fragile_ch ch;
  bool threw = false;
  void before() { ch = gocxx::make_basic_chan<fragile, env>(0); }
  void thread(unsigned i) {
    if (i == 0) {
      try {
        ch.send(fragile(1, true));
      } catch (const std::runtime_error&) {
        threw = true;
      }
      ch.send(fragile(2));
    } else {
      const std::optional<fragile> got = ch.recv();
      v::check_that(got.has_value() && got->payload.load() != 1, "a value whose move threw arrived");
    }
  }
  void after() { ch = fragile_ch(); }
};

struct mpsc {
  static constexpr unsigned threads = 3;
  ch_t ch;
  int sum = 0;
  void before() { ch = make(1); }
  void thread(unsigned i) {
    if (i < 2) {
      ch.send(int(i) + 1);
    } else {
      const int a = *ch.recv(), b = *ch.recv();
      v::check_that(a != b && a + b == 3, "a value was lost or duplicated");
    }
  }
  void after() { ch = ch_t(); }
};

struct spmc {
  static constexpr unsigned threads = 3;
  ch_t ch;
  v::atomic<int> got{0};
  void before() { ch = make(1); }
  void thread(unsigned i) {
    if (i == 0) {
      ch.send(1);
      ch.send(2);
    } else {
      got.fetch_add(*ch.recv(), std::memory_order_relaxed);
    }
  }
  void after() {
    v::check_that(got.load(std::memory_order_relaxed) == 3, "a value was lost or duplicated");
    ch = ch_t();
  }
};

struct rendezvous {
  static constexpr unsigned threads = 2;
  ch_t ch;
  v::atomic<int> received{0};
  void before() { ch = make(0); }
  void thread(unsigned i) {
    if (i == 0) {
      ch.send(7);
      // send returned, so the receiver took the value: its recv() has returned 7 or is returning.
    } else {
      v::check_that(ch.recv() == 7, "wrong value");
      received.store(1, std::memory_order_relaxed);
    }
  }
  void after() { ch = ch_t(); }
};

template <std::size_t Cap>
struct close_vs_send {
  static constexpr unsigned threads = 2;
  ch_t ch;
  bool delivered = false;
  void before() { ch = make(Cap); }
  void thread(unsigned i) {
    if (i == 0) {
      delivered = send_or_panic(ch, 5);
    } else {
      ch.close();
    }
  }
  void after() {
    // A rendezvous send with no receiver can only end by close: it must have panicked.
    if (Cap == 0) v::check_that(!delivered, "an unbuffered send completed without a receiver");
    const std::optional<int> first = ch.recv();
    v::check_that(first.has_value() == delivered, "a delivered value is missing, or a failed one arrived");
    v::check_that(!ch.recv().has_value(), "a closed, drained channel returned a value");
    ch = ch_t();
  }
};

template <std::size_t Cap>
struct close_vs_recv {
  static constexpr unsigned threads = 2;
  ch_t ch;
  void before() { ch = make(Cap); }
  void thread(unsigned i) {
    if (i == 0) {
      if (Cap > 0) ch.send(1);
      ch.close();
    } else {
      if (Cap > 0) v::check_that(ch.recv() == 1, "the buffered value must come before close is seen");
      v::check_that(!ch.recv().has_value(), "receive after close and drain must be empty");
    }
  }
  void after() { ch = ch_t(); }
};

struct select_once {
  static constexpr unsigned threads = 3;
  ch_t a, b;
  int chosen = -1, value = -1;
  void before() {
    a = make(1);
    b = make(1);
  }
  void thread(unsigned i) {
    if (i == 0) {
      chosen = int(gocxx::select(gocxx::case_recv(a, [&](std::optional<int> x) { value = *x; }),
                                 gocxx::case_recv(b, [&](std::optional<int> x) { value = *x; })));
    } else if (i == 1) {
      a.send(10);
    } else {
      b.send(20);
    }
  }
  void after() {
    v::check_that(chosen == 0 || chosen == 1, "no case committed");
    v::check_that(value == (chosen == 0 ? 10 : 20), "the value does not match the chosen case");
    ch_t& other = chosen == 0 ? b : a;
    ch_t& mine = chosen == 0 ? a : b;
    v::check_that(other.size() == 1 && mine.size() == 0, "the losing case consumed its value");
    a = ch_t();
    b = ch_t();
  }
};

struct select_deadline {
  static constexpr unsigned threads = 2;
  ch_t ch;
  bool sent = false, got = false;
  void before() { ch = make(0); }
  void thread(unsigned i) {
    const auto deadline = env::clock::now() + std::chrono::milliseconds(1);
    if (i == 0) {
      sent = ch.send_until(3, deadline);
    } else {
      gocxx::select(gocxx::case_recv(ch, [&](std::optional<int> x) { got = x == 3; }),
                    gocxx::case_until(deadline, [] {}));
    }
  }
  void after() {
    v::check_that(sent == got, "the value moved on one side only");
    ch = ch_t();
  }
};

using v::strategy;
const v::options small_steps = [] {
  v::options o;
  o.max_steps = 6000;
  return o;
}();
const bool registered =
    v::register_test<spsc<1, false>>("chan.ring_spsc/2", {strategy::random, strategy::bounded, strategy::pct}, small_steps) &&
    v::register_test<spsc<0, false>>("chan.rendezvous_spsc/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<spsc<1, true>>("chan.reference_spsc/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<refill>("chan.ring_refill/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<handle_drop>("chan.handle_drop/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<move_throws_to_receiver>("chan.move_throws_to_receiver/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<mpsc>("chan.ring_mpsc/3", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<spmc>("chan.ring_spmc/3", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<rendezvous>("chan.rendezvous/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<close_vs_send<1>>("chan.close_vs_send_ring/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<close_vs_send<0>>("chan.close_vs_send_rendezvous/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<close_vs_recv<1>>("chan.close_vs_recv_ring/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<close_vs_recv<0>>("chan.close_vs_recv_rendezvous/2", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<select_once>("chan.select_once/3", {strategy::random, strategy::bounded}, small_steps) &&
    v::register_test<select_deadline>("chan.select_deadline/2", {strategy::random, strategy::bounded}, small_steps);

}  // namespace
