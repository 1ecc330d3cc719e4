// PipelinedSha512: the SHA-512 of a signed message's plaintext, computed on a
// second thread once the plaintext proves long, so that hashing (the slowest
// step of a signed seal or open: about 0.7 GB/s) overlaps decryption,
// encryption and I/O instead of adding to them. Short inputs are hashed on
// the caller's thread and never start one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <span>
#include <thread>

#include "core/crypto.h"

namespace grypt {

class PipelinedSha512 {
 public:
  static constexpr std::size_t size = Sha512::size;
  // Inputs up to this many bytes are hashed on the caller's thread.
  static constexpr std::size_t inline_bytes = 1 << 20;

  PipelinedSha512() = default;
  ~PipelinedSha512();
  PipelinedSha512(const PipelinedSha512&) = delete;
  PipelinedSha512& operator=(const PipelinedSha512&) = delete;

  // Hashes `piece` before returning.
  void update(std::span<const std::uint8_t> piece);
  // Hashes `piece`, perhaps on the second thread after returning: the caller
  // keeps `piece` unchanged until its next call to this object. Pieces are
  // hashed in the order given.
  void update_later(std::span<const std::uint8_t> piece);
  // Waits for every piece; rethrows what hashing one of them threw.
  void final(std::span<std::uint8_t, size> out);
  // Returns once no piece is being hashed, so the caller may reuse or free
  // them (a failure is kept for final()).
  void settle() noexcept;

 private:
  void wait();
  void work();

  Sha512 sha_;
  std::uint64_t total_ = 0;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::span<const std::uint8_t> pending_;  // given to the worker, not yet hashed
  bool busy_ = false, stop_ = false;
  std::exception_ptr failed_;
};

}  // namespace grypt
