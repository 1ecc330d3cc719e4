#include "core/digest.h"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <string>
#include <vector>

#include "core/secret.h"

namespace grypt {
namespace {

std::array<std::uint8_t, 64> one_shot(const std::vector<std::uint8_t>& data) {
  Sha512 sha;
  sha.update(data);
  std::array<std::uint8_t, 64> out;
  sha.final(out);
  return out;
}

std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::uint32_t x = 2463534242u;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return v;
}

int threads() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

// Feeds `data` the way the sealer does: pieces read into two buffers that
// take turns, each overwritten two pieces later.
std::array<std::uint8_t, 64> pipelined(const std::vector<std::uint8_t>& data,
                                       std::size_t piece, int* threads_seen = nullptr) {
  PipelinedSha512 sha;
  std::array<std::vector<std::uint8_t>, 2> bufs{std::vector<std::uint8_t>(piece),
                                                std::vector<std::uint8_t>(piece)};
  std::size_t at = 0;
  for (int turn = 0; at < data.size(); turn ^= 1) {
    std::size_t n = std::min(piece, data.size() - at);
    auto& buf = bufs[turn];
    std::fill(buf.begin(), buf.end(), 0xee);  // a stale read would see this
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(at), n, buf.begin());
    sha.update_later(std::span(buf.data(), n));
    at += n;
    if (threads_seen) *threads_seen = std::max(*threads_seen, threads());
  }
  std::array<std::uint8_t, 64> out;
  sha.final(out);
  return out;
}

TEST(PipelinedSha512, AgreesWithSha512AcrossTheInlineBound) {
  init_crypto();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, PipelinedSha512::inline_bytes,
                        PipelinedSha512::inline_bytes + 1, std::size_t{7} << 20}) {
    auto data = pattern(n);
    for (std::size_t piece : {std::size_t{65536}, std::size_t{262147}, std::size_t{1} << 20})
      EXPECT_EQ(pipelined(data, piece), one_shot(data)) << n << " bytes in pieces of " << piece;
  }
}

TEST(PipelinedSha512, MixesPiecesHashedNowAndLater) {
  auto data = pattern(5 << 20);
  PipelinedSha512 sha;
  std::vector<std::uint8_t> a(data.begin(), data.begin() + (2 << 20));
  std::vector<std::uint8_t> b(data.begin() + (2 << 20), data.begin() + (3 << 20));
  std::vector<std::uint8_t> c(data.begin() + (3 << 20), data.end());
  sha.update_later(a);
  sha.update(b);  // waits for a first: order is kept
  sha.update_later(c);
  std::array<std::uint8_t, 64> out;
  sha.final(out);
  EXPECT_EQ(out, one_shot(data));
}

TEST(PipelinedSha512, ShortInputStartsNoThread) {
  int before = threads();
  int seen = 0;
  auto data = pattern(PipelinedSha512::inline_bytes);
  EXPECT_EQ(pipelined(data, 65536, &seen), one_shot(data));
  EXPECT_EQ(seen, before);
  seen = 0;
  auto large = pattern(PipelinedSha512::inline_bytes + 65536);
  EXPECT_EQ(pipelined(large, 65536, &seen), one_shot(large));
  EXPECT_EQ(seen, before + 1);
  EXPECT_EQ(threads(), before);  // and it is gone with its object
}

TEST(PipelinedSha512, SettleLetsTheCallerReuseThePiece) {
  auto data = pattern(3 << 20);
  std::vector<std::uint8_t> buf(data);
  PipelinedSha512 sha;
  sha.update_later(buf);
  sha.settle();
  std::fill(buf.begin(), buf.end(), 0);
  std::array<std::uint8_t, 64> out;
  sha.final(out);
  EXPECT_EQ(out, one_shot(data));
}

}  // namespace
}  // namespace grypt
