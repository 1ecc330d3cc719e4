// A condition that coroutines wait on with a deadline, woken when it may
// have changed (an answer from a server, a pong): waits are signalled,
// never polled.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <list>

namespace grypt {

class Signal {
 public:
  explicit Signal(asio::io_context& io) : io_(&io) {}

  // Until notify() or the deadline; true when notified.
  asio::awaitable<bool> wait_until(std::chrono::steady_clock::time_point deadline) {
    Waiter w{asio::steady_timer(*io_, deadline), false};
    auto it = waiters_.insert(waiters_.end(), &w);
    asio::error_code ec;
    co_await w.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!w.notified) waiters_.erase(it);
    co_return w.notified;
  }
  void notify() {
    for (Waiter* w : waiters_) {
      w->notified = true;
      w->timer.cancel();
    }
    waiters_.clear();
  }

 private:
  struct Waiter {
    asio::steady_timer timer;
    bool notified;
  };
  asio::io_context* io_;
  std::list<Waiter*> waiters_;
};

}  // namespace grypt
