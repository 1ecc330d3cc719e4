#include "core/armor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/secret.h"
#include "core/text.h"

namespace grypt {
namespace {

// Hands out its bytes a few at a time: buffer edges fall everywhere.
class Trickle : public Input {
 public:
  Trickle(std::string_view s, std::uint32_t seed) : s_(s), seed_(seed) {}
  std::size_t read(std::span<std::uint8_t> buf) override {
    seed_ = seed_ * 1103515245 + 12345;
    std::size_t n = std::min({buf.size(), s_.size(), std::size_t{1 + (seed_ >> 16) % 9}});
    std::memcpy(buf.data(), s_.data(), n);
    s_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view s_;
  std::uint32_t seed_;
};

struct Found {
  std::uint64_t offset = 0, end = 0;
  bool ok = true;
  std::vector<std::uint8_t> message;
  std::string error;
  bool operator==(const Found&) const = default;
};

// Every token the reader finds in `text`, read whole (seed 0) or a few
// bytes at a time.
std::vector<Found> read_all(std::string_view text, std::uint32_t seed = 0) {
  MemoryInput whole(as_bytes(text));
  Trickle trickle(text, seed);
  ArmorReader r(seed == 0 ? static_cast<Input&>(whole) : trickle);
  std::vector<Found> out;
  while (r.next()) {
    Found f;
    f.offset = r.offset();
    try {
      std::uint8_t buf[7];
      for (std::size_t n; (n = r.body().read(buf)) > 0;) f.message.insert(f.message.end(), buf, buf + n);
    } catch (const OpenError& e) {
      EXPECT_EQ(e.fault(), Fault::armor);
      f.ok = false;
      f.error = e.what();
      f.message.clear();
    }
    f.end = r.end();
    out.push_back(std::move(f));
  }
  return out;
}

TEST(ArmorReader, FindsEveryTokenAndBlock) {
  std::vector<std::uint8_t> a = {0x10, 1, 2, 3}, b = {0x11, 9, 9};
  std::string text = "intro grypt: not a token\n" + armor_line(a) + ", then\n" + armor_block(b) +
                     "and grypt:%%% and grypt:Zebra, grypt:example and grypt:E and " +
                     armor_line(b) + ".";
  auto found = read_all(text);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].message, a);
  EXPECT_EQ(found[1].message, b);
  EXPECT_EQ(found[2].error, "not valid base64url");  // "grypt:E": a message's start, cut
  EXPECT_EQ(found[3].message, b);
  EXPECT_EQ(text.substr(found[0].offset, found[0].end - found[0].offset), armor_line(a));
  EXPECT_EQ(text.substr(found[1].offset, found[1].end - found[1].offset), armor_block(b));
  EXPECT_EQ(text.substr(found[3].offset, found[3].end - found[3].offset), armor_line(b));
}

TEST(ArmorReader, NearMissesDoNotHideTokens) {
  std::vector<std::uint8_t> m = {0x11, 1, 2};
  std::string noise;
  for (int i = 0; i < 2000; ++i) noise += "grypt:E-----BEGIN GRYPT MESSAGE----- grypt:a ";
  auto found = read_all(noise + "\n" + armor_block(m) + noise + armor_line(m));
  std::size_t ok = 0;
  for (const auto& t : found) ok += t.ok && t.message == m;
  EXPECT_EQ(ok, 2u);
  EXPECT_EQ(found.size(), 4002u);  // 4000 "grypt:E" tokens that do not decode; "grypt:a" is prose
}

TEST(ArmorReader, BlockLinesAre64Characters) {
  std::vector<std::uint8_t> m(200, 7);
  std::string block = armor_block(m);
  auto found = read_all(block);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, m);
  std::string crlf;
  for (char c : block) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  found = read_all(crlf);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, m);
  EXPECT_EQ(found[0].end, crlf.size());
  EXPECT_TRUE(looks_binary(std::vector<std::uint8_t>{0x11}));
  EXPECT_FALSE(looks_binary(std::vector<std::uint8_t>{'g'}));
}

// Texts made of tokens, near misses and defects: read whole or a few bytes
// at a time, the reader finds the same tokens, with the same bytes, the
// same errors and the same extents; where nothing was damaged, exactly the
// tokens that were put in.
TEST(ArmorReader, FindsWhatWasPutInWhateverTheReadSizes) {
  std::uint32_t seed = 7;
  auto rnd = [&](std::uint32_t n) {
    seed = seed * 1664525 + 1013904223;
    return (seed >> 8) % n;
  };
  const char* noise[] = {"hello ", "grypt:", "grypt: ", "\r\n", "-----BEGIN GRYPT MESSAGE-----",
                         "-----END GRYPT MESSAGE-----", "=", "AAAA", "x", " grypt:Z ", "\xff"};
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    std::vector<Found> want;
    bool damaged = false;
    int parts = 1 + static_cast<int>(rnd(8));
    for (int p = 0; p < parts; ++p) {
      // Starting as a version 1 message does, so that a short line token is
      // a token, not prose (grypt.5, Scanner).
      std::vector<std::uint8_t> m(1 + rnd(200));
      for (auto& b : m) b = static_cast<std::uint8_t>(rnd(256));
      m[0] = static_cast<std::uint8_t>(0x10 | (m[0] & 0x0f));
      std::string piece;
      bool token = true;
      switch (rnd(6)) {
        case 0: piece = armor_line(m); break;
        case 1: piece = armor_block(m); break;
        case 2: {
          piece = armor_block(m);
          for (std::size_t i = 0; i < piece.size(); ++i)
            if (piece[i] == '\n' && rnd(2)) piece.replace(i++, 1, "\r\n");
          break;
        }
        default:
          piece = noise[rnd(sizeof noise / sizeof noise[0])];
          token = false;
          damaged |= piece == armor_begin;  // a block without its lines
          break;
      }
      // Now and then a defect: a byte changed or cut.
      if (!piece.empty() && rnd(4) == 0) {
        std::size_t at = rnd(static_cast<std::uint32_t>(piece.size()));
        if (rnd(2)) piece[at] = "A=-_\n\r+/!"[rnd(9)];
        else piece.resize(at);
        damaged = true;
      }
      if (token) want.push_back({text.size(), text.size() + piece.size(), true, m, ""});
      text += piece + "\n";
    }
    auto whole = read_all(text);
    for (std::uint32_t s : {1u, 2u, 3u}) {
      auto got = read_all(text, static_cast<std::uint32_t>(round) * 3 + s);
      ASSERT_EQ(got, whole) << "round " << round << ": " << printable(text);
    }
    for (std::size_t i = 0; i < whole.size(); ++i) {
      ASSERT_LE(whole[i].offset, whole[i].end);
      if (i > 0) {
        ASSERT_LE(whole[i - 1].end, whole[i].offset);
      }
    }
    if (!damaged) {
      ASSERT_EQ(whole, want) << "round " << round << ": " << printable(text);
    }
  }
}

TEST(ArmorReader, AHugeTokenStreamsInConstantMemory) {
  // 3 MiB decoded from one token through a reader whose buffer stays small.
  std::vector<std::uint8_t> m(3 << 20);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i * 7);
  std::string text = "before " + armor_line(m) + " after";
  MemoryInput in(as_bytes(text));
  ArmorReader r(in);
  ASSERT_TRUE(r.next());
  std::vector<std::uint8_t> got;
  std::uint8_t buf[65536];
  for (std::size_t n; (n = r.body().read(buf)) > 0;) got.insert(got.end(), buf, buf + n);
  EXPECT_EQ(got, m);
  EXPECT_FALSE(r.next());
}

TEST(ArmorWriter, WritesExactlyWhatTheWholeFormsAre) {
  for (std::size_t n : {0, 1, 2, 3, 47, 48, 49, 95, 96, 97, 1000, 100000}) {
    std::vector<std::uint8_t> m(n);
    for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::uint8_t>(i * 13 + 1);
    for (std::size_t piece : {1, 5, 48, 4096}) {
      MemoryOutput line, block, binary;
      ArmorWriter wl(line, ArmorWriter::Form::line), wb(block, ArmorWriter::Form::block),
          wr(binary, ArmorWriter::Form::binary);
      for (std::size_t i = 0; i < n; i += piece) {
        auto part = std::span(m).subspan(i, std::min(piece, n - i));
        wl.write(part);
        wb.write(part);
        wr.write(part);
      }
      wl.finish();
      wb.finish();
      wr.finish();
      EXPECT_EQ(std::string(line.data.begin(), line.data.end()), armor_line(m) + "\n") << n << "/" << piece;
      if (n > 0) {
        EXPECT_EQ(std::string(block.data.begin(), block.data.end()), armor_block(m)) << n << "/" << piece;
      }
      EXPECT_EQ(binary.data, m);
    }
  }
}

}  // namespace
}  // namespace grypt
