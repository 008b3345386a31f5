// gocxx-verify: runs the registered model-checking tests by name.
//
//   gocxx-verify [NAME-PREFIX ...] [--strategy random|bounded|exhaustive|pct] [--seed N]
//                [--iterations N] [--preemptions N] [--history N] [--max-executions N]
//                [--max-steps N] [--replay TOKEN] [--list] [--quick] [--verbose] [--bench]
//
// Without a strategy each test runs with its own default strategies. The output is a table
// (test, strategy, executions, time, result), a report with trace and replay token for each
// unexpected result, and exactly one last line "N passed, M failed".
//
// Invariants: the exit status is non-zero iff some test failed; the last line is always
// "N passed, M failed". The memory orders here are those of the --bench test program.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gocxx/verify/verify.hpp"

namespace {

namespace v = gocxx::verify;

bool parse_strategy(const char* s, v::strategy& out) {
  for (v::strategy c : {v::strategy::random, v::strategy::bounded, v::strategy::exhaustive, v::strategy::pct}) {
    if (std::strcmp(s, v::to_string(c)) == 0) {
      out = c;
      return true;
    }
  }
  return false;
}

// The benchmark test: two threads, six atomic operations (message passing with a reply).
struct bench_test {
  static constexpr unsigned threads = 2;
  v::atomic<int> a{0}, b{0}, c{0};
  void thread(unsigned i) {
    if (i == 0) {
      a.store(1, std::memory_order_relaxed);
      b.store(1, std::memory_order_release);
      (void)c.load(std::memory_order_acquire);
    } else {
      (void)b.load(std::memory_order_acquire);
      (void)a.load(std::memory_order_relaxed);
      c.store(1, std::memory_order_release);
    }
  }
};

int bench() {
  for (v::strategy s : {v::strategy::random, v::strategy::exhaustive, v::strategy::pct}) {
    v::options o;
    o.strat = s;
    o.iterations = 200000;
    double secs = 0;
    std::uint64_t execs = 0;
    while (secs < 1.0) {  // exhaustive is small: repeat it until a second has passed
      v::result r = v::check<bench_test>(o, "bench");
      secs += r.seconds;
      execs += r.executions;
      if (r.found != v::failure::none) {
        std::printf("bench failed: %s\n", r.report.c_str());
        return 1;
      }
    }
    std::printf("bench %-10s %10llu executions in %6.2f s = %10.0f executions/s\n", v::to_string(s),
                static_cast<unsigned long long>(execs), secs, static_cast<double>(execs) / secs);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> filters;
  v::options overrides;
  bool have_strategy = false, have_seed = false, have_iterations = false, have_preemptions = false;
  bool have_history = false, have_max_exec = false, have_max_steps = false;
  bool list = false, quick = false, verbose = false, sleep_sets = false;
  std::string replay;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--strategy") {
      if (!parse_strategy(next(), overrides.strat)) {
        std::fprintf(stderr, "unknown strategy (random|bounded|exhaustive|pct)\n");
        return 2;
      }
      have_strategy = true;
    } else if (a == "--seed") {
      overrides.seed = std::strtoull(next(), nullptr, 0);
      have_seed = true;
    } else if (a == "--iterations") {
      overrides.iterations = std::strtoull(next(), nullptr, 0);
      have_iterations = true;
    } else if (a == "--preemptions") {
      overrides.preemptions = static_cast<unsigned>(std::strtoul(next(), nullptr, 0));
      have_preemptions = true;
    } else if (a == "--history") {
      overrides.history = static_cast<unsigned>(std::strtoul(next(), nullptr, 0));
      have_history = true;
    } else if (a == "--max-executions") {
      overrides.max_executions = std::strtoull(next(), nullptr, 0);
      have_max_exec = true;
    } else if (a == "--max-steps") {
      overrides.max_steps = static_cast<unsigned>(std::strtoul(next(), nullptr, 0));
      have_max_steps = true;
    } else if (a == "--replay") {
      replay = next();
    } else if (a == "--sleep-sets") {
      sleep_sets = true;
    } else if (a == "--list") {
      list = true;
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--bench") {
      return bench();
    } else if (a == "--help" || a == "-h") {
      std::printf("usage: gocxx-verify [NAME-PREFIX...] [--strategy random|bounded|exhaustive|pct] [--seed N]\n"
                  "       [--iterations N] [--preemptions N] [--history N] [--max-executions N] [--max-steps N]\n"
                  "       [--replay TOKEN] [--sleep-sets] [--list] [--quick] [--verbose] [--bench]\n");
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    } else {
      filters.push_back(a);
    }
  }

  std::vector<const v::registered_test*> selected;
  for (const v::registered_test& t : v::registry()) {
    bool match = filters.empty();
    for (const std::string& f : filters) match = match || t.name.compare(0, f.size(), f) == 0;
    if (match) selected.push_back(&t);
  }
  if (list) {
    for (const v::registered_test* t : selected) {
      std::printf("%-48s", t->name.c_str());
      for (v::strategy s : t->strategies) std::printf(" %s", v::to_string(s));
      std::printf("\n");
    }
    return 0;
  }
  if (!replay.empty() && selected.size() != 1) {
    std::fprintf(stderr, "--replay needs exactly one test name (%zu match)\n", selected.size());
    return 2;
  }

  unsigned passed = 0, failed = 0;
  std::printf("%-48s %-10s %12s %9s  %s\n", "test", "strategy", "executions", "time", "result");
  for (const v::registered_test* t : selected) {
    std::vector<v::strategy> strategies = t->strategies;
    if (have_strategy || !replay.empty()) strategies = {overrides.strat};
    for (v::strategy s : strategies) {
      v::options o = t->base;
      o.strat = s;
      if (quick) {
        o.iterations = std::min<std::uint64_t>(o.iterations, 300);
        o.max_executions = std::min<std::uint64_t>(o.max_executions, 200000);
      }
      if (have_seed) o.seed = overrides.seed;
      if (have_iterations) o.iterations = overrides.iterations;
      if (have_preemptions) o.preemptions = overrides.preemptions;
      if (have_history) o.history = overrides.history;
      if (have_max_exec) o.max_executions = overrides.max_executions;
      if (have_max_steps) o.max_steps = overrides.max_steps;
      if (sleep_sets) o.sleep_sets = true;
      if (!replay.empty()) {
        o.replay = replay;
        o.trace_always = true;
      }
      const v::result r = t->run(o);
      std::string verdict;
      if (r.passed) {
        verdict = r.expected != v::failure::none ? std::string("ok (found ") + v::to_string(r.found) + ")" : "ok";
      } else if (r.found != r.expected) {
        verdict = std::string("FAIL: expected ") + v::to_string(r.expected) + ", found " + v::to_string(r.found);
      } else {
        verdict = "FAIL";
      }
      if ((s == v::strategy::bounded || s == v::strategy::exhaustive) && r.found == v::failure::none &&
          !r.complete && replay.empty())
        verdict += " (incomplete: max executions)";
      if (r.history_bound_hit) verdict += " (history bound hit)";
      std::printf("%-48s %-10s %12llu %8.2fs  %s\n", t->name.c_str(), v::to_string(s),
                  static_cast<unsigned long long>(r.executions), r.seconds, verdict.c_str());
      if (!r.message.empty() && (verbose || !r.passed || r.found == v::failure::none))
        if (verbose || !r.passed) std::printf("    %s\n", r.message.c_str());
      if ((!r.passed || verbose || !replay.empty()) && !r.report.empty()) std::printf("%s", r.report.c_str());
      std::fflush(stdout);
      (r.passed ? passed : failed) += 1;
    }
  }
  std::printf("%u passed, %u failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
