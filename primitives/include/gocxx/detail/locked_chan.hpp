// gocxx/detail/locked_chan.hpp: the lock-based channel, after Go's hchan.
//
// WHAT. One lock guards a circular buffer of `capacity` slots and two FIFO waiter queues, as in
// Go's runtime/chan.go design: a send first looks for a waiting receiver and hands its value over
// directly, else fills the buffer, else queues; a receive takes the buffer's head and refills the
// freed slot from the first waiting sender (so FIFO order holds across buffer and waiters), else
// takes directly from a waiting sender, else reports closed, else queues. gocxx uses it
//   - for unbuffered channels (capacity 0): a rendezvous in which send returns only after a
//     receiver took the value;
//   - for buffered channels of a T whose move constructor may throw (the lock lets a failed move
//     be undone, which the lock-free ring cannot);
//   - as the reference channel (gocxx::reference_chan), the oracle of differential tests and fuzzing
//     and a baseline in benchmarks.
//
// INVARIANTS (all under lock_)
//   INV-1 If the receive queue holds a live waiter, the buffer is empty; if the send queue holds a
//         live waiter, the buffer is full. (A waiter is queued only when its check failed under the
//         lock, and every operation that changes the buffer serves the queues first.)
//   INV-2 Exactly-once: a value is in exactly one place: a sender's slot, a buffer slot, or a
//         receiver's optional; it moves under the lock by the one thread that claimed the waiter.
//   INV-3 A failed move (T's move constructor threw) loses and duplicates nothing, and the
//         exception always reaches the sender whose value could not be moved: a sender moving its
//         own value (into the buffer or to a receiver) gets it thrown; a blocked sender whose value
//         a receiver could not take is failed with it (wait_context::fail) and withdraws; a blocked
//         receiver whose slot could not be filled is told to retry. A receive that already has its
//         value keeps it. (gocxx assumes a throwing move constructor leaves its source intact, the
//         strong guarantee a throwing copy gives.)
//   INV-4 closed_ only goes false -> true, under the lock; close() then fails every queued waiter.
//
// ATOMIC OPERATIONS
//   L1/L2 the spin_lock (spin.hpp S1/S2) orders every critical section.
//   L3 count_ store relaxed (under the lock), load relaxed in size(): len(ch) is a racy snapshot in
//      Go too; nothing is published through it.
//
// ALTERNATIVES REJECTED
//   - std::mutex: invisible to the model checker, blocks a goroutine's thread while held.
//   - The cell-based rendezvous of Koval, Alistarh and Elizarov (PPoPP 2023) for capacity 0: the
//     strongest published design (FAA tickets, no lock), but it needs segment lists with safe memory
//     reclamation; the lock here is held for a few pointer writes and one move, and an unbuffered
//     hand-off is dominated by the wake-up of the partner. It is the upgrade path once the model
//     checker can explore segment reclamation.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <type_traits>

#include "gocxx/detail/chan_impl.hpp"
#include "gocxx/detail/spin.hpp"
#include "gocxx/detail/uninit.hpp"
#include "gocxx/panic.hpp"

namespace gocxx::detail {

template <class T, class Env>
class locked_chan final : public chan_core<Env> {
 public:
  explicit locked_chan(std::size_t capacity)
      : capacity_(capacity), buffer_(capacity ? new slot_cell[capacity] : nullptr) {}

  ~locked_chan() override {
    std::size_t n = count_.load(std::memory_order_relaxed);
    std::size_t head = head_.load();
    for (; n > 0; --n, head = next(head)) buffer_[head].with_mut([](uninit<T>* u) { u->destroy(); });
  }

  chan_status fast_send(T&) noexcept { return chan_status::would_block; }
  chan_status fast_recv(std::optional<T>&) noexcept { return chan_status::would_block; }
  void lock() noexcept override { lock_.lock(); }      // L1
  void unlock() noexcept override { lock_.unlock(); }  // L2
  void prepare_locked(chan_dir) noexcept override {}
  void finish_locked() noexcept override {}
  chan_status locked_op(chan_dir dir, void* slot) override {
    return dir == chan_dir::send ? locked_send(*static_cast<T*>(slot))
                                 : locked_recv(*static_cast<std::optional<T>*>(slot));
  }
  chan_status fast_op(chan_dir dir, void* slot, bool) noexcept override {
    return dir == chan_dir::send ? fast_send(*static_cast<T*>(slot))
                                 : fast_recv(*static_cast<std::optional<T>*>(slot));
  }

  waiter_queue<Env>& queue(chan_dir dir) noexcept override { return dir == chan_dir::send ? sendq_ : recvq_; }

  chan_status locked_send(T& value) {
    if (closed_.load()) return chan_status::closed;
    if (waiter<Env>* w = recvq_.claim_front()) {
      if constexpr (std::is_nothrow_move_constructible_v<T>) {
        move_into(*static_cast<std::optional<T>*>(w->slot()), value);
      } else {
        try {
          move_into(*static_cast<std::optional<T>*>(w->slot()), value);
        } catch (...) {
          w->context().retry();  // the receiver got nothing; our own send fails (INV-3)
          throw;
        }
      }
      w->context().complete(/*closed=*/false);
      return chan_status::ok;
    }
    const std::size_t n = count_.load(std::memory_order_relaxed);
    if (n < capacity_) {
      buffer_[index(head_.load() + n)].with_mut([&](uninit<T>* u) { u->construct(std::move(value)); });
      count_.store(n + 1, std::memory_order_relaxed);  // L3
      return chan_status::ok;
    }
    return chan_status::would_block;
  }

  chan_status locked_recv(std::optional<T>& out) {
    const std::size_t n = count_.load(std::memory_order_relaxed);
    if (n > 0) {
      const std::size_t head = head_.load();
      buffer_[head].with_mut([&](uninit<T>* u) {
        out.emplace(std::move(*u->get()));  // may throw: nothing has changed yet (INV-3)
        u->destroy();
      });
      head_.store(next(head));
      count_.store(n - 1, std::memory_order_relaxed);  // L3
      refill_from_sender();
      return chan_status::ok;
    }
    while (waiter<Env>* w = sendq_.claim_front()) {
      if (take_from_sender(*w, [&] { move_into(out, *static_cast<T*>(w->slot())); })) return chan_status::ok;
    }
    if (closed_.load()) return chan_status::closed;
    return chan_status::would_block;
  }

  void close() override {
    lock_.lock();
    if (closed_.load()) {
      lock_.unlock();
      panic(panic_message::close_of_closed);
    }
    closed_.store(true);
    auto fail = [](waiter<Env>& w) {
      if (w.context().try_claim(w.case_index())) w.context().complete(/*closed=*/true);
    };
    recvq_.drain(fail);
    sendq_.drain(fail);
    lock_.unlock();
  }

  std::size_t size() const noexcept override { return count_.load(std::memory_order_relaxed); }  // L3
  std::size_t capacity() const noexcept override { return capacity_; }

 private:
  using slot_cell = typename Env::template cell<uninit<T>>;

  std::size_t index(std::size_t i) const noexcept { return i % capacity_; }
  std::size_t next(std::size_t i) const noexcept { return i + 1 == capacity_ ? 0 : i + 1; }

  // take_from_sender() moves a claimed sender's value out and completes it; if the move throws, the
  // sender's operation fails with the exception and false is returned (INV-3).
  template <class Move>
  static bool take_from_sender(waiter<Env>& w, Move&& move) noexcept {
    if constexpr (std::is_nothrow_move_constructible_v<T>) {
      move();
    } else {
      try {
        move();
      } catch (...) {
        w.context().fail(std::current_exception());
        return false;
      }
    }
    w.context().complete(/*closed=*/false);
    return true;
  }

  // After a receive freed a slot of a full buffer, the first waiting sender's value takes it.
  void refill_from_sender() noexcept {
    while (waiter<Env>* w = sendq_.claim_front()) {
      const std::size_t n = count_.load(std::memory_order_relaxed);
      if (take_from_sender(*w, [&] {
            buffer_[index(head_.load() + n)].with_mut(
                [&](uninit<T>* u) { u->construct(std::move(*static_cast<T*>(w->slot()))); });
          })) {
        count_.store(n + 1, std::memory_order_relaxed);  // L3
        return;
      }
    }
  }

  const std::size_t capacity_;
  spin_lock<Env> lock_;
  std::unique_ptr<slot_cell[]> buffer_;
  typename Env::template cell<std::size_t> head_{};
  typename Env::template atomic<std::size_t> count_{0};
  typename Env::template cell<bool> closed_{};
  waiter_queue<Env> recvq_, sendq_;
};

}  // namespace gocxx::detail
