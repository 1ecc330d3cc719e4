#include "core/stream.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace grypt {
namespace {

// Sealed chunks written per call (1 MiB) and ciphertext read ahead.
constexpr std::size_t batch_chunks = 16;
// Plaintext released per call (256 KiB): few large writes, and a buffer
// that stays in the L2 cache (measured against 1, 2, 8 and 16 chunks).
constexpr std::size_t open_batch_chunks = 4;

std::array<std::uint8_t, gcm_nonce_bytes> chunk_nonce(std::uint64_t counter, bool final) {
  std::array<std::uint8_t, gcm_nonce_bytes> n{};
  for (int i = 0; i < 8; ++i) n[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  n[11] = final ? 1 : 0;
  return n;
}

}  // namespace

void RawBuffer::grow(std::size_t size, std::size_t keep) {
  if (size <= size_) return;
  std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[size]);
  if (keep > 0) std::memcpy(bigger.get(), data_.get(), keep);
  data_ = std::move(bigger);
  size_ = size;
}

std::uint64_t stream_size(std::uint64_t message, std::size_t trailer) {
  std::uint64_t chunks = message == 0 ? 1 : (message + chunk_bytes - 1) / chunk_bytes;
  return message + trailer + chunks * gcm_tag_bytes;
}

bool stream_message_size(std::uint64_t payload, std::size_t trailer, std::uint64_t& message) {
  if (payload < trailer + gcm_tag_bytes) return false;
  std::uint64_t p = payload - trailer;
  std::uint64_t chunks = (p + sealed_chunk_bytes - 1) / sealed_chunk_bytes;
  message = p - chunks * gcm_tag_bytes;
  return stream_size(message, trailer) == payload;
}

StreamSealer::StreamSealer(std::span<const std::uint8_t> key, Output& out,
                           std::size_t trailer_size)
    : gcm_(key),
      out_(out),
      trailer_size_(trailer_size),
      plain_(chunk_bytes + trailer_size),
      batch_(sealed_chunk_bytes + trailer_size) {}

void StreamSealer::write(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    // A full chunk is sealed as non-final only once more data is known to
    // follow: a message of exactly k * 64 KiB ends with a full final chunk.
    if (have_ == chunk_bytes) {
      seal(std::span(plain_.data(), have_), false);
      have_ = 0;
    }
    // Whole chunks with more data after them are sealed from the caller's
    // buffer directly, without the copy into plain_.
    if (have_ == 0 && data.size() > chunk_bytes) {
      seal(data.first(chunk_bytes), false);
      data = data.subspan(chunk_bytes);
      continue;
    }
    std::size_t n = std::min(chunk_bytes - have_, data.size());
    std::memcpy(plain_.data() + have_, data.data(), n);
    have_ += n;
    data = data.subspan(n);
  }
}

void StreamSealer::write_all_of(Input& in, PipelinedSha512* observe) {
  // Starts at one chunk; grows to 1 MiB reads once the input proves large.
  // Two buffers take turns: `observe` may still be hashing the piece in one
  // while the next piece is read into the other and sealed. Hashed pieces
  // are 4 MiB: the slack lets the hashing thread run on while this one waits
  // for its turn on a busy CPU (1 MiB pieces measured 4% slower, 1 GiB pipe to pipe).
  const std::size_t large = (observe ? 4 : 1) * batch_chunks * chunk_bytes;
  SecretBytes buf(chunk_bytes), other;
  struct Settle {
    PipelinedSha512* observe;
    ~Settle() {
      if (observe) observe->settle();  // before the buffers go
    }
  } settle{observe};
  for (;;) {
    std::size_t n = in.read_full(buf.span());
    if (observe) observe->update_later(std::span(buf.data(), n));
    write(std::span(buf.data(), n));
    if (n < buf.size()) return;
    if (observe) std::swap(buf, other);
    if (buf.size() < large) buf = SecretBytes(large);
  }
}

void StreamSealer::finish(std::span<const std::uint8_t> trailer) {
  if (trailer.size() != trailer_size_) throw std::logic_error("STREAM trailer size");
  if (!trailer.empty()) std::memcpy(plain_.data() + have_, trailer.data(), trailer.size());
  have_ += trailer.size();
  seal(std::span(plain_.data(), have_), true);
  have_ = 0;
  flush();
}

// plain_ is overwritten chunk after chunk and wiped when released.
void StreamSealer::seal(std::span<const std::uint8_t> chunk, bool final) {
  if (batch_.size() - batched_ < chunk.size() + gcm_tag_bytes) {
    flush();
    // A second batch means a large payload: write it in large pieces.
    batch_.grow(batch_chunks * sealed_chunk_bytes + trailer_size_, 0);
  }
  std::uint8_t* out = batch_.data() + batched_;
  gcm_.seal(chunk_nonce(counter_++, final), chunk, out, out + chunk.size());
  batched_ += chunk.size() + gcm_tag_bytes;
}

void StreamSealer::flush() {
  if (batched_ == 0) return;
  out_.write(std::span(batch_.data(), batched_));
  batched_ = 0;
}

StreamOpener::StreamOpener(std::span<const std::uint8_t> key, Input& in,
                           std::size_t trailer_size, std::uint64_t size_hint)
    : gcm_(key), in_(in), trailer_size_(trailer_size) {
  const std::size_t max_buf = batch_chunks * sealed_chunk_bytes + sealed_chunk_bytes +
                              trailer_size + 1;
  const std::size_t max_plain = open_batch_chunks * chunk_bytes + trailer_size;
  // One byte more than the payload, so that its end is seen in one pass.
  buf_ = RawBuffer(size_hint > 0 ? std::min<std::uint64_t>(size_hint + 1, max_buf)
                                 : sealed_chunk_bytes + trailer_size + 1);
  plain_ = SecretBytes(size_hint > 0 ? std::min<std::uint64_t>(size_hint, max_plain)
                                     : chunk_bytes + trailer_size);
}

void StreamOpener::fill() {
  if (start_ > 0) {
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  // A second fill, or a full buffer that cannot yet tell a final chunk,
  // means more than a buffer's worth: read ahead 1 MiB.
  if (counter_ > 0 || end_ == buf_.size())
    buf_.grow(batch_chunks * sealed_chunk_bytes + sealed_chunk_bytes + trailer_size_ + 1, end_);
  while (!eof_ && end_ < buf_.size()) {
    std::size_t n = in_.read(std::span(buf_.data() + end_, buf_.size() - end_));
    if (n == 0) eof_ = true;
    end_ += n;
  }
}

// Decrypts chunks straight into plain_, up to open_batch_chunks per call,
// so the caller writes verified plaintext in large pieces without a copy.
std::span<const std::uint8_t> StreamOpener::next() {
  if (done_) return {};
  const std::size_t max_final = sealed_chunk_bytes + trailer_size_;
  const std::size_t max_plain = open_batch_chunks * chunk_bytes + trailer_size_;
  // From the second batch on, two buffers take turns, so the caller may
  // still be reading (hashing) the last batch while this one is opened.
  if (counter_ > 0) std::swap(plain_, other_);
  std::size_t produced = 0;
  while (!done_) {
    while (!eof_ && end_ - start_ <= max_final) fill();
    std::size_t avail = end_ - start_;
    bool final = eof_ && avail <= max_final;
    std::size_t len = final ? avail : sealed_chunk_bytes;
    // A final chunk must hold its tag and trailer, and after a first chunk
    // at least one message byte (man/grypt.5, STREAM, Reading).
    std::size_t min_final = gcm_tag_bytes + trailer_size_ + (counter_ > 0 ? 1 : 0);
    if (final && len < min_final)
      throw OpenError(Fault::truncated, counter_ == 0 && avail == 0
                                            ? "truncated: the payload is missing"
                                            : "truncated: the end of the data is missing");
    std::size_t plain_len = len - gcm_tag_bytes;
    if (produced + plain_len > plain_.size()) {
      if (produced > 0) break;
      plain_ = SecretBytes(std::max(plain_len, max_plain));
    }
    produced += open_chunk(plain_.data() + produced, len, final);
    if (produced + chunk_bytes + trailer_size_ > max_plain) break;
  }
  if (done_) {
    trailer_at_ = produced - trailer_size_;
    return std::span(plain_.data(), trailer_at_);
  }
  return std::span(plain_.data(), produced);
}

// Opens the chunk of `len` bytes at start_ into `out`; returns its
// plaintext size (with the trailer, for the final chunk).
std::size_t StreamOpener::open_chunk(std::uint8_t* out, std::size_t len, bool final) {
  auto where = [&] { return "chunk " + std::to_string(counter_ + 1); };
  const std::uint8_t* ct = buf_.data() + start_;
  std::size_t plain_len = len - gcm_tag_bytes;
  auto body = std::span(ct, plain_len);
  if (!gcm_.open(chunk_nonce(counter_, final), body, ct + plain_len, out)) {
    // Tell a cut or an appendix from a modification: the other reading of
    // the same authenticated bytes succeeds only for those.
    if (!final && gcm_.open(chunk_nonce(counter_, true), body, ct + plain_len, out)) {
      wipe(out, plain_len);
      throw OpenError(Fault::trailing, "trailing data after the end of the data");
    }
    if (final && len == sealed_chunk_bytes &&
        gcm_.open(chunk_nonce(counter_, false), body, ct + plain_len, out)) {
      wipe(out, plain_len);
      throw OpenError(Fault::truncated,
                      "truncated: the data ends after " + where() + " without its final chunk");
    }
    throw OpenError(Fault::auth, "authentication failed at " + where() +
                                     ": the data was modified or cut short");
  }
  start_ += len;
  ++counter_;
  done_ = final;
  return plain_len;
}

std::span<const std::uint8_t> StreamOpener::trailer() const {
  if (!done_) return {};
  return std::span(plain_.data() + trailer_at_, trailer_size_);
}

}  // namespace grypt
