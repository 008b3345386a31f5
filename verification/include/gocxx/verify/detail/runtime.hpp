// gocxx/verify/detail/runtime.hpp: the entry points from instrumented objects into the checker.
//
// atomic<T>, cell<T> and env are thin templates; every operation becomes one call here with the
// value as raw bits, so the engine (src/engine.cpp) is ordinary non-template code. Outside a check,
// or while the checker evaluates an invariant or tears a test down, the calls act directly on the
// object's raw value (`raw`): the instrumented types are then plain single-threaded objects.
//
// INVARIANTS
//   INV-1 Each entry point is one scheduling point of the running execution (or a direct access
//         outside a check, INV-2 of atomic.hpp).
//   INV-2 Memory orders are forwarded as the tested code gave them; the engine applies the C++20
//         rules to them (docs/verification.md). Nothing here synchronises real threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <source_location>

#include "gocxx/detail/parker.hpp"
#include "gocxx/verify/options.hpp"

namespace gocxx::verify::detail {

// Which location of the running execution an object is; stale generations re-register lazily.
struct object_ref {
  std::uint64_t generation = 0;
  std::uint32_t id = 0;
};

enum class rmw_op : std::uint8_t { load, store, exchange, cas_strong, cas_weak, fetch_add, fetch_sub,
                                   fetch_and, fetch_or, fetch_xor };

// --- atomics ---------------------------------------------------------------------------------------
void atomic_init(object_ref& ref, std::uint64_t value, unsigned size, const void* addr,
                 const std::source_location& loc) noexcept;
void atomic_destroy(object_ref& ref, std::uint64_t raw, unsigned size, const void* addr) noexcept;
// atomic_op() returns the value read (load, exchange, fetch_*), or for a CAS 1/0 with *expected
// updated on failure. `raw` always ends up holding the latest value in modification order.
std::uint64_t atomic_op(object_ref& ref, std::uint64_t& raw, unsigned size, rmw_op op, std::uint64_t operand,
                        std::uint64_t* expected, std::memory_order order, std::memory_order failure_order,
                        const void* addr, const std::source_location& loc) noexcept;
// futex_wait() blocks the model thread while the latest value equals `expected` (32 or 64 bits).
futex_result futex_wait(object_ref& ref, std::uint64_t& raw, unsigned size, std::uint64_t expected,
                        bool has_deadline, const void* addr, const std::source_location& loc) noexcept;
void futex_wake(object_ref& ref, std::uint64_t& raw, unsigned size, int count, const void* addr,
                const std::source_location& loc) noexcept;

// --- cells -----------------------------------------------------------------------------------------
void cell_init(object_ref& ref, const void* addr, const std::source_location& loc) noexcept;
void cell_destroy(object_ref& ref, const void* addr) noexcept;
// cell_access() is one read or write of the cell; `value` is shown in traces when `has_value`.
void cell_access(object_ref& ref, const void* addr, bool write, bool has_value, std::uint64_t value,
                 const std::source_location& loc) noexcept;

// --- env -------------------------------------------------------------------------------------------
void fence(std::memory_order order, const std::source_location& loc) noexcept;
void spin(bool is_yield, const std::source_location& loc) noexcept;
void* allocate(std::size_t size, std::size_t align, const char* type, const std::source_location& loc);
// begin_free() says whether the object may be destroyed (false: double or foreign free, reported).
bool begin_free(void* p, const std::source_location& loc) noexcept;
void end_free(void* p) noexcept;
// choose_value() returns a number in [0, n) that the checker explores as a choice (0 outside a check).
unsigned choose_value(unsigned n) noexcept;
// The running model thread's parker (a basic_parker<verify::env>), alive for the whole execution.
void* current_parker() noexcept;

// --- checks ----------------------------------------------------------------------------------------
void report(failure kind, const char* message, const std::source_location& loc) noexcept;
bool in_check() noexcept;

// A test, type-erased for the engine (check.hpp builds it).
struct test_descriptor {
  const char* name;
  unsigned threads;
  std::size_t size;
  std::size_t align;
  failure expected;
  void (*construct)(void*);
  void (*destroy)(void*);
  void (*before)(void*);
  void (*thread)(void*, unsigned);
  void (*after)(void*);
  void (*invariant)(void*);  // may be null
};

result run(const test_descriptor& test, const options& opts);

}  // namespace gocxx::verify::detail
