// Byte sources and sinks for the streaming formats: file descriptors,
// memory, and an AtomicFile. read() returns 0 only at the end of input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace grypt {

class AtomicFile;

class Input {
 public:
  virtual ~Input() = default;
  virtual std::size_t read(std::span<std::uint8_t> buf) = 0;
  // Fills buf unless the input ends first; returns the bytes read.
  std::size_t read_full(std::span<std::uint8_t> buf);
};

class Output {
 public:
  virtual ~Output() = default;
  virtual void write(std::span<const std::uint8_t> bytes) = 0;
};

class FdInput : public Input {
 public:
  FdInput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  std::size_t read(std::span<std::uint8_t> buf) override;

 private:
  int fd_;
  std::string name_;
};

class FdOutput : public Output {
 public:
  FdOutput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void write(std::span<const std::uint8_t> bytes) override;

 private:
  int fd_;
  std::string name_;
};

class MemoryInput : public Input {
 public:
  explicit MemoryInput(std::span<const std::uint8_t> data) : data_(data) {}
  std::size_t read(std::span<std::uint8_t> buf) override;

 private:
  std::span<const std::uint8_t> data_;
};

class MemoryOutput : public Output {
 public:
  void write(std::span<const std::uint8_t> bytes) override {
    data.insert(data.end(), bytes.begin(), bytes.end());
  }
  std::vector<std::uint8_t> data;
};

class AtomicFileOutput : public Output {
 public:
  explicit AtomicFileOutput(AtomicFile& file) : file_(file) {}
  void write(std::span<const std::uint8_t> bytes) override;

 private:
  AtomicFile& file_;
};

// Writes all of `bytes` to a file descriptor; throws SystemError naming
// `what` (for example "stdout") on failure, such as a full disk.
void write_all(int fd, std::span<const std::uint8_t> bytes, std::string_view what);

// Best effort: a larger pipe buffer means fewer wake-ups when streaming.
void grow_pipe(int fd);

}  // namespace grypt
