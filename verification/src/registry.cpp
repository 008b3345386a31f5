// verification/src/registry.cpp: the list of named tests the driver runs.
#include "gocxx/verify/registry.hpp"

namespace gocxx::verify {

std::vector<registered_test>& registry() {
  static std::vector<registered_test> tests;  // filled during static initialisation of the suites
  return tests;
}

}  // namespace gocxx::verify
