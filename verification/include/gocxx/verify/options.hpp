// gocxx/verify/options.hpp: what a check explores (options) and what it found (result).
#pragma once

#include <cstdint>
#include <string>

namespace gocxx::verify {

// How the checker walks the tree of choices (thread to run, store a load reads, spurious failures).
enum class strategy : std::uint8_t {
  random,      // `iterations` executions, each choice uniform, seeded by `seed`
  bounded,     // depth-first over all choices, at most `preemptions` preemptive switches
  exhaustive,  // depth-first over all scheduling and reads-from choices
  pct,         // probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010), depth `pct_depth`
};

// What went wrong. A must-fail test names the one it expects (Test::expected).
enum class failure : std::uint8_t {
  none,
  assertion,       // check_that() failed, or a thread threw
  invariant,       // check_that() failed inside Test::invariant()
  data_race,       // two cell accesses, one a write, not ordered by happens-before
  deadlock,        // no thread can move: all blocked without deadline, or spin-waiting on nothing
  livelock,        // the step bound was exceeded without the test finishing
  leak,            // an object from env::create was never destroyed
  double_free,     // env::destroy on a dead (or foreign) pointer
  use_after_free,  // an atomic or cell of a destroyed object was accessed
  nondeterminism,  // the test made different choices when replayed (it depends on something else)
};

const char* to_string(failure f) noexcept;
const char* to_string(strategy s) noexcept;

struct options {
  strategy strat = strategy::random;
  std::uint64_t seed = 1;
  std::uint64_t iterations = 1000;          // random and pct
  std::uint64_t max_executions = 2000000;   // bounded and exhaustive stop here (result.complete = false)
  unsigned preemptions = 2;                 // bounded
  unsigned pct_depth = 3;                   // pct: d, so d-1 priority change points
  unsigned history = 8;                     // stores kept per atomic (modification order), 1..16
  unsigned max_steps = 2000;                // scheduling steps per execution before "livelock"
  bool spurious_cas = true;                 // compare_exchange_weak may fail spuriously
  bool sleep_sets = false;                  // exhaustive: partial-order reduction with sleep sets (off by
                                            // default: it reaches a spin-fairness livelock in
                                            // waiter_queue.select/2, see docs/verification.md)
  int cell_points = -1;                     // cell accesses are scheduling points: 1 yes, 0 no, -1 auto
                                            // (yes for random and pct, no for the depth-first ones)
  unsigned parker_spins = 1;                // basic_parker<verify::env>::spin_iterations while checking
  std::string replay;                       // a token from a failure report: rerun that execution only
  bool trace_always = false;                // build the trace even when nothing failed (replay)
};

struct result {
  failure found = failure::none;
  failure expected = failure::none;
  bool passed = false;             // found == expected (a custom runner may decide otherwise)
  bool complete = false;           // bounded/exhaustive explored the whole tree
  bool history_bound_hit = false;  // some load could have read a store older than the history kept
  std::uint64_t executions = 0;
  double seconds = 0;
  std::string message;  // one line
  std::string report;   // the interleaved trace and the replay token
  std::string token;    // replays the failing (or last) execution
};

}  // namespace gocxx::verify
