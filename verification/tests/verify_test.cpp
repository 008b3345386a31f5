// verification/tests/verify_test.cpp: every registered model-checking test as a GoogleTest case.
//
// The registered tests (suites/, zoo/) run with their default strategies in a quick
// configuration; a failure prints the checker's report with its trace and replay token.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "gocxx/verify/verify.hpp"

namespace {

namespace v = gocxx::verify;

class registered : public testing::TestWithParam<std::size_t> {};

TEST_P(registered, behaves_as_expected) {
  const v::registered_test& t = v::registry()[GetParam()];
  for (v::strategy s : t.strategies) {
    v::options o = t.base;
    o.strat = s;
    o.iterations = std::min<std::uint64_t>(o.iterations, 300);
    o.max_executions = std::min<std::uint64_t>(o.max_executions, 200000);
    const v::result r = t.run(o);
    EXPECT_TRUE(r.passed) << t.name << " [" << v::to_string(s) << "]: expected " << v::to_string(r.expected)
                          << ", found " << v::to_string(r.found) << "\n"
                          << r.message << "\n"
                          << r.report;
  }
}

std::string name_of(const testing::TestParamInfo<std::size_t>& info) {
  std::string n = v::registry()[info.param].name;
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(verify, registered, testing::Range<std::size_t>(0, v::registry().size()), name_of);

// Sleep sets keep every litmus outcome set exact and still find every must-fail and zoo bug
// (exhaustive), and never explore more executions than the unreduced search.
TEST(verify_sleep_sets, same_verdicts_with_fewer_executions) {
  for (const v::registered_test& t : v::registry()) {
    if (t.name.rfind("litmus.", 0) != 0 && t.name.rfind("must_fail.", 0) != 0 && t.name.rfind("zoo.", 0) != 0 &&
        t.name != "parker.handoff/2" && t.name != "parker.park_until")
      continue;
    v::options o = t.base;
    o.strat = v::strategy::exhaustive;
    o.max_executions = 200000;
    const v::result plain = t.run(o);
    o.sleep_sets = true;
    const v::result reduced = t.run(o);
    EXPECT_EQ(plain.passed, reduced.passed) << t.name << ": " << reduced.message << "\n" << reduced.report;
    EXPECT_EQ(plain.found, reduced.found) << t.name;
    if (t.name.rfind("litmus.", 0) == 0) {
      EXPECT_EQ(plain.message, reduced.message) << t.name;  // the outcome sets
    }
    if (plain.found == v::failure::none && plain.complete) {
      EXPECT_TRUE(reduced.complete) << t.name;
      EXPECT_LE(reduced.executions, plain.executions) << t.name;
    }
  }
}

// The replay token reproduces a failure exactly.
struct racy {
  static constexpr unsigned threads = 2;
  static constexpr v::failure expected = v::failure::data_race;
  v::cell<int> data;
  void thread(unsigned i) {
    if (i == 0) data.store(1);
    else (void)data.load();
  }
};

TEST(verify_replay, token_reproduces_the_failure) {
  v::options o;
  o.strat = v::strategy::random;
  o.seed = 7;
  const v::result first = v::check<racy>(o, "racy");
  ASSERT_EQ(first.found, v::failure::data_race);
  v::options again;
  again.replay = first.token;
  const v::result second = v::check<racy>(again, "racy");
  EXPECT_EQ(second.found, v::failure::data_race);
  // Same failure at the same lines (addresses differ between checker instances).
  const auto strip = [](std::string m) { return std::regex_replace(m, std::regex("0x[0-9a-f]+"), "ADDR"); };
  EXPECT_EQ(strip(second.message), strip(first.message));
  EXPECT_EQ(second.token, first.token);
  EXPECT_EQ(second.executions, 1u);
}

// Outside a check the instrumented types are plain single-threaded objects.
TEST(verify_outside, plain_objects) {
  v::atomic<int> a{1};
  EXPECT_EQ(a.fetch_add(2), 1);
  EXPECT_EQ(a.load(), 3);
  int e = 3;
  EXPECT_TRUE(a.compare_exchange_strong(e, 5));
  v::cell<int> c;
  c.store(4);
  EXPECT_EQ(c.with([](const int* p) { return *p; }), 4);
}

}  // namespace
