// gocxx/chan.hpp: Go's channels.
//
//   auto ch = gocxx::make_chan<int>();      // make(chan int): unbuffered, a rendezvous
//   auto jobs = gocxx::make_chan<job>(64);  // make(chan job, 64): buffered
//   ch.send(1);                             // ch <- 1       (blocks until a receiver takes it)
//   std::optional<int> v = ch.recv();       // v, ok := <-ch (empty once closed and drained)
//   for (int x : jobs) { ... }              // for x := range jobs
//   ch.close();                             // close(ch)
//
// chan<T> is a cheap handle with shared ownership, like Go's reference to an hchan; copies name
// the same channel and compare equal. A default-constructed chan is nil: send and receive on it
// block forever, close panics. send_chan<T> and recv_chan<T> are Go's `chan<- T` and `<-chan T`;
// a chan<T> converts to either.
//
// Flavors behind the one type (each file opens with its algorithm):
//   capacity 0                      detail/locked_chan.hpp   rendezvous: hand-off under a short lock
//   capacity > 0, nothrow-movable T detail/buffered_ring.hpp lock-free MPMC ring + Go's slow path
//   capacity > 0, throwing move     detail/locked_chan.hpp   Go's hchan (a failed move is undone)
// reference_chan<T>(n) always uses locked_chan: the oracle for differential tests and benchmarks.
//
// Blocking: from a plain thread an operation that must wait blocks the thread (brief spin, then a
// futex); on a goroutine it parks only the goroutine (the runtime's park hooks).
//
// Misuse gets Go's panic, as gocxx::panic_error: "send on closed channel" (also for senders that
// were blocked when close came), "close of closed channel", "close of nil channel".
//
// Exceptions: send(const T&) copies before the operation starts, so a throwing copy changes
// nothing. Buffered channels of a T whose move may throw use the locked flavor, where a failed move
// is undone: the exception reaches the caller and no value is lost or duplicated.
#pragma once

#include <chrono>
#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include "gocxx/detail/buffered_ring.hpp"
#include "gocxx/detail/chan_impl.hpp"
#include "gocxx/detail/locked_chan.hpp"
#include "gocxx/env.hpp"
#include "gocxx/panic.hpp"

namespace gocxx {

// What a non-blocking or timed receive found.
enum class recv_state : unsigned char {
  value,   // a value was received
  empty,   // nothing now (try_recv) or nothing before the deadline (recv_until)
  closed,  // the channel is closed and drained
};

template <class T, env Env>
class basic_chan;
template <class T, env Env>
class basic_send_chan;
template <class T, env Env>
class basic_recv_chan;

namespace detail {

struct adopt_t {
  explicit adopt_t() = default;
};
inline constexpr adopt_t adopt{};

// chan_handle owns one reference to a channel's shared state (nullptr: the nil channel).
template <class T, class Env>
class chan_handle {
 public:
  using clock = typename Env::clock;
  using time_point = typename clock::time_point;

  chan_handle() noexcept = default;
  explicit chan_handle(chan_core<Env>* core) noexcept : core_(core) {}
  chan_handle(const chan_handle& other) noexcept : core_(other.core_) {
    if (core_) core_->retain();
  }
  chan_handle(chan_handle&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  chan_handle& operator=(chan_handle other) noexcept {
    std::swap(core_, other.core_);
    return *this;
  }
  ~chan_handle() {
    if (core_ && core_->release()) Env::destroy(core_);
  }

  chan_core<Env>* core() const noexcept { return core_; }

  // --- sending --------------------------------------------------------------------------------------
  void send_value(T& value) {
    if (!core_) block_forever(wait_reason::chan_send_nil);
    check_send(core_->op(chan_dir::send, &value, chan_core<Env>::forever));
  }
  bool try_send_value(T& value) {
    if (!core_) return false;
    return check_send(core_->op(chan_dir::send, &value, chan_core<Env>::no_wait));
  }
  bool send_value_until(T& value, time_point deadline) {
    if (!core_) return wait_until(deadline, wait_reason::chan_send_nil);
    return check_send(core_->op(chan_dir::send, &value, deadline));
  }

  // --- receiving ------------------------------------------------------------------------------------
  recv_state recv_into(std::optional<T>& out, time_point deadline) {
    if (!core_) {
      if (deadline == chan_core<Env>::forever) block_forever(wait_reason::chan_receive_nil);
      wait_until(deadline, wait_reason::chan_receive_nil);
      return recv_state::empty;
    }
    switch (core_->op(chan_dir::recv, &out, deadline)) {
      case chan_status::ok: return recv_state::value;
      case chan_status::closed: return recv_state::closed;
      default: return recv_state::empty;
    }
  }

  void close() {
    if (!core_) panic(panic_message::close_of_nil);
    core_->close();
  }
  std::size_t size() const noexcept { return core_ ? core_->size() : 0; }
  std::size_t capacity() const noexcept { return core_ ? core_->capacity() : 0; }

 private:
  static bool check_send(chan_status s) {
    if (s == chan_status::closed) panic(panic_message::send_on_closed);
    return s == chan_status::ok;
  }
  // A nil channel never becomes ready: park until the deadline (false), or forever.
  static bool wait_until(time_point deadline, wait_reason reason) {
    if (deadline == chan_core<Env>::forever) block_forever(reason);
    auto& parker = Env::this_parker();
    while (parker.park_until(deadline, reason)) {
    }
    return false;
  }
  [[noreturn]] static void block_forever(wait_reason reason) {
    auto& parker = Env::this_parker();
    for (;;) parker.park(reason);  // permits are stale by definition: nobody can complete us
  }

  chan_core<Env>* core_ = nullptr;
};

template <class T, class Env>
chan_core<Env>* new_chan_core(std::size_t capacity, bool reference) {
  if (capacity == 0 || reference || !std::is_nothrow_move_constructible_v<T>) {
    return Env::template create<locked_chan<T, Env>>(capacity);
  }
  if constexpr (std::is_nothrow_move_constructible_v<T>) {
    return Env::template create<buffered_ring<T, Env>>(capacity);
  }
  return nullptr;
}

// The operations shared by chan and its direction-restricted views, written once (CRTP).
template <class Derived, class T, class Env>
class send_ops {
 public:
  using clock = typename Env::clock;

  // send() delivers `value`, blocking until a receiver or buffer room takes it.
  // Panics with "send on closed channel" if the channel is or becomes closed.
  void send(const T& value) {
    T copy(value);  // a throwing copy happens before the operation starts
    handle().send_value(copy);
  }
  void send(T&& value) { handle().send_value(value); }

  // try_send() sends iff it can without waiting and returns whether it did; it never parks
  // (Go's select with a default case). Panics on a closed channel, as Go's select does.
  bool try_send(const T& value) {
    T copy(value);
    return handle().try_send_value(copy);
  }
  bool try_send(T&& value) { return handle().try_send_value(value); }

  // send_until()/send_for() wait at most until the deadline; false: timed out, nothing sent.
  bool send_until(const T& value, typename clock::time_point deadline) {
    T copy(value);
    return handle().send_value_until(copy, deadline);
  }
  bool send_until(T&& value, typename clock::time_point deadline) { return handle().send_value_until(value, deadline); }
  template <class Rep, class Period>
  bool send_for(const T& value, std::chrono::duration<Rep, Period> timeout) {
    return send_until(value, clock::now() + timeout);
  }
  template <class Rep, class Period>
  bool send_for(T&& value, std::chrono::duration<Rep, Period> timeout) {
    return send_until(std::move(value), clock::now() + timeout);
  }

  // close() marks the channel closed: receivers drain what is buffered, then get empty; blocked
  // and later senders panic. Panics on a closed ("close of closed channel") or nil channel.
  void close() { handle().close(); }

 private:
  chan_handle<T, Env>& handle() { return static_cast<Derived*>(this)->handle_; }
};

template <class Derived, class T, class Env>
class recv_ops {
 public:
  using clock = typename Env::clock;

  // recv() returns the next value, blocking until one comes; empty once the channel is closed and
  // drained (Go's `v, ok := <-ch` with ok == false).
  std::optional<T> recv() {
    std::optional<T> out;
    handle().recv_into(out, chan_core<Env>::forever);
    return out;
  }

  // try_recv() never parks: a value if one is ready now, else empty.
  std::optional<T> try_recv() {
    std::optional<T> out;
    handle().recv_into(out, chan_core<Env>::no_wait);
    return out;
  }
  // This overload also tells "nothing now" (empty) from "closed and drained" (closed).
  recv_state try_recv(std::optional<T>& out) { return handle().recv_into(out, chan_core<Env>::no_wait); }

  // recv_until()/recv_for() wait at most until the deadline.
  recv_state recv_until(std::optional<T>& out, typename clock::time_point deadline) {
    return handle().recv_into(out, deadline);
  }
  std::optional<T> recv_until(typename clock::time_point deadline) {
    std::optional<T> out;
    handle().recv_into(out, deadline);
    return out;
  }
  template <class Rep, class Period>
  std::optional<T> recv_for(std::chrono::duration<Rep, Period> timeout) {
    return recv_until(clock::now() + timeout);
  }
  template <class Rep, class Period>
  recv_state recv_for(std::optional<T>& out, std::chrono::duration<Rep, Period> timeout) {
    return recv_until(out, clock::now() + timeout);
  }

  // Range-for receives until the channel is closed and drained: `for (T v : ch)`.
  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::input_iterator_tag;
    iterator() = default;
    explicit iterator(chan_handle<T, Env>* h) : handle_(h) { ++*this; }
    T& operator*() { return *current_; }
    iterator& operator++() {
      current_.reset();
      handle_->recv_into(current_, chan_core<Env>::forever);
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return !current_.has_value(); }

   private:
    chan_handle<T, Env>* handle_ = nullptr;
    std::optional<T> current_;
  };
  iterator begin() { return iterator(&handle()); }
  std::default_sentinel_t end() const { return {}; }

 private:
  chan_handle<T, Env>& handle() { return static_cast<Derived*>(this)->handle_; }
};

}  // namespace detail

// basic_chan<T, Env>: a bidirectional channel; gocxx::chan<T> is basic_chan<T, native_env>.
template <class T, env Env>
class basic_chan : public detail::send_ops<basic_chan<T, Env>, T, Env>,
                   public detail::recv_ops<basic_chan<T, Env>, T, Env> {
 public:
  using value_type = T;
  using detail::recv_ops<basic_chan, T, Env>::begin;
  using detail::recv_ops<basic_chan, T, Env>::end;

  basic_chan() noexcept = default;  // the nil channel

  std::size_t size() const noexcept { return handle_.size(); }          // len(ch): a snapshot
  std::size_t capacity() const noexcept { return handle_.capacity(); }  // cap(ch)
  explicit operator bool() const noexcept { return handle_.core() != nullptr; }  // not nil
  friend bool operator==(const basic_chan& a, const basic_chan& b) noexcept { return a.core() == b.core(); }

  detail::chan_core<Env>* core() const noexcept { return handle_.core(); }

 private:
  friend class detail::send_ops<basic_chan, T, Env>;
  friend class detail::recv_ops<basic_chan, T, Env>;
  friend class basic_send_chan<T, Env>;
  friend class basic_recv_chan<T, Env>;
  detail::chan_handle<T, Env> handle_;

 public:
  // Adopts a freshly created channel state (make_basic_chan uses it).
  basic_chan(detail::adopt_t, detail::chan_core<Env>* core) noexcept : handle_(core) {}
};

// basic_send_chan: Go's `chan<- T`, a view that can only send (and close).
template <class T, env Env>
class basic_send_chan : public detail::send_ops<basic_send_chan<T, Env>, T, Env> {
 public:
  using value_type = T;
  basic_send_chan() noexcept = default;
  basic_send_chan(const basic_chan<T, Env>& ch) noexcept : handle_(ch.handle_) {}  // NOLINT: implicit, like Go
  std::size_t size() const noexcept { return handle_.size(); }
  std::size_t capacity() const noexcept { return handle_.capacity(); }
  explicit operator bool() const noexcept { return handle_.core() != nullptr; }
  friend bool operator==(const basic_send_chan& a, const basic_send_chan& b) noexcept { return a.core() == b.core(); }
  detail::chan_core<Env>* core() const noexcept { return handle_.core(); }

 private:
  friend class detail::send_ops<basic_send_chan, T, Env>;
  detail::chan_handle<T, Env> handle_;
};

// basic_recv_chan: Go's `<-chan T`, a view that can only receive.
template <class T, env Env>
class basic_recv_chan : public detail::recv_ops<basic_recv_chan<T, Env>, T, Env> {
 public:
  using value_type = T;
  basic_recv_chan() noexcept = default;
  basic_recv_chan(const basic_chan<T, Env>& ch) noexcept : handle_(ch.handle_) {}  // NOLINT: implicit, like Go
  std::size_t size() const noexcept { return handle_.size(); }
  std::size_t capacity() const noexcept { return handle_.capacity(); }
  explicit operator bool() const noexcept { return handle_.core() != nullptr; }
  friend bool operator==(const basic_recv_chan& a, const basic_recv_chan& b) noexcept { return a.core() == b.core(); }
  detail::chan_core<Env>* core() const noexcept { return handle_.core(); }

 private:
  friend class detail::recv_ops<basic_recv_chan, T, Env>;
  detail::chan_handle<T, Env> handle_;
};

// make_basic_chan<T, Env>(capacity): the channel for any Env (the model checker uses verify::env).
// `reference` selects the lock-based reference flavor whatever the capacity.
template <class T, env Env>
basic_chan<T, Env> make_basic_chan(std::size_t capacity, bool reference = false) {
  return basic_chan<T, Env>(detail::adopt, detail::new_chan_core<T, Env>(capacity, reference));
}

template <class T>
using chan = basic_chan<T, native_env>;
template <class T>
using send_chan = basic_send_chan<T, native_env>;
template <class T>
using recv_chan = basic_recv_chan<T, native_env>;

// make_chan<T>() is make(chan T); make_chan<T>(n) is make(chan T, n).
template <class T>
chan<T> make_chan(std::size_t capacity = 0) {
  return make_basic_chan<T, native_env>(capacity);
}

// make_reference_chan<T>(n): the same semantics through the lock-based reference flavor.
template <class T>
chan<T> make_reference_chan(std::size_t capacity = 0) {
  return make_basic_chan<T, native_env>(capacity, /*reference=*/true);
}

}  // namespace gocxx
