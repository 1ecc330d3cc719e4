#include "core/progress.h"

#include <unistd.h>

#include <cstdlib>

#include "core/tool.h"

namespace grypt {

Progress::Progress(std::string what, bool wanted) : what_(std::move(what)) {
  if (wanted && ::isatty(STDERR_FILENO)) thread_ = std::thread([this] { run(); });
}

Progress::~Progress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(m_);
    done_ = true;
  }
  cv_.notify_one();
  thread_.join();
  // The line is erased, so that what the tool says next starts clean.
  if (shown_) [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, "\r\033[K", 4);
}

std::chrono::milliseconds Progress::delay() {
  const char* ms = std::getenv("GRYPT_PROGRESS_AFTER_MS");
  if (!ms || !*ms) return std::chrono::milliseconds(1000);
  char* end = nullptr;
  long v = std::strtol(ms, &end, 10);
  return std::chrono::milliseconds(*end == '\0' && v >= 0 && v <= 60000 ? v : 1000);
}

void Progress::run() {
  auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(m_);
  auto next = start + delay();
  while (!cv_.wait_until(lock, next, [this] { return done_; })) {
    show(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start));
    next += std::chrono::seconds(1);
  }
}

void Progress::show(std::chrono::seconds elapsed) {
  std::string line = "\r" + std::string(tool_name()) + ": " + what_ + ": " + std::to_string(elapsed.count()) + " s";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  shown_ = true;
}

}  // namespace grypt
