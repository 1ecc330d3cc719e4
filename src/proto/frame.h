// Frames (man/grypt-protocol.7, FRAMES): a 4-byte big-endian length n,
// 1 <= n <= 1 MiB, then n bytes of one JSON object. The length is checked
// before anything is allocated; a malformed frame is a ProtocolError, which
// ends that connection only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

namespace grypt {

inline constexpr std::size_t max_frame = 1 << 20;

// The peer broke the protocol; `code` is the stable error code of
// grypt-protocol.7 (protocol, too-large, version, ...).
class ProtocolError : public Error {
 public:
  ProtocolError(std::string code, const std::string& what) : Error(what), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// Prefixes a body with its length.
std::vector<std::uint8_t> frame(std::span<const std::uint8_t> body);

// Collects bytes from a stream and cuts them into frame bodies.
class FrameBuffer {
 public:
  void feed(std::span<const std::uint8_t> bytes);
  // The next whole frame's body, if one has arrived. ProtocolError for a
  // length of 0 or over max_frame, before its body is buffered.
  std::optional<std::vector<std::uint8_t>> next();
  // Bytes held: a partial frame.
  std::size_t pending() const { return data_.size() - start_; }
  void clear();

 private:
  std::vector<std::uint8_t> data_;
  std::size_t start_ = 0;
};

// Blocking helpers for a descriptor (admin socket, daemon socket, tests).
// read_frame: nullopt at a clean end of stream before a frame; ProtocolError
// for a malformed or cut frame; SystemError for I/O errors and the timeout.
void write_frame(int fd, std::span<const std::uint8_t> body);
std::optional<std::vector<std::uint8_t>> read_frame(int fd, int timeout_ms);

}  // namespace grypt
