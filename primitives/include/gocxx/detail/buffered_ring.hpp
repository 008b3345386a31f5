// gocxx/detail/buffered_ring.hpp: the buffered channel: a lock-free MPMC ring with Go's blocking.
//
// WHAT. The buffer is Dmitry Vyukov's bounded MPMC queue (per-slot sequence stamps; "Bounded MPMC
// queue", 1024cores.net, 2010), as in crossbeam-channel's array flavor: a producer takes ticket t
// from `tail_` when slot t % cap is empty for ticket t (its stamp == 2t), writes the value, and
// stamps the slot 2t + 1 (full for t); a consumer takes ticket t from `head_` when the slot is full
// for t, moves the value out, and stamps it 2(t + cap) (empty for the next lap). Sends and receives
// that find room or a value complete with one CAS and two stamp accesses, and no lock. Doubled
// stamps keep "full for t" and "empty for t + cap" apart for every capacity, 1 included (Vyukov's
// original stamps t + 1 and t + cap coincide when cap == 1).
//
// Go's semantics come from the slow path, which is Go's hchan (locked_chan.hpp) laid over the ring:
// a channel lock, FIFO queues of blocked senders and receivers, and direct hand-off. Two flag bits
// make the fast paths step aside while anybody is queued, so blocked operations keep their FIFO
// place and every hand-off decision is taken under the lock:
//   tail_ = ticket << 2 | CLOSED (bit 1) | SENDERS_WAITING (bit 0)
//   head_ = ticket << 1 | RECEIVERS_WAITING (bit 0)
// A fast send fails over to the lock when tail_ carries either bit; a fast receive when head_
// carries RECEIVERS_WAITING. The same two facts are mirrored in `waiting_`, a word on its own cache
// line that the fast paths read after each operation to learn whether the other side has waiters
// (reading the other side's counter instead would cost a cache miss per item). All the bits change
// only under the lock, together.
//
// INVARIANTS
//   INV-1 Ticket t owns slot t % cap for one lap: only the producer holding ticket t writes the
//         slot, only after it was stamped 2t (emptied by ticket t - cap's consumer), and only the
//         consumer holding ticket t reads it, only after it was stamped 2t + 1.
//   INV-2 While SENDERS_WAITING is set, only holders of the lock push; while RECEIVERS_WAITING is
//         set, only holders of the lock pop. (A fast operation whose CAS raced the setting of a bit
//         fails: the bit is part of the CAS'd word.)
//   INV-3 Under the lock, a non-empty send queue has SENDERS_WAITING set (in tail_ and waiting_)
//         and a non-empty receive queue has RECEIVERS_WAITING set (in head_ and waiting_);
//         finish_locked() clears a bit only when its queue is empty.
//   INV-4 FIFO: a value leaves the ring in ticket order; a queued receiver is served before any
//         later receiver (fast receivers step aside, INV-2) and buffered values go to queued
//         receivers in order (drain); a queued sender's value enters the ring only through refill,
//         in queue order, so no later sender overtakes it.
//   INV-5 No lost wake-up (Dekker through seq_cst fences): a thread that is about to queue sets its
//         bits, issues F2, and checks the ring once more; a fast operation that made the ring change
//         issues F1 after it and then reads waiting_. By the fence rule of C++20 [atomics.order], one
//         of the two sees the other: the queuing thread finds the value/room, or the fast thread
//         finds the bit and takes the lock to serve the queue.
//   INV-6 Close sets CLOSED under the lock, waits for sends that already hold a ticket to land,
//         gives buffered values to queued receivers, then fails every remaining waiter. A fast send
//         linearizes at its tail CAS: before CLOSED, it is a send that happened before close;
//         after, it fails to the lock and panics.
//   INV-7 A ticket taken but not yet stamped is an operation in flight, not an empty or full ring:
//         pop reports "empty" only when no producer holds its ticket (tail <= ticket) and push
//         reports "full" only when no consumer holds ticket - cap (head + cap <= ticket); otherwise
//         they spin until the other side's stamp lands (a bounded wait: the move is noexcept).
//         So a completed send is never hidden behind a slower one, and close never fails a
//         receiver while a value sent before it is still being written.
//
// ATOMIC OPERATIONS
//   R1 push: slot.stamp.load(acquire)  pairs with R4: the previous lap's consumer moved the value
//      out and destroyed it before we construct into the slot.
//   R2 push: tail_.compare_exchange_weak(t, t + 4, relaxed): the ticket only reserves the slot; the
//      value is published by R3, and the bits are checked in the same word (INV-2).
//   R3 push: slot.stamp.store(2t + 1, release)  pairs with R5: the value is visible to its consumer.
//   R4 pop:  slot.stamp.store(2(t + cap), release)  pairs with R1.
//   R5 pop:  slot.stamp.load(acquire)  pairs with R3.
//   R6 pop:  head_.compare_exchange_weak(h, h + 2, relaxed): as R2.
//   R7 bit set/clear: fetch_or/fetch_and on tail_/head_/waiting_, relaxed, under the lock: the lock
//      orders them with other lock holders; F2 orders them with fast paths.
//   R8 bit reads on the fast paths, relaxed: a stale "no bit" read is caught by R2/R6's CAS (the
//      word changed) or by the Dekker pair F1/F2.
//   R10 close's wait for in-flight sends, relaxed: it only waits; the drain that follows reads the
//      same stamps with R5.
//   R11 head_ready()/tail_free() stamp peeks, relaxed: the pop()/push() they lead to re-reads the
//      stamp with R5/R1 (acquire) before touching the slot.
//   R9 in-flight checks (INV-7) read the other side's ticket counter relaxed: a caller that knows
//      an operation completed is ordered after its CAS by happens-before, and coherence then
//      forbids reading an older counter; a stale read only means that operation had not completed.
//   F1 fence(seq_cst) after a fast push/pop, before reading the other side's bit (INV-5). Partner: F2.
//   F2 fence(seq_cst) after setting a bit under the lock, before the final ring check (INV-5). Partner: F1.
//   Lock: spin_lock S1/S2; queue hand-offs as in waiter.hpp (W1-W4).
//
// ALTERNATIVES REJECTED
//   - Wake-and-retry waiters (crossbeam's SyncWaker): simpler, but a woken sender can be overtaken
//     by a new one, which breaks Go's FIFO service of blocked senders.
//   - SCQ (Nikolaev, DISC 2019): livelock-free under ticket contention; upgrade path if FAA-style
//     contention dominates. Vyukov's CAS on a stamped slot is cheaper at the 2-4 threads we run.
//   - Counter-based buffered channel of Koval et al. (PPoPP 2023): lock-free slow path too, but needs
//     segment reclamation; see locked_chan.hpp.
//   - Asymmetric fences (membarrier) to drop F1 from the fast path: a later optimisation; F1 is one
//     fence per operation and the measurements in bench/README.md include it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>

#include "gocxx/detail/chan_impl.hpp"
#include "gocxx/detail/spin.hpp"
#include "gocxx/detail/uninit.hpp"
#include "gocxx/panic.hpp"

namespace gocxx::detail {

template <class T, class Env>
class buffered_ring final : public chan_core<Env> {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "buffered_ring moves values after claiming a slot; throwing moves use locked_chan");

 public:
  explicit buffered_ring(std::size_t capacity) : capacity_(capacity), slots_(new ring_slot[capacity]) {
    for (std::size_t i = 0; i < capacity; ++i) slots_[i].stamp.store(2 * i, std::memory_order_relaxed);
  }

  ~buffered_ring() override {
    // Sole owner now: destroy the values still buffered.
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed) >> 2;
    for (std::uint64_t h = head_.load(std::memory_order_relaxed) >> 1; h < tail; ++h) {
      slots_[h % capacity_].value.with_mut([](uninit<T>* u) { u->destroy(); });
    }
  }

  // --- fast paths ---------------------------------------------------------------------------------
  chan_status fast_send(T& value, bool patient) noexcept {
    for (unsigned step = 0;; ++step) {
      // A patient attempt may report "full" inexactly (INV-7): it retries anyway, and the locked
      // path decides exactly. Try-operations (not patient) are exact.
      const push_result r = push(value, /*respect_bits=*/true, /*exact=*/!patient);
      if (r == push_result::ok) break;
      if (r == push_result::step_aside || !patient || !backoff(step)) return chan_status::would_block;
    }
    Env::fence(std::memory_order_seq_cst);  // F1: pairs with F2 of a receiver about to queue
    if (waiting_.load(std::memory_order_relaxed) & waiting_receivers) {  // R8
      lock_.lock();
      drain_to_receivers();
      finish_locked();
      lock_.unlock();
    }
    return chan_status::ok;
  }

  chan_status fast_recv(std::optional<T>& out, bool patient) noexcept {
    for (unsigned step = 0;; ++step) {
      if (pop(out, /*respect_bits=*/true, /*exact=*/!patient)) break;
      // A queued receiver (the bit) means waiting in line, not spinning.
      if (!patient || (head_.load(std::memory_order_relaxed) & head_receivers_bit) || !backoff(step)) {
        return chan_status::would_block;
      }
    }
    Env::fence(std::memory_order_seq_cst);  // F1: pairs with F2 of a sender about to queue
    if (waiting_.load(std::memory_order_relaxed) & waiting_senders) {  // R8
      lock_.lock();
      refill_from_senders();
      finish_locked();
      lock_.unlock();
    }
    return chan_status::ok;
  }

  // --- locked paths -------------------------------------------------------------------------------
  void lock() noexcept override { lock_.lock(); }
  void unlock() noexcept override { lock_.unlock(); }

  void prepare_locked(chan_dir dir) noexcept override {
    const std::uint32_t bit = dir == chan_dir::send ? waiting_senders : waiting_receivers;
    if ((waiting_.load(std::memory_order_relaxed) & bit) == 0) {
      waiting_.fetch_or(bit, std::memory_order_relaxed);  // R7
      if (dir == chan_dir::send) {
        tail_.fetch_or(tail_senders_bit, std::memory_order_relaxed);  // R7
      } else {
        head_.fetch_or(head_receivers_bit, std::memory_order_relaxed);  // R7
      }
    }
    Env::fence(std::memory_order_seq_cst);  // F2: pairs with F1 of fast paths
  }

  void finish_locked() noexcept override {
    const std::uint32_t w = waiting_.load(std::memory_order_relaxed);
    if ((w & waiting_senders) && sendq_.empty()) {
      tail_.fetch_and(~tail_senders_bit, std::memory_order_relaxed);  // R7 (INV-3)
      waiting_.fetch_and(~waiting_senders, std::memory_order_relaxed);  // R7
    }
    if ((w & waiting_receivers) && recvq_.empty()) {
      head_.fetch_and(~head_receivers_bit, std::memory_order_relaxed);  // R7 (INV-3)
      waiting_.fetch_and(~waiting_receivers, std::memory_order_relaxed);  // R7
    }
  }

  chan_status locked_op(chan_dir dir, void* slot) override {
    return dir == chan_dir::send ? locked_send(*static_cast<T*>(slot))
                                 : locked_recv(*static_cast<std::optional<T>*>(slot));
  }
  chan_status fast_op(chan_dir dir, void* slot, bool patient) noexcept override {
    return dir == chan_dir::send ? fast_send(*static_cast<T*>(slot), patient)
                                 : fast_recv(*static_cast<std::optional<T>*>(slot), patient);
  }

  waiter_queue<Env>& queue(chan_dir dir) noexcept override { return dir == chan_dir::send ? sendq_ : recvq_; }

  chan_status locked_send(T& value) {
    if (tail_.load(std::memory_order_relaxed) & closed_bit) return chan_status::closed;
    drain_to_receivers();  // buffered values first: they were sent earlier (INV-4)
    if (waiter<Env>* w = recvq_.claim_front()) {
      move_into(*static_cast<std::optional<T>*>(w->slot()), value);
      w->context().complete(/*closed=*/false);
      return chan_status::ok;
    }
    if (sendq_.empty() && push(value, /*respect_bits=*/false) == push_result::ok) return chan_status::ok;
    return chan_status::would_block;
  }

  chan_status locked_recv(std::optional<T>& out) {
    drain_to_receivers();  // queued receivers come first (INV-4)
    if (recvq_.empty() && pop(out, /*respect_bits=*/false)) {
      refill_from_senders();
      return chan_status::ok;
    }
    if (waiter<Env>* w = sendq_.claim_front()) {  // ring empty, yet a sender waits (a transient)
      move_into(out, *static_cast<T*>(w->slot()));
      w->context().complete(/*closed=*/false);
      return chan_status::ok;
    }
    if (tail_.load(std::memory_order_relaxed) & closed_bit) return chan_status::closed;
    return chan_status::would_block;
  }

  void close() override {
    lock_.lock();
    if (tail_.load(std::memory_order_relaxed) & closed_bit) {
      lock_.unlock();
      panic(panic_message::close_of_closed);
    }
    tail_.fetch_or(closed_bit, std::memory_order_relaxed);  // R7: fast sends now fail to the lock
    // Sends that took their ticket before CLOSED happened before close: let them land (INV-7).
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed) >> 2;
    for (std::uint64_t t = head_.load(std::memory_order_relaxed) >> 1; t < tail; ++t) {
      // R10 relaxed: only waits; drain_to_receivers() -> pop() re-reads the stamp with R5 (acquire).
      while (slots_[t % capacity_].stamp.load(std::memory_order_relaxed) == 2 * t) Env::spin_hint();
    }
    drain_to_receivers();  // INV-6: buffered values first
    auto fail = [](waiter<Env>& w) {
      if (w.context().try_claim(w.case_index())) w.context().complete(/*closed=*/true);
    };
    recvq_.drain(fail);
    sendq_.drain(fail);
    finish_locked();
    lock_.unlock();
  }

  std::size_t size() const noexcept override {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed) >> 2;
    const std::uint64_t head = head_.load(std::memory_order_relaxed) >> 1;
    if (tail <= head) return 0;
    return static_cast<std::size_t>(tail - head < capacity_ ? tail - head : capacity_);
  }
  std::size_t capacity() const noexcept override { return capacity_; }

 private:
  // In tail_: bit 0 senders waiting, bit 1 closed; in head_: bit 0 receivers waiting; in waiting_:
  // bit 0 senders, bit 1 receivers.
  static constexpr std::uint64_t tail_senders_bit = 1, closed_bit = 2, head_receivers_bit = 1;
  static constexpr std::uint32_t waiting_senders = 1, waiting_receivers = 2;
  static constexpr std::uint64_t tail_one = 4, head_one = 2;

  struct alignas(64) ring_slot {
    typename Env::template atomic<std::uint64_t> stamp{0};
    typename Env::template cell<uninit<T>> value{};
  };

  enum class push_result { ok, full, step_aside };

  push_result push(T& value, bool respect_bits, bool exact = true) noexcept {
    std::uint64_t t = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if (t & closed_bit) return push_result::step_aside;
      if (respect_bits && (t & tail_senders_bit)) return push_result::step_aside;
      const std::uint64_t ticket = t >> 2;
      ring_slot& s = slots_[ticket % capacity_];
      const std::uint64_t stamp = s.stamp.load(std::memory_order_acquire);  // R1 acquire: pairs with R4
      if (stamp == 2 * ticket) {
        if (tail_.compare_exchange_weak(t, t + tail_one, std::memory_order_relaxed)) {  // R2 relaxed
          s.value.with_mut([&](uninit<T>* u) { u->construct(std::move(value)); });
          s.stamp.store(2 * ticket + 1, std::memory_order_release);  // R3 release: pairs with R5
          return push_result::ok;
        }
      } else if (stamp < 2 * ticket) {  // still holds ticket - cap's value: full, unless tail moved
        const std::uint64_t again = tail_.load(std::memory_order_relaxed);
        if (again != t) {
          t = again;
          continue;
        }
        // Full only if nobody is emptying that slot: a consumer that took ticket - cap but has not
        // stamped yet will free it in a few steps (INV-7).
        if (!exact || (head_.load(std::memory_order_relaxed) >> 1) + capacity_ <= ticket) return push_result::full;
        Env::spin_hint();
        t = tail_.load(std::memory_order_relaxed);
      } else {
        t = tail_.load(std::memory_order_relaxed);  // another producer took this ticket
      }
    }
  }

  bool pop(std::optional<T>& out, bool respect_bits, bool exact = true) noexcept {
    std::uint64_t h = head_.load(std::memory_order_relaxed);
    for (;;) {
      if (respect_bits && (h & head_receivers_bit)) return false;
      const std::uint64_t ticket = h >> 1;
      ring_slot& s = slots_[ticket % capacity_];
      const std::uint64_t stamp = s.stamp.load(std::memory_order_acquire);  // R5 acquire: pairs with R3
      if (stamp == 2 * ticket + 1) {
        if (head_.compare_exchange_weak(h, h + head_one, std::memory_order_relaxed)) {  // R6 relaxed
          s.value.with_mut([&](uninit<T>* u) {
            out.emplace(std::move(*u->get()));
            u->destroy();
          });
          s.stamp.store(2 * (ticket + capacity_), std::memory_order_release);  // R4 release: pairs with R1
          return true;
        }
      } else if (stamp < 2 * ticket + 1) {  // not yet written for this ticket: empty, unless head moved
        const std::uint64_t again = head_.load(std::memory_order_relaxed);
        if (again != h) {
          h = again;
          continue;
        }
        // Empty only if no producer holds this ticket: one that took it but has not stamped yet
        // will land its value in a few steps (INV-7).
        if (!exact || (tail_.load(std::memory_order_relaxed) >> 2) <= ticket) return false;
        Env::spin_hint();
        h = head_.load(std::memory_order_relaxed);
      } else {
        h = head_.load(std::memory_order_relaxed);  // another consumer took this ticket
      }
    }
  }

  // backoff() waits a little before a blocking operation retries its fast path: 2^step pauses for
  // the first steps, then a yield, false once the budget (about 127 pauses and 4 yields, a few
  // microseconds) is spent. A full or empty ring with an active partner usually changes within
  // that time, and a parked thread costs tens of microseconds to wake (crossbeam's Backoff).
  static bool backoff(unsigned step) noexcept {
    if (step >= chan_core<Env>::patience_steps.load(std::memory_order_relaxed)) return false;
    if (step <= 6) {
      for (unsigned i = 0; i < (1u << step); ++i) Env::spin_hint();
      return true;
    }
    Env::yield();
    return true;
  }

  // head_ready()/tail_free(): is the next pop/push possible? Under the lock with the matching bit
  // set (INV-2), nobody else can take that ticket, so the answer stays true until we act on it.
  // R11 relaxed: they only decide whether pop()/push() is called, and those re-read the same stamp
  // with R5/R1 (acquire) before touching the slot.
  bool head_ready() const noexcept {
    const std::uint64_t ticket = head_.load(std::memory_order_relaxed) >> 1;
    return slots_[ticket % capacity_].stamp.load(std::memory_order_relaxed) == 2 * ticket + 1;  // R11
  }
  bool tail_free() const noexcept {
    const std::uint64_t ticket = tail_.load(std::memory_order_relaxed) >> 2;
    return slots_[ticket % capacity_].stamp.load(std::memory_order_relaxed) == 2 * ticket;  // R11
  }

  // Under the lock: hand buffered values to queued receivers, oldest first, while both exist.
  void drain_to_receivers() noexcept {
    while ((head_.load(std::memory_order_relaxed) & head_receivers_bit) && head_ready()) {
      waiter<Env>* w = recvq_.claim_front();
      if (w == nullptr) return;
      [[maybe_unused]] const bool popped = pop(*static_cast<std::optional<T>*>(w->slot()), false);
      w->context().complete(/*closed=*/false);
    }
  }

  // Under the lock: move queued senders' values into freed slots, oldest first, while both exist.
  void refill_from_senders() noexcept {
    while ((tail_.load(std::memory_order_relaxed) & tail_senders_bit) && tail_free()) {
      waiter<Env>* w = sendq_.claim_front();
      if (w == nullptr) return;
      [[maybe_unused]] const push_result pushed = push(*static_cast<T*>(w->slot()), false);
      w->context().complete(/*closed=*/false);
    }
  }

  const std::size_t capacity_;
  std::unique_ptr<ring_slot[]> slots_;
  alignas(64) typename Env::template atomic<std::uint64_t> tail_{0};
  alignas(64) typename Env::template atomic<std::uint64_t> head_{0};
  // waiting_ mirrors the two waiting bits on a line of its own: fast paths read it after every
  // operation (F1), and it changes only when somebody queues or the last waiter leaves, so the
  // read stays a cache hit instead of a miss on the other side's counter.
  alignas(64) typename Env::template atomic<std::uint32_t> waiting_{0};
  alignas(64) spin_lock<Env> lock_;
  waiter_queue<Env> recvq_, sendq_;
};

}  // namespace gocxx::detail
