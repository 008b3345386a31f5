// gocxx/select.hpp: Go's select statement.
//
//   gocxx::select(
//       gocxx::case_recv(results, [&](std::optional<int> v) { ... }),  // case v, ok := <-results
//       gocxx::case_send(jobs, next_job, [&] { ... }),                // case jobs <- next_job
//       gocxx::case_after(200ms, [&] { std::puts("Timed out!"); }));  // case <-time.After(200ms)
//
// select() blocks until one case can proceed, runs exactly that case's handler, and returns the
// case's position. When several are ready it picks one uniformly at random (Go's rule), so no case
// starves. case_default makes it non-blocking; case_after / case_until give it a deadline (the
// timers of the runtime issue will add channel-based time.After; this is the deadline form).
// select_biased() tries the cases in the order written instead (crossbeam's and many users' ask).
// A nil channel's case is never ready; a select with no cases and no default blocks forever.
// A send case on a closed channel panics with "send on closed channel", as in Go.
//
// ALGORITHM (Go's selectgo, over gocxx's flavors; see detail/chan_impl.hpp and waiter.hpp)
//   pass 1  try each case in random order, fully (its lock-free fast path, then under its own
//           lock), so every ready case has the same chance whatever its flavor; the first that
//           completes wins. With a default (or a deadline already passed), stop here.
//   pass 2  lock the cases' channels in address order (a global order: no deadlock between
//           selects), make their fast paths step aside (prepare_locked, buffered_ring INV-5), and
//           try each case under the locks in the same random order.
//   pass 3  queue one waiter per case, all sharing one wait_context, unlock, and wait. The first
//           completer claims the context by CAS (waiter.hpp INV-1): exactly one case commits;
//           the others are removed from their queues, and a value handed to a case that lost is
//           impossible (the claim precedes any move). A completer whose move threw ends the claim
//           with retry (start over from pass 1) or fail (rethrow): waiter.hpp.
// INVARIANTS
//   INV-1 Exactly one case commits, or none (default / deadline).
//   INV-2 Between the final check (pass 2) and queuing (pass 3) every involved channel stays locked
//         and its fast paths step aside, so no wake-up can fall between them.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "gocxx/chan.hpp"
#include "gocxx/detail/uninit.hpp"
#include "gocxx/detail/waiter.hpp"

namespace gocxx {
namespace detail {

template <class Env>
struct select_slot {
  chan_core<Env>* core;  // nullptr: a nil channel, never ready
  chan_dir dir;
  void* slot;
};

struct select_outcome {
  std::size_t index;  // the case that committed, or the number of channel cases for default/timeout
  chan_status status;
};

// A small, fast generator for the random case order: xorshift64* (Vigna, 2016), per thread.
inline std::uint64_t select_random() noexcept {
  thread_local std::uint64_t state = 0x9E3779B97F4A7C15ull ^ reinterpret_cast<std::uintptr_t>(&state);
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1Dull;
}

// random_below<Env>(n): uniform in [0, n). An Env may supply its own (the model checker makes it a
// choice it explores and replays).
template <class Env>
std::size_t random_below(std::size_t n) noexcept {
  if constexpr (requires { Env::random_below(1u); }) {
    return Env::random_below(static_cast<unsigned>(n));
  } else {
    return static_cast<std::size_t>(select_random() % n);
  }
}

template <class Env>
select_outcome select_run(select_slot<Env>* cases, std::size_t n, std::size_t* order, chan_core<Env>** locks,
                          uninit<waiter<Env>>* waiters, bool has_default, typename Env::clock::time_point deadline,
                          bool biased) {
  using time_point = typename Env::clock::time_point;
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  if (!biased) {
    for (std::size_t i = n; i > 1; --i) {  // Fisher-Yates
      const std::size_t j = random_below<Env>(i);
      std::swap(order[i - 1], order[j]);
    }
  }
  for (;;) {
    // Pass 1: each case in turn, fast path then under its lock, in the random order, so that a
    // ready case of any flavor (or a closed channel) has the same chance.
    for (std::size_t k = 0; k < n; ++k) {
      select_slot<Env>& c = cases[order[k]];
      if (c.core == nullptr) continue;
      chan_status s = c.core->fast_op(c.dir, c.slot, /*patient=*/false);
      if (s == chan_status::would_block) {
        c.core->lock();
        try {
          s = c.core->locked_op(c.dir, c.slot);
        } catch (...) {
          c.core->finish_locked();
          c.core->unlock();
          throw;
        }
        c.core->finish_locked();
        c.core->unlock();
      }
      if (s != chan_status::would_block) return {order[k], s};
    }
    if (has_default || deadline == time_point::min()) return {n, chan_status::would_block};
    // Pass 2: under every channel's lock, in address order.
    std::size_t nlocks = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (cases[i].core != nullptr) locks[nlocks++] = cases[i].core;
    }
    std::sort(locks, locks + nlocks);
    nlocks = static_cast<std::size_t>(std::unique(locks, locks + nlocks) - locks);
    if (nlocks == 0) {  // only nil channels: nothing can ever be ready
      auto& parker = Env::this_parker();
      const wait_reason reason = n == 0 ? wait_reason::select_no_cases : wait_reason::select;
      if (deadline == time_point::max()) {
        for (;;) parker.park(reason);
      }
      while (parker.park_until(deadline, reason)) {
      }
      return {n, chan_status::would_block};
    }
    auto unlock_all = [&](bool finish) noexcept {
      for (std::size_t i = nlocks; i-- > 0;) {
        if (finish) locks[i]->finish_locked();
        locks[i]->unlock();
      }
    };
    for (std::size_t i = 0; i < nlocks; ++i) locks[i]->lock();
    for (std::size_t k = 0; k < n; ++k) {
      select_slot<Env>& c = cases[order[k]];
      if (c.core != nullptr) c.core->prepare_locked(c.dir);
    }
    for (std::size_t k = 0; k < n; ++k) {
      select_slot<Env>& c = cases[order[k]];
      if (c.core == nullptr) continue;
      chan_status s;
      try {
        s = c.core->locked_op(c.dir, c.slot);
      } catch (...) {
        unlock_all(true);
        throw;
      }
      if (s != chan_status::would_block) {
        unlock_all(true);
        return {order[k], s};
      }
    }
    // Pass 3: one waiter per case, one shared context.
    wait_context<Env> ctx(Env::this_parker());
    for (std::size_t i = 0; i < n; ++i) {
      if (cases[i].core == nullptr) continue;
      waiters[i].construct(ctx, cases[i].slot, static_cast<unsigned>(i));
      cases[i].core->queue(cases[i].dir).push(*waiters[i].get());
    }
    unlock_all(false);
    const wait_result r = ctx.wait(deadline, wait_reason::select);
    for (std::size_t i = 0; i < n; ++i) {
      if (cases[i].core == nullptr) continue;
      cases[i].core->lock();
      cases[i].core->queue(cases[i].dir).remove(*waiters[i].get());
      cases[i].core->finish_locked();
      cases[i].core->unlock();
      waiters[i].destroy();
    }
    switch (r.how) {
      case wait_result::status::done: return {r.case_index, r.closed ? chan_status::closed : chan_status::ok};
      case wait_result::status::cancelled: return {n, chan_status::would_block};
      case wait_result::status::failed: std::rethrow_exception(r.error);
      case wait_result::status::retry: break;  // a value could not be moved in: start over
    }
  }
}

// Case objects. Each knows its channel core (or none), its direction and its value slot.
template <class T, class Env, class F>
struct recv_case {
  using env_type = Env;
  static constexpr bool is_channel_case = true;
  chan_core<Env>* core;
  F handler;
  std::optional<T> value{};
  select_slot<Env> slot() { return {core, chan_dir::recv, &value}; }
  void run(chan_status s) {
    if (s == chan_status::closed) value.reset();
    if constexpr (std::is_invocable_v<F&, std::optional<T>>) {
      handler(std::move(value));
    } else {
      handler();
    }
  }
};

template <class T, class Env, class F>
struct send_case {
  using env_type = Env;
  static constexpr bool is_channel_case = true;
  chan_core<Env>* core;
  T value;
  F handler;
  select_slot<Env> slot() { return {core, chan_dir::send, &value}; }
  void run(chan_status s) {
    if (s == chan_status::closed) panic(panic_message::send_on_closed);
    handler();
  }
};

template <class F>
struct default_case {
  static constexpr bool is_channel_case = false;
  static constexpr bool is_default = true;
  F handler;
};

template <class Clock, class F>
struct deadline_case {
  static constexpr bool is_channel_case = false;
  static constexpr bool is_default = false;
  typename Clock::time_point deadline;
  F handler;
};

template <class C>
constexpr bool is_channel_case_v = std::remove_cvref_t<C>::is_channel_case;

// env_of<C>: a channel case's Env; native_env for default/deadline cases (never used for them).
template <class C, bool = is_channel_case_v<C>>
struct env_of {
  using type = native_env;
};
template <class C>
struct env_of<C, true> {
  using type = typename std::remove_cvref_t<C>::env_type;
};
template <class... Cs>
struct first_env {
  using type = native_env;
};
template <class C, class... Cs>
struct first_env<C, Cs...> {
  using type = std::conditional_t<is_channel_case_v<C>, typename env_of<C>::type, typename first_env<Cs...>::type>;
};

template <bool Biased, class... Cases>
std::size_t select_impl(Cases&... cases) {
  using Env = typename first_env<Cases...>::type;
  constexpr std::size_t total = sizeof...(Cases);
  constexpr std::size_t n = (std::size_t{0} + ... + (is_channel_case_v<Cases> ? 1 : 0));
  static_assert(total - n <= 1, "a select takes at most one case_default / case_after / case_until");

  std::array<select_slot<Env>, n> slots{};
  std::array<std::size_t, n> position{};  // channel case k is argument position[k]
  bool has_default = false;
  auto deadline = Env::clock::time_point::max();
  std::size_t other_position = total;
  std::size_t arg = 0, k = 0;
  (
      [&](auto& c) {
        using C = std::remove_cvref_t<decltype(c)>;
        if constexpr (C::is_channel_case) {
          static_assert(std::is_same_v<typename C::env_type, Env>, "all channels of a select share one Env");
          slots[k] = c.slot();
          position[k++] = arg;
        } else if constexpr (C::is_default) {
          has_default = true;
          other_position = arg;
        } else {
          deadline = c.deadline;
          other_position = arg;
        }
        ++arg;
      }(cases),
      ...);

  std::array<std::size_t, n> order{};
  std::array<chan_core<Env>*, n> locks{};
  std::array<uninit<waiter<Env>>, n> waiters;
  const select_outcome out = select_run<Env>(slots.data(), n, order.data(), locks.data(), waiters.data(),
                                             has_default, deadline, Biased);
  const std::size_t chosen = out.index < n ? position[out.index] : other_position;
  if (chosen == total) {  // no default and no deadline, yet nothing committed: cannot happen
    return total;
  }
  arg = 0;
  (
      [&](auto& c) {
        using C = std::remove_cvref_t<decltype(c)>;
        if (arg++ != chosen) return;
        if constexpr (C::is_channel_case) {
          c.run(out.status);
        } else {
          c.handler();
        }
      }(cases),
      ...);
  return chosen;
}

}  // namespace detail

// case_recv(ch, f): `case v, ok := <-ch`. f takes std::optional<T> (empty: closed), or nothing.
template <class Ch, class F>
auto case_recv(const Ch& ch, F f) {
  using T = typename Ch::value_type;
  using Env = typename std::remove_pointer_t<decltype(ch.core())>::env_type;
  return detail::recv_case<T, Env, F>{ch.core(), std::move(f)};
}

// case_send(ch, v, f): `case ch <- v`. The value is moved only if this case commits.
template <class Ch, class V, class F>
auto case_send(const Ch& ch, V&& value, F f) {
  using T = typename Ch::value_type;
  using Env = typename std::remove_pointer_t<decltype(ch.core())>::env_type;
  return detail::send_case<T, Env, F>{ch.core(), T(std::forward<V>(value)), std::move(f)};
}

// case_default(f): `default:` — the select never blocks.
template <class F>
auto case_default(F f) {
  return detail::default_case<F>{std::move(f)};
}

// case_until(t, f) / case_after(d, f): run f if no case could proceed before the deadline.
template <class Clock, class Duration, class F>
auto case_until(std::chrono::time_point<Clock, Duration> deadline, F f) {
  return detail::deadline_case<Clock, F>{std::chrono::time_point_cast<typename Clock::duration>(deadline),
                                         std::move(f)};
}
template <class Rep, class Period, class F>
auto case_after(std::chrono::duration<Rep, Period> timeout, F f) {
  using clock = std::chrono::steady_clock;
  return detail::deadline_case<clock, F>{clock::now() + std::chrono::duration_cast<clock::duration>(timeout),
                                         std::move(f)};
}

// select(cases...) runs exactly one case (uniformly at random among the ready ones) and returns
// its position among the arguments. Blocks (parks the goroutine, or blocks the thread) until a
// case can proceed unless a default or deadline case is given.
template <class... Cases>
std::size_t select(Cases&&... cases) {
  return detail::select_impl<false>(cases...);
}

// select_biased(cases...) is select() that tries the cases in the order written.
template <class... Cases>
std::size_t select_biased(Cases&&... cases) {
  return detail::select_impl<true>(cases...);
}

}  // namespace gocxx
