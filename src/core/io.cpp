#include "core/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/file.h"

namespace grypt {

std::size_t Input::read_full(std::span<std::uint8_t> buf) {
  std::size_t have = 0;
  while (have < buf.size()) {
    std::size_t n = read(buf.subspan(have));
    if (n == 0) break;
    have += n;
  }
  return have;
}

std::size_t FdInput::read(std::span<std::uint8_t> buf) {
  for (;;) {
    ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw SystemError("cannot read " + name_, errno);
  }
}

void write_all(int fd, std::span<const std::uint8_t> bytes, std::string_view what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("cannot write to " + std::string(what), errno);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

void FdOutput::write(std::span<const std::uint8_t> bytes) { write_all(fd_, bytes, name_); }

std::size_t MemoryInput::read(std::span<std::uint8_t> buf) {
  std::size_t n = std::min(buf.size(), data_.size());
  if (n > 0) std::memcpy(buf.data(), data_.data(), n);
  data_ = data_.subspan(n);
  return n;
}

void AtomicFileOutput::write(std::span<const std::uint8_t> bytes) { file_.write(bytes); }

void grow_pipe(int fd) { fcntl(fd, F_SETPIPE_SZ, 1 << 20); }

}  // namespace grypt
