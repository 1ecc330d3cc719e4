#include "core/digest.h"

#include <system_error>

namespace grypt {

PipelinedSha512::~PipelinedSha512() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void PipelinedSha512::update(std::span<const std::uint8_t> piece) {
  wait();
  sha_.update(piece);
  total_ += piece.size();
}

void PipelinedSha512::update_later(std::span<const std::uint8_t> piece) {
  if (total_ + piece.size() <= inline_bytes) {
    update(piece);
    return;
  }
  wait();
  if (!worker_.joinable()) {
    try {
      worker_ = std::thread([this] { work(); });
    } catch (const std::system_error&) {
      update(piece);  // no thread to be had (a process limit): hash here
      return;
    }
  }
  total_ += piece.size();
  {
    std::lock_guard lock(mutex_);
    pending_ = piece;
    busy_ = true;
  }
  cv_.notify_all();
}

void PipelinedSha512::final(std::span<std::uint8_t, size> out) {
  wait();
  sha_.final(out);
}

void PipelinedSha512::settle() noexcept {
  if (!worker_.joinable()) return;
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return !busy_; });
}

void PipelinedSha512::wait() {
  settle();
  // A lost piece makes every later digest wrong: the failure stays.
  if (failed_) std::rethrow_exception(failed_);
}

void PipelinedSha512::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return busy_ || stop_; });
    if (stop_) return;
    auto piece = pending_;
    lock.unlock();
    std::exception_ptr failed;
    try {
      sha_.update(piece);
    } catch (...) {
      failed = std::current_exception();
    }
    lock.lock();
    failed_ = failed;
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace grypt
