// gocxx/panic.hpp: the error that misuse raises, with Go's own words.
//
// Go panics where a program breaks a rule of the language or of package sync ("send on closed
// channel"). gocxx throws `gocxx::panic_error` with exactly the message Go prints after "panic: ",
// so a reader who knows Go recognises it and a test can match it. Inside a goroutine an escaping
// panic_error ends the process the way an unrecovered Go panic does (the runtime does that).
#pragma once

#include <stdexcept>
#include <string>

namespace gocxx {

// panic_error is thrown for misuse of a gocxx primitive; what() is Go's message for the same misuse.
class panic_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Go's messages, spelled once so that every primitive and every test uses the same text.
namespace panic_message {
inline constexpr const char* send_on_closed = "send on closed channel";
inline constexpr const char* close_of_closed = "close of closed channel";
inline constexpr const char* close_of_nil = "close of nil channel";
inline constexpr const char* negative_wait_group = "sync: negative WaitGroup counter";
inline constexpr const char* wait_group_reused = "sync: WaitGroup is reused before previous Wait has returned";
inline constexpr const char* unlock_of_unlocked = "sync: unlock of unlocked mutex";
inline constexpr const char* runlock_of_unlocked = "sync: RUnlock of unlocked RWMutex";
inline constexpr const char* unlock_of_unlocked_rw = "sync: Unlock of unlocked RWMutex";
inline constexpr const char* deadlock = "fatal error: all goroutines are asleep - deadlock!";
inline constexpr const char* stack_overflow = "goroutine stack overflow";
inline constexpr const char* thread_exhaustion = "fatal error: thread exhaustion";
}  // namespace panic_message

// panic() throws panic_error(message). It never returns.
[[noreturn]] inline void panic(const char* message) { throw panic_error(message); }

}  // namespace gocxx
