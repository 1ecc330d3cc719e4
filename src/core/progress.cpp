#include "core/progress.h"

#include <unistd.h>

#include <cstdlib>

#include "core/tool.h"

namespace grypt {
namespace {

// The line shown now: at most one at a time. Locked before a Progress's own
// mutex, never after it.
std::mutex g_active_mutex;
Progress* g_active = nullptr;

}  // namespace

Progress::Progress(std::string what, bool wanted) : what_(std::move(what)) {
  if (!wanted || !::isatty(STDERR_FILENO)) return;
  std::lock_guard active(g_active_mutex);
  if (g_active) return;  // another one shows already
  g_active = this;
  thread_ = std::thread([this] { run(); });
}

Progress::~Progress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard active(g_active_mutex);
    g_active = nullptr;
  }
  {
    std::lock_guard lock(m_);
    done_ = true;
  }
  cv_.notify_one();
  thread_.join();
  // The line is erased, so that what the tool says next starts clean.
  if (shown_) [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, "\r\033[K", 4);
}

void Progress::clear() {
  std::lock_guard lock(m_);
  if (shown_) [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, "\r\033[K", 4);
  shown_ = false;
}

void clear_progress_line() {
  std::lock_guard active(g_active_mutex);
  if (g_active) g_active->clear();
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

std::string byte_count_text(std::uint64_t bytes) {
  constexpr std::uint64_t kib = 1024, mib = kib << 10, gib = mib << 10;
  // Tenths of `unit`, rounded, without overflow.
  auto tenths = [&](std::uint64_t unit) { return bytes / unit * 10 + (bytes % unit * 10 + unit / 2) / unit; };
  auto text = [](std::uint64_t t, const char* unit) {
    return std::to_string(t / 10) + "." + std::to_string(t % 10) + " " + unit;
  };
  if (bytes < kib) return std::to_string(bytes) + " B";
  if (bytes < mib) return std::to_string(bytes / kib) + " KiB";
  if (std::uint64_t t = tenths(mib); t < 10240) return text(t, "MiB");
  return text(tenths(gib), "GiB");
}

void Progress::show(std::chrono::seconds elapsed) {
  const std::uint64_t bytes = bytes_.load(std::memory_order_relaxed);
  // With a byte count the line can get shorter ("1023 KiB", "1.0 MiB"):
  // the rest of the last one is cleared.
  std::string line = "\r" + std::string(tool_name()) + ": " + what_ + ": " +
                     (bytes > 0 ? byte_count_text(bytes) + ", " : "") + std::to_string(elapsed.count()) + " s" +
                     (bytes > 0 ? "\033[K" : "");
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  shown_ = true;
}

}  // namespace grypt
