#include "core/stream.h"

#include <gtest/gtest.h>

namespace grypt {
namespace {

std::vector<std::uint8_t> data_of(std::size_t n) {
  std::vector<std::uint8_t> d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return d;
}

std::vector<std::uint8_t> seal(std::span<const std::uint8_t> key, std::span<const std::uint8_t> p,
                               std::span<const std::uint8_t> trailer = {}, std::size_t piece = 1000) {
  MemoryOutput out;
  StreamSealer s(key, out, trailer.size());
  for (std::size_t i = 0; i < p.size(); i += piece) s.write(p.subspan(i, std::min(piece, p.size() - i)));
  s.finish(trailer);
  return out.data;
}

std::vector<std::uint8_t> open(std::span<const std::uint8_t> key, std::span<const std::uint8_t> c,
                               std::size_t trailer_size = 0,
                               std::vector<std::uint8_t>* trailer = nullptr) {
  MemoryInput in(c);
  StreamOpener o(key, in, trailer_size);
  std::vector<std::uint8_t> p;
  while (!o.done()) {
    auto s = o.next();
    p.insert(p.end(), s.begin(), s.end());
  }
  if (trailer) trailer->assign(o.trailer().begin(), o.trailer().end());
  return p;
}

const std::vector<std::uint8_t> key(32, 0x42);

TEST(Stream, RoundTripsAcrossChunkBoundaries) {
  init_crypto();
  for (std::size_t n : {0ul, 1ul, 65535ul, 65536ul, 65537ul, 131072ul, 131073ul, 300000ul}) {
    auto p = data_of(n);
    auto c = seal(key, p, {}, n % 7 + 4000);
    EXPECT_EQ(c.size(), stream_size(n, 0)) << n;
    std::uint64_t m = 0;
    EXPECT_TRUE(stream_message_size(c.size(), 0, m));
    EXPECT_EQ(m, n);
    EXPECT_EQ(open(key, c), p) << n;
  }
}

TEST(Stream, TrailerStaysInTheFinalChunk) {
  std::vector<std::uint8_t> trailer(72, 0xee);
  for (std::size_t n : {0ul, 10ul, 65536ul, 65537ul}) {
    auto p = data_of(n);
    auto c = seal(key, p, trailer);
    EXPECT_EQ(c.size(), stream_size(n, 72));
    std::vector<std::uint8_t> got_trailer;
    EXPECT_EQ(open(key, c, 72, &got_trailer), p);
    EXPECT_EQ(got_trailer, trailer);
  }
}

TEST(Stream, SizesFollowTheSpec) {
  EXPECT_EQ(stream_size(0, 0), 16u);
  EXPECT_EQ(stream_size(65536, 0), 65552u);
  EXPECT_EQ(stream_size(65537, 0), 65552u + 17u);
  EXPECT_EQ(stream_size(0, 72), 88u);
  std::uint64_t m;
  EXPECT_FALSE(stream_message_size(15, 0, m));
  EXPECT_FALSE(stream_message_size(65552 + 16, 0, m));  // an empty final chunk after a full one
}

TEST(Stream, EveryTruncationFails) {
  auto c = seal(key, data_of(65536 + 100));
  for (std::size_t cut : {0ul, 1ul, 15ul, 16ul, 65551ul, 65552ul, 65553ul, c.size() - 1}) {
    std::vector<std::uint8_t> t(c.begin(), c.begin() + static_cast<long>(cut));
    EXPECT_THROW(open(key, t), OpenError) << cut;
  }
}

TEST(Stream, ClassifiesCutsAppendixesAndModifications) {
  auto c = seal(key, data_of(2 * 65536 + 5));
  auto fault = [&](std::vector<std::uint8_t> d) {
    try {
      open(key, d);
    } catch (const OpenError& e) {
      return e.fault();
    }
    return Fault::header;  // "did not fail"
  };
  EXPECT_EQ(fault({c.begin(), c.begin() + 65552}), Fault::truncated);
  EXPECT_EQ(fault({c.begin(), c.begin() + 2 * 65552}), Fault::truncated);
  auto appended = seal(key, data_of(65536));
  appended.insert(appended.end(), 40, 1);
  EXPECT_EQ(fault(appended), Fault::trailing);
  auto flipped = c;
  flipped[70000] ^= 1;
  EXPECT_EQ(fault(flipped), Fault::auth);
  std::vector<std::uint8_t> other(32, 0x43);
  try {
    open(other, c);
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::auth);
  }
}

TEST(Stream, NoPlaintextBeforeTheTagVerifies) {
  auto c = seal(key, data_of(100));
  c[50] ^= 1;
  MemoryInput in(c);
  StreamOpener o(key, in);
  EXPECT_THROW(o.next(), OpenError);
}

TEST(Stream, NextAfterTheEndIsEmptyAndTheTrailerStays) {
  // Misuse must not read past the buffer: a signed payload once returned a
  // span of 2^64 - 72 bytes here.
  std::vector<std::uint8_t> trailer(72, 0x5a);
  for (std::size_t n : {std::size_t{0}, std::size_t{10}, chunk_bytes, chunk_bytes + 1}) {
    auto c = seal(key, data_of(n), trailer);
    MemoryInput in(c);
    StreamOpener o(key, in, 72);
    EXPECT_TRUE(o.trailer().empty());  // nothing before the end
    std::size_t got = 0;
    while (!o.done()) got += o.next().size();
    EXPECT_EQ(got, n);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(o.next().empty());
    EXPECT_EQ(std::vector<std::uint8_t>(o.trailer().begin(), o.trailer().end()), trailer);
  }
}

TEST(Stream, SizeHintsChangeNothingButBuffers) {
  auto p = data_of(5 * chunk_bytes + 77);
  auto c = seal(key, p);
  for (std::uint64_t hint : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{100},
                             std::uint64_t{c.size()}, std::uint64_t{c.size() * 3}}) {
    MemoryInput in(c);
    StreamOpener o(key, in, 0, hint);
    std::vector<std::uint8_t> got;
    while (!o.done()) {
      auto s = o.next();
      got.insert(got.end(), s.begin(), s.end());
    }
    EXPECT_EQ(got, p) << "hint " << hint;
  }
}

TEST(Stream, AFinalChunkWithoutAMessageByteAfterAFirstIsTruncated) {
  // The length rule of grypt.5 (STREAM, Reading), decided before decrypting:
  // after a first chunk, a final chunk under 17 + T bytes is truncated.
  for (std::size_t t : {std::size_t{0}, std::size_t{72}}) {
    std::vector<std::uint8_t> trailer(t, 1);
    auto c = seal(key, data_of(chunk_bytes + 5), trailer);
    for (std::size_t final_len : {t + 16, t + 15, t + 1}) {
      std::vector<std::uint8_t> cut(c.begin(), c.begin() + sealed_chunk_bytes + final_len);
      if (cut.size() <= sealed_chunk_bytes + t) continue;  // read as one final chunk
      try {
        open(key, cut, t);
        FAIL() << "opened a final chunk of " << final_len;
      } catch (const OpenError& e) {
        EXPECT_EQ(e.fault(), Fault::truncated) << e.what();
      }
    }
    // One message byte more (17 + T) is a well-formed length that fails its tag.
    std::vector<std::uint8_t> cut(c.begin(), c.begin() + sealed_chunk_bytes + t + 17);
    try {
      open(key, cut, t);
      FAIL();
    } catch (const OpenError& e) {
      EXPECT_EQ(e.fault(), Fault::auth) << e.what();
    }
  }
}

}  // namespace
}  // namespace grypt
