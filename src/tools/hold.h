// A message's plaintext, held back until the whole message verified (its
// signature, for a signed one): in guarded memory up to 16 MiB, beyond that
// in an unnamed temporary file, encrypted under a key used for this file
// only and forgotten when it is closed. Memory stays bounded for a message
// of any size, and nothing of it is written before it verified.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/crypto.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/io.h"
#include "core/stream.h"

namespace grypt {

class Hold : public Output {
 public:
  static constexpr std::size_t memory_limit = 16 << 20;

  void write(std::span<const std::uint8_t> bytes) override {
    if (spill_) {
      spill_->sealer->write(bytes);
      size_ += bytes.size();
      return;
    }
    if (size_ + bytes.size() > memory_limit) {
      start_spill();
      spill_->sealer->write(std::span(mem_.data(), size_));
      mem_ = SecretBytes();
      spill_->sealer->write(bytes);
      size_ += bytes.size();
      return;
    }
    if (mem_.size() < size_ + bytes.size()) {
      SecretBytes bigger(std::min(memory_limit, std::max(size_ + bytes.size(), 2 * mem_.size() + 4096)));
      if (size_ > 0) std::memcpy(bigger.data(), mem_.data(), size_);
      mem_ = std::move(bigger);
    }
    std::memcpy(mem_.data() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
  }

  std::uint64_t size() const { return size_; }
  // The held plaintext when it is in memory (nullopt once spilled).
  std::optional<std::span<const std::uint8_t>> in_memory() const {
    if (spill_) return std::nullopt;
    return std::span<const std::uint8_t>(mem_.data(), size_);
  }

  // Writes the held plaintext to `out`: only once the message verified.
  void replay(Output& out) {
    if (!spill_) {
      if (size_ > 0) out.write(std::span(mem_.data(), size_));
      return;
    }
    spill_->sealer->finish();
    if (::lseek(spill_->fd.get(), 0, SEEK_SET) != 0) throw SystemError("cannot rewind the spool", errno);
    FdInput in(spill_->fd.get(), "the spool");
    StreamOpener opener(spill_->key.span(), in);
    while (!opener.done()) {
      auto p = opener.next();
      if (!p.empty()) out.write(p);
    }
  }

 private:
  struct Spill {
    Fd fd;
    SecretBytes key{key_bytes};
    std::unique_ptr<FdOutput> out;
    std::unique_ptr<StreamSealer> sealer;
  };

  void start_spill() {
    const char* t = std::getenv("TMPDIR");
    std::string dir = t && *t == '/' ? t : "/tmp";
    Spill s;
    s.fd = Fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (!s.fd.valid()) {
      // Without O_TMPFILE: a named file, unlinked at once.
      std::string name = dir + "/.grypt-open-XXXXXX";
      s.fd = Fd(::mkostemp(name.data(), O_CLOEXEC));
      if (!s.fd.valid()) throw SystemError("cannot make a temporary file in " + dir, errno);
      ::unlink(name.c_str());
    }
    random_bytes(s.key.span());
    spill_.emplace(std::move(s));
    spill_->out = std::make_unique<FdOutput>(spill_->fd.get(), "a temporary file in " + dir);
    spill_->sealer = std::make_unique<StreamSealer>(spill_->key.span(), *spill_->out);
  }

  SecretBytes mem_;
  std::uint64_t size_ = 0;
  std::optional<Spill> spill_;
};

}  // namespace grypt
