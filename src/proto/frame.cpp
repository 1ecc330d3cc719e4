#include "proto/frame.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/bytes.h"
#include "core/io.h"

namespace grypt {
namespace {

std::size_t body_length(const std::uint8_t* p) {
  std::size_t n = get_be32(p);
  if (n == 0) throw ProtocolError("protocol", "an empty frame");
  if (n > max_frame)
    throw ProtocolError("too-large", "a frame of " + std::to_string(n) + " bytes (at most " +
                                         std::to_string(max_frame) + ")");
  return n;
}

// Waits until fd is readable; false at the timeout.
bool wait_readable(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) throw SystemError("cannot wait for input", errno);
  }
}

// Reads exactly n bytes; false at the end of the stream before the first.
bool read_exact(int fd, std::uint8_t* out, std::size_t n, int timeout_ms, bool first) {
  std::size_t have = 0;
  while (have < n) {
    if (!wait_readable(fd, timeout_ms)) throw SystemError("timed out waiting for a frame");
    ssize_t r = ::read(fd, out + have, n - have);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw SystemError("cannot read a frame", errno);
    }
    if (r == 0) {
      if (first && have == 0) return false;
      throw ProtocolError("protocol", "the frame is cut short");
    }
    have += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

std::vector<std::uint8_t> frame(std::span<const std::uint8_t> body) {
  if (body.empty() || body.size() > max_frame)
    throw std::logic_error("frame body of " + std::to_string(body.size()) + " bytes");
  std::vector<std::uint8_t> out(4 + body.size());
  put_be32(out.data(), static_cast<std::uint32_t>(body.size()));
  std::memcpy(out.data() + 4, body.data(), body.size());
  return out;
}

void FrameBuffer::feed(std::span<const std::uint8_t> bytes) {
  // Refuse an oversized frame as soon as its length is in, before its body.
  data_.insert(data_.end(), bytes.begin(), bytes.end());
  if (pending() >= 4) body_length(data_.data() + start_);
}

std::optional<std::vector<std::uint8_t>> FrameBuffer::next() {
  if (pending() < 4) return std::nullopt;
  std::size_t n = body_length(data_.data() + start_);
  if (pending() < 4 + n) return std::nullopt;
  std::vector<std::uint8_t> body(data_.begin() + static_cast<std::ptrdiff_t>(start_ + 4),
                                 data_.begin() + static_cast<std::ptrdiff_t>(start_ + 4 + n));
  start_ += 4 + n;
  if (start_ == data_.size()) {
    clear();
  } else if (start_ > (64 << 10)) {
    data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  } else if (pending() >= 4) {
    body_length(data_.data() + start_);
  }
  return body;
}

void FrameBuffer::clear() {
  data_.clear();
  data_.shrink_to_fit();
  start_ = 0;
}

void write_frame(int fd, std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> f = frame(body);
  std::span<const std::uint8_t> rest = f;
  // send() with MSG_NOSIGNAL: a peer that went away is an error, not a
  // SIGPIPE that kills the process.
  while (!rest.empty()) {
    ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK) {
        write_all(fd, rest, "the peer");
        return;
      }
      throw SystemError("cannot write to the peer", errno);  // errnum() tells EPIPE
    }
    rest = rest.subspan(static_cast<std::size_t>(n));
  }
}

std::optional<std::vector<std::uint8_t>> read_frame(int fd, int timeout_ms) {
  std::uint8_t head[4];
  if (!read_exact(fd, head, 4, timeout_ms, true)) return std::nullopt;
  std::size_t n = body_length(head);
  std::vector<std::uint8_t> body(n);
  read_exact(fd, body.data(), n, timeout_ms, false);
  return body;
}

}  // namespace grypt
