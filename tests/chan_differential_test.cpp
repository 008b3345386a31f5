// Differential tests of gocxx channels: random single-threaded operation sequences run on
// make_chan (the lock-free ring for buffered channels) and make_reference_chan (the locked
// reference), each compared op by op with a small model of Go's channel semantics written here
// (a deque and a closed flag); and the same values pushed through both flavors by several threads.
//
// Single-threaded, every outcome is determined except which ready case an unbiased select picks;
// there the test checks the SET of ready cases against the model, that the chosen case is in it,
// and that its effect matches. Each flavor keeps its own model, so both stay exact after selects
// that chose differently.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gocxx/chan.hpp"
#include "gocxx/panic.hpp"
#include "gocxx/select.hpp"

namespace {

using namespace std::chrono_literals;
using gocxx::chan;
using gocxx::recv_state;

enum class kind { normal, reference };

const char* kind_name(kind k) { return k == kind::reference ? "reference" : "normal"; }

const char* state_name(recv_state s) {
  switch (s) {
    case recv_state::value: return "value";
    case recv_state::empty: return "empty";
    case recv_state::closed: return "closed";
  }
  return "?";
}

constexpr std::size_t capacities[] = {0, 1, 3, 16};

// Go's channel, as a model: nil, or a FIFO of at most `cap` values and a closed flag.
struct model_chan {
  bool nil = false;
  std::size_t cap = 0;
  std::deque<int> buf;
  bool closed = false;

  bool can_send() const { return !nil && !closed && buf.size() < cap; }
  bool can_recv() const { return !nil && (!buf.empty() || closed); }
  // A send case is ready when it can send or would panic (closed); a receive case when it would
  // get a value or the closed-and-drained empty.
  bool send_ready() const { return !nil && (closed || buf.size() < cap); }
};

// One select case, as generated: which channel, which direction, and the value a send offers.
struct case_desc {
  std::size_t ch;
  bool send;
  int value;
};

enum class select_tail { none, default_case, after_zero };

// What the handlers of a select saw.
struct select_result {
  std::optional<std::size_t> ran;
  std::optional<int> value;
};

// run_select builds the cases of `d` (recv or send, chosen at run time) as the compile-time
// argument list of gocxx::select / select_biased, followed by the tail case.
template <std::size_t I, std::size_t N, class... Built>
std::size_t run_select(bool biased, select_tail tail, const std::array<case_desc, N>& d,
                       const std::array<chan<int>, 3>& chans, select_result& r, Built&&... built) {
  if constexpr (I == N) {
    auto go = [&](auto&&... cases) {
      return biased ? gocxx::select_biased(std::forward<decltype(cases)>(cases)...)
                    : gocxx::select(std::forward<decltype(cases)>(cases)...);
    };
    switch (tail) {
      case select_tail::default_case: return go(std::forward<Built>(built)..., gocxx::case_default([] {}));
      case select_tail::after_zero: return go(std::forward<Built>(built)..., gocxx::case_after(0ns, [] {}));
      default: return go(std::forward<Built>(built)...);
    }
  } else {
    const case_desc& c = d[I];
    if (c.send) {
      return run_select<I + 1, N>(biased, tail, d, chans, r, std::forward<Built>(built)...,
                                  gocxx::case_send(chans[c.ch], c.value, [&r] { r.ran = I; }));
    }
    return run_select<I + 1, N>(biased, tail, d, chans, r, std::forward<Built>(built)...,
                                gocxx::case_recv(chans[c.ch], [&r](std::optional<int> v) {
                                  r.ran = I;
                                  r.value = v;
                                }));
  }
}

// One operation, generated once and applied to every flavor.
struct op_desc {
  enum class type {
    try_send,
    try_recv,
    send,       // blocking send; replaced by try_send where the model says it would block
    recv,       // blocking receive; replaced by try_recv where it would block
    send_zero,  // send_for(v, 0): must time out where try_send would fail
    recv_zero,  // recv_for(out, 0)
    close,
    remake,  // a fresh channel (or nil) in this slot
    drain,   // range-for over a closed channel; replaced by try_recv on an open one
    select,
  } what;
  std::size_t ch = 0;
  int value = 0;
  std::size_t cap = 0;  // remake
  bool nil = false;     // remake
  // select
  std::size_t ncases = 0;
  std::array<case_desc, 3> cases{};
  bool biased = false;
  select_tail tail = select_tail::default_case;
};

// A flavor under test and its own model of three channel slots.
class runner {
 public:
  runner(kind k, std::size_t first_cap, std::size_t second_cap, std::size_t third_cap) : kind_(k) {
    remake(0, first_cap, false);
    remake(1, second_cap, false);
    remake(2, third_cap, false);
  }

  // Applies `op`; returns a description of the first mismatch, or an empty string.
  std::string apply(const op_desc& op) {
    std::ostringstream err;
    model_chan& m = model_[op.ch];
    chan<int>& ch = chans_[op.ch];
    switch (op.what) {
      case op_desc::type::send:
        if (m.can_send() || (!m.nil && m.closed)) {
          const bool panicked = panics([&] { ch.send(op.value); }, "send on closed channel", err);
          if (panicked != m.closed) err << "send: panicked=" << panicked << " closed=" << m.closed;
          if (!panicked && !m.closed) m.buf.push_back(op.value);
          break;
        }
        [[fallthrough]];
      case op_desc::type::try_send:
      case op_desc::type::send_zero: {
        bool sent = false;
        const bool panicked = panics(
            [&] { sent = op.what == op_desc::type::send_zero ? ch.send_for(op.value, 0ns) : ch.try_send(op.value); },
            "send on closed channel", err);
        const bool expect_panic = !m.nil && m.closed;
        if (panicked != expect_panic) err << "try_send: panicked=" << panicked << ", model closed=" << m.closed;
        if (!panicked && sent != m.can_send()) err << "try_send returned " << sent << ", model says " << m.can_send();
        if (!panicked && sent && m.can_send()) m.buf.push_back(op.value);
        break;
      }
      case op_desc::type::recv:
        if (m.can_recv()) {
          const std::optional<int> got = ch.recv();
          expect_received(m, got, err);
          break;
        }
        [[fallthrough]];
      case op_desc::type::try_recv:
      case op_desc::type::recv_zero:
      case op_desc::type::drain: {
        if (op.what == op_desc::type::drain && !m.nil && m.closed) {
          std::vector<int> got;
          for (const int v : ch) got.push_back(v);
          const std::vector<int> want(m.buf.begin(), m.buf.end());
          if (got != want) err << "range-for drained " << got.size() << " values, model has " << want.size();
          m.buf.clear();
          break;
        }
        std::optional<int> out;
        const recv_state st = op.what == op_desc::type::recv_zero ? ch.recv_for(out, 0ns) : ch.try_recv(out);
        const recv_state want = !m.buf.empty() ? recv_state::value
                                : (!m.nil && m.closed) ? recv_state::closed
                                                       : recv_state::empty;
        if (st != want) {
          err << "try_recv returned " << state_name(st) << ", model says " << state_name(want);
        } else if (st == recv_state::value) {
          if (!out || *out != m.buf.front()) {
            err << "try_recv got " << (out ? std::to_string(*out) : "nothing") << ", model front " << m.buf.front();
          }
          m.buf.pop_front();
        } else if (out) {
          err << "try_recv reported " << state_name(st) << " but filled the optional";
        }
        break;
      }
      case op_desc::type::close: {
        const char* want = m.nil ? "close of nil channel" : m.closed ? "close of closed channel" : nullptr;
        const bool panicked = panics([&] { ch.close(); }, want ? want : "", err);
        if (panicked != (want != nullptr)) err << "close: panicked=" << panicked << ", expected " << (want ? want : "none");
        if (!m.nil) m.closed = true;
        break;
      }
      case op_desc::type::remake: remake(op.ch, op.cap, op.nil); break;
      case op_desc::type::select: apply_select(op, err); break;
    }
    // len and cap of every slot, after every operation.
    for (std::size_t i = 0; i < chans_.size(); ++i) {
      if (chans_[i].size() != model_[i].buf.size()) {
        err << " | size() of channel " << i << " is " << chans_[i].size() << ", model " << model_[i].buf.size();
      }
      if (chans_[i].capacity() != (model_[i].nil ? 0 : model_[i].cap)) {
        err << " | capacity() of channel " << i << " is " << chans_[i].capacity();
      }
      if (static_cast<bool>(chans_[i]) == model_[i].nil) err << " | nil-ness of channel " << i;
    }
    return err.str();
  }

  kind flavor() const { return kind_; }
  int bias_violations() const { return bias_violations_; }
  const std::string& first_bias_violation() const { return first_bias_violation_; }

 private:
  void remake(std::size_t i, std::size_t cap, bool nil) {
    model_[i] = model_chan{nil, cap, {}, false};
    if (nil) {
      chans_[i] = chan<int>();
    } else {
      chans_[i] = kind_ == kind::reference ? gocxx::make_reference_chan<int>(cap) : gocxx::make_chan<int>(cap);
    }
  }

  // Runs f; returns whether it threw panic_error, checking its message.
  template <class F>
  static bool panics(F&& f, const char* message, std::ostringstream& err) {
    try {
      f();
      return false;
    } catch (const gocxx::panic_error& e) {
      if (std::string(e.what()) != message) err << "panic \"" << e.what() << "\", expected \"" << message << "\"";
      return true;
    }
  }

  static void expect_received(model_chan& m, const std::optional<int>& got, std::ostringstream& err) {
    if (!m.buf.empty()) {
      if (!got || *got != m.buf.front()) {
        err << "recv got " << (got ? std::to_string(*got) : "nothing") << ", model front " << m.buf.front();
      }
      m.buf.pop_front();
    } else if (got) {
      err << "recv got " << *got << " from a closed, drained channel";
    }
  }

  void apply_select(const op_desc& op, std::ostringstream& err) {
    // The model's ready set, in argument order.
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < op.ncases; ++i) {
      const model_chan& m = model_[op.cases[i].ch];
      if (op.cases[i].send ? m.send_ready() : m.can_recv()) ready.push_back(i);
    }
    select_tail tail = op.tail;
    if (tail == select_tail::none && ready.empty()) tail = select_tail::default_case;  // would block forever
    select_result r;
    std::size_t chosen = 0;
    bool panicked = false;
    try {
      if (op.ncases == 2) {
        const std::array<case_desc, 2> d{op.cases[0], op.cases[1]};
        chosen = run_select<0, 2>(op.biased, tail, d, chans_, r);
      } else {
        chosen = run_select<0, 3>(op.biased, tail, op.cases, chans_, r);
      }
    } catch (const gocxx::panic_error& e) {
      panicked = true;
      if (std::string(e.what()) != "send on closed channel") err << "select panicked \"" << e.what() << "\"";
    }
    const char* which = op.biased ? "select_biased" : "select";
    auto is_ready = [&](std::size_t i) { return std::find(ready.begin(), ready.end(), i) != ready.end(); };
    auto closed_send = [&](std::size_t i) { return op.cases[i].send && model_[op.cases[i].ch].closed; };
    if (panicked) {
      // Some ready send case on a closed channel was chosen (for a biased select: the first ready).
      const bool allowed = op.biased ? !ready.empty() && closed_send(ready.front())
                                     : std::any_of(ready.begin(), ready.end(), closed_send);
      if (!allowed) err << which << " panicked though no chosen send case could be on a closed channel";
      if (r.ran) err << which << " panicked after running a handler";
      return;
    }
    if (ready.empty()) {
      if (chosen != op.ncases) err << which << " chose case " << chosen << " though the model has none ready";
      if (r.ran) err << which << " ran a channel handler though nothing was ready";
      return;
    }
    if (chosen >= op.ncases) {
      err << which << " took its " << (tail == select_tail::after_zero ? "deadline" : "default") << " though "
          << ready.size() << " case(s) were ready";
      return;
    }
    if (!r.ran || *r.ran != chosen) err << which << " returned " << chosen << " but ran another handler";
    if (!is_ready(chosen)) {
      err << which << " chose case " << chosen << ", which the model says is not ready";
      return;
    }
    if (op.biased && chosen != ready.front()) {
      // Counted apart (and checked at the end) so that the run goes on to compare everything else.
      if (bias_violations_++ == 0) {
        std::ostringstream first;
        first << "select_biased chose case " << chosen << ", but case " << ready.front() << " was ready (model: "
              << describe_ready(op, ready.front()) << ")";
        first_bias_violation_ = first.str();
      }
    }
    const case_desc& c = op.cases[chosen];
    model_chan& m = model_[c.ch];
    if (c.send) {
      if (m.closed) err << which << " completed a send on a closed channel";
      m.buf.push_back(c.value);
    } else {
      expect_received(m, r.value, err);
    }
  }

  std::string describe_ready(const op_desc& op, std::size_t i) const {
    const case_desc& c = op.cases[i];
    const model_chan& m = model_[c.ch];
    std::ostringstream s;
    s << (c.send ? "send" : "recv") << " on channel " << c.ch << " of capacity " << m.cap << ", "
      << (m.closed ? "closed" : "open") << ", holding " << m.buf.size();
    return s.str();
  }

  kind kind_;
  int bias_violations_ = 0;
  std::string first_bias_violation_;
  std::array<chan<int>, 3> chans_;
  std::array<model_chan, 3> model_;
};

op_desc random_op(std::mt19937& rng, int& next_value) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  op_desc op;
  op.ch = pick(3);
  op.value = next_value++;
  const std::size_t r = pick(1000);
  using t = op_desc::type;
  if (r < 220) {
    op.what = t::try_send;
  } else if (r < 440) {
    op.what = t::try_recv;
  } else if (r < 500) {
    op.what = t::send;
  } else if (r < 560) {
    op.what = t::recv;
  } else if (r < 590) {
    op.what = t::send_zero;
  } else if (r < 620) {
    op.what = t::recv_zero;
  } else if (r < 624) {
    op.what = t::close;
  } else if (r < 640) {
    op.what = t::remake;
    op.cap = capacities[pick(std::size(capacities))];
    op.nil = pick(8) == 0;
  } else if (r < 650) {
    op.what = t::drain;
  } else {
    op.what = t::select;
    op.ncases = 2 + pick(2);
    for (std::size_t i = 0; i < op.ncases; ++i) {
      op.cases[i] = case_desc{pick(3), pick(2) == 0, next_value++};
    }
    op.biased = pick(5) == 0;
    const std::size_t tail = pick(10);
    op.tail = tail < 6 ? select_tail::default_case : tail < 8 ? select_tail::after_zero : select_tail::none;
  }
  return op;
}

std::string describe(const op_desc& op) {
  static const char* names[] = {"try_send", "try_recv", "send",  "recv",  "send_for(0)",
                                "recv_for(0)", "close",  "remake", "drain", "select"};
  std::ostringstream s;
  s << names[static_cast<int>(op.what)] << " on channel " << op.ch;
  if (op.what == op_desc::type::select) {
    s << (op.biased ? " (biased)" : "") << " cases:";
    for (std::size_t i = 0; i < op.ncases; ++i) {
      s << (op.cases[i].send ? " send(" : " recv(") << op.cases[i].ch << ")";
    }
    s << (op.tail == select_tail::default_case ? " + default" : op.tail == select_tail::after_zero ? " + after(0)" : "");
  }
  return s.str();
}

class ChanDifferential : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ChanDifferential, RandomOperationsMatchGosSemanticsOnBothFlavors) {
  const std::size_t cap = GetParam();
  constexpr unsigned seeds = 50;
  constexpr int ops_per_seed = 3000;
  for (unsigned seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", capacity " + std::to_string(cap));
    std::mt19937 rng(seed * 7919u + static_cast<unsigned>(cap));
    // Channel 0 has the capacity under test; the other two are drawn from the same set, so
    // selects mix flavors and capacities.
    const std::size_t second = capacities[rng() % std::size(capacities)];
    const std::size_t third = capacities[rng() % std::size(capacities)];
    std::array<runner, 2> runners{runner(kind::normal, cap, second, third),
                                  runner(kind::reference, cap, second, third)};
    int next_value = 0;
    for (int i = 0; i < ops_per_seed; ++i) {
      const op_desc op = random_op(rng, next_value);
      for (runner& r : runners) {
        const std::string mismatch = r.apply(op);
        ASSERT_EQ(mismatch, "") << kind_name(r.flavor()) << " flavor, op " << i << ": " << describe(op);
      }
    }
    for (const runner& r : runners) {
      EXPECT_EQ(r.bias_violations(), 0) << kind_name(r.flavor()) << " flavor, first: " << r.first_bias_violation();
    }
  }
}

// An unbuffered channel with nobody on the other side: every non-blocking operation reports it
// cannot proceed, until close.
TEST(ChanDifferentialUnbuffered, TryOperationsNeverProceedAlone) {
  for (const kind k : {kind::normal, kind::reference}) {
    SCOPED_TRACE(kind_name(k));
    chan<int> ch = k == kind::reference ? gocxx::make_reference_chan<int>(0) : gocxx::make_chan<int>(0);
    std::optional<int> out;
    for (int i = 0; i < 200; ++i) {
      ASSERT_FALSE(ch.try_send(i));
      ASSERT_FALSE(ch.send_for(i, 0ns));
      ASSERT_STREQ(state_name(ch.try_recv(out)), "empty");
      ASSERT_STREQ(state_name(ch.recv_for(out, 0ns)), "empty");
      ASSERT_EQ(gocxx::select(gocxx::case_send(ch, i, [] {}), gocxx::case_recv(ch, [] {}), gocxx::case_default([] {})),
                2u);
      ASSERT_EQ(ch.size(), 0u);
    }
    ch.close();
    EXPECT_STREQ(state_name(ch.try_recv(out)), "closed");
    EXPECT_THROW(ch.try_send(1), gocxx::panic_error);
  }
}

INSTANTIATE_TEST_SUITE_P(Capacities, ChanDifferential, ::testing::ValuesIn(capacities),
                         [](const ::testing::TestParamInfo<std::size_t>& param_info) {
                           return "cap" + std::to_string(param_info.param);
                         });

// ------------------------------------------------------------------------------------------------
// Multi-threaded: the same values through both flavors, 2 producers and 2 consumers.

struct threaded_run {
  std::vector<std::pair<std::uint64_t, int>> multiset;  // every (tag, payload) received, sorted
  bool order_ok = true;                 // per producer, increasing at each consumer
  std::string order_error;
};

// Values: producer << 32 | seq; payload[p][seq] is a random int carried alongside.
threaded_run through(kind k, std::size_t cap, const std::vector<std::vector<int>>& payload) {
  chan<std::pair<std::uint64_t, int>> ch = k == kind::reference
                                               ? gocxx::make_reference_chan<std::pair<std::uint64_t, int>>(cap)
                                               : gocxx::make_chan<std::pair<std::uint64_t, int>>(cap);
  std::vector<std::vector<std::pair<std::uint64_t, int>>> got(2);
  std::vector<std::thread> consumers;
  for (std::size_t c = 0; c < 2; ++c) {
    consumers.emplace_back([&ch, &got, c] {
      for (auto v : ch) got[c].push_back(v);
    });
  }
  std::vector<std::thread> producers;
  for (std::size_t p = 0; p < payload.size(); ++p) {
    producers.emplace_back([&ch, &payload, p] {
      for (std::size_t s = 0; s < payload[p].size(); ++s) ch.send({std::uint64_t{p} << 32 | s, payload[p][s]});
    });
  }
  for (auto& t : producers) t.join();
  ch.close();
  for (auto& t : consumers) t.join();

  threaded_run run;
  for (std::size_t c = 0; c < got.size(); ++c) {
    std::vector<std::int64_t> last(payload.size(), -1);
    for (const auto& [tagv, value] : got[c]) {
      const std::size_t p = static_cast<std::size_t>(tagv >> 32);
      const auto s = static_cast<std::int64_t>(tagv & 0xffffffffu);
      if (p >= payload.size() || s >= static_cast<std::int64_t>(payload[p].size()) ||
          payload[p][static_cast<std::size_t>(s)] != value) {
        run.order_ok = false;
        run.order_error = "a value that was never sent";
        continue;
      }
      if (s <= last[p] && run.order_ok) {
        run.order_ok = false;
        run.order_error = "consumer " + std::to_string(c) + ": producer " + std::to_string(p) + " seq " +
                          std::to_string(s) + " after " + std::to_string(last[p]);
      }
      last[p] = s;
      run.multiset.emplace_back(tagv, value);
    }
  }
  std::sort(run.multiset.begin(), run.multiset.end());
  return run;
}

TEST_P(ChanDifferential, ThreadedRunsDeliverTheSameMultisetInProducerOrder) {
  const std::size_t cap = GetParam();
  std::mt19937 rng(static_cast<unsigned>(1234 + cap));
  std::uniform_int_distribution<int> dist(-1000, 1000);  // duplicates across producers on purpose
  const std::size_t per_producer = cap == 0 ? 2000 : 5000;
  std::vector<std::vector<int>> payload(2, std::vector<int>(per_producer));
  for (auto& p : payload) {
    for (int& v : p) v = dist(rng);
  }
  const threaded_run normal = through(kind::normal, cap, payload);
  const threaded_run reference = through(kind::reference, cap, payload);
  EXPECT_TRUE(normal.order_ok) << "normal: " << normal.order_error;
  EXPECT_TRUE(reference.order_ok) << "reference: " << reference.order_error;
  EXPECT_EQ(normal.multiset.size(), 2 * per_producer);
  EXPECT_EQ(reference.multiset.size(), 2 * per_producer);
  EXPECT_TRUE(normal.multiset == reference.multiset) << "the flavors delivered different multisets";
}

}  // namespace
