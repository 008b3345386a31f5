// split_sum: the seed's sum over a channel (A Tour of Go, "Channels").
//
//   c := make(chan int)
//   go sum(a[:len(a)/2], c)
//   go sum(a[len(a)/2:], c)
//   x, y := <-c, <-c
//   fmt.Println(x, y, x+y)   // -5 17 12
//
// Go construct: an unbuffered channel carrying results back from two concurrent workers. Here the
// workers are plain std::threads; the goroutine runtime issue makes them goroutines.
#include <cstdio>
#include <span>
#include <thread>
#include <vector>

#include "gocxx/chan.hpp"

void sum(std::span<const int> values, gocxx::send_chan<int> c) {
  int total = 0;
  for (int v : values) total += v;
  c.send(total);  // blocks until main receives it
}

int main() {
  const std::vector<int> a = {7, 2, 8, -9, 4, 0};
  auto c = gocxx::make_chan<int>();
  const std::span<const int> all(a);
  std::thread first(sum, all.first(a.size() / 2), c);
  std::thread second(sum, all.subspan(a.size() / 2), c);
  const int x = *c.recv(), y = *c.recv();
  std::printf("%d %d %d\n", x, y, x + y);
  first.join();
  second.join();
}
