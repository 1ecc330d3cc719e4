// The store's own thread: the event loop never waits on a disk sync or a
// database commit. The loop hands it jobs in order; each job runs on the
// store, and its result (or its error) comes back to the loop as a posted
// handler. One thread keeps the jobs in order, as the store needs.
#pragma once

#include <asio/io_context.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "gryptserver/store.h"

namespace grypt {

class StoreWorker {
 public:
  StoreWorker(Store& store, asio::io_context& io) : store_(store), io_(io), thread_([this] { loop(); }) {}
  ~StoreWorker() { stop(); }
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Runs job(store) on the store's thread, then done(result or the
  // exception it threw) on the loop.
  template <class Job, class Done>
  void submit(Job job, Done done) {
    using R = decltype(job(store_));
    push([this, job = std::move(job), done = std::move(done)]() mutable {
      std::exception_ptr error;
      if constexpr (std::is_void_v<R>) {
        try {
          job(store_);
        } catch (...) {
          error = std::current_exception();
        }
        asio::post(io_, [done = std::move(done), error]() mutable { done(error); });
      } else {
        std::optional<R> result;
        try {
          result.emplace(job(store_));
        } catch (...) {
          error = std::current_exception();
        }
        asio::post(io_, [done = std::move(done), result = std::move(result), error]() mutable {
          done(std::move(result), error);
        });
      }
    });
  }

  // The same, for a coroutine: co_await call(job) gives job's result, or
  // throws what it threw.
  template <class Job>
  auto call(Job job) {
    using R = decltype(job(store_));
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
        [this, job = std::move(job)](auto handler) mutable {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          submit(std::move(job), [h](std::optional<R> r, std::exception_ptr e) mutable {
            std::move(*h)(e, r ? std::move(*r) : R{});
          });
        },
        asio::use_awaitable);
  }

  // Waits for the jobs handed in so far, and ends the thread.
  void stop() {
    {
      std::lock_guard<std::mutex> l(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void push(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> l(mutex_);
      jobs_.push_back(std::move(f));
    }
    wake_.notify_one();
  }
  void loop() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> l(mutex_);
        wake_.wait(l, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        f = std::move(jobs_.front());
        jobs_.pop_front();
      }
      f();
    }
  }

  Store& store_;
  asio::io_context& io_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace grypt
