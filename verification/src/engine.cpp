// verification/src/engine.cpp: the stateless model checker behind gocxx::verify.
//
// WHAT. A Relacy-style checker (Dmitry Vyukov's Relacy Race Detector; also CDSChecker, Norris &
// Demsky, OOPSLA 2013, and tokio's loom): the test is re-executed from scratch many times; each
// execution is one path through a tree of choices (which thread runs next, which store a load
// reads, whether a weak CAS fails spuriously, whether a timed wait times out). Model threads are
// stackful contexts (Boost.Context fcontext) and only one runs at a time; each operation on an
// instrumented object is a scheduling point where the checker takes control. The idea of the
// design is Relacy's; the code is our own.
//
// MEMORY MODEL (C++20, without load buffering: a load reads a store that already executed)
//   - each atomic keeps its last `history` stores in modification order (mo = execution order);
//   - every event carries its thread's vector clock entry; happens-before is clock comparison;
//   - a load may read store s unless some later store s' (or a load that read s') is
//     coherence-ordered before it: s' or a reader of s' happens-before the load (CoWR, CoRR);
//   - seq_cst: S is the execution order of seq_cst operations and fences. A load B may not read a
//     store s if a later store A (or a reader of A) is ordered before B by [atomics.order] p4:
//     A seq_cst and B seq_cst; A hb an earlier seq_cst fence and B seq_cst; a seq_cst fence X hb B
//     and A seq_cst earlier than X in S; or A hb a seq_cst fence Y that precedes such an X;
//   - release/acquire through per-store "sync" clocks: a release store carries the writer's clock,
//     a relaxed store the clock of the writer's last release fence, and an RMW joins the clock of
//     the store it read (C++20 release sequences: RMWs only). An acquire load joins the sync clock;
//     a relaxed load joins it into a pending clock that the thread's next acquire fence takes;
//   - RMWs (including failed CAS) read the latest store.
//
// INVARIANTS
//   INV-1 Only one model thread runs at a time; it runs from one scheduling point to the next.
//   INV-2 Every choice goes through choose(); the sequence of choices with more than one option
//         determines the execution (that sequence is the replay token).
//   INV-3 After a failure the failing thread never runs again: its stack is abandoned, never
//         unwound (noexcept frames of the primitives must not see an exception).
//
// SLEEP SETS (exhaustive, options.sleep_sets, off by default): every scheduling point first records
// the thread's next operation (set_pending); a thread explored at a node sleeps in the node's later
// branches until a dependent operation runs (dependent()); when all enabled threads sleep, the
// execution is cut. The trail stores only the non-sleeping options; the token still stores the
// index among all enabled threads, so replays do not depend on the reduction.
#include <algorithm>
#include <array>
#include <boost/context/detail/fcontext.hpp>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gocxx/verify/env.hpp"

namespace gocxx::verify {

const char* to_string(failure f) noexcept {
  switch (f) {
    case failure::none: return "none";
    case failure::assertion: return "assertion";
    case failure::invariant: return "invariant";
    case failure::data_race: return "data race";
    case failure::deadlock: return "deadlock";
    case failure::livelock: return "livelock";
    case failure::leak: return "leak";
    case failure::double_free: return "double free";
    case failure::use_after_free: return "use after free";
    case failure::nondeterminism: return "nondeterminism";
  }
  return "?";
}

const char* to_string(strategy s) noexcept {
  switch (s) {
    case strategy::random: return "random";
    case strategy::bounded: return "bounded";
    case strategy::exhaustive: return "exhaustive";
    case strategy::pct: return "pct";
  }
  return "?";
}

namespace detail {
namespace {

namespace ctx = boost::context::detail;

constexpr unsigned max_slots = 8;  // model threads plus the main context
constexpr unsigned max_history = 16;
constexpr std::uint64_t no_pos = UINT64_MAX;
constexpr std::size_t stack_size = 256 * 1024;

struct vclock {
  std::array<std::uint32_t, max_slots> c{};
  void join(const vclock& o) noexcept {
    for (unsigned i = 0; i < max_slots; ++i) c[i] = std::max(c[i], o.c[i]);
  }
  std::uint32_t& operator[](unsigned i) noexcept { return c[i]; }
  std::uint32_t operator[](unsigned i) const noexcept { return c[i]; }
};

struct store_entry {
  std::uint64_t value = 0;
  std::uint64_t pos = 0;              // position in the execution order (S for seq_cst)
  std::uint64_t sc_obs_pos = no_pos;  // earliest seq_cst event that wrote or read this store
  vclock sync;                        // what an acquire reading this store synchronises with
  vclock obs;                         // per thread: clock of its first event writing/reading this store
  std::uint32_t step = 0;             // trace step of the store
};

enum class loc_kind : std::uint8_t { atomic, cell };

struct location {
  loc_kind kind = loc_kind::atomic;
  bool alive = true;
  unsigned size = 0;
  const void* addr = nullptr;
  std::source_location site;
  // atomic: modification order [first_mo, first_mo + count)
  std::array<store_entry, max_history> ring;
  std::uint32_t first_mo = 0, count = 0;
  vclock access;  // per thread: clock of its latest access (destruction must follow them all)
  // cell: FastTrack epochs
  std::uint8_t w_tid = 0;
  std::uint32_t w_clock = 0;
  std::source_location w_site;
  vclock reads;
  std::array<std::source_location, max_slots> read_sites{};
  // destruction
  std::uint8_t freed_tid = 0;
  std::source_location freed_site;

  store_entry& at(std::uint32_t mo) noexcept { return ring[mo % max_history]; }
  std::uint32_t last() const noexcept { return first_mo + count - 1; }
};

struct sc_fence {
  unsigned tid;
  std::uint32_t clock;
  std::uint64_t pos;
  vclock vc;
};

enum class status : std::uint8_t { runnable, blocked, finished };

// The next operation of a thread, as far as partial-order reduction needs it (see "sleep sets").
enum class op_kind : std::uint8_t { none, read, write, fence, spin, global };
struct pending_op {
  const void* addr = nullptr;
  op_kind kind = op_kind::global;  // unknown: dependent with everything
  bool sc = false;
};

struct model_thread {
  ctx::fcontext_t fc = nullptr;
  std::unique_ptr<char[]> stack;
  vclock vc, acq_pending, rel_fence;
  status st = status::finished;
  bool spinning = false;     // after spin_hint/yield: disabled until another thread writes
  // Fairness for spin loops: a location read stale in one turn (spin to spin) is read at its latest
  // store in the next turn, so a spin-wait sees a store eventually (loads of other locations may
  // still be stale).
  std::array<std::uint32_t, 8> stale_now{}, stale_prev{};
  unsigned n_stale_now = 0, n_stale_prev = 0;
  bool saw_stale = false;    // a load since the last spin read an older store (or a CAS failed spuriously)
  // The atomics this thread touched in its current turn (spin to spin), each with the newest mo
  // index it saw; at a spin they become the wait set: only a write to one of them re-enables it.
  struct touched {
    std::uint32_t id, seen_last;
  };
  std::array<touched, 16> turn{}, waits{};
  unsigned n_turn = 0, n_waits = 0;
  bool turn_dirty = false;  // another thread wrote a touched atomic between two of our touches
  bool timed = false;        // blocked with a deadline: the checker may time it out
  std::uint32_t blocked_on = 0;
  futex_result wake = futex_result::woken;
  unsigned priority = 0;  // pct
  pending_op pending;     // the operation it will perform when next scheduled
};

enum class ev : std::uint8_t {
  init, load, store, exchange, cas_ok, cas_fail, fetch_add, fetch_sub, fetch_and, fetch_or, fetch_xor,
  fence, spin, yield, futex_block, futex_changed, futex_woken, futex_timeout, futex_wake,
  cell_read, cell_write, create, destroy, finish, fail
};

const char* ev_name(ev e) {
  static const char* names[] = {"init", "load", "store", "exchange", "cas ok", "cas fail", "fetch_add",
                                "fetch_sub", "fetch_and", "fetch_or", "fetch_xor", "fence", "spin_hint",
                                "yield", "futex_wait: sleeps", "futex_wait: value changed", "futex_wait: woken",
                                "futex_wait: TIMED OUT", "futex_wake", "cell read", "cell write", "create",
                                "destroy", "thread finished", "FAILURE"};
  return names[static_cast<unsigned>(e)];
}

struct event {
  std::uint64_t value = 0, value2 = 0;
  const void* addr = nullptr;
  std::source_location site;
  std::uint32_t loc_id = UINT32_MAX;
  std::uint32_t rf_mo = 0, rf_last = 0;  // loads: the store read (mo index) and the latest then
  std::uint8_t tid = 0;
  ev kind = ev::init;
  std::memory_order order = std::memory_order_relaxed;
  bool has_value = false, is_read = false, has_order = false;
};

struct allocation {
  void* p;
  std::size_t size;
  const char* type;
  std::source_location site;
  std::uint8_t tid;
  bool live;
};

bool is_acquire(std::memory_order o) {
  return o == std::memory_order_acquire || o == std::memory_order_acq_rel || o == std::memory_order_seq_cst ||
         o == std::memory_order_consume;
}
bool is_release(std::memory_order o) {
  return o == std::memory_order_release || o == std::memory_order_acq_rel || o == std::memory_order_seq_cst;
}
const char* order_name(std::memory_order o) {
  switch (o) {
    case std::memory_order_relaxed: return "relaxed";
    case std::memory_order_consume: return "consume";
    case std::memory_order_acquire: return "acquire";
    case std::memory_order_release: return "release";
    case std::memory_order_acq_rel: return "acq_rel";
    case std::memory_order_seq_cst: return "seq_cst";
  }
  return "?";
}

std::string short_file(const char* f) {
  std::string s(f);
  std::size_t cut = s.rfind('/');
  if (cut != std::string::npos && cut > 0) {
    const std::size_t prev = s.rfind('/', cut - 1);
    if (prev != std::string::npos) s = s.substr(prev + 1);
  }
  return s;
}

std::string site_str(const std::source_location& l) {
  if (l.line() == 0) return "?";
  return short_file(l.file_name()) + ":" + std::to_string(l.line());
}

// --- replay tokens ----------------------------------------------------------------------------------
// "v1.h<history>.m<max_steps>.c<cells>.s<spurious>.p<spins>:" then one character per choice
// (0-9a-zA-Z = 0..61; larger values as "~<decimal>.").
const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

std::string encode_choices(const std::vector<std::uint32_t>& v) {
  std::string s;
  for (std::uint32_t x : v) {
    if (x < 62) {
      s += alphabet[x];
    } else {
      s += '~' + std::to_string(x) + '.';
    }
  }
  return s;
}

bool decode_token(const std::string& token, options& o, std::vector<std::uint32_t>& out) {
  unsigned h = 0, m = 0, c = 0, s = 0, p = 0;
  int used = 0;
  if (std::sscanf(token.c_str(), "v1.h%u.m%u.c%u.s%u.p%u:%n", &h, &m, &c, &s, &p, &used) != 5 || used <= 0)
    return false;
  o.history = h;
  o.max_steps = m;
  o.cell_points = static_cast<int>(c);
  o.spurious_cas = s != 0;
  o.parker_spins = p;
  out.clear();
  for (std::size_t i = static_cast<std::size_t>(used); i < token.size(); ++i) {
    const char ch = token[i];
    if (ch == '~') {
      std::size_t end = token.find('.', i);
      if (end == std::string::npos) return false;
      out.push_back(static_cast<std::uint32_t>(std::stoul(token.substr(i + 1, end - i - 1))));
      i = end;
    } else {
      const char* at = std::strchr(alphabet, ch);
      if (at == nullptr || ch == '\0') return false;
      out.push_back(static_cast<std::uint32_t>(at - alphabet));
    }
  }
  return true;
}

// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", 2014):
// seeding per execution must be cheap, which rules out mt19937's 2.5 KB state.
struct splitmix64 {
  using result_type = std::uint64_t;
  std::uint64_t state = 0;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return UINT64_MAX; }
  result_type operator()() noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

// --- the checker --------------------------------------------------------------------------------------
class checker;
checker* g_checker = nullptr;
std::uint64_t g_generation = 0;

class checker {
 public:
  // choose_value() is a choice the tested code asks for (select's random case order): explored
  // like any other choice, recorded in the replay token.
  unsigned choose_value(unsigned n) { return choose(n); }
  checker(const test_descriptor& t, const options& o) : test_(t), opts_(o) {
    n_ = t.threads;
    main_ = n_;
    opts_.history = std::clamp(opts_.history, 1u, max_history);
    // Sleep sets need every step's effect to be captured by its pending operation; invariant()
    // observes the states between steps, which the reduction does not preserve.
    por_ = opts_.strat == strategy::exhaustive && opts_.sleep_sets && t.invariant == nullptr;
    cell_points_ = opts_.cell_points >= 0 ? opts_.cell_points != 0
                                          : (opts_.strat == strategy::random || opts_.strat == strategy::pct);
    for (unsigned i = 0; i < n_; ++i) th_[i].stack = std::make_unique<char[]>(stack_size);
    obj_ = ::operator new(t.size, std::align_val_t(std::max<std::size_t>(t.align, alignof(std::max_align_t))));
  }
  ~checker() {
    ::operator delete(obj_, std::align_val_t(std::max<std::size_t>(test_.align, alignof(std::max_align_t))));
    for (auto& b : blocks_) ::operator delete(b.first, std::align_val_t(64));
  }

  result run();

  // --- called by the instrumented objects -----------------------------------------------------------
  bool checked() const noexcept { return active_ && !raw_mode_ && !failed_; }
  void yield_point();
  location* resolve(object_ref& ref, loc_kind kind, std::uint64_t raw, unsigned size, const void* addr);
  std::uint32_t add_location(object_ref& ref, loc_kind kind, unsigned size, const void* addr,
                             const std::source_location& site);
  void atomic_init(object_ref& ref, std::uint64_t value, unsigned size, const void* addr,
                   const std::source_location& loc);
  void atomic_destroy(object_ref& ref, const void* addr);
  std::uint64_t atomic_op(object_ref& ref, std::uint64_t& raw, unsigned size, rmw_op op, std::uint64_t operand,
                          std::uint64_t* expected, std::memory_order order, std::memory_order forder,
                          const void* addr, const std::source_location& loc);
  futex_result futex_wait(object_ref& ref, std::uint64_t& raw, unsigned size, std::uint64_t expected, bool timed,
                          const void* addr, const std::source_location& loc);
  void futex_wake(object_ref& ref, std::uint64_t& raw, unsigned size, int count, const void* addr,
                  const std::source_location& loc);
  void cell_init(object_ref& ref, const void* addr, const std::source_location& loc);
  void cell_destroy(object_ref& ref, const void* addr);
  void cell_access(object_ref& ref, const void* addr, bool write, bool has_value, std::uint64_t value,
                   const std::source_location& loc);
  void fence(std::memory_order order, const std::source_location& loc);
  void spin(bool is_yield, const std::source_location& loc);
  void* allocate(std::size_t size, std::size_t align, const char* type, const std::source_location& loc);
  bool begin_free(void* p, const std::source_location& loc);
  void end_free(void* p);
  void* current_parker() { return &*parkers_[cur_]; }
  void fail(failure kind, std::string message, const std::source_location& loc);

 private:
  friend void entry(ctx::transfer_t t);

  // execution
  bool execute();
  void reset();
  void resume(unsigned tid);
  void switch_out();
  std::uint32_t tick() {
    ++pos_;
    return ++th_[cur_].vc[cur_];
  }
  event& record(ev kind, const void* addr, std::uint32_t loc_id, const std::source_location& site) {
    events_.emplace_back();
    event& e = events_.back();
    e.kind = kind;
    e.addr = addr;
    e.loc_id = loc_id;
    e.site = site;
    e.tid = static_cast<std::uint8_t>(cur_);
    return e;
  }
  // touch() records that the running thread's op on atomic `id` saw newest index `before` and left
  // it at `after`. A turn of a spin loop that saw no stale value and whose atomics nobody else
  // changed would repeat itself exactly: the thread then waits until one of them is written.
  void touch(std::uint32_t id, std::uint32_t before, std::uint32_t after) {
    model_thread& me = th_[cur_];
    for (unsigned i = 0; i < me.n_turn; ++i) {
      if (me.turn[i].id == id) {
        if (me.turn[i].seen_last != before) me.turn_dirty = true;
        me.turn[i].seen_last = after;
        return;
      }
    }
    if (me.n_turn < me.turn.size()) {
      me.turn[me.n_turn++] = {id, after};
    } else {
      me.turn_dirty = true;  // too many to track: never treat this turn as a pure spin
    }
  }
  // note_write(): a write (or wake, allocation) by the running thread; `id` is the atomic written
  // (UINT32_MAX: anything). It re-enables the spinners waiting on it.
  void note_write(std::uint32_t id = UINT32_MAX) {
    ++writes_;
    idle_turns_ = 0;
    for (unsigned i = 0; i < n_; ++i) {
      model_thread& t = th_[i];
      if (i == cur_ || !t.spinning) continue;
      if (id == UINT32_MAX) {
        t.spinning = false;
        continue;
      }
      for (unsigned k = 0; k < t.n_waits; ++k) {
        if (t.waits[k].id == id) t.spinning = false;
      }
    }
  }
  // Sleep sets: record the running thread's next operation before its scheduling point.
  void set_pending(op_kind kind, const void* addr, bool sc) {
    if (cur_ == main_) return;
    th_[cur_].pending = pending_op{addr, kind, sc};
  }
  static bool dependent(const pending_op& a, const pending_op& b);
  std::uint32_t append_store(location& L, std::uint64_t value, const vclock& sync, bool sc);
  std::uint32_t choose_read(location& L, bool sc);
  bool excluded(const store_entry& e, bool sc, const sc_fence* xmax) const;
  static bool observers_hb(const store_entry& e, const vclock& vc) {
    for (unsigned t = 0; t < max_slots; ++t) {
      if (e.obs[t] != 0 && e.obs[t] <= vc[t]) return true;
    }
    return false;
  }
  void observe(store_entry& e, bool sc) {
    std::uint32_t& o = e.obs[cur_];
    if (o == 0) o = th_[cur_].vc[cur_];
    if (sc) e.sc_obs_pos = std::min(e.sc_obs_pos, pos_);
  }

  // choices
  unsigned choose(unsigned n);
  // dfs_choice(): one depth-first branching point with n > 1 options: below the trail's end it
  // replays the recorded choice into k, past it opens a new node at option 0. False (after
  // reporting nondeterminism) when a replayed prefix offers a different number of options.
  bool dfs_choice(unsigned n, std::uint32_t& k);
  unsigned choose_thread(const std::vector<unsigned>& enabled, int current_pos);
  bool advance();  // next execution; false when done

  // reporting
  std::string describe_location(std::uint32_t id) const;
  std::string trace() const;
  std::string describe_threads() const;
  std::string token() const;

  const test_descriptor& test_;
  options opts_;
  unsigned n_ = 0, main_ = 0;
  bool cell_points_ = false;
  void* obj_ = nullptr;

  // execution state
  bool active_ = false, raw_mode_ = false, failed_ = false, in_invariant_ = false;
  unsigned cur_ = 0;
  int last_ = -1;
  std::uint64_t pos_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t writes_ = 0;  // stores, RMWs, wakes, allocations so far
  unsigned idle_turns_ = 0, idle_last_ = 0;
  static constexpr unsigned idle_limit = 300;  // > spin_lock's 64 spin rounds per waiter, times threads
  unsigned preemptions_ = 0;
  // sleep sets (exhaustive only): threads whose next operation need not run now, because an
  // equivalent execution that runs it here was already explored
  bool por_ = false;
  unsigned sleep_ = 0;           // bit per thread
  unsigned explored_here_ = 0;   // the siblings explored before the chosen thread at this node
  bool wipe_sleep_ = false;      // the running transition destroyed or created something: clear sleep_
  bool pruned_ = false;          // this execution ended because every enabled thread was asleep
  ctx::fcontext_t main_fc_ = nullptr;
  std::array<model_thread, max_slots> th_;
  std::array<std::optional<env::parker>, max_slots> parkers_;
  std::vector<location> locs_;
  std::uint32_t locs_used_ = 0;
  std::vector<sc_fence> fences_;
  std::vector<event> events_;
  std::vector<allocation> allocs_;
  std::vector<std::pair<void*, std::size_t>> blocks_;      // every block ever allocated
  std::vector<std::pair<std::size_t, void*>> free_list_;  // (size, block), LIFO

  // the failure
  failure kind_ = failure::none;
  std::string message_;
  bool history_hit_ = false;

  // choices (INV-2)
  std::vector<std::uint32_t> taken_;  // canonical choices with n > 1, for the token
  struct frame {
    std::uint32_t k, n;
  };
  std::vector<frame> trail_;  // depth-first strategies
  std::size_t depth_ = 0;
  unsigned spurious_used_ = 0;               // injected spurious CAS failures in this execution
  static constexpr unsigned spurious_limit = 2;
  std::vector<std::uint32_t> replay_;
  std::size_t replay_at_ = 0;
  bool replaying_ = false;
  splitmix64 rng_;
  std::uint64_t iteration_ = 0;
  // pct
  std::vector<std::uint64_t> change_points_;
  std::uint64_t pct_k_ = 64;
};

void entry(ctx::transfer_t t) {
  checker* c = g_checker;
  c->main_fc_ = t.fctx;
  const unsigned tid = c->cur_;
  try {
    c->test_.thread(c->obj_, tid);
  } catch (const std::exception& e) {
    c->fail(failure::assertion, std::string("uncaught exception: ") + e.what(), std::source_location());
  } catch (...) {
    c->fail(failure::assertion, "uncaught exception", std::source_location());
  }
  c->th_[tid].st = status::finished;
  if (c->checked()) c->record(ev::finish, nullptr, UINT32_MAX, std::source_location());
  c->switch_out();  // never resumed
  std::abort();
}

void checker::resume(unsigned tid) {
  cur_ = tid;
  ctx::transfer_t t = ctx::jump_fcontext(th_[tid].fc, nullptr);
  th_[tid].fc = t.fctx;
  cur_ = main_;
}

void checker::switch_out() {
  ctx::transfer_t t = ctx::jump_fcontext(main_fc_, nullptr);
  main_fc_ = t.fctx;
}

void checker::yield_point() {
  if (cur_ == main_) return;
  switch_out();
}

void checker::fail(failure kind, std::string message, const std::source_location& loc) {
  if (failed_ || !active_) return;
  if (kind == failure::assertion && in_invariant_) kind = failure::invariant;
  kind_ = kind;
  message_ = std::move(message);
  if (loc.line() != 0) message_ += " at " + site_str(loc);
  {
    bool saved = raw_mode_;
    raw_mode_ = false;
    record(ev::fail, nullptr, UINT32_MAX, loc);
    raw_mode_ = saved;
  }
  failed_ = true;
  if (cur_ != main_) {
    switch_out();  // INV-3: never resumed
    std::abort();
  }
}

// --- locations -----------------------------------------------------------------------------------------
std::uint32_t checker::add_location(object_ref& ref, loc_kind kind, unsigned size, const void* addr,
                                    const std::source_location& site) {
  if (locs_used_ == locs_.size()) locs_.emplace_back();
  const std::uint32_t id = locs_used_++;
  location& L = locs_[id];
  L.kind = kind;
  L.alive = true;
  L.size = size;
  L.addr = addr;
  L.site = site;
  L.first_mo = 0;
  L.count = 0;
  L.access = vclock{};
  L.w_tid = static_cast<std::uint8_t>(main_);
  L.w_clock = 0;
  L.w_site = site;
  L.reads = vclock{};
  ref.generation = g_generation;
  ref.id = id;
  return id;
}

location* checker::resolve(object_ref& ref, loc_kind kind, std::uint64_t raw, unsigned size, const void* addr) {
  if (ref.generation != g_generation || ref.id >= locs_used_) {
    // Constructed outside this execution: its current value happens-before everything.
    const std::uint32_t id = add_location(ref, kind, size, addr, std::source_location());
    if (kind == loc_kind::atomic) {
      location& L = locs_[id];
      L.count = 1;
      store_entry& e = L.at(0);
      e = store_entry{};
      e.value = raw;
    }
  }
  location& L = locs_[ref.id];
  if (!L.alive) {
    fail(failure::use_after_free,
         std::string(L.kind == loc_kind::atomic ? "atomic " : "cell ") + describe_location(ref.id) +
             " used after it was destroyed by T" + std::to_string(L.freed_tid) + " at " + site_str(L.freed_site),
         std::source_location());
    return nullptr;
  }
  return &L;
}

void checker::atomic_init(object_ref& ref, std::uint64_t value, unsigned size, const void* addr,
                          const std::source_location& loc) {
  const std::uint32_t id = add_location(ref, loc_kind::atomic, size, addr, loc);
  for (unsigned t = 0; t < n_; ++t) {
    if (th_[t].pending.addr == addr) wipe_sleep_ = true;  // a new atomic where another thread points
  }
  location& L = locs_[id];
  const std::uint32_t clock = tick();
  L.count = 1;
  store_entry& e = L.at(0);
  e = store_entry{};
  e.value = value;
  e.pos = pos_;
  e.obs[cur_] = clock;
  e.step = static_cast<std::uint32_t>(events_.size());
  L.access[cur_] = clock;
  event& ev_ = record(ev::init, addr, id, loc);
  ev_.value = value;
  ev_.has_value = true;
}

void checker::atomic_destroy(object_ref& ref, const void* addr) {
  if (ref.generation != g_generation || ref.id >= locs_used_) return;
  location& L = locs_[ref.id];
  if (!L.alive || L.addr != addr) return;
  tick();
  // Destruction is a non-atomic write: every access must happen-before it.
  for (unsigned t = 0; t < max_slots; ++t) {
    if (t != cur_ && L.access[t] > th_[cur_].vc[t]) {
      fail(failure::data_race,
           "atomic " + describe_location(ref.id) + " destroyed by T" + std::to_string(cur_) +
               " while T" + std::to_string(t) + " may still access it (no happens-before)",
           std::source_location());
      return;
    }
  }
  L.alive = false;
  L.freed_tid = static_cast<std::uint8_t>(cur_);
  wipe_sleep_ = true;
}

std::uint32_t checker::append_store(location& L, std::uint64_t value, const vclock& sync, bool sc) {
  if (L.count == opts_.history) {
    ++L.first_mo;
    --L.count;
  }
  const std::uint32_t mo = L.first_mo + L.count;
  ++L.count;
  store_entry& e = L.at(mo);
  e = store_entry{};
  e.value = value;
  e.pos = pos_;
  e.sync = sync;
  e.obs[cur_] = th_[cur_].vc[cur_];
  if (sc) e.sc_obs_pos = pos_;
  e.step = static_cast<std::uint32_t>(events_.size());
  return mo;
}

bool checker::excluded(const store_entry& e, bool sc, const sc_fence* xmax) const {
  const vclock& vc = th_[cur_].vc;
  if (observers_hb(e, vc)) return true;  // coherence: CoWR / CoRR through happens-before
  if (sc) {
    if (e.sc_obs_pos != no_pos) return true;  // A and B both seq_cst
    for (const sc_fence& y : fences_) {
      if (observers_hb(e, y.vc)) return true;  // A hb fence Y, Y before B in S
    }
  }
  if (xmax != nullptr) {
    if (e.sc_obs_pos < xmax->pos) return true;  // fence X hb B, A seq_cst before X
    for (const sc_fence& y : fences_) {
      if (y.pos < xmax->pos && observers_hb(e, y.vc)) return true;  // A hb Y, Y before X in S
    }
  }
  return false;
}

std::uint32_t checker::choose_read(location& L, bool sc) {
  model_thread& me = th_[cur_];
  const std::uint32_t last = L.last();
  for (unsigned i = 0; i < me.n_stale_prev; ++i) {
    if (me.stale_prev[i] == static_cast<std::uint32_t>(&L - locs_.data())) return last;
  }
  const sc_fence* xmax = nullptr;
  for (const sc_fence& f : fences_) {
    if (f.clock <= me.vc[f.tid] && (xmax == nullptr || f.pos > xmax->pos)) xmax = &f;
  }
  std::uint32_t lo = L.first_mo;
  bool bounded = true;
  for (std::uint32_t m = last + 1; m-- > L.first_mo;) {
    if (excluded(L.at(m), sc, xmax)) {
      lo = m;
      bounded = false;
      break;
    }
  }
  if (bounded && L.first_mo > 0) history_hit_ = true;
  const std::uint32_t n = last - lo + 1;
  return last - choose(n);
}

std::uint64_t checker::atomic_op(object_ref& ref, std::uint64_t& raw, unsigned size, rmw_op op,
                                 std::uint64_t operand, std::uint64_t* expected, std::memory_order order,
                                 std::memory_order forder, const void* addr, const std::source_location& loc) {
  const std::uint64_t mask = size >= 8 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (size * 8)) - 1);
  auto apply = [&](std::uint64_t old) -> std::uint64_t {
    switch (op) {
      case rmw_op::fetch_add: return (old + operand) & mask;
      case rmw_op::fetch_sub: return (old - operand) & mask;
      case rmw_op::fetch_and: return old & operand;
      case rmw_op::fetch_or: return old | operand;
      case rmw_op::fetch_xor: return old ^ operand;
      default: return operand;
    }
  };
  if (!checked()) {  // plain single-threaded object
    const std::uint64_t old = raw;
    if (op == rmw_op::load) return old;
    if (op == rmw_op::cas_strong || op == rmw_op::cas_weak) {
      if (old != *expected) {
        *expected = old;
        return 0;
      }
      raw = operand;
      return 1;
    }
    raw = apply(old);
    return old;
  }
  set_pending(op == rmw_op::load ? op_kind::read : op_kind::write, addr,
              order == std::memory_order_seq_cst || forder == std::memory_order_seq_cst);
  yield_point();
  location* Lp = resolve(ref, loc_kind::atomic, raw, size, addr);
  if (Lp == nullptr) return op == rmw_op::load ? raw : 0;
  location& L = *Lp;
  const std::uint32_t id = ref.id;
  model_thread& me = th_[cur_];
  const std::uint32_t clock = tick();
  L.access[cur_] = clock;

  if (op == rmw_op::load) {
    const bool sc = order == std::memory_order_seq_cst;
    const std::uint32_t mo = choose_read(L, sc);
    touch(id, L.last(), L.last());
    store_entry& e = L.at(mo);
    if (mo != L.last()) {
      me.saw_stale = true;
      if (me.n_stale_now < me.stale_now.size()) me.stale_now[me.n_stale_now++] = id;
    }
    observe(e, sc);
    if (is_acquire(order)) {
      me.vc.join(e.sync);
    } else {
      me.acq_pending.join(e.sync);
    }
    event& r = record(ev::load, addr, id, loc);
    r.value = e.value;
    r.has_value = r.is_read = r.has_order = true;
    r.order = order;
    r.rf_mo = mo;
    r.rf_last = L.last();
    r.value2 = e.step;
    return e.value;
  }
  if (op == rmw_op::store) {
    const vclock sync = is_release(order) ? me.vc : me.rel_fence;
    const std::uint32_t before = L.last();
    append_store(L, operand, sync, order == std::memory_order_seq_cst);
    touch(id, before, L.last());
    raw = operand;
    note_write(id);
    event& r = record(ev::store, addr, id, loc);
    r.value = operand;
    r.has_value = r.has_order = true;
    r.order = order;
    return 0;
  }
  // read-modify-write: reads the latest store
  const std::uint32_t mo = L.last();
  store_entry& e = L.at(mo);
  const std::uint64_t old = e.value;
  if (op == rmw_op::cas_strong || op == rmw_op::cas_weak) {
    bool ok = old == *expected;
    bool spurious = false;
    // At most spurious_limit injected failures per execution: each is a choice, and unbounded
    // consecutive failures would only re-explore the same retry loop until the step bound.
    if (ok && op == rmw_op::cas_weak && opts_.spurious_cas && spurious_used_ < spurious_limit && choose(2) == 1) {
      ++spurious_used_;
      ok = false;
      spurious = true;
      me.saw_stale = true;
    }
    if (!ok) {
      touch(id, mo, mo);
      observe(e, forder == std::memory_order_seq_cst);
      if (is_acquire(forder)) {
        me.vc.join(e.sync);
      } else {
        me.acq_pending.join(e.sync);
      }
      event& r = record(ev::cas_fail, addr, id, loc);
      r.value = old;
      r.value2 = *expected;
      r.has_value = r.has_order = true;
      r.order = forder;
      if (spurious) r.is_read = true;  // marks "spurious" in the trace
      *expected = old;
      return 0;
    }
  }
  const bool sc = order == std::memory_order_seq_cst;
  observe(e, sc);
  const vclock prev_sync = e.sync;  // release sequence: continued by RMWs
  if (is_acquire(order)) {
    me.vc.join(prev_sync);
  } else {
    me.acq_pending.join(prev_sync);
  }
  vclock sync = is_release(order) ? me.vc : me.rel_fence;
  sync.join(prev_sync);
  const std::uint64_t nv = apply(old);
  append_store(L, nv, sync, sc);
  touch(id, mo, L.last());
  raw = nv;
  note_write(id);
  ev k = ev::exchange;
  switch (op) {
    case rmw_op::cas_strong:
    case rmw_op::cas_weak: k = ev::cas_ok; break;
    case rmw_op::fetch_add: k = ev::fetch_add; break;
    case rmw_op::fetch_sub: k = ev::fetch_sub; break;
    case rmw_op::fetch_and: k = ev::fetch_and; break;
    case rmw_op::fetch_or: k = ev::fetch_or; break;
    case rmw_op::fetch_xor: k = ev::fetch_xor; break;
    default: break;
  }
  event& r = record(k, addr, id, loc);
  r.value = old;
  r.value2 = nv;
  r.has_value = r.has_order = true;
  r.order = order;
  (void)clock;
  return (op == rmw_op::cas_strong || op == rmw_op::cas_weak) ? 1 : old;
}

futex_result checker::futex_wait(object_ref& ref, std::uint64_t& raw, unsigned size, std::uint64_t expected,
                                 bool timed, const void* addr, const std::source_location& loc) {
  if (!checked()) return raw == expected ? futex_result::interrupted : futex_result::value_changed;
  set_pending(op_kind::write, addr, false);  // also its timeout or wake-up while blocked
  yield_point();
  location* L = resolve(ref, loc_kind::atomic, raw, size, addr);
  if (L == nullptr) return futex_result::value_changed;
  tick();
  const std::uint64_t now = L->at(L->last()).value;  // the kernel compares with the latest value
  if (now != expected) {
    event& r = record(ev::futex_changed, addr, ref.id, loc);
    r.value = now;
    r.has_value = true;
    return futex_result::value_changed;
  }
  model_thread& me = th_[cur_];
  me.st = status::blocked;
  me.blocked_on = ref.id;
  me.timed = timed;
  event& r = record(ev::futex_block, addr, ref.id, loc);
  r.value = now;
  r.has_value = true;
  switch_out();  // resumed by futex_wake or by the scheduler's timeout
  record(me.wake == futex_result::timed_out ? ev::futex_timeout : ev::futex_woken, addr, ref.id, loc);
  return me.wake;
}

void checker::futex_wake(object_ref& ref, std::uint64_t& raw, unsigned size, int count, const void* addr,
                         const std::source_location& loc) {
  if (!checked()) return;
  set_pending(op_kind::write, addr, false);
  yield_point();
  location* L = resolve(ref, loc_kind::atomic, raw, size, addr);
  if (L == nullptr) return;
  tick();
  int woken = 0;
  for (unsigned i = 0; i < n_ && woken < count; ++i) {
    if (th_[i].st == status::blocked && th_[i].blocked_on == ref.id) {
      th_[i].st = status::runnable;
      th_[i].wake = futex_result::woken;
      ++woken;
    }
  }
  note_write();
  event& r = record(ev::futex_wake, addr, ref.id, loc);
  r.value = static_cast<std::uint64_t>(woken);
  r.has_value = true;
}

// --- cells ----------------------------------------------------------------------------------------------
void checker::cell_init(object_ref& ref, const void* addr, const std::source_location& loc) {
  const std::uint32_t id = add_location(ref, loc_kind::cell, 0, addr, loc);
  location& L = locs_[id];
  L.w_tid = static_cast<std::uint8_t>(cur_);
  L.w_clock = tick();
  L.w_site = loc;
}

void checker::cell_destroy(object_ref& ref, const void* addr) {
  if (ref.generation != g_generation || ref.id >= locs_used_) return;
  location& L = locs_[ref.id];
  if (!L.alive || L.addr != addr) return;
  cell_access(ref, addr, true, false, 0, std::source_location());
  wipe_sleep_ = true;
  L.alive = false;
  L.freed_tid = static_cast<std::uint8_t>(cur_);
}

void checker::cell_access(object_ref& ref, const void* addr, bool write, bool has_value, std::uint64_t value,
                          const std::source_location& loc) {
  if (!checked()) return;
  if (cell_points_) {
    set_pending(write ? op_kind::write : op_kind::read, addr, false);
    yield_point();
  }
  location* Lp = resolve(ref, loc_kind::cell, 0, 0, addr);
  if (Lp == nullptr) return;
  location& L = *Lp;
  const std::uint32_t clock = tick();
  const vclock& vc = th_[cur_].vc;
  auto race = [&](unsigned other, const std::source_location& other_site, const char* what) {
    fail(failure::data_race,
         std::string("data race on cell ") + describe_location(ref.id) + ": " + (write ? "write" : "read") +
             " by T" + std::to_string(cur_) + " at " + site_str(loc) + " and " + what + " by T" +
             std::to_string(other) + " at " + site_str(other_site) + " are not ordered by happens-before",
         std::source_location());
  };
  if (L.w_clock > vc[L.w_tid]) return race(L.w_tid, L.w_site, "write");
  if (write) {
    for (unsigned t = 0; t < max_slots; ++t) {
      if (L.reads[t] > vc[t]) return race(t, L.read_sites[t], "read");
    }
    L.w_tid = static_cast<std::uint8_t>(cur_);
    L.w_clock = clock;
    L.w_site = loc;
    L.reads = vclock{};
  } else {
    L.reads[cur_] = clock;
    L.read_sites[cur_] = loc;
  }
  if (loc.line() != 0) {
    event& r = record(write ? ev::cell_write : ev::cell_read, addr, ref.id, loc);
    r.value = value;
    r.has_value = has_value;
  }
}

// --- fences, spinning --------------------------------------------------------------------------------------
void checker::fence(std::memory_order order, const std::source_location& loc) {
  if (!checked()) return;
  set_pending(op_kind::fence, nullptr, order == std::memory_order_seq_cst);
  yield_point();
  model_thread& me = th_[cur_];
  const std::uint32_t clock = tick();
  if (is_acquire(order)) me.vc.join(me.acq_pending);
  if (is_release(order)) me.rel_fence = me.vc;
  if (order == std::memory_order_seq_cst) fences_.push_back({cur_, clock, pos_, me.vc});
  event& r = record(ev::fence, nullptr, UINT32_MAX, loc);
  r.has_order = true;
  r.order = order;
}

void checker::spin(bool is_yield, const std::source_location& loc) {
  if (!checked()) return;
  set_pending(op_kind::spin, nullptr, false);
  yield_point();
  tick();
  // Spinning disables the thread until another one writes, unless it saw a stale value since its
  // last spin: then its next turn (reading the latest stores) may decide differently.
  model_thread& me = th_[cur_];
  bool same = !me.saw_stale && !me.turn_dirty;
  for (unsigned i = 0; i < me.n_turn && same; ++i) same = locs_[me.turn[i].id].last() == me.turn[i].seen_last;
  me.spinning = same;
  me.waits = me.turn;
  me.n_waits = me.n_turn;
  me.n_turn = 0;
  me.turn_dirty = false;
  me.saw_stale = false;
  me.stale_prev = me.stale_now;
  me.n_stale_prev = me.n_stale_now;
  me.n_stale_now = 0;
  record(is_yield ? ev::yield : ev::spin, nullptr, UINT32_MAX, loc);
}

// --- memory -------------------------------------------------------------------------------------------------
void* checker::allocate(std::size_t size, std::size_t align, const char* type, const std::source_location& loc) {
  (void)align;  // blocks are 64-byte aligned
  const bool tracked = checked();
  if (tracked) {
    set_pending(op_kind::global, nullptr, false);
    yield_point();
    tick();
    note_write();
  }
  const std::size_t rounded = (size + 63) / 64 * 64;
  void* p = nullptr;
  for (std::size_t i = free_list_.size(); i-- > 0;) {  // LIFO: the last freed block first (ABA)
    if (free_list_[i].first == rounded) {
      p = free_list_[i].second;
      free_list_.erase(free_list_.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  if (p == nullptr) {
    p = ::operator new(rounded, std::align_val_t(64));
    blocks_.emplace_back(p, rounded);
  }
  if (tracked) {
    allocs_.push_back({p, rounded, type, loc, static_cast<std::uint8_t>(cur_), true});
    event& r = record(ev::create, p, UINT32_MAX, loc);
    r.value = size;
  }
  return p;
}

bool checker::begin_free(void* p, const std::source_location& loc) {
  if (!checked()) return true;
  set_pending(op_kind::global, nullptr, false);
  yield_point();
  tick();
  allocation* a = nullptr;
  for (std::size_t i = allocs_.size(); i-- > 0;) {
    if (allocs_[i].p == p) {
      a = &allocs_[i];
      break;
    }
  }
  record(ev::destroy, p, UINT32_MAX, loc);
  if (a == nullptr || !a->live) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%p", p);
    fail(failure::double_free,
         a == nullptr ? std::string("destroy of ") + buf + ", which env::create did not return"
                      : std::string("double free of ") + buf + " (created at " + site_str(a->site) + ")",
         loc);
    return false;
  }
  return true;
}

void checker::end_free(void* p) {
  if (!checked()) return;
  for (std::size_t i = allocs_.size(); i-- > 0;) {
    if (allocs_[i].p == p && allocs_[i].live) {
      allocs_[i].live = false;
      wipe_sleep_ = true;
      free_list_.emplace_back(allocs_[i].size, p);
      // Destroyed members recorded who freed them; give the site to every dead location inside.
      for (std::uint32_t id = 0; id < locs_used_; ++id) {
        location& L = locs_[id];
        const char* a = static_cast<const char*>(L.addr);
        if (!L.alive && a >= static_cast<char*>(p) && a < static_cast<char*>(p) + allocs_[i].size) {
          L.freed_site = events_.empty() ? std::source_location() : events_.back().site;
        }
      }
      break;
    }
  }
  note_write();
}

// --- choices -------------------------------------------------------------------------------------------------
bool checker::dfs_choice(unsigned n, std::uint32_t& k) {
  if (depth_ < trail_.size()) {
    if (trail_[depth_].n != n) {
      fail(failure::nondeterminism,
           "the test is not deterministic: a replayed prefix offered a different number of choices",
           std::source_location());
      return false;
    }
    k = trail_[depth_].k;
  } else {
    trail_.push_back({0, n});
  }
  ++depth_;
  return true;
}

unsigned checker::choose(unsigned n) {
  if (n <= 1) return 0;
  std::uint32_t k = 0;
  if (replaying_) {
    if (replay_at_ >= replay_.size() || replay_[replay_at_] >= n) {
      fail(failure::nondeterminism, "the replay token does not match this test (choice " +
                                        std::to_string(replay_at_) + ")", std::source_location());
      return 0;
    }
    k = replay_[replay_at_++];
  } else if (opts_.strat == strategy::bounded || opts_.strat == strategy::exhaustive) {
    if (!dfs_choice(n, k)) return 0;
  } else {
    k = static_cast<std::uint32_t>(rng_() % n);
  }
  taken_.push_back(k);
  return k;
}

unsigned checker::choose_thread(const std::vector<unsigned>& enabled, int current_pos) {
  const unsigned n = static_cast<unsigned>(enabled.size());
  if (n == 1 && !por_) return 0;
  const bool dfs = opts_.strat == strategy::bounded || opts_.strat == strategy::exhaustive;
  if (replaying_ || opts_.strat == strategy::random) return choose(n);
  if (opts_.strat == strategy::pct) {
    // Run the enabled thread of highest priority; at a change point the running one drops below all.
    if (std::find(change_points_.begin(), change_points_.end(), steps_) != change_points_.end() && last_ >= 0) {
      const auto rank = static_cast<std::size_t>(
          std::find(change_points_.begin(), change_points_.end(), steps_) - change_points_.begin());
      th_[static_cast<unsigned>(last_)].priority = static_cast<unsigned>(rank);
    }
    unsigned best = 0;
    for (unsigned i = 1; i < n; ++i) {
      if (th_[enabled[i]].priority > th_[enabled[best]].priority) best = i;
    }
    taken_.push_back(best);
    return best;
  }
  (void)dfs;
  if (por_) {
    // Sleep sets: the same order (running thread first, then index order) without the sleeping
    // threads. None left: every continuation is equivalent to one already explored (pruned).
    std::array<unsigned, max_slots> ord{};
    unsigned m = 0;
    if (current_pos >= 0 && ((sleep_ >> enabled[static_cast<unsigned>(current_pos)]) & 1u) == 0)
      ord[m++] = static_cast<unsigned>(current_pos);
    for (unsigned i = 0; i < n; ++i) {
      if (static_cast<int>(i) != current_pos && ((sleep_ >> enabled[i]) & 1u) == 0) ord[m++] = i;
    }
    if (m == 0) return UINT_MAX;
    std::uint32_t kk = 0;
    if (m > 1) {
      if (!dfs_choice(m, kk)) return 0;
    }
    explored_here_ = 0;
    for (unsigned j = 0; j < kk; ++j) explored_here_ |= 1u << enabled[ord[j]];
    if (n > 1) taken_.push_back(ord[kk]);
    return ord[kk];
  }
  // Depth-first: the running thread first (no preemption), then the others in index order.
  unsigned options_n = n;
  if (current_pos >= 0 && opts_.strat == strategy::bounded && preemptions_ >= opts_.preemptions) options_n = 1;
  std::uint32_t k = 0;
  if (options_n > 1) {
    if (!dfs_choice(options_n, k)) return 0;
  }
  unsigned pick;
  if (current_pos < 0) {
    pick = k;
  } else if (k == 0) {
    pick = static_cast<unsigned>(current_pos);
  } else {
    pick = k - 1 < static_cast<unsigned>(current_pos) ? k - 1 : k;
    ++preemptions_;
  }
  taken_.push_back(pick);
  return pick;
}

// Two pending operations of different threads are independent when running them in either order
// reaches the same state (same choices available on the way). When unsure: dependent.
bool checker::dependent(const pending_op& a, const pending_op& b) {
  if (a.kind == op_kind::global || b.kind == op_kind::global || a.kind == op_kind::none ||
      b.kind == op_kind::none)
    return true;  // allocation, destruction, unknown
  if (a.kind == op_kind::spin || b.kind == op_kind::spin) {
    // A spin reads the latest store of the atomics of its turn, and every write re-enables
    // spinners: dependent with writes; loads, fences and other spins only touch their own thread.
    const pending_op& o = a.kind == op_kind::spin ? b : a;
    return o.kind == op_kind::write;
  }
  if (a.kind == op_kind::fence || b.kind == op_kind::fence) {
    // Only seq_cst fences are global (their order in S); acquire/release fences are thread-local.
    if (a.kind == op_kind::fence && b.kind == op_kind::fence) return a.sc || b.sc;
    return a.sc && b.sc;
  }
  if (a.addr != b.addr) return false;
  // Same location: two loads commute unless both are seq_cst (a seq_cst load of a newer store
  // forbids a later seq_cst load from reading an older one).
  return a.kind == op_kind::write || b.kind == op_kind::write || (a.sc && b.sc);
}

bool checker::advance() {
  if (replaying_) return false;
  if (opts_.strat == strategy::bounded || opts_.strat == strategy::exhaustive) {
    trail_.resize(std::min(trail_.size(), depth_));
    while (!trail_.empty() && trail_.back().k + 1 >= trail_.back().n) trail_.pop_back();
    if (trail_.empty()) return false;
    ++trail_.back().k;
    return true;
  }
  return iteration_ + 1 < opts_.iterations;
}

// --- one execution ------------------------------------------------------------------------------------------
void checker::reset() {
  ++g_generation;
  locs_used_ = 0;
  fences_.clear();
  events_.clear();
  allocs_.clear();
  taken_.clear();
  spurious_used_ = 0;
  free_list_.clear();
  for (std::size_t i = blocks_.size(); i-- > 0;) free_list_.emplace_back(blocks_[i].second, blocks_[i].first);
  pos_ = 0;
  steps_ = 0;
  writes_ = 0;
  idle_turns_ = 0;
  idle_last_ = n_ - 1;
  preemptions_ = 0;
  sleep_ = explored_here_ = 0;
  wipe_sleep_ = pruned_ = false;
  depth_ = 0;
  replay_at_ = 0;
  last_ = -1;
  failed_ = false;
  raw_mode_ = false;
  in_invariant_ = false;
  kind_ = failure::none;
  message_.clear();
  for (auto& t : th_) {
    t.vc = t.acq_pending = t.rel_fence = vclock{};
    t.st = status::finished;
    t.spinning = t.timed = t.saw_stale = false;
    t.n_stale_now = t.n_stale_prev = 0;
    t.n_turn = t.n_waits = 0;
    t.turn_dirty = false;
    t.pending = pending_op{};
  }
  if (!replaying_ && (opts_.strat == strategy::random || opts_.strat == strategy::pct)) {
    rng_.state = opts_.seed * 0xd1342543de82ef95ULL;
    rng_.state = rng_() ^ iteration_;
    (void)rng_();
  }
  if (opts_.strat == strategy::pct && !replaying_) {
    // Random distinct priorities d..d+n-1, and d-1 change points in [1, k] (Burckhardt et al.).
    std::vector<unsigned> prio(n_);
    for (unsigned i = 0; i < n_; ++i) prio[i] = opts_.pct_depth + i;
    std::shuffle(prio.begin(), prio.end(), rng_);
    for (unsigned i = 0; i < n_; ++i) th_[i].priority = prio[i];
    change_points_.clear();
    for (unsigned i = 1; i < opts_.pct_depth; ++i) change_points_.push_back(1 + rng_() % pct_k_);
    // change point i drops to priority i-1 ... lower than every initial priority
  }
}

bool checker::execute() {
  reset();
  g_checker = this;
  active_ = true;
  cur_ = main_;
  for (unsigned i = 0; i <= n_; ++i) parkers_[i].emplace();
  test_.construct(obj_);
  test_.before(obj_);
  if (!failed_) {
    for (unsigned i = 0; i < n_; ++i) {
      model_thread& t = th_[i];
      t.vc = th_[main_].vc;  // thread creation: everything before() did happens-before
      t.st = status::runnable;
      t.fc = ctx::make_fcontext(t.stack.get() + stack_size, stack_size, &entry);
    }
    for (unsigned i = 0; i < n_ && !failed_; ++i) resume(i);  // run each to its first operation
    std::vector<unsigned> enabled;
    enabled.reserve(max_slots);
    while (!failed_) {
      enabled.clear();
      int current_pos = -1;
      bool any_live = false;
      for (unsigned i = 0; i < n_; ++i) {
        const model_thread& t = th_[i];
        if (t.st != status::finished) any_live = true;
        if ((t.st == status::runnable && !t.spinning) || (t.st == status::blocked && t.timed)) {
          if (static_cast<int>(i) == last_ && t.st == status::runnable) current_pos = static_cast<int>(enabled.size());
          enabled.push_back(i);
        }
      }
      if (enabled.empty()) {
        // Every live thread is blocked or spin-waiting. A spinner may still be in a bounded loop
        // (the parker spins spin_iterations times, then sleeps), so spinners take turns in a fixed
        // round-robin order, no choice involved; if nobody writes for idle_limit turns, it is a
        // deadlock (spin locks taken in opposite orders end here).
        unsigned spinner = max_slots;
        for (unsigned k = 1; k <= n_ && spinner == max_slots; ++k) {
          const unsigned i = (idle_last_ + k) % n_;
          if (th_[i].st == status::runnable && th_[i].spinning) spinner = i;
        }
        if (spinner == max_slots || idle_turns_ >= idle_limit) {
          if (any_live) fail(failure::deadlock, "no thread can make progress:\n" + describe_threads(), {});
          break;
        }
        ++idle_turns_;
        idle_last_ = spinner;
        sleep_ = 0;
        th_[spinner].spinning = false;
        enabled.push_back(spinner);
      }
      if (++steps_ > opts_.max_steps) {
        fail(failure::livelock,
             "no termination within " + std::to_string(opts_.max_steps) +
                 " steps (livelock, or raise options.max_steps):\n" + describe_threads(),
             {});
        break;
      }
      const unsigned choice = choose_thread(enabled, current_pos);
      if (failed_) break;
      if (choice == UINT_MAX) {  // every enabled thread is asleep
        pruned_ = true;
        break;
      }
      const unsigned pick = enabled[choice];
      const pending_op done = th_[pick].pending;
      wipe_sleep_ = false;
      model_thread& t = th_[pick];
      if (t.st == status::blocked) {  // the deadline passed
        t.st = status::runnable;
        t.wake = futex_result::timed_out;
      }
      last_ = static_cast<int>(pick);
      resume(pick);
      if (por_) {
        unsigned s = (sleep_ | explored_here_) & ~(1u << pick);
        explored_here_ = 0;
        if (wipe_sleep_) s = 0;
        for (unsigned q = 0; q < n_; ++q) {
          if (((s >> q) & 1u) != 0 && dependent(done, th_[q].pending)) s &= ~(1u << q);
        }
        sleep_ = s;
      }
      if (test_.invariant != nullptr && !failed_) {
        raw_mode_ = true;
        in_invariant_ = true;
        test_.invariant(obj_);
        in_invariant_ = false;
        raw_mode_ = false;
      }
    }
  }
  if (opts_.strat == strategy::pct) pct_k_ = std::max<std::uint64_t>(pct_k_, steps_);
  if (!failed_ && !pruned_) {
    for (unsigned i = 0; i < n_; ++i) th_[main_].vc.join(th_[i].vc);  // joining the threads
    cur_ = main_;
    test_.after(obj_);
    for (const allocation& a : allocs_) {
      if (a.live && !failed_) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%p", a.p);
        fail(failure::leak, std::string("leak: ") + buf + " (" + a.type + ") created by T" + std::to_string(a.tid) +
                                " was never destroyed",
             a.site);
      }
    }
  }
  cur_ = main_;
  raw_mode_ = true;
  test_.destroy(obj_);
  for (unsigned i = 0; i <= n_; ++i) parkers_[i].reset();
  active_ = false;
  g_checker = nullptr;
  return !failed_;
}

// --- reports ------------------------------------------------------------------------------------------------
std::string checker::describe_location(std::uint32_t id) const {
  const location& L = locs_[id];
  char buf[64];
  std::snprintf(buf, sizeof buf, "%p", L.addr);
  std::string s = buf;
  if (L.site.line() != 0) s += " (" + site_str(L.site) + ")";
  return s;
}

std::string checker::describe_threads() const {
  std::string s;
  for (unsigned i = 0; i < n_; ++i) {
    const model_thread& t = th_[i];
    s += "    T" + std::to_string(i) + ": ";
    if (t.st == status::finished) {
      s += "finished";
    } else if (t.st == status::blocked) {
      s += "blocked in futex_wait on " + describe_location(t.blocked_on);
    } else if (t.spinning) {
      s += "spin-waiting (no other thread writes)";
    } else {
      s += "runnable";
    }
    s += "\n";
  }
  return s;
}

std::string checker::token() const {
  return "v1.h" + std::to_string(opts_.history) + ".m" + std::to_string(opts_.max_steps) + ".c" +
         std::to_string(cell_points_ ? 1 : 0) + ".s" + std::to_string(opts_.spurious_cas ? 1 : 0) + ".p" +
         std::to_string(opts_.parker_spins) + ":" + encode_choices(taken_);
}

std::string checker::trace() const {
  std::string out;
  const std::size_t limit = opts_.trace_always ? events_.size() : 400;  // a replay shows everything
  const std::size_t start = events_.size() > limit ? events_.size() - limit : 0;
  if (start > 0) out += "  ... " + std::to_string(start) + " earlier events omitted\n";
  char buf[512];
  for (std::size_t i = start; i < events_.size(); ++i) {
    const event& e = events_[i];
    const std::string who = e.tid == main_ ? "main" : "T" + std::to_string(e.tid);
    std::string obj;
    if (e.loc_id != UINT32_MAX) {
      obj = (locs_[e.loc_id].kind == loc_kind::atomic ? "atomic " : "cell ") + describe_location(e.loc_id);
    } else if (e.addr != nullptr) {
      std::snprintf(buf, sizeof buf, "%p", e.addr);
      obj = buf;
    }
    std::string detail;
    if (e.has_value) {
      switch (e.kind) {
        case ev::cas_ok:
        case ev::exchange:
        case ev::fetch_add:
        case ev::fetch_sub:
        case ev::fetch_and:
        case ev::fetch_or:
        case ev::fetch_xor:
          detail = std::to_string(e.value) + " -> " + std::to_string(e.value2);
          break;
        case ev::cas_fail:
          detail = "read " + std::to_string(e.value) + ", expected " + std::to_string(e.value2) +
                   (e.is_read ? " (SPURIOUS failure injected)" : "");
          break;
        case ev::load:
          detail = "= " + std::to_string(e.value) + "  [read store #" + std::to_string(e.rf_mo) + " of step " +
                   std::to_string(e.value2) + (e.rf_mo < e.rf_last ? ", STALE: newest is #" + std::to_string(e.rf_last)
                                                                      : ", newest") +
                   "]";
          break;
        case ev::futex_wake: detail = "woke " + std::to_string(e.value); break;
        case ev::create: detail = std::to_string(e.value) + " bytes"; break;
        default: detail = "= " + std::to_string(e.value); break;
      }
    }
    std::snprintf(buf, sizeof buf, "  %4zu %-4s %-26s %-8s %-40s %s  @ %s\n", i, who.c_str(), ev_name(e.kind),
                  e.has_order ? order_name(e.order) : "", obj.c_str(), detail.c_str(), site_str(e.site).c_str());
    out += buf;
  }
  return out;
}

result checker::run() {
  result r;
  r.expected = test_.expected;
  const auto t0 = std::chrono::steady_clock::now();
  if (!opts_.replay.empty()) {
    options o = opts_;
    if (!decode_token(opts_.replay, o, replay_)) {
      r.found = failure::nondeterminism;
      r.message = "malformed replay token";
      r.report = r.message + "\n";
      return r;
    }
    opts_.history = std::clamp(o.history, 1u, max_history);
    opts_.max_steps = o.max_steps;
    opts_.spurious_cas = o.spurious_cas;
    cell_points_ = o.cell_points != 0;
    replaying_ = true;
  }
  bool finished = false;
  for (;;) {
    const bool ok = execute();
    ++r.executions;
    if (!ok || replaying_) break;
    if (!advance()) {
      finished = opts_.strat == strategy::bounded || opts_.strat == strategy::exhaustive;
      break;
    }
    ++iteration_;
    if ((opts_.strat == strategy::bounded || opts_.strat == strategy::exhaustive) &&
        r.executions >= opts_.max_executions)
      break;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.found = kind_;
  r.complete = finished;
  r.history_bound_hit = history_hit_;
  r.message = message_;
  r.passed = r.found == r.expected;
  r.token = token();
  if (kind_ != failure::none || opts_.trace_always) {
    r.report = std::string(test_.name) + ": " + (kind_ == failure::none ? "no failure" : to_string(kind_)) +
               (kind_ == failure::none ? "" : ": " + message_) + "\n  execution " + std::to_string(r.executions) +
               ", strategy " + to_string(opts_.strat) + "\n" + trace() + "  replay: gocxx-verify " + test_.name +
               " --replay " + r.token + "\n";
  }
  return r;
}

}  // namespace

// --- the entry points of runtime.hpp ------------------------------------------------------------------------
void atomic_init(object_ref& ref, std::uint64_t value, unsigned size, const void* addr,
                 const std::source_location& loc) noexcept {
  if (g_checker != nullptr && g_checker->checked()) g_checker->atomic_init(ref, value, size, addr, loc);
}
void atomic_destroy(object_ref& ref, std::uint64_t, unsigned, const void* addr) noexcept {
  if (g_checker != nullptr && g_checker->checked()) g_checker->atomic_destroy(ref, addr);
}
std::uint64_t atomic_op(object_ref& ref, std::uint64_t& raw, unsigned size, rmw_op op, std::uint64_t operand,
                        std::uint64_t* expected, std::memory_order order, std::memory_order failure_order,
                        const void* addr, const std::source_location& loc) noexcept {
  if (g_checker != nullptr) {
    return g_checker->atomic_op(ref, raw, size, op, operand, expected, order, failure_order, addr, loc);
  }
  // No check running: a plain single-threaded object.
  const std::uint64_t old = raw;
  const std::uint64_t mask = size >= 8 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (size * 8)) - 1);
  switch (op) {
    case rmw_op::load: return old;
    case rmw_op::store: raw = operand; return 0;
    case rmw_op::exchange: raw = operand; return old;
    case rmw_op::cas_strong:
    case rmw_op::cas_weak:
      if (old != *expected) {
        *expected = old;
        return 0;
      }
      raw = operand;
      return 1;
    case rmw_op::fetch_add: raw = (old + operand) & mask; return old;
    case rmw_op::fetch_sub: raw = (old - operand) & mask; return old;
    case rmw_op::fetch_and: raw = old & operand; return old;
    case rmw_op::fetch_or: raw = old | operand; return old;
    case rmw_op::fetch_xor: raw = old ^ operand; return old;
  }
  return old;
}
futex_result futex_wait(object_ref& ref, std::uint64_t& raw, unsigned size, std::uint64_t expected,
                        bool has_deadline, const void* addr, const std::source_location& loc) noexcept {
  if (g_checker != nullptr) return g_checker->futex_wait(ref, raw, size, expected, has_deadline, addr, loc);
  return raw == expected ? futex_result::interrupted : futex_result::value_changed;
}
void futex_wake(object_ref& ref, std::uint64_t& raw, unsigned size, int count, const void* addr,
                const std::source_location& loc) noexcept {
  if (g_checker != nullptr) g_checker->futex_wake(ref, raw, size, count, addr, loc);
}
void cell_init(object_ref& ref, const void* addr, const std::source_location& loc) noexcept {
  if (g_checker != nullptr && g_checker->checked()) g_checker->cell_init(ref, addr, loc);
}
void cell_destroy(object_ref& ref, const void* addr) noexcept {
  if (g_checker != nullptr && g_checker->checked()) g_checker->cell_destroy(ref, addr);
}
void cell_access(object_ref& ref, const void* addr, bool write, bool has_value, std::uint64_t value,
                 const std::source_location& loc) noexcept {
  if (g_checker != nullptr) g_checker->cell_access(ref, addr, write, has_value, value, loc);
}
void fence(std::memory_order order, const std::source_location& loc) noexcept {
  if (g_checker != nullptr) {
    g_checker->fence(order, loc);
  } else {
    std::atomic_thread_fence(order);
  }
}
void spin(bool is_yield, const std::source_location& loc) noexcept {
  if (g_checker != nullptr) g_checker->spin(is_yield, loc);
}
void* allocate(std::size_t size, std::size_t align, const char* type, const std::source_location& loc) {
  if (g_checker != nullptr) return g_checker->allocate(size, align, type, loc);
  (void)align;
  return ::operator new(size, std::align_val_t(64));
}
bool begin_free(void* p, const std::source_location& loc) noexcept {
  if (g_checker != nullptr) return g_checker->begin_free(p, loc);
  return true;
}
void end_free(void* p) noexcept {
  if (g_checker != nullptr) {
    g_checker->end_free(p);
  } else {
    ::operator delete(p, std::align_val_t(64));
  }
}
unsigned choose_value(unsigned n) noexcept {
  if (g_checker != nullptr && g_checker->checked() && n > 1) return g_checker->choose_value(n);
  return 0;
}

void* current_parker() noexcept {
  if (g_checker != nullptr) return g_checker->current_parker();
  static env::parker outside;  // outside a check: one parker, plain single-threaded
  return &outside;
}
void report(failure kind, const char* message, const std::source_location& loc) noexcept {
  if (g_checker != nullptr) g_checker->fail(kind, message, loc);
}
bool in_check() noexcept { return g_checker != nullptr; }

result run(const test_descriptor& test, const options& opts) {
  if (g_checker != nullptr) {
    result r;
    r.found = failure::nondeterminism;
    r.message = "check() called from inside a check";
    return r;
  }
  checker c(test, opts);
  return c.run();
}

}  // namespace detail
}  // namespace gocxx::verify
