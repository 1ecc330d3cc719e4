// A line on stderr saying that slow work goes on (pw-hash at 2 GiB, a
// large post sealed or opened, a large secret stored or read), shown only
// when stderr is a terminal and the work has taken about a second: a
// pipeline, a log or cron never sees it. It is erased when the work ends.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/io.h"

namespace grypt {

class Progress {
 public:
  // `what` follows the tool's name ("pw-hash: hashing, 2048 MiB: 3 s");
  // wanted = false (--quiet) shows nothing.
  Progress(std::string what, bool wanted);
  // Bytes done, shown before the time once there are some
  // ("grypt-seal: sealing: 1.5 GiB, 3 s").
  void add(std::uint64_t bytes) { bytes_.fetch_add(bytes, std::memory_order_relaxed); }
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // The delay before the line shows: 1 s, or $GRYPT_PROGRESS_AFTER_MS.
  static std::chrono::milliseconds delay();
  // Erases the line if it shows (clear_progress_line).
  void clear();

 private:
  void run();
  void show(std::chrono::seconds elapsed);

  std::string what_;
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false, shown_ = false;
  std::atomic<std::uint64_t> bytes_{0};
  std::thread thread_;
};

// What `in` gives, counted into a Progress.
class CountedInput : public Input {
 public:
  CountedInput(Input& in, Progress& p) : in_(in), p_(p) {}
  std::size_t read(std::span<std::uint8_t> buf) override {
    std::size_t n = in_.read(buf);
    p_.add(n);
    return n;
  }

 private:
  Input& in_;
  Progress& p_;
};

// What goes to `out`, counted into a Progress.
class CountedOutput : public Output {
 public:
  CountedOutput(Output& out, Progress& p) : out_(out), p_(p) {}
  void write(std::span<const std::uint8_t> bytes) override {
    out_.write(bytes);
    p_.add(bytes.size());
  }

 private:
  Output& out_;
  Progress& p_;
};

// Erases the progress line shown now, if any, so that a message written to
// stderr next starts at the beginning of a line; the line comes back at the
// next second. Every line the tools write to stderr calls it.
void clear_progress_line();

// "512 KiB", "45.6 MiB", "1.2 GiB": a byte count as a person reads it.
std::string byte_count_text(std::uint64_t bytes);

}  // namespace grypt
