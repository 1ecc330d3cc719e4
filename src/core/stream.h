// The STREAM payload shared by messages and vault entries (man/grypt.5,
// STREAM): AES-256-GCM over 64 KiB chunks under a key used for one payload
// only; nonce = 11-byte big-endian chunk counter || final flag (0x01 on the
// final chunk). The final chunk carries the last 0..65536 message bytes plus
// a fixed-size trailer (0 or 72 bytes); it is empty of message bytes only
// when the whole message is.
//
//   non-final chunk: 65536 plaintext bytes -> 65552 bytes
//   final chunk:     r + T plaintext bytes -> r + T + 16 bytes
//
// A reader with R bytes left takes them all as the final chunk when
// R <= 65552 + T, else the next 65552 bytes as a non-final chunk. A final
// chunk shorter than 16 + T bytes, or after a first chunk shorter than
// 17 + T, is truncated. Chunk plaintext is released only after its tag
// verified.
//
// Buffers fit the work: a small payload costs a few small buffers, a large
// one grows them to batches of 1 MiB.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/io.h"

namespace grypt {

inline constexpr std::size_t chunk_bytes = 65536;
inline constexpr std::size_t sealed_chunk_bytes = chunk_bytes + gcm_tag_bytes;

// Size of the STREAM payload for `message` plaintext bytes and a trailer.
std::uint64_t stream_size(std::uint64_t message, std::size_t trailer);
// The message size for a payload size, or false if no message has it.
bool stream_message_size(std::uint64_t payload, std::size_t trailer, std::uint64_t& message);

// A byte buffer that is not zero-filled on allocation (it is always written
// before it is read), so an unused tail costs no page faults.
class RawBuffer {
 public:
  explicit RawBuffer(std::size_t size = 0) : data_(new std::uint8_t[size]), size_(size) {}
  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  // Grows to `size`, keeping the first `keep` bytes.
  void grow(std::size_t size, std::size_t keep);

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_;
};

class StreamSealer {
 public:
  // `out` receives sealed chunks, in batches.
  StreamSealer(std::span<const std::uint8_t> key, Output& out, std::size_t trailer_size = 0);
  void write(std::span<const std::uint8_t> data);
  // Reads `in` to its end and writes it, in large pieces for large inputs.
  // `observe` (optional) is given every piece, in order, to hash alongside.
  void write_all_of(Input& in, PipelinedSha512* observe = nullptr);
  // Seals the final chunk with the trailer (of exactly trailer_size bytes).
  void finish(std::span<const std::uint8_t> trailer = {});

 private:
  void seal(std::span<const std::uint8_t> chunk, bool final);
  void flush();

  AesGcm gcm_;
  Output& out_;
  std::size_t trailer_size_;
  std::uint64_t counter_ = 0;
  SecretBytes plain_;  // one chunk plus trailer
  std::size_t have_ = 0;
  RawBuffer batch_;
  std::size_t batched_ = 0;
};

class StreamOpener {
 public:
  // size_hint: the payload size when known (a file), so that buffers fit a
  // small payload; 0 when unknown. A wrong hint costs speed, never safety.
  StreamOpener(std::span<const std::uint8_t> key, Input& in, std::size_t trailer_size = 0,
               std::uint64_t size_hint = 0);
  // The next verified plaintext (up to 4 chunks, without the trailer);
  // empty at the end and after it. Throws OpenError (truncated, trailing,
  // auth). The bytes stay unchanged until the second call after this one.
  std::span<const std::uint8_t> next();
  bool done() const { return done_; }
  // After the end: the trailer from the final chunk (empty before).
  std::span<const std::uint8_t> trailer() const;

 private:
  void fill();
  std::size_t open_chunk(std::uint8_t* out, std::size_t len, bool final);

  AesGcm gcm_;
  Input& in_;
  std::size_t trailer_size_;
  std::uint64_t counter_ = 0;
  RawBuffer buf_;  // ciphertext read ahead
  std::size_t start_ = 0, end_ = 0;
  bool eof_ = false, done_ = false;
  SecretBytes plain_;  // verified plaintext of up to 4 chunks
  SecretBytes other_;  // the batch before, in a large payload
  std::size_t trailer_at_ = 0;
};

}  // namespace grypt
