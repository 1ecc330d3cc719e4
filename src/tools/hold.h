// A signed message's plaintext, held back until its signature verified: in
// guarded memory up to 16 MiB (in blocks of 1 MiB, never copied to grow),
// beyond that in an unnamed temporary file, encrypted under a key used for
// this file only and forgotten when it is closed. Memory stays bounded for a
// message of any size, and nothing of it is written before it verified.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/fd.h"
#include "core/io.h"
#include "core/stream.h"

namespace grypt {

class Hold : public Output {
 public:
  static constexpr std::size_t memory_limit = 16 << 20;

  static constexpr std::size_t block = 1 << 20;

  void write(std::span<const std::uint8_t> bytes) override {
    if (spill_) {
      spill_->sealer->write(bytes);
      size_ += bytes.size();
      return;
    }
    if (size_ + bytes.size() > memory_limit) {
      start_spill();
      for_each_block([&](std::span<const std::uint8_t> b) { spill_->sealer->write(b); });
      blocks_.clear();
      tail_ = 0;
      spill_->sealer->write(bytes);
      size_ += bytes.size();
      return;
    }
    while (!bytes.empty()) {
      if (blocks_.empty() || tail_ == blocks_.back().size()) {
        if (!blocks_.empty() && blocks_.back().size() < block) {
          // The first block, sized for a small message, grows once to a
          // whole block; later ones are whole from the start.
          SecretBytes whole(block);
          std::memcpy(whole.data(), blocks_.back().data(), tail_);
          blocks_.back() = std::move(whole);
        } else {
          std::size_t want = blocks_.empty() ? std::min(block, (bytes.size() + 4095) & ~std::size_t{4095}) : block;
          blocks_.emplace_back(want);
          tail_ = 0;
        }
      }
      std::size_t n = std::min(bytes.size(), blocks_.back().size() - tail_);
      std::memcpy(blocks_.back().data() + tail_, bytes.data(), n);
      tail_ += n;
      size_ += n;
      bytes = bytes.subspan(n);
    }
  }

  std::uint64_t size() const { return size_; }
  // A copy of the held plaintext while it is in memory (nullopt once spilled).
  std::optional<SecretBytes> in_memory() const {
    if (spill_) return std::nullopt;
    SecretBytes all(size_);
    std::size_t at = 0;
    for_each_block([&](std::span<const std::uint8_t> b) {
      std::memcpy(all.data() + at, b.data(), b.size());
      at += b.size();
    });
    return all;
  }

  // Writes the held plaintext to `out`: only once the message verified.
  void replay(Output& out) {
    if (!spill_) {
      for_each_block([&](std::span<const std::uint8_t> b) { out.write(b); });
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

  template <class F>
  void for_each_block(F f) const {
    std::size_t left = size_;
    for (const SecretBytes& b : blocks_) {
      std::size_t n = std::min(left, b.size());
      if (n > 0) f(std::span<const std::uint8_t>(b.data(), n));
      left -= n;
    }
  }

  std::vector<SecretBytes> blocks_;
  std::size_t tail_ = 0;  // bytes used in the last block
  std::uint64_t size_ = 0;
  std::optional<Spill> spill_;
};

}  // namespace grypt
