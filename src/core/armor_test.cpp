#include "core/armor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/secret.h"
#include "core/text.h"

namespace grypt {
namespace {

TEST(Armor, ScannerFindsEveryTokenAndBlock) {
  std::vector<std::uint8_t> a = {0x10, 1, 2, 3}, b = {0x11, 9, 9};
  std::string text = "intro grypt: not a token\n" + armor_line(a) + ", then\n" + armor_block(b) +
                     "and grypt:%%% and grypt:Zebra, grypt:example and grypt:E and " +
                     armor_line(b) + ".";
  auto found = scan_armor(text);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].message, a);
  EXPECT_EQ(found[1].message, b);
  EXPECT_EQ(found[2].error, "not valid base64url");  // "grypt:E": a message's start, cut
  EXPECT_EQ(found[3].message, b);
  EXPECT_EQ(text.substr(found[0].offset, found[0].length), armor_line(a));
}

TEST(Armor, NearMissesDoNotHideTokens) {
  std::vector<std::uint8_t> m = {0x11, 1, 2};
  std::string noise;
  for (int i = 0; i < 2000; ++i) noise += "grypt:E-----BEGIN GRYPT MESSAGE----- grypt:a ";
  auto found = scan_armor(noise + "\n" + armor_block(m) + noise + armor_line(m));
  std::size_t ok = 0;
  for (const auto& t : found) ok += t.error.empty() && t.message == m;
  EXPECT_EQ(ok, 2u);
  EXPECT_EQ(found.size(), 4002u);  // 4000 "grypt:E" tokens that do not decode; "grypt:a" is prose
}

TEST(Armor, BlockLinesAre64Characters) {
  std::vector<std::uint8_t> m(200, 7);
  std::string block = armor_block(m);
  auto found = scan_armor(block);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, m);
  std::string crlf;
  for (char c : block) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  found = scan_armor(crlf);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, m);
  EXPECT_TRUE(looks_binary(std::vector<std::uint8_t>{0x11}));
  EXPECT_FALSE(looks_binary(std::vector<std::uint8_t>{'g'}));
}

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
  std::size_t offset;
  bool ok;
  std::vector<std::uint8_t> message;
  bool operator==(const Found&) const = default;
};

std::vector<Found> streamed(std::string_view text, std::uint32_t seed) {
  Trickle in(text, seed);
  ArmorReader r(in);
  std::vector<Found> out;
  while (r.next()) {
    Found f{r.offset(), true, {}};
    try {
      std::uint8_t buf[7];
      for (std::size_t n; (n = r.body().read(buf)) > 0;) f.message.insert(f.message.end(), buf, buf + n);
    } catch (const OpenError& e) {
      EXPECT_EQ(e.fault(), Fault::armor);
      f.ok = false;
      f.message.clear();
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Found> scanned(std::string_view text) {
  std::vector<Found> out;
  for (const ArmorToken& t : scan_armor(text))
    out.push_back({t.offset, t.error.empty(), t.error.empty() ? t.message : std::vector<std::uint8_t>{}});
  return out;
}

TEST(ArmorReader, FindsAndDecodesWhatTheScannerDoesInAnyText) {
  std::uint32_t seed = 7;
  auto rnd = [&](std::uint32_t n) {
    seed = seed * 1664525 + 1013904223;
    return (seed >> 8) % n;
  };
  const char* noise[] = {"hello ", "grypt:", "grypt: ", "\n", "\r\n", "-----BEGIN GRYPT MESSAGE-----",
                         "-----END GRYPT MESSAGE-----", "=", "AAAA", "x", " grypt:Z ", "\xff"};
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    int parts = 1 + static_cast<int>(rnd(8));
    for (int p = 0; p < parts; ++p) {
      std::vector<std::uint8_t> m(rnd(200));
      for (auto& b : m) b = static_cast<std::uint8_t>(rnd(256));
      std::string piece;
      switch (rnd(6)) {
        case 0: piece = armor_line(m); break;
        case 1: piece = armor_block(m); break;
        case 2: {
          piece = armor_block(m);
          for (std::size_t i = 0; i < piece.size(); ++i)
            if (piece[i] == '\n' && rnd(2)) piece.replace(i++, 1, "\r\n");
          break;
        }
        default: piece = noise[rnd(sizeof noise / sizeof noise[0])]; break;
      }
      // Now and then a defect: a byte changed or cut.
      if (!piece.empty() && rnd(4) == 0) {
        std::size_t at = rnd(static_cast<std::uint32_t>(piece.size()));
        if (rnd(2)) piece[at] = "A=-_\n\r+/!"[rnd(9)];
        else piece.resize(at);
      }
      text += piece;
      if (rnd(3) == 0) text += "\n";
    }
    auto want = scanned(text);
    auto got = streamed(text, static_cast<std::uint32_t>(round));
    ASSERT_EQ(got.size(), want.size()) << "round " << round << ": " << printable(text);
    for (std::size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].offset, want[i].offset) << "round " << round << " token " << i;
      ASSERT_EQ(got[i].ok, want[i].ok) << "round " << round << " token " << i << ": " << printable(text);
      ASSERT_EQ(got[i].message, want[i].message) << "round " << round << " token " << i;
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
