// verification/suites/litmus.hpp: running a litmus test and comparing its outcome set.
//
// A litmus test records its outcome (the values its loads returned) in after(); the runner explores
// it exhaustively and checks that every outcome in `must_see` occurred and none in `forbidden` did.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "gocxx/verify/verify.hpp"

namespace gocxx::verify::litmus {

using outcome = std::vector<int>;

inline std::set<outcome>& seen() {
  static std::set<outcome> s;
  return s;
}

inline std::string show(const outcome& o) {
  std::string s = "(";
  for (std::size_t i = 0; i < o.size(); ++i) s += (i ? "," : "") + std::to_string(o[i]);
  return s + ")";
}

template <class Test>
result run(const options& opts, const char* name, std::set<outcome> must_see, std::set<outcome> forbidden) {
  seen().clear();
  options o = opts;
  if (o.strat != strategy::random && o.strat != strategy::pct) o.strat = strategy::exhaustive;
  result r = check<Test>(o, name);
  std::string missing, bad, all;
  for (const outcome& x : seen()) all += show(x) + " ";
  for (const outcome& x : must_see) {
    if (!seen().count(x)) missing += show(x) + " ";
  }
  for (const outcome& x : forbidden) {
    if (seen().count(x)) bad += show(x) + " ";
  }
  // Only an exhaustive run can promise that an allowed outcome never appears.
  const bool need_all = o.strat == strategy::exhaustive;
  r.passed = r.found == failure::none && bad.empty() && (!need_all || (r.complete && missing.empty()));
  r.message = "outcomes " + all + (missing.empty() ? "" : "| MISSING " + missing) +
              (bad.empty() ? "" : "| FORBIDDEN " + bad);
  return r;
}

}  // namespace gocxx::verify::litmus
