// A line on stderr saying that slow work goes on (pw-hash at 2 GiB), shown
// only when stderr is a terminal and the work has taken about a second: a
// pipeline, a log or cron never sees it. It is erased when the work ends.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace grypt {

class Progress {
 public:
  // `what` follows the tool's name ("pw-hash: hashing, 2048 MiB: 3 s");
  // wanted = false (--quiet) shows nothing.
  Progress(std::string what, bool wanted);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // The delay before the line shows: 1 s, or $GRYPT_PROGRESS_AFTER_MS.
  static std::chrono::milliseconds delay();

 private:
  void run();
  void show(std::chrono::seconds elapsed);

  std::string what_;
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false, shown_ = false;
  std::thread thread_;
};

}  // namespace grypt
