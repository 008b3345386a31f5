// gocxx/verify/registry.hpp: named tests for the gocxx-verify driver and the ctest runs.
//
// A suite file registers its tests at static-initialisation time:
//   static const bool registered = verify::register_test<my_test>("parker.handoff/2",
//       {verify::strategy::exhaustive, verify::strategy::random});
// The driver runs each registered test with its default strategies (or the one on its command
// line). Tests whose verdict is not "found == expected" (litmus outcome sets) register a function.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "gocxx/verify/check.hpp"
#include "gocxx/verify/options.hpp"

namespace gocxx::verify {

struct registered_test {
  std::string name;
  std::function<result(const options&)> run;
  std::vector<strategy> strategies;  // run by default, in this order
  options base;                      // per-test defaults (history, max_steps, ...)
};

std::vector<registered_test>& registry();

inline bool register_function(std::string name, std::function<result(const options&)> run,
                              std::initializer_list<strategy> strategies, options base = {}) {
  registry().push_back({std::move(name), std::move(run), strategies, std::move(base)});
  return true;
}

template <test Test>
bool register_test(const char* name, std::initializer_list<strategy> strategies, options base = {}) {
  return register_function(
      name, [name](const options& o) { return check<Test>(o, name); }, strategies, std::move(base));
}

}  // namespace gocxx::verify
