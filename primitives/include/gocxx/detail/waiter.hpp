// gocxx/detail/waiter.hpp: waiters, their shared selection word, and the FIFO waiter queue.
//
// WHAT. The slow path of every blocking primitive, written once (DESIGN.md §3), after Go's sudog
// with gopark/goready and crossbeam-channel's waker/context:
//   - wait_context: one per blocking operation. Its word says whether the operation still waits,
//     was cancelled (deadline, lost select), was claimed by a completer, or is done, and with which
//     case and outcome. A select shares one wait_context among the waiters of all its cases, so
//     exactly one case can be claimed: the claim is a CAS on that word.
//   - waiter: an intrusive node on the blocked context's own stack (no allocation on the slow
//     path): the wait_context, the case index, and `slot`, a pointer to the value being handed
//     over (a sender's source, a receiver's destination).
//   - waiter_queue: a FIFO of waiters (Go serves blocked senders and receivers in order), a
//     doubly linked list under a short spin_lock, so a cancelled waiter leaves from the middle.
//
// THE HAND-OFF PROTOCOL
//   blocked context                          completer
//   1 fill slot (if sending), push(w)        3 w = claim_front(): under the lock, unlink waiters
//   2 re-check the condition, then wait()       until one's context CAS WAITING -> CLAIMED wins
//                                            4 move the value through w->slot (outside the lock)
//                                            5 complete(w): read the parker, store DONE (release),
//                                              then unpark the parker
//   6 wait() sees DONE (acquire), reads its slot, returns; its frame may now die.
//   Cancellation: wait() CAS WAITING -> CANCELLED. If it loses, a completer holds the claim and
//   the value is in flight: wait() keeps waiting for DONE, so a value handed over is never lost.
//   After wait() returns, the owner calls remove() on every queue it pushed to.
//   A move that throws (only for a T whose move constructor may throw) ends the claim instead of
//   completing it: retry() tells the owner to start its operation over (its value never left it),
//   fail(e) tells the owner its operation failed with e (its value could not be moved out).
//   Either way the owner withdraws from every queue; a select re-registers on all its channels.
//
// STATES of wait_context's word: bits 0-2 phase, bit 3 outcome, bits 4.. case index.
//   WAITING   = 0  nobody has claimed it; the owner waits or is about to
//   CANCELLED = 1  the owner gave up (deadline or a lost select); completers skip it
//   CLAIMED   = 2  a completer owns it and is moving the value (case index set)
//   DONE      = 3  the completer finished (outcome: 0 = value moved, 1 = channel closed)
//   RETRY     = 4  the completer could not move the value; the owner starts over
//   FAILED    = 5  the completer could not move the owner's value out; error_ holds why
//
// INVARIANTS
//   INV-1 At most one CAS leaves WAITING (claim or cancel), and nothing returns to WAITING; so
//         exactly one case of a select commits, and a cancelled operation is never completed.
//   INV-2 Only the claimant moves the value through `slot`, and it does so before DONE (W3); the
//         owner touches the slot after it reads DONE (W4). So a receiver always sees the whole
//         value and a sender's value is never read after its frame is gone.
//   INV-3 The completer reads everything it needs from the waiter and its context (the parker)
//         before W3; after W3 the owner may return and its frame die. Parkers outlive frames
//         (parker.hpp INV-3), so the unpark after W3 is safe.
//   INV-4 A node is linked in at most one queue, at most once. Its links are read and written
//         only under that queue's lock, and the owner calls remove() on every queue it joined
//         before its frame dies. So a completer never reaches a dead frame: it finds nodes only
//         under the lock, and a node on the list is a node whose owner is still inside wait() or
//         before its remove().
//   INV-5 FIFO: push() appends at the tail; claim_front() takes from the head, skipping only
//         nodes whose context is no longer WAITING (or belongs to the excluded context).
//
// ATOMIC OPERATIONS (all on wait_context::word_)
//   W1 claim:   CAS WAITING -> CLAIMED(i), relaxed. The completer reads the waiter's fields and a
//               sender's value after finding the node under the queue lock (spin_lock S1 pairs
//               with the owner's push S2), so the claim itself needs to publish or acquire nothing.
//   W2 cancel:  CAS WAITING -> CANCELLED, relaxed. Winning it means nobody will touch the slot;
//               losing it is followed by W4, which does the acquiring.
//   W3 done:    store DONE(i, outcome) / RETRY / FAILED, release. Pairs with W4: the value written
//               into a receiver's slot, the completer's reads of a sender's slot, and error_,
//               happen-before the owner's return from wait().
//   W4 observe: load, acquire. Pairs with W3.
//   Verification: W3 in complete() and W4 are killed by the channel suites when weakened. W3 in
//   retry() and fail() is needed for the same reason (a move that threw may have written part of
//   the owner's slot, and fail() publishes error_), but weakening it is not yet detected: the model
//   checker tracks cells as objects, so memory that a destroyed object leaves behind and a new
//   object reuses counts as a new location (docs/verification.md, Limitations).
//   W5 peek:    is_waiting() loads, relaxed: only a hint; W4 is always the final read.
//
// ALTERNATIVES REJECTED
//   - A lock-free intrusive queue (Michael-Scott style): removal of a cancelled node from the
//     middle needs either marking and helping (Harris) or a lock anyway; the lock here guards O(1)
//     pointer splices on the slow path only, where the cost that matters is the park itself.
//   - Copying the value under the queue lock (Go's hchan does): a throwing or slow copy would run
//     with the lock held. The claim makes the completer the slot's only user, so it copies outside.
//   - A separate "done" flag per waiter: for a select the outcome and the winning case must be
//     decided by one word, so claim and completion live together in the context's word.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>

#include "gocxx/detail/park_hooks.hpp"
#include "gocxx/detail/spin.hpp"

namespace gocxx::detail {

// What a completed or abandoned wait reports.
struct wait_result {
  enum class status : std::uint8_t {
    done,       // a completer moved the value (or reported closed)
    cancelled,  // the deadline passed first
    retry,      // a completer could not move the value; start the operation over
    failed,     // moving the owner's value out threw: `error` is the exception
  };
  status how;
  unsigned case_index;  // the case that was completed (meaningful when how == done)
  bool closed;          // the completer reported "channel closed" instead of moving a value
  std::exception_ptr error{};
};

template <class Env>
class wait_context {
 public:
  using clock = typename Env::clock;

  explicit wait_context(typename Env::parker& parker) noexcept : parker_(&parker) {}
  wait_context(const wait_context&) = delete;
  wait_context& operator=(const wait_context&) = delete;

  // --- completer side ---------------------------------------------------------------------------
  // try_claim() makes the caller the only completer of this context, for case `case_index`.
  // Precondition: the caller found a waiter of this context under its queue's lock (INV-4).
  bool try_claim(unsigned case_index) noexcept {
    std::uint64_t expected = waiting;
    return word_.compare_exchange_strong(expected, (std::uint64_t{case_index} << 4) | claimed,
                                         std::memory_order_relaxed);  // W1 relaxed: see design block
  }

  // complete() publishes the result of a claimed operation and wakes the owner. After it the
  // caller must not touch the waiter, its slot or this context (INV-3).
  void complete(bool closed) noexcept {
    typename Env::parker* const parker = parker_;  // read before W3: the owner may leave after it
    const std::uint64_t w = word_.load(std::memory_order_relaxed);  // our own CLAIMED value
    word_.store((w & ~std::uint64_t{15}) | (closed ? closed_bit : 0) | done,
                std::memory_order_release);  // W3 release: pairs with W4
    parker->unpark();
  }

  // retry() ends a claim whose value could not be moved in: the owner starts over.
  void retry() noexcept {
    typename Env::parker* const parker = parker_;
    word_.store(retrying, std::memory_order_release);  // W3 release: pairs with W4
    parker->unpark();
  }

  // fail() ends a claim whose owner's value could not be moved out: the owner's operation fails
  // with `error`.
  void fail(std::exception_ptr error) noexcept {
    typename Env::parker* const parker = parker_;
    error_.with_mut([&](std::exception_ptr* e) { *e = std::move(error); });
    word_.store(failed, std::memory_order_release);  // W3 release: pairs with W4
    parker->unpark();
  }

  // --- owner side -------------------------------------------------------------------------------
  // wait() blocks until a completer is done, or until `deadline` passes and the cancel wins.
  // After it returns the owner must remove() its waiters from every queue it pushed them to.
  wait_result wait(typename clock::time_point deadline, wait_reason reason) {
    bool deadline_passed = false;
    for (;;) {
      const std::uint64_t w = word_.load(std::memory_order_acquire);  // W4 acquire: pairs with W3
      switch (w & 7) {
        case done: return {wait_result::status::done, unsigned(w >> 4), (w & closed_bit) != 0};
        case cancelled: return {wait_result::status::cancelled, 0, false};
        case retrying: return {wait_result::status::retry, 0, false};
        case failed: return {wait_result::status::failed, 0, false, error_.load()};
        case claimed: parker_->park(reason); continue;  // the completer unparks after W3
        default: break;                                 // waiting
      }
      if (deadline_passed || !parker_->park_until(deadline, reason)) {
        deadline_passed = true;
        if (try_cancel()) return {wait_result::status::cancelled, 0, false};
        // Lost to a claim: the value is in flight; wait for DONE without a deadline (INV-2).
      }
    }
  }

  // try_cancel() withdraws the operation unless a completer already claimed it. The owner uses it
  // for deadlines, and a select to give up before it parks.
  bool try_cancel() noexcept {
    std::uint64_t expected = waiting;
    return word_.compare_exchange_strong(expected, cancelled, std::memory_order_relaxed);  // W2 relaxed
  }

  // is_waiting() is a relaxed peek (W5): a hint that a completer could still claim this context.
  bool is_waiting() const noexcept { return (word_.load(std::memory_order_relaxed) & 7) == waiting; }

 private:
  static constexpr std::uint64_t waiting = 0, cancelled = 1, claimed = 2, done = 3, retrying = 4, failed = 5,
                                 closed_bit = 8;

  typename Env::template atomic<std::uint64_t> word_{waiting};
  typename Env::parker* const parker_;
  typename Env::template cell<std::exception_ptr> error_{};  // written before FAILED (W3), read after (W4)
};

template <class Env>
class waiter_queue;

// A waiter lives on its owner's stack for one blocking operation (or one case of a select).
template <class Env>
class waiter {
 public:
  waiter(wait_context<Env>& context, void* slot, unsigned case_index = 0) noexcept
      : context_(&context), slot_(slot), case_index_(case_index) {}
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  wait_context<Env>& context() const noexcept { return *context_; }
  // slot() is the value being handed over; only the claimant touches it (INV-2).
  void* slot() const noexcept { return slot_; }
  unsigned case_index() const noexcept { return case_index_; }

 private:
  friend class waiter_queue<Env>;
  wait_context<Env>* const context_;
  void* const slot_;
  const unsigned case_index_;
  // Guarded by the lock of the queue the node is in (INV-4).
  typename Env::template cell<waiter*> prev_{};
  typename Env::template cell<waiter*> next_{};
  typename Env::template cell<bool> linked_{};
};

template <class Env>
class waiter_queue {
 public:
  waiter_queue() = default;
  waiter_queue(const waiter_queue&) = delete;
  waiter_queue& operator=(const waiter_queue&) = delete;

  // push() appends `w` at the tail. Precondition: `w` is in no queue.
  void push(waiter<Env>& w) noexcept {
    lock_.lock();
    push_locked(w);
    lock_.unlock();
  }

  // remove() unlinks `w` if it is still queued and says whether it was. Owners call it after
  // wait() returns; a claimed or skipped node was already unlinked by the completer.
  bool remove(waiter<Env>& w) noexcept {
    lock_.lock();
    const bool was_linked = w.linked_.load();
    if (was_linked) unlink_locked(w);
    lock_.unlock();
    return was_linked;
  }

  // claim_front() takes the oldest waiter whose context it can claim (W1) and returns it unlinked,
  // or nullptr when none can be claimed. Waiters whose context is cancelled or already claimed
  // through another queue are unlinked on the way (INV-5). Waiters of `exclude` (the caller's own
  // select) stay where they are.
  waiter<Env>* claim_front(const wait_context<Env>* exclude = nullptr) noexcept {
    lock_.lock();
    waiter<Env>* w = head_.load();
    while (w != nullptr) {
      waiter<Env>* const next = w->next_.load();
      if (w->context_ != exclude) {
        const bool won = w->context_->try_claim(w->case_index_);
        unlink_locked(*w);
        if (won) {
          lock_.unlock();
          return w;
        }
      }
      w = next;
    }
    lock_.unlock();
    return nullptr;
  }

  // empty() is exact at the moment the lock was held; callers use it under their own protocol.
  bool empty() noexcept {
    lock_.lock();
    const bool result = head_.load() == nullptr;
    lock_.unlock();
    return result;
  }

  // size() counts the queued waiters (cancelled ones not yet removed included); for tests and
  // diagnostics, O(n) under the lock.
  std::size_t size() noexcept {
    lock_.lock();
    std::size_t n = 0;
    for (waiter<Env>* w = head_.load(); w != nullptr; w = w->next_.load()) ++n;
    lock_.unlock();
    return n;
  }

  // drain() unlinks every queued waiter, oldest first, and calls f(waiter&) on each under the
  // lock; f must not call back into this queue. A channel's close() uses it to fail its waiters.
  template <class F>
  void drain(F&& f) noexcept {
    lock_.lock();
    waiter<Env>* w = head_.load();
    while (w != nullptr) {
      waiter<Env>* const next = w->next_.load();
      unlink_locked(*w);
      f(*w);
      w = next;
    }
    lock_.unlock();
  }

 private:
  void push_locked(waiter<Env>& w) noexcept {
    waiter<Env>* const tail = tail_.load();
    w.prev_.store(tail);
    w.next_.store(nullptr);
    w.linked_.store(true);
    if (tail == nullptr) {
      head_.store(&w);
    } else {
      tail->next_.store(&w);
    }
    tail_.store(&w);
  }

  void unlink_locked(waiter<Env>& w) noexcept {
    waiter<Env>* const prev = w.prev_.load();
    waiter<Env>* const next = w.next_.load();
    if (prev == nullptr) {
      head_.store(next);
    } else {
      prev->next_.store(next);
    }
    if (next == nullptr) {
      tail_.store(prev);
    } else {
      next->prev_.store(prev);
    }
    w.linked_.store(false);
  }

  spin_lock<Env> lock_;
  typename Env::template cell<waiter<Env>*> head_{};
  typename Env::template cell<waiter<Env>*> tail_{};
};

}  // namespace gocxx::detail
