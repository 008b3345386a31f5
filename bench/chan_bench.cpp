// Channel workloads on gocxx and its peers (bench/README.md: "Channel workloads").
//
// Every benchmark is named WORKLOAD/PEER; gocxx runs through exactly the same harness as each C++
// peer, the Go rows come from bench/go, and bench/compare puts them side by side. The workloads:
//   buffered_spsc        capacity 1024, 1 producer thread + 1 consumer thread; time per item
//   buffered_2p2c        capacity 1024, 2 producer threads + 2 consumer threads; time per item
//   unbuffered_pingpong  a value goes A->B on one channel and back B->A on another; time per round trip
//   try_uncontended      try_send then try_recv on one thread, capacity 1024; time per pair
//   select2_ready        select over two always-ready channels + a send back; gocxx and Go only
// gocxx rows: `gocxx` (make_chan: the lock-free ring, and the locked rendezvous for capacity 0) and
// `gocxx_reference` (make_reference_chan: Go's hchan design, one lock).
//
// Blocking peers (mutex_condvar, boost_fiber, tbb) sleep on full/empty. Spinning peers: atomic_queue
// spins in its own push/pop (pause, no yield); libcds is retried by spin_until, which pauses and
// yields to the OS every kSpinsBeforeYield failed tries so that a spinner does not burn a whole time
// slice while the thread it waits on is descheduled (4 threads on 2 cores). moodycamel is mixed: its consumer blocks (wait_dequeue), its producer spins on try_enqueue
// into the blocks preallocated for capacity 1024 (the queue itself is unbounded; try_enqueue is how it
// is kept bounded, and the bound is approximate: whole blocks of 32).
//
// Items are 1..N (0 is atomic_queue's empty marker); kStop ends a consumer in buffered_2p2c and the
// partner in the ping-pong. Every run counts and sums what was received and fails with
// SkipWithError if anything was lost or duplicated.
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gocxx/chan.hpp>
#include <gocxx/select.hpp>

#include <atomic_queue/atomic_queue.h>
#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/channel_op_status.hpp>
#include <boost/fiber/unbuffered_channel.hpp>
#include <cds/container/vyukov_mpmc_cycle_queue.h>
#include <concurrentqueue/blockingconcurrentqueue.h>
#include <tbb/concurrent_queue.h>

namespace {

using item = std::uint64_t;
constexpr item kStop = std::numeric_limits<item>::max();
constexpr std::size_t kCapacity = 1024;
constexpr unsigned kSpinsBeforeYield = 128;

inline void cpu_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Retry `attempt` until it succeeds: pause between tries, yield now and then.
template <class F>
inline void spin_until(F&& attempt) {
  for (unsigned spins = 0; !attempt(); ++spins) {
    cpu_pause();
    if (spins % kSpinsBeforeYield == kSpinsBeforeYield - 1) std::this_thread::yield();
  }
}

// ---- peers: each has send/recv (block or spin) and try_send/try_recv ---------------------------
// The constructor takes the capacity; capacity 0 asks for a rendezvous channel where the peer has
// one, else its smallest capacity (at most one item is ever in flight in the ping-pong).

// gocxx: make_chan (Reference = false) or make_reference_chan (true). Blocks like Go.
template <bool Reference>
class gocxx_chan {
 public:
  explicit gocxx_chan(std::size_t capacity)
      : ch_(Reference ? gocxx::make_reference_chan<item>(capacity) : gocxx::make_chan<item>(capacity)) {}
  void send(item v) { ch_.send(v); }
  item recv() { return *ch_.recv(); }
  bool try_send(item v) { return ch_.try_send(v); }
  bool try_recv(item& v) {
    std::optional<item> got;
    if (ch_.try_recv(got) != gocxx::recv_state::value) return false;
    v = *got;
    return true;
  }
  gocxx::chan<item>& raw() { return ch_; }

 private:
  gocxx::chan<item> ch_;
};

// A bounded ring (std::deque) under one std::mutex, with a condition variable per direction.
class mutex_condvar {
 public:
  explicit mutex_condvar(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  void send(item v) {
    {
      std::unique_lock lock(m_);
      not_full_.wait(lock, [&] { return q_.size() < capacity_; });
      q_.push_back(v);
    }
    not_empty_.notify_one();
  }
  item recv() {
    item v;
    {
      std::unique_lock lock(m_);
      not_empty_.wait(lock, [&] { return !q_.empty(); });
      v = q_.front();
      q_.pop_front();
    }
    not_full_.notify_one();
    return v;
  }
  bool try_send(item v) {
    {
      std::lock_guard lock(m_);
      if (q_.size() >= capacity_) return false;
      q_.push_back(v);
    }
    not_empty_.notify_one();
    return true;
  }
  bool try_recv(item& v) {
    {
      std::lock_guard lock(m_);
      if (q_.empty()) return false;
      v = q_.front();
      q_.pop_front();
    }
    not_full_.notify_one();
    return true;
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<item> q_;
  std::size_t capacity_;
};

// Boost.Fiber's buffered_channel, used from plain threads (a blocked thread sleeps in the fiber
// scheduler of its main fiber). Its capacity must be a power of two and it holds capacity-1 items.
class boost_fiber {
 public:
  explicit boost_fiber(std::size_t capacity) : ch_(capacity) {}
  void send(item v) { check(ch_.push(v)); }
  item recv() {
    item v = 0;
    check(ch_.pop(v));
    return v;
  }
  bool try_send(item v) { return ch_.try_push(v) == boost::fibers::channel_op_status::success; }
  bool try_recv(item& v) { return ch_.try_pop(v) == boost::fibers::channel_op_status::success; }

 private:
  static void check(boost::fibers::channel_op_status s) {
    if (s != boost::fibers::channel_op_status::success) std::abort();
  }
  boost::fibers::buffered_channel<item> ch_;
};

// Boost.Fiber's unbuffered_channel: a true rendezvous (for the ping-pong).
class boost_fiber_unbuffered {
 public:
  explicit boost_fiber_unbuffered(std::size_t) {}
  void send(item v) {
    if (ch_.push(v) != boost::fibers::channel_op_status::success) std::abort();
  }
  item recv() {
    item v = 0;
    if (ch_.pop(v) != boost::fibers::channel_op_status::success) std::abort();
    return v;
  }

 private:
  boost::fibers::unbuffered_channel<item> ch_;
};

// moodycamel::BlockingConcurrentQueue: consumers block in wait_dequeue; producers spin on
// try_enqueue, which only uses the blocks preallocated for `capacity` items.
class moodycamel_q {
 public:
  explicit moodycamel_q(std::size_t capacity) : q_(capacity == 0 ? 1 : capacity) {}
  void send(item v) {
    spin_until([&] { return q_.try_enqueue(v); });
  }
  item recv() {
    item v = 0;
    q_.wait_dequeue(v);
    return v;
  }
  bool try_send(item v) { return q_.try_enqueue(v); }
  bool try_recv(item& v) { return q_.try_dequeue(v); }

 private:
  moodycamel::BlockingConcurrentQueue<item> q_;
};

// atomic_queue::AtomicQueueB (runtime capacity, rounded up to a power of two, at least 64 for 8-byte
// elements); 0 is its empty marker, which is why items start at 1. send/recv are the library's own
// push/pop: claim a slot with one fetch_add, then spin (pause, never yield) until the slot is free /
// filled. try_push/try_pop read the other side's index on every call, which made send/recv built on
// them ~10x slower in buffered_spsc.
class atomic_queue_q {
 public:
  explicit atomic_queue_q(std::size_t capacity) : q_(static_cast<unsigned>(capacity == 0 ? 1 : capacity)) {}
  void send(item v) { q_.push(v); }
  item recv() { return q_.pop(); }
  bool try_send(item v) { return q_.try_push(v); }
  bool try_recv(item& v) { return q_.try_pop(v); }

 private:
  atomic_queue::AtomicQueueB<item> q_;
};

// oneTBB's concurrent_bounded_queue: push/pop block when full/empty.
class tbb_q {
 public:
  explicit tbb_q(std::size_t capacity) { q_.set_capacity(static_cast<std::ptrdiff_t>(capacity == 0 ? 1 : capacity)); }
  void send(item v) { q_.push(v); }
  item recv() {
    item v = 0;
    q_.pop(v);
    return v;
  }
  bool try_send(item v) { return q_.try_push(v); }
  bool try_recv(item& v) { return q_.try_pop(v); }

 private:
  tbb::concurrent_bounded_queue<item> q_;
};

// libcds' VyukovMPMCCycleQueue: a bounded array queue without garbage collector, so it needs no
// cds::Initialize() or thread attach. Capacity a power of two, at least 2. Spins.
class libcds_q {
 public:
  explicit libcds_q(std::size_t capacity) : q_(capacity < 2 ? 2 : capacity) {}
  void send(item v) {
    spin_until([&] { return q_.enqueue(v); });
  }
  item recv() {
    item v = 0;
    spin_until([&] { return q_.dequeue(v); });
    return v;
  }
  bool try_send(item v) { return q_.enqueue(v); }
  bool try_recv(item& v) { return q_.dequeue(v); }

 private:
  cds::container::VyukovMPMCCycleQueue<item> q_;
};

// ---- workloads ---------------------------------------------------------------------------------

struct tally {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;  // wraps modulo 2^64 for huge N, the same way on both sides
};

void verify(benchmark::State& state, const tally& got, std::uint64_t n) {
  const std::uint64_t want_sum = n % 2 == 0 ? (n / 2) * (n + 1) : n * ((n + 1) / 2);
  if (got.count != n || got.sum != want_sum) {
    state.SkipWithError(("lost or duplicated items: received " + std::to_string(got.count) + " of " +
                         std::to_string(n) + ", sum " + std::to_string(got.sum) + " want " +
                         std::to_string(want_sum))
                            .c_str());
  }
}

// P producers send 1..N between them (interleaved by stride). One consumer receives exactly N
// items; with several, each producer ends with one kStop and each consumer stops at its first kStop
// (needs P == C). That is correct even for moodycamel, which is FIFO only per producer: both stops
// taken means each producer's items before its stop were taken too.
// All threads exist before the timer starts and wait for `go`; one batch of N iterations is timed.
template <class Chan>
void run_buffered(benchmark::State& state, int producers, int consumers) {
  if (consumers > 1 && producers != consumers) std::abort();
  const std::uint64_t n = static_cast<std::uint64_t>(state.max_iterations);
  Chan ch(kCapacity);
  std::atomic<bool> go{false};
  std::vector<tally> tallies(static_cast<std::size_t>(consumers));
  std::vector<std::thread> threads;
  auto wait_go = [&] {
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  };
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      wait_go();
      for (std::uint64_t v = static_cast<std::uint64_t>(p) + 1; v <= n; v += static_cast<std::uint64_t>(producers)) ch.send(v);
      if (consumers > 1) ch.send(kStop);
    });
  }
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&, c] {
      wait_go();
      tally t;
      if (consumers == 1) {
        for (std::uint64_t i = 0; i < n; ++i) {
          const item v = ch.recv();
          ++t.count;
          t.sum += v;
        }
      } else {
        for (;;) {
          const item v = ch.recv();
          if (v == kStop) break;
          ++t.count;
          t.sum += v;
        }
      }
      tallies[static_cast<std::size_t>(c)] = t;
    });
  }
  while (state.KeepRunningBatch(state.max_iterations)) {
    go.store(true, std::memory_order_release);
    for (auto& t : threads) t.join();
  }
  tally total;
  for (const auto& t : tallies) {
    total.count += t.count;
    total.sum += t.sum;
  }
  verify(state, total, n);
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
}

template <class Chan>
void buffered_spsc(benchmark::State& state) {
  run_buffered<Chan>(state, 1, 1);
}

template <class Chan>
void buffered_2p2c(benchmark::State& state) {
  run_buffered<Chan>(state, 2, 2);
}

// The benchmark thread sends i on `ping` and waits for it on `pong`; the partner echoes. One
// iteration is one round trip. The partner thread lives for the whole run.
template <class Chan>
void unbuffered_pingpong(benchmark::State& state) {
  Chan ping(0), pong(0);
  std::thread partner([&] {
    for (;;) {
      const item v = ping.recv();
      if (v == kStop) return;
      pong.send(v);
    }
  });
  tally t;
  item next = 1;
  for (auto _ : state) {
    ping.send(next);
    const item v = pong.recv();
    if (v == next) {
      ++t.count;
      t.sum += v;
    }
    ++next;
  }
  ping.send(kStop);
  partner.join();
  verify(state, t, next - 1);
}

// try_send immediately followed by try_recv on one thread; both must succeed.
template <class Chan>
void try_uncontended(benchmark::State& state) {
  Chan ch(kCapacity);
  tally t;
  item next = 1;
  for (auto _ : state) {
    item v = 0;
    if (ch.try_send(next) && ch.try_recv(v) && v == next) {
      ++t.count;
      t.sum += v;
    }
    ++next;
  }
  verify(state, t, next - 1);
}

// select2_ready (gocxx only among the C++ peers): two buffered channels that always hold items; a
// select receives from either, then sends the value back to its channel. Both cases must be chosen.
void select2_ready_gocxx(benchmark::State& state) {
  auto a = gocxx::make_chan<item>(kCapacity), c = gocxx::make_chan<item>(kCapacity);
  for (std::size_t i = 0; i < kCapacity / 2; ++i) {
    a.send(1);
    c.send(1);
  }
  std::uint64_t from_a = 0, from_c = 0, n = 0;
  for (auto _ : state) {
    gocxx::select(gocxx::case_recv(a,
                                   [&](std::optional<item> v) {
                                     from_a += *v;
                                     a.send(*v);
                                   }),
                  gocxx::case_recv(c, [&](std::optional<item> v) {
                    from_c += *v;
                    c.send(*v);
                  }));
    ++n;
  }
  if (from_a + from_c != n || (n >= 100 && (from_a == 0 || from_c == 0))) {
    state.SkipWithError("select: lost values, or a case was never chosen");
  }
}

}  // namespace

// Names are workload/peer: bench/compare groups by workload and divides by the gocxx row.
#define CHAN_PEER(peer, chan, pingpong_chan)                                                       \
  BENCHMARK(buffered_spsc<chan>)->Name("buffered_spsc/" peer)->UseRealTime();                     \
  BENCHMARK(buffered_2p2c<chan>)->Name("buffered_2p2c/" peer)->UseRealTime();                     \
  BENCHMARK(unbuffered_pingpong<pingpong_chan>)->Name("unbuffered_pingpong/" peer)->UseRealTime(); \
  BENCHMARK(try_uncontended<chan>)->Name("try_uncontended/" peer)->UseRealTime()

CHAN_PEER("gocxx", gocxx_chan<false>, gocxx_chan<false>);
CHAN_PEER("gocxx_reference", gocxx_chan<true>, gocxx_chan<true>);
BENCHMARK(select2_ready_gocxx)->Name("select2_ready/gocxx")->UseRealTime();
CHAN_PEER("mutex_condvar", mutex_condvar, mutex_condvar);
CHAN_PEER("boost_fiber", boost_fiber, boost_fiber_unbuffered);
CHAN_PEER("moodycamel", moodycamel_q, moodycamel_q);
CHAN_PEER("atomic_queue", atomic_queue_q, atomic_queue_q);
CHAN_PEER("tbb", tbb_q, tbb_q);
CHAN_PEER("libcds", libcds_q, libcds_q);

BENCHMARK_MAIN();
