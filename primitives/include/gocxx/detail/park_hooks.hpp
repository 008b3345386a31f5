// gocxx/detail/park_hooks.hpp: the indirection through which the runtime takes over parking.
//
// primitives/ knows nothing of goroutines. A parker is either owned by a plain thread (it sleeps on
// a futex) or by a goroutine (its `owner` is set by the runtime). For a goroutine's parker, park()
// and unpark() call through the hook table that the runtime installed with install_park_hooks():
//
//   park():   hooks.suspend(p, deadline, reason): the runtime saves the goroutine's context and, on
//             its own stack, calls p.commit_park(). If that returns false an unpark already came, and
//             the runtime makes the goroutine runnable at once. At the deadline the runtime calls
//             p.expire(); if that returns true it makes the goroutine runnable.
//   unpark(): when the parker was PARKED, hooks.resume(p): make the owner runnable.
//
// current() tells primitives which parker belongs to the running context: the goroutine's, or
// nullptr on a plain thread (then the thread's own parker is used).
//
// The table is published once with a release store (H1) and read with acquire loads (H2), so a
// thread that sees the pointer sees the filled table.
#pragma once

#include <chrono>
#include <cstdint>

namespace gocxx {

template <class Env>
class basic_parker;
struct native_env;
using native_parker = basic_parker<native_env>;

// wait_reason says what a parked context waits on; the runtime's deadlock report prints it in Go's
// words ("goroutine 5 [chan send]:").
enum class wait_reason : std::uint8_t {
  none,                  // ""                          (a bare park, e.g. in a test)
  chan_send,             // "chan send"
  chan_receive,          // "chan receive"
  chan_send_nil,         // "chan send (nil chan)"
  chan_receive_nil,      // "chan receive (nil chan)"
  select,                // "select"
  select_no_cases,       // "select (no cases)"
  semacquire,            // "semacquire"
  sync_mutex_lock,       // "sync.Mutex.Lock"
  sync_rwmutex_rlock,    // "sync.RWMutex.RLock"
  sync_rwmutex_lock,     // "sync.RWMutex.Lock"
  sync_cond_wait,        // "sync.Cond.Wait"
  sync_wait_group_wait,  // "sync.WaitGroup.Wait"
  sleep,                 // "sleep"
  io_wait,               // "IO wait"
};

// to_string() gives Go's text for a wait reason.
const char* to_string(wait_reason reason) noexcept;

struct park_hooks {
  // The running goroutine's parker, or nullptr when the caller is a plain thread.
  native_parker* (*current)() noexcept;
  // Suspends the goroutine that owns `p` (the running one); see the protocol above.
  void (*suspend)(native_parker& p, std::chrono::steady_clock::time_point deadline,
                  wait_reason reason);
  // Makes the goroutine that owns `p` runnable; called at most once per PARKED episode.
  void (*resume)(native_parker& p) noexcept;
  // Lets another context run (Gosched); nullptr means sched_yield.
  void (*yield)() noexcept;
};

// install_park_hooks() makes `hooks` (static storage) the runtime's table; nullptr uninstalls.
// The runtime installs once at start-up, before any goroutine exists.
void install_park_hooks(const park_hooks* hooks) noexcept;

// installed_park_hooks() is the table in force, or nullptr.
const park_hooks* installed_park_hooks() noexcept;

}  // namespace gocxx
