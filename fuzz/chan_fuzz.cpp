// chan_fuzz: libFuzzer drives single-threaded programs of channel operations against the shipped
// channel (lock-free ring, locked rendezvous), the reference channel, and a model of Go's
// semantics written here; every observable result must agree, panics included.
//
// Input: byte 0 picks the capacity (0..8); each following byte is one operation:
//   low 2 bits: 0 try_send(value = byte >> 2), 1 try_recv, 2 close, 3 len
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "gocxx/chan.hpp"

namespace {

struct model {
  std::size_t cap;
  std::deque<int> buffer;
  bool closed = false;
};

struct outcome {
  int kind = 0;  // 0 none, 1 ok/value, 2 empty/full, 3 closed, 4 panic
  int value = 0;
  std::string panic;
  bool operator==(const outcome&) const = default;
};

template <class F>
outcome guarded(F&& f) {
  try {
    return f();
  } catch (const gocxx::panic_error& e) {
    return {4, 0, e.what()};
  }
}

outcome run(gocxx::chan<int>& ch, int op, int value) {
  return guarded([&]() -> outcome {
    switch (op) {
      case 0: return {ch.try_send(value) ? 1 : 2, 0, {}};
      case 1: {
        std::optional<int> out;
        switch (ch.try_recv(out)) {
          case gocxx::recv_state::value: return {1, *out, {}};
          case gocxx::recv_state::empty: return {2, 0, {}};
          case gocxx::recv_state::closed: return {3, 0, {}};
        }
        return {};
      }
      case 2: ch.close(); return {1, 0, {}};
      default: return {1, static_cast<int>(ch.size()), {}};
    }
  });
}

outcome run(model& m, int op, int value) {
  switch (op) {
    case 0:
      if (m.closed) return {4, 0, "send on closed channel"};
      if (m.buffer.size() < m.cap) {
        m.buffer.push_back(value);
        return {1, 0, {}};
      }
      return {2, 0, {}};  // full, or unbuffered with no receiver
    case 1:
      if (!m.buffer.empty()) {
        const int v = m.buffer.front();
        m.buffer.pop_front();
        return {1, v, {}};
      }
      return {m.closed ? 3 : 2, 0, {}};
    case 2:
      if (m.closed) return {4, 0, "close of closed channel"};
      m.closed = true;
      return {1, 0, {}};
    default: return {1, static_cast<int>(m.buffer.size()), {}};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cap = data[0] % 9;
  auto fast = gocxx::make_chan<int>(cap);
  auto reference = gocxx::make_reference_chan<int>(cap);
  model m{cap, {}, false};
  for (std::size_t i = 1; i < size; ++i) {
    const int op = data[i] & 3, value = data[i] >> 2;
    const outcome want = run(m, op, value);
    if (!(run(fast, op, value) == want) || !(run(reference, op, value) == want)) __builtin_trap();
  }
  return 0;
}
