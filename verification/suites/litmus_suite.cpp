// verification/suites/litmus_suite.cpp: the checker's memory model against the classic litmus tests.
//
// Each test is explored exhaustively and its outcome set compared with what C++20 allows
// (Batty et al., "Mathematizing C++ Concurrency", POPL 2011; the herd7 C11 litmus suite):
//   MP   message passing       relaxed flag: the stale read (1,0) must show; release/acquire or
//                              release/acquire fences forbid it
//   SB   store buffering       release/acquire: (0,0) must show; seq_cst or seq_cst fences forbid it
//   IRIW independent reads     seq_cst: readers agree on the order of the writes; acquire: they may not
//   CoRR read-read coherence   a later read never returns an older store
//   CoWR write-read coherence  a thread never reads a store older than its own
//   RC   relaxed counter       one relaxed load may return any of several older values
// Invariants: each test's exhaustive outcome set equals the set C++20 allows, exactly; the memory
// orders written here are the litmus tests' subjects, not synchronisation of ours.
#include "litmus.hpp"

namespace {

namespace v = gocxx::verify;
namespace lit = gocxx::verify::litmus;
using std::memory_order_acq_rel, std::memory_order_acquire, std::memory_order_relaxed, std::memory_order_release,
    std::memory_order_seq_cst;

// --- MP -------------------------------------------------------------------------------------------------------
template <std::memory_order Store, std::memory_order Load, bool Fences>
struct message_passing {
  static constexpr unsigned threads = 2;
  v::atomic<int> data{0}, flag{0};
  int r_flag = 0, r_data = 0;
  void thread(unsigned i) {
    if (i == 0) {
      data.store(1, memory_order_relaxed);
      if (Fences) v::env::fence(memory_order_release);
      flag.store(1, Store);
    } else {
      r_flag = flag.load(Load);
      if (Fences) v::env::fence(memory_order_acquire);
      r_data = data.load(memory_order_relaxed);
    }
  }
  void after() { lit::seen().insert({r_flag, r_data}); }
};

// --- SB -------------------------------------------------------------------------------------------------------
template <std::memory_order Store, std::memory_order Load, bool Fences>
struct store_buffering {
  static constexpr unsigned threads = 2;
  v::atomic<int> x{0}, y{0};
  int r[2] = {0, 0};
  void thread(unsigned i) {
    v::atomic<int>& mine = i == 0 ? x : y;
    v::atomic<int>& other = i == 0 ? y : x;
    mine.store(1, Store);
    if (Fences) v::env::fence(memory_order_seq_cst);
    r[i] = other.load(Load);
  }
  void after() { lit::seen().insert({r[0], r[1]}); }
};

// --- IRIW -----------------------------------------------------------------------------------------------------
template <std::memory_order Store, std::memory_order Load>
struct iriw {
  static constexpr unsigned threads = 4;
  v::atomic<int> x{0}, y{0};
  int r[4] = {0, 0, 0, 0};
  void thread(unsigned i) {
    switch (i) {
      case 0: x.store(1, Store); break;
      case 1: y.store(1, Store); break;
      case 2:
        r[0] = x.load(Load);
        r[1] = y.load(Load);
        break;
      default:
        r[2] = y.load(Load);
        r[3] = x.load(Load);
        break;
    }
  }
  void after() { lit::seen().insert({r[0], r[1], r[2], r[3]}); }
};

// --- coherence ------------------------------------------------------------------------------------------------
struct corr {
  static constexpr unsigned threads = 2;
  v::atomic<int> x{0};
  int r[2] = {0, 0};
  void thread(unsigned i) {
    if (i == 0) {
      x.store(1, memory_order_relaxed);
      x.store(2, memory_order_relaxed);
    } else {
      r[0] = x.load(memory_order_relaxed);
      r[1] = x.load(memory_order_relaxed);
    }
  }
  void after() { lit::seen().insert({r[0], r[1]}); }
};

struct cowr {
  static constexpr unsigned threads = 2;
  v::atomic<int> x{0};
  int r = 0;
  void thread(unsigned i) {
    if (i == 0) {
      x.store(1, memory_order_relaxed);
      r = x.load(memory_order_relaxed);
    } else {
      x.store(2, memory_order_relaxed);
    }
  }
  void after() { lit::seen().insert({r}); }
};

// CoRR through happens-before: T1 reads x (relaxed), then publishes; T2 synchronises and must not
// read an x older than the one T1 read.
struct corr_hb {
  static constexpr unsigned threads = 3;
  v::atomic<int> x{0}, flag{0};
  int r[3] = {0, 0, 0};
  void thread(unsigned i) {
    if (i == 0) {
      x.store(1, memory_order_relaxed);
    } else if (i == 1) {
      r[0] = x.load(memory_order_relaxed);
      flag.store(1, memory_order_release);
    } else {
      r[1] = flag.load(memory_order_acquire);
      r[2] = x.load(memory_order_relaxed);
    }
  }
  void after() { lit::seen().insert({r[0], r[1], r[2]}); }
};

struct relaxed_counter {
  static constexpr unsigned threads = 2;
  v::atomic<int> x{0};
  int r = -1;
  void thread(unsigned i) {
    if (i == 0) {
      for (int k = 1; k <= 3; ++k) x.store(k, memory_order_relaxed);
    } else {
      r = x.load(memory_order_relaxed);
    }
  }
  void after() { lit::seen().insert({r}); }
};

// An RMW continues a release sequence (C++20: RMWs only): T0 writes data, releases flag=1; T1
// increments flag relaxed; T2 acquires flag == 2 and must see the data.
struct release_sequence {
  static constexpr unsigned threads = 3;
  v::atomic<int> data{0}, flag{0};
  int r[2] = {0, 0};
  void thread(unsigned i) {
    if (i == 0) {
      data.store(1, memory_order_relaxed);
      flag.store(1, memory_order_release);
    } else if (i == 1) {
      int expected = 1;
      (void)flag.compare_exchange_strong(expected, 2, memory_order_relaxed);
    } else {
      r[0] = flag.load(memory_order_acquire);
      r[1] = data.load(memory_order_relaxed);
    }
  }
  void after() { lit::seen().insert({r[0], r[1]}); }
};

using v::strategy;
const auto ex = {strategy::exhaustive};

const bool registered =
    v::register_function(
        "litmus.mp_relaxed",
        [](const v::options& o) {
          return lit::run<message_passing<memory_order_relaxed, memory_order_relaxed, false>>(
              o, "litmus.mp_relaxed", {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, {});
        },
        ex) &&
    v::register_function(
        "litmus.mp_release_acquire",
        [](const v::options& o) {
          return lit::run<message_passing<memory_order_release, memory_order_acquire, false>>(
              o, "litmus.mp_release_acquire", {{0, 0}, {0, 1}, {1, 1}}, {{1, 0}});
        },
        ex) &&
    v::register_function(
        "litmus.mp_fences",
        [](const v::options& o) {
          return lit::run<message_passing<memory_order_relaxed, memory_order_relaxed, true>>(
              o, "litmus.mp_fences", {{0, 0}, {0, 1}, {1, 1}}, {{1, 0}});
        },
        ex) &&
    v::register_function(
        "litmus.sb_release_acquire",
        [](const v::options& o) {
          return lit::run<store_buffering<memory_order_release, memory_order_acquire, false>>(
              o, "litmus.sb_release_acquire", {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, {});
        },
        ex) &&
    v::register_function(
        "litmus.sb_seq_cst",
        [](const v::options& o) {
          return lit::run<store_buffering<memory_order_seq_cst, memory_order_seq_cst, false>>(
              o, "litmus.sb_seq_cst", {{0, 1}, {1, 0}, {1, 1}}, {{0, 0}});
        },
        ex) &&
    v::register_function(
        "litmus.sb_seq_cst_fences",
        [](const v::options& o) {
          return lit::run<store_buffering<memory_order_relaxed, memory_order_relaxed, true>>(
              o, "litmus.sb_seq_cst_fences", {{0, 1}, {1, 0}, {1, 1}}, {{0, 0}});
        },
        ex) &&
    v::register_function(
        "litmus.iriw_seq_cst",
        [](const v::options& o) {
          return lit::run<iriw<memory_order_seq_cst, memory_order_seq_cst>>(
              o, "litmus.iriw_seq_cst", {{1, 1, 1, 1}, {1, 0, 0, 1}, {0, 0, 0, 0}}, {{1, 0, 1, 0}});
        },
        ex) &&
    v::register_function(
        "litmus.iriw_acq_rel",
        [](const v::options& o) {
          return lit::run<iriw<memory_order_release, memory_order_acquire>>(
              o, "litmus.iriw_acq_rel", {{1, 0, 1, 0}, {1, 1, 1, 1}}, {});
        },
        ex) &&
    v::register_function(
        "litmus.corr",
        [](const v::options& o) {
          return lit::run<corr>(o, "litmus.corr", {{0, 0}, {0, 1}, {0, 2}, {1, 1}, {1, 2}, {2, 2}},
                                {{1, 0}, {2, 0}, {2, 1}});
        },
        ex) &&
    v::register_function(
        "litmus.corr_hb",
        [](const v::options& o) {
          return lit::run<corr_hb>(o, "litmus.corr_hb", {{1, 1, 1}, {0, 1, 0}, {0, 1, 1}, {1, 0, 0}}, {{1, 1, 0}});
        },
        ex) &&
    v::register_function(
        "litmus.cowr",
        [](const v::options& o) { return lit::run<cowr>(o, "litmus.cowr", {{1}, {2}}, {{0}}); }, ex) &&
    v::register_function(
        "litmus.relaxed_counter",
        [](const v::options& o) {
          return lit::run<relaxed_counter>(o, "litmus.relaxed_counter", {{0}, {1}, {2}, {3}}, {});
        },
        ex) &&
    v::register_function(
        "litmus.release_sequence",
        [](const v::options& o) {
          return lit::run<release_sequence>(o, "litmus.release_sequence", {{2, 1}, {1, 1}, {0, 0}},
                                            {{2, 0}, {1, 0}});
        },
        ex);

}  // namespace
