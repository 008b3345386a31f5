// hello_handoff: the parking core at work between two plain threads.
//
// Go construct: an unbuffered channel's hand-off (`ch <- v` waits until `<-ch` takes it). Here a
// producer thread blocks with each value in a waiter until the consumer thread claims it, the
// protocol every gocxx channel uses on its slow path (DESIGN.md §3).
#include <cstdio>
#include <thread>

#include "gocxx/detail/waiter.hpp"
#include "gocxx/env.hpp"

int main() {
  using env = gocxx::native_env;
  gocxx::detail::waiter_queue<env> senders;
  constexpr int count = 100;

  std::thread consumer([&] {
    long sum = 0;
    bool in_order = true;
    for (int expected = 1; expected <= count; ++expected) {
      gocxx::detail::waiter<env>* w;
      while ((w = senders.claim_front()) == nullptr) env::yield();
      const int v = *static_cast<int*>(w->slot());
      in_order = in_order && v == expected;
      sum += v;
      w->context().complete(/*closed=*/false);  // the sender may return now
      if (v % 25 == 0) std::printf("consumer: got %d\n", v);
    }
    std::printf("consumer received %d values, sum %ld, %s\n", count, sum, in_order ? "in order" : "OUT OF ORDER");
  });

  for (int v = 1; v <= count; ++v) {
    int value = v;
    gocxx::detail::wait_context<env> ctx(env::this_parker());
    gocxx::detail::waiter<env> w(ctx, &value);
    senders.push(w);
    ctx.wait(env::clock::time_point::max(), gocxx::wait_reason::chan_send);  // returns once taken
  }
  consumer.join();
  return 0;
}
