// gocxx/detail/chan_impl.hpp: what every channel flavor provides, and the blocking/select driver
// written once on top of it.
//
// WHAT. A flavor (buffered_ring.hpp, locked_chan.hpp) supplies a channel lock and, under it,
// "try to complete this operation now" (locked_send / locked_recv) plus its waiter queues. The
// driver here turns those into Go's blocking send/recv with deadlines, and select() (select.hpp)
// uses the same pieces for many channels at once. This is the structure of Go's chan.go (lock,
// look for a partner or buffer room, else enqueue a sudog and park), with the waiters and the
// hand-off protocol of waiter.hpp.
//
// INVARIANTS (every flavor)
//   INV-1 Waiters are queued and dequeued only with the channel lock held, so "check, then enqueue"
//         is atomic with respect to every completer that takes the lock.
//   INV-2 A flavor with a lock-free fast path makes the fast path step aside (prepare_locked) before
//         the last check under the lock, so that no fast-path operation can slip between that check
//         and the enqueue without seeing the waiter (buffered_ring.hpp INV-5).
//   INV-3 Every value sent is received exactly once or is still in the channel: a value moves
//         only from a sender (or the buffer) into a receiver (or the buffer) by one claimant.
//
// The reference count of the shared state is the usual one (Boost/libstdc++ shared_ptr):
//   C1 retain: fetch_add(1, relaxed): a new handle is made from an existing one, which already
//      keeps the state alive; nothing is published.
//   C2 release: fetch_sub(1, acq_rel): the release half orders this handle's uses before the
//      destruction; the acquire half (taken by the last owner) makes every other handle's uses
//      visible before it destroys.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>

#include "gocxx/detail/park_hooks.hpp"
#include "gocxx/detail/waiter.hpp"
#include "gocxx/panic.hpp"

namespace gocxx::detail {

enum class chan_status : std::uint8_t {
  ok,           // the value moved
  would_block,  // not now (try-operation) or the deadline passed
  closed,       // the channel is closed (a send panics; a receive returns empty)
};

enum class chan_dir : std::uint8_t { send, recv };

// chan_core<Env> is what select and the blocking driver see of any channel, whatever its T: the
// value travels as a `void*` slot (a `T*` for a send, a `std::optional<T>*` for a receive).
template <class Env>
class chan_core {
 public:
  using env_type = Env;
  using clock = typename Env::clock;
  using time_point = typename clock::time_point;
  // A deadline of time_point::min() never waits (try-operations and select's first pass).
  static constexpr time_point no_wait = time_point::min();
  static constexpr time_point forever = time_point::max();

  virtual ~chan_core() = default;

  // --- what a flavor implements ------------------------------------------------------------------
  // fast_op() tries without the lock; would_block sends the caller to the locked path. With
  // `patient`, a flavor may back off and retry for a few microseconds first (a blocking operation
  // about to park); try-operations and select's polling pass are never patient.
  virtual chan_status fast_op(chan_dir dir, void* slot, bool patient) noexcept = 0;
  virtual void lock() noexcept = 0;
  virtual void unlock() noexcept = 0;
  // prepare_locked() makes fast paths in direction `dir` step aside before the final check (INV-2).
  virtual void prepare_locked(chan_dir dir) noexcept = 0;
  // finish_locked() restores the fast paths once no waiter needs them to step aside.
  virtual void finish_locked() noexcept = 0;
  // locked_op() completes the operation now if it can (partner, buffer, or closed). It may throw
  // only what T's move constructor throws, and then nothing has changed.
  virtual chan_status locked_op(chan_dir dir, void* slot) = 0;
  virtual waiter_queue<Env>& queue(chan_dir dir) noexcept = 0;
  virtual void close() = 0;
  virtual std::size_t size() const noexcept = 0;
  virtual std::size_t capacity() const noexcept = 0;

  // --- the driver ---------------------------------------------------------------------------------
  // op() sends from / receives into `slot`, waiting until `deadline`. ok: the value moved;
  // closed: the channel is closed (a send then panics, a receive returns empty).
  chan_status op(chan_dir dir, void* slot, time_point deadline) {
    for (;;) {
      if (const chan_status s = fast_op(dir, slot, deadline != no_wait); s != chan_status::would_block) return s;
      lock();
      prepare_locked(dir);
      chan_status s;
      try {
        s = locked_op(dir, slot);
      } catch (...) {
        finish_locked();
        unlock();
        throw;
      }
      if (s != chan_status::would_block || deadline == no_wait) {
        finish_locked();
        unlock();
        return s;
      }
      wait_context<Env> ctx(Env::this_parker());
      waiter<Env> w(ctx, slot);
      queue(dir).push(w);
      unlock();
      const wait_result r =
          ctx.wait(deadline, dir == chan_dir::send ? wait_reason::chan_send : wait_reason::chan_receive);
      if (r.how == wait_result::status::done) return r.closed ? chan_status::closed : chan_status::ok;
      lock();
      queue(dir).remove(w);
      finish_locked();
      unlock();
      if (r.how == wait_result::status::failed) std::rethrow_exception(r.error);
      if (r.how == wait_result::status::cancelled) return chan_status::would_block;
      // retry: a completer could not move a value into our slot; start over
    }
  }

  // How many backoff steps a blocking operation retries the fast path before it queues (flavors
  // with a fast path; see buffered_ring.hpp backoff()). The model-checking suites lower it: the
  // retries are the same fast path again, and a short budget lets the search reach the queuing
  // paths. Relaxed: a tuning knob, read once per step.
  static inline std::atomic<unsigned> patience_steps{11};

  // Reference count of the shared state (C1, C2 above).
  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }               // C1 relaxed
  bool release() noexcept { return refs_.fetch_sub(1, std::memory_order_acq_rel) == 1; }  // C2 acq_rel

 private:
  typename Env::template atomic<std::size_t> refs_{1};
};

// move_into() hands a value from a sender's slot to a receiver's optional. For a T whose move may
// throw, the caller ends the claim with retry() or fail() (locked_chan.hpp INV-3).
template <class T>
void move_into(std::optional<T>& out, T& from) {
  out.emplace(std::move(from));
}

}  // namespace gocxx::detail
