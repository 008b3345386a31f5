// A program outside the gocxx tree, built against an installed gocxx: one thread hands values to
// another through the public parking core.
#include <gocxx/detail/waiter.hpp>
#include <gocxx/env.hpp>

#include <cstdio>
#include <thread>

int main() {
  using env = gocxx::native_env;
  gocxx::detail::waiter_queue<env> queue;
  long sum = 0;
  int handed = 0;
  std::thread receiver([&] {
    for (int i = 0; i < 1000; ++i) {
      gocxx::detail::waiter<env>* w = nullptr;
      while ((w = queue.claim_front()) == nullptr) env::yield();
      sum += *static_cast<int*>(w->slot());
      ++handed;
      w->context().complete(false);
    }
  });
  for (int i = 1; i <= 1000; ++i) {
    int value = i;
    gocxx::detail::wait_context<env> ctx(env::this_parker());
    gocxx::detail::waiter<env> w(ctx, &value);
    queue.push(w);
    ctx.wait(env::clock::time_point::max(), gocxx::wait_reason::chan_send);
  }
  receiver.join();
  if (sum != 500500) return 1;
  std::printf("consumer: handed %d values through a waiter queue\n", handed);
  return 0;
}
