// gocxx/verify/verify.hpp: the model checker, all of it (DESIGN.md §6, docs/verification.md).
#pragma once

#include "gocxx/verify/atomic.hpp"
#include "gocxx/verify/cell.hpp"
#include "gocxx/verify/check.hpp"
#include "gocxx/verify/env.hpp"
#include "gocxx/verify/options.hpp"
#include "gocxx/verify/registry.hpp"
