// The native side of parking: the futex calls, the hook table, and per-thread parkers.
// The parker's state machine, invariants and memory orders are in gocxx/detail/parker.hpp.
#include "gocxx/env.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <mutex>
#include <vector>

#include "gocxx/detail/futex.hpp"

namespace gocxx {
namespace detail {

futex_result futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                        std::chrono::steady_clock::time_point deadline) noexcept {
  timespec ts{};
  const timespec* timeout = nullptr;
  if (deadline != std::chrono::steady_clock::time_point::max()) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    if (ns <= 0) return futex_result::timed_out;
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    timeout = &ts;
  }
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time (steady_clock on Linux).
  const long rc = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_BITSET_PRIVATE,
                            expected, timeout, nullptr, FUTEX_BITSET_MATCH_ANY);
  if (rc == 0) return futex_result::woken;
  switch (errno) {
    case ETIMEDOUT: return futex_result::timed_out;
    case EAGAIN: return futex_result::value_changed;
    default: return futex_result::interrupted;  // EINTR: the caller loops
  }
}

void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

}  // namespace detail

// --- the hook table ------------------------------------------------------------------------------
namespace {
std::atomic<const park_hooks*> g_hooks{nullptr};
}

void install_park_hooks(const park_hooks* hooks) noexcept {
  g_hooks.store(hooks, std::memory_order_release);  // H1 release: pairs with H2
}

const park_hooks* installed_park_hooks() noexcept {
  return g_hooks.load(std::memory_order_acquire);  // H2 acquire: pairs with H1
}

const char* to_string(wait_reason reason) noexcept {
  switch (reason) {
    case wait_reason::none: return "";
    case wait_reason::chan_send: return "chan send";
    case wait_reason::chan_receive: return "chan receive";
    case wait_reason::chan_send_nil: return "chan send (nil chan)";
    case wait_reason::chan_receive_nil: return "chan receive (nil chan)";
    case wait_reason::select: return "select";
    case wait_reason::select_no_cases: return "select (no cases)";
    case wait_reason::semacquire: return "semacquire";
    case wait_reason::sync_mutex_lock: return "sync.Mutex.Lock";
    case wait_reason::sync_rwmutex_rlock: return "sync.RWMutex.RLock";
    case wait_reason::sync_rwmutex_lock: return "sync.RWMutex.Lock";
    case wait_reason::sync_cond_wait: return "sync.Cond.Wait";
    case wait_reason::sync_wait_group_wait: return "sync.WaitGroup.Wait";
    case wait_reason::sleep: return "sleep";
    case wait_reason::io_wait: return "IO wait";
  }
  return "?";
}

// --- per-thread parkers: type-stable, pooled (INV-3) ----------------------------------------------
namespace {

class parker_pool {
 public:
  native_parker* take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return new native_parker;  // never deleted: INV-3
    native_parker* p = free_.back();
    free_.pop_back();
    return p;
  }
  void give_back(native_parker* p) {
    std::lock_guard lock(mutex_);
    free_.push_back(p);
  }

 private:
  std::mutex mutex_;
  std::vector<native_parker*> free_;
};

parker_pool& pool() {
  static auto* p = new parker_pool;  // leaked on purpose: threads may exit after static destruction
  return *p;
}

struct thread_parker_slot {
  native_parker* parker = pool().take();
  ~thread_parker_slot() { pool().give_back(parker); }
};

native_parker& thread_parker() noexcept {
  thread_local thread_parker_slot slot;
  return *slot.parker;
}

}  // namespace

native_parker& native_env::this_parker() noexcept {
  if (const park_hooks* hooks = installed_park_hooks()) {
    if (native_parker* p = hooks->current()) return *p;
  }
  return thread_parker();
}

}  // namespace gocxx
