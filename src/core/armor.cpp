#include "core/armor.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/armor_alphabet.h"
#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"

namespace grypt {
namespace {

constexpr std::size_t line_width = 64;
constexpr const char* malformed_lines =
    "malformed armor block: lines must be 64 characters except the last";

// "grypt:" starts a token when what follows can be a message (grypt.5,
// Scanner): it starts as a message does (a byte 0x10 to 0x1f,
// written E, F, G or H), or it is as long as the smallest message (45
// bytes, 60 characters), whatever its version. Anything else is prose.
bool message_start(int c) { return c >= 'E' && c <= 'H'; }
constexpr std::size_t min_token_chars = 60;

int b64_value(int c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

bool url_byte(int c) { return c >= 0 && b64_value(c, true) >= 0; }

const DenseAlphabet& alphabet_of(ArmorForm f) { return f == ArmorForm::x ? x_alphabet() : dense_alphabet(); }

std::string_view marker_of(ArmorForm f) { return f == ArmorForm::x ? armor_x_marker : armor_dense_marker; }

// Encodes bytes in groups of a.bits bits, most significant first, onto
// `text`; the bits left over (fewer than a.bits) stay in acc/nacc.
void dense_encode(const DenseAlphabet& a, std::span<const std::uint8_t> bytes, std::uint32_t& acc, int& nacc,
                  std::string& text) {
  const std::uint32_t mask = a.main_size() - 1;
  for (std::uint8_t b : bytes) {
    acc = acc << 8 | b;
    nacc += 8;
    if (nacc >= a.bits) {
      nacc -= a.bits;
      text += a.utf8(acc >> nacc & mask);
      acc &= (1u << nacc) - 1;
    }
  }
}

// The end of a token: the r bits left in acc, r < a.bits. Up to
// a.final_bits of them go into the final character; more go into one more
// main character, padded with zero bits, and a final character of no bits.
void dense_finish(const DenseAlphabet& a, std::uint32_t acc, int nacc, std::string& text) {
  if (nacc > a.final_bits) {
    text += a.utf8(acc << (a.bits - nacc));
    acc = 0;
    nacc = 0;
  }
  text += a.utf8(a.main_size() + (1u << nacc) - 1 + acc);
}

// The length of a UTF-8 sequence of up to 3 bytes by its first byte; 0 for
// a byte that starts none (C0 and C1 start only overlong ones).
constexpr auto utf8_length = [] {
  std::array<std::uint8_t, 256> t{};
  for (int b = 0; b < 256; ++b) t[b] = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : 0;
  return t;
}();

// Eight dense characters (24 bytes) at p as 15 bytes at out (16 are
// written); false unless all eight are main characters. Every byte's top
// bits are checked at once (1110xxxx 10xxxxxx 10xxxxxx, eight times), then
// each character's code point is its bytes' sum less their fixed bits, and
// the bits are packed by constant shifts: eight times the rate of one at a
// time.
[[gnu::noinline]] bool dense_group(const DenseAlphabet& a, const std::uint8_t* p, std::uint8_t* out) {
  static constexpr auto top = [](std::uint8_t lead, std::uint8_t tail) {
    std::array<std::uint64_t, 3> words{};
    for (std::size_t i = 0; i < 3; ++i) {
      std::array<std::uint8_t, 8> b{};
      for (std::size_t k = 0; k < 8; ++k) b[k] = (8 * i + k) % 3 == 0 ? lead : tail;
      words[i] = std::bit_cast<std::uint64_t>(b);
    }
    return words;
  };
  static constexpr std::array<std::uint64_t, 3> mask = top(0xf0, 0xc0), fixed = top(0xe0, 0x80);
  std::uint64_t w[3];
  std::memcpy(w, p, sizeof w);
  std::uint64_t bad = ((w[0] & mask[0]) ^ fixed[0]) | ((w[1] & mask[1]) ^ fixed[1]) | ((w[2] & mask[2]) ^ fixed[2]);
  std::uint64_t h0 = 0, h1 = 0;
  auto one = [&](int j, std::uint64_t& h) {
    const std::uint32_t c = (std::uint32_t{p[3 * j]} << 12) + (std::uint32_t{p[3 * j + 1]} << 6) + p[3 * j + 2] -
                            (0xe0u << 12) - (0x80u << 6) - 0x80u;
    const std::uint32_t v = a.value_of_bmp(c);
    bad |= v >> 15;
    h = h << 15 | v;
  };
  one(0, h0), one(1, h0), one(2, h0), one(3, h0);
  one(4, h1), one(5, h1), one(6, h1), one(7, h1);
  if (bad) return false;
  // 120 bits, big-endian: h0's 60, then h1's 60.
  const std::uint64_t hi = h0 << 4 | h1 >> 56, lo = h1 << 8;
  put_be64(out, hi);
  put_be64(out + 8, lo);
  return true;
}

// One bit for each of the 8 bytes at p that starts a UTF-8 sequence (is
// not 10xxxxxx), byte i at bit i: the high bit of each byte whose bits 7
// and 6 are not 1 0, gathered by one multiplication (no two of its
// products meet, so none carries).
std::uint32_t lead_bits(const std::uint8_t* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  constexpr std::uint64_t high = 0x8080808080808080;
  const std::uint64_t lead = ~(w & ~(w << 1)) & high;
  return static_cast<std::uint32_t>((lead * 0x0002040810204081) >> 56);
}

// Eight x characters at p (1 to 3 bytes each; 40 bytes readable) as 11
// bytes at out (16 are written); the bytes they took, or 0 unless all
// eight are main characters the one-at-a-time loop would take (no "g",
// nothing overlong). Where each character starts comes from the lead
// bytes of 32 at once, so no character waits for the one before to be
// decoded: about three times the rate of one at a time.
[[gnu::noinline]] std::size_t x_group(const DenseAlphabet& a, const std::uint8_t* p, std::uint8_t* out) {
  std::uint32_t leads = lead_bits(p) | lead_bits(p + 8) << 8 | lead_bits(p + 16) << 16 | lead_bits(p + 24) << 24;
  if (!(leads & 1) || std::popcount(leads) < 9) return 0;
  leads &= leads - 1;
  std::uint32_t at = 0, bad = 0;
  std::uint64_t h0 = 0, h1 = 0;
  auto one = [&](std::uint64_t& h) {
    const std::uint32_t next = static_cast<std::uint32_t>(std::countr_zero(leads));
    leads &= leads - 1;
    const std::uint32_t len = next - at, b0 = p[at], b1 = p[at + 1], b2 = p[at + 2];
    const std::uint32_t is1 = len == 1, is2 = len == 2, is3 = len == 3;
    const std::uint32_t c = (b0 & (0u - is1)) | (((b0 & 0x1f) << 6 | (b1 & 0x3f)) & (0u - is2)) |
                            (((b0 & 0x0f) << 12 | (b1 & 0x3f) << 6 | (b2 & 0x3f)) & (0u - is3));
    const std::uint32_t v = a.value_of_bmp(c);
    bad |= (utf8_length[b0] != len) | (is3 & (c < 0x800)) | (b0 == 'g') | (v >> 11);
    h = h << 11 | v;
    at = next;
  };
  one(h0), one(h0), one(h0), one(h0), one(h0);
  one(h1), one(h1), one(h1);
  if (bad) return 0;
  // 88 bits, big-endian: h0's 55, then h1's 33.
  const std::uint64_t hi = h0 << 9 | h1 >> 24, lo = h1 << 40;
  put_be64(out, hi);
  put_be64(out + 8, lo);
  return at;
}

// Groups of eight x characters, one after another from p while at least
// x_groups_slack bytes remain before e and fewer than max_groups are done;
// stops at the first group that x_group does not take. The groups' bytes
// (11 each) are written from out (5 more may be); returns the input bytes
// taken, and their groups in `groups`. The slack is what each path may
// read from a group's start: 40 bytes (scalar), 64 (AVX-512), 64 and 16
// more from a window that starts by byte 59 (AVX2).
constexpr std::size_t x_groups_slack = 80;
using XGroups = std::size_t (*)(const DenseAlphabet&, const std::uint8_t* p, const std::uint8_t* e, std::uint8_t* out,
                                std::size_t max_groups, std::size_t& groups);

std::size_t x_groups_scalar(const DenseAlphabet& a, const std::uint8_t* const p, const std::uint8_t* e,
                            std::uint8_t* out, std::size_t max_groups, std::size_t& groups) {
  std::size_t at = 0, g = 0;
  for (; g < max_groups && static_cast<std::size_t>(e - p) - at >= x_groups_slack; ++g) {
    const std::size_t used = x_group(a, p + at, out + 11 * g);
    if (used == 0) break;
    at += used;
  }
  groups = g;
  return at;
}

#if defined(__x86_64__)
// The AVX2 path's tables. A window is 16 bytes from a character's start;
// its first four characters' lengths (1 to 3 each: 81 patterns) follow
// from which of its bytes 1 to 12 start a character (4096 cases).
struct XWindows {
  static constexpr std::uint8_t none = 0xff;  // a length past 3, or the fifth start past byte 12
  std::array<std::uint8_t, 4096> pattern{};
  // By pattern: the shuffle that puts each character's bytes into its
  // 32-bit lane, big-endian and right-aligned (b0 b1 b2), and the lengths.
  alignas(16) std::array<std::array<std::uint8_t, 16>, 81> shuffle{};
  alignas(16) std::array<std::array<std::uint32_t, 4>, 81> length{};
};

// The lead bytes among the 32 at s, byte i at bit i (AVX2).
[[gnu::target("avx2")]] std::uint32_t lead_bits_avx2(const std::uint8_t* s) {
  const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s));
  const __m256i top2 = _mm256_set1_epi8(static_cast<char>(0xc0)), tail = _mm256_set1_epi8(static_cast<char>(0x80));
  return ~static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(b, top2), tail)));
}

// Where the i-th of the lead bytes in `leads` is (BMI2).
[[gnu::target("bmi,bmi2")]] int nth_lead(std::uint64_t leads, std::size_t i) {
  return std::countr_zero(_pdep_u64(std::uint64_t{1} << i, leads));
}

const XWindows& x_windows() {
  static const XWindows w = [] {
    XWindows t;
    for (std::uint32_t p = 0; p < 81; ++p) {
      std::uint32_t at = 0;
      t.shuffle[p].fill(0x80);  // a zero byte
      for (std::uint32_t i = 0, rest = p; i < 4; ++i) {
        const std::uint32_t len = 3 - rest / 27 % 3;  // the first character is the highest digit
        rest = rest * 3 % 81;
        t.length[p][i] = len;
        for (std::uint32_t k = 0; k < len; ++k) t.shuffle[p][4 * i + k] = static_cast<std::uint8_t>(at + len - 1 - k);
        at += len;
      }
    }
    for (std::uint32_t m = 0; m < 4096; ++m) {
      std::uint32_t starts[13], n = 1;
      starts[0] = 0;
      for (std::uint32_t b = 1; b <= 12; ++b)
        if (m >> (b - 1) & 1) starts[n++] = b;
      std::uint32_t p = 0;
      bool whole = n >= 5;
      for (std::uint32_t i = 0; whole && i < 4; ++i) {
        const std::uint32_t len = starts[i + 1] - starts[i];
        whole = len <= 3;
        p = p * 3 + (3 - len);
      }
      t.pattern[m] = whole ? static_cast<std::uint8_t>(p) : XWindows::none;
    }
    return t;
  }();
  return w;
}

// x_groups with AVX2 and BMI2, where the processor has them: the same
// answer for every input. 64 bytes a step, up to four groups: where each
// group's two windows of four characters start comes from the lead bytes
// of the 64 at once (pdep: no window waits for the one before), and a
// table by a window's lead bytes gives its characters' lengths (a window
// with one longer than 3 stops the groups) and the shuffle that puts each
// character into a 32-bit lane. Then all eight code points of a group and
// their UTF-8 are worked out in one vector:
//
//   W  = the character's bytes, big-endian, right-aligned (b0 b1 b2)
//   c  = (W & A) | (W >> 2 & B) | (W >> 4 & C)   by its length:
//        1: 0x7f, 0, 0   2: 0x3f, 0x7c0, 0   3: 0x3f, 0xfc0, 0xf000
//   UTF-8 when W & F == G   1: 0x80, 0   2: 0xe0c0, 0xc080   3: 0xf0c0c0, 0xe08080
//   not overlong when c >= 0x80 (2 bytes), 0x800 (3 bytes); a "g" is
//   refused as x_group refuses it.
// The eight values are gathered from the table at once (a value past 11
// bits is no main character's), and packed by shifts in the vector: pairs
// (22 bits in each 64-bit lane), pairs of pairs (44 bits in each half),
// then the halves' 88 bits, big-endian.
[[gnu::target("avx2,bmi,bmi2,popcnt")]] std::size_t x_groups_avx2(const DenseAlphabet& a, const std::uint8_t* const p,
                                                                const std::uint8_t* e, std::uint8_t* out,
                                                                std::size_t max_groups, std::size_t& groups) {
  const XWindows& t = x_windows();
  // By length 0 to 7: the masks above (only 1 to 3 occur).
  const __m256i lo = _mm256_setr_epi32(0, 0x7f, 0x3f, 0x3f, 0, 0, 0, 0);
  const __m256i mid = _mm256_setr_epi32(0, 0, 0x7c0, 0xfc0, 0, 0, 0, 0);
  const __m256i high = _mm256_setr_epi32(0, 0, 0, 0xf000, 0, 0, 0, 0);
  const __m256i fixed_mask = _mm256_setr_epi32(0, 0x80, 0xe0c0, 0xf0c0c0, 0, 0, 0, 0);
  const __m256i fixed = _mm256_setr_epi32(0, 0, 0xc080, 0xe08080, 0, 0, 0, 0);
  const __m256i least = _mm256_setr_epi32(0, 0, 0x80, 0x800, 0, 0, 0, 0);
  const __m256i g_char = _mm256_set1_epi32('g'), ones = _mm256_set1_epi32(-1);
  const __m256i low16 = _mm256_set1_epi32(0xffff), not_main = _mm256_set1_epi32(0xf800);
  const __m256i low32 = _mm256_set1_epi64x(0xffffffff);
  const std::uint16_t* const values = a.values();
#define GRYPT_LOAD16(s) _mm_loadu_si128(reinterpret_cast<const __m128i*>(s))
  std::size_t at = 0, g = 0;
  while (g < max_groups && static_cast<std::size_t>(e - p) - at >= x_groups_slack) {
    const std::uint8_t* const q = p + at;
    const std::uint64_t leads = lead_bits_avx2(q) | std::uint64_t{lead_bits_avx2(q + 32)} << 32;
    if (!(leads & 1)) break;
    const std::size_t planned =
        std::min({(static_cast<std::size_t>(std::popcount(leads)) - 1) / 8, std::size_t{4}, max_groups - g});
    if (planned == 0) break;
    std::size_t j = 0;
    for (; j < planned; ++j) {
      // Where the group's two windows start, and the patterns of their
      // lead bytes 1 to 12.
      const int s0 = nth_lead(leads, 8 * j), s4 = nth_lead(leads, 8 * j + 4);
      const std::uint8_t p0 = t.pattern[(leads >> (s0 + 1)) & 0xfff], p4 = t.pattern[(leads >> (s4 + 1)) & 0xfff];
      if ((p0 == XWindows::none) | (p4 == XWindows::none)) break;
      const __m256i bytes = _mm256_set_m128i(GRYPT_LOAD16(q + s4), GRYPT_LOAD16(q + s0));
      const __m256i w = _mm256_shuffle_epi8(bytes, _mm256_set_m128i(GRYPT_LOAD16(&t.shuffle[p4]), GRYPT_LOAD16(&t.shuffle[p0])));
      const __m256i len = _mm256_set_m128i(GRYPT_LOAD16(&t.length[p4]), GRYPT_LOAD16(&t.length[p0]));
      const __m256i c = _mm256_or_si256(
          _mm256_and_si256(w, _mm256_permutevar8x32_epi32(lo, len)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(w, 2), _mm256_permutevar8x32_epi32(mid, len)),
                          _mm256_and_si256(_mm256_srli_epi32(w, 4), _mm256_permutevar8x32_epi32(high, len))));
      const __m256i utf8 = _mm256_cmpeq_epi32(_mm256_and_si256(w, _mm256_permutevar8x32_epi32(fixed_mask, len)),
                                              _mm256_permutevar8x32_epi32(fixed, len));
      __m256i bad = _mm256_xor_si256(utf8, ones);
      bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(_mm256_permutevar8x32_epi32(least, len), c));
      bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(w, g_char));
      const __m256i v = _mm256_and_si256(_mm256_i32gather_epi32(reinterpret_cast<const int*>(values), c, 2), low16);
      if (!_mm256_testz_si256(_mm256_or_si256(bad, _mm256_and_si256(v, not_main)), ones)) break;
      const __m256i v2 = _mm256_or_si256(_mm256_slli_epi64(_mm256_and_si256(v, low32), 11), _mm256_srli_epi64(v, 32));
      const __m256i v4 = _mm256_or_si256(_mm256_slli_epi64(v2, 22), _mm256_srli_si256(v2, 8));
      const std::uint64_t a44 = static_cast<std::uint64_t>(_mm256_extract_epi64(v4, 0)),
                          b44 = static_cast<std::uint64_t>(_mm256_extract_epi64(v4, 2));
      put_be64(out + 11 * (g + j), a44 << 20 | b44 >> 24);
      put_be64(out + 11 * (g + j) + 8, b44 << 40);
    }
    g += j;
    if (j == 0) break;
    at += static_cast<std::size_t>(nth_lead(leads, 8 * j));  // where the next group starts
    if (j < planned) break;
  }
  groups = g;
  return at;
}
#undef GRYPT_LOAD16

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_epi32(), which
// it then warns of as uninitialized (GCC bug 105593, fixed in 13).
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// x_groups with AVX-512 (VBMI2 and BW), where the processor has them: the
// same answer for every input. 64 bytes at once: the lead bytes' places
// are compressed into one vector (the i-th character's start in byte i),
// the next one's start less that is each length, and each character's
// first, second and third bytes are brought to its lane by a permutation;
// the UTF-8 checks run on 64 byte lanes and the code points are made in
// 32 word lanes. Up to four groups a step, each group's values then from
// the table one at a time.
[[gnu::target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,bmi,bmi2,popcnt")]] std::size_t x_groups_avx512(
    const DenseAlphabet& a, const std::uint8_t* const p, const std::uint8_t* e, std::uint8_t* out,
    std::size_t max_groups, std::size_t& groups) {
  static constexpr auto iota = [] {
    std::array<std::uint8_t, 64> t{};
    for (std::size_t i = 0; i < 64; ++i) t[i] = static_cast<std::uint8_t>(i);
    return t;
  }();
  const __m512i index = _mm512_loadu_si512(iota.data());
  const __m512i top2 = _mm512_set1_epi8(static_cast<char>(0xc0)), tail = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i one = _mm512_set1_epi8(1), two = _mm512_set1_epi8(2), three = _mm512_set1_epi8(3);
  const __m512i g_char = _mm512_set1_epi8('g');
  // By length 1 to 3: the lead byte's fixed bits (0xxxxxxx, 110xxxxx, 1110xxxx).
  const __m512i lead_mask = _mm512_broadcast_i32x4(_mm_setr_epi8(0, static_cast<char>(0x80), static_cast<char>(0xe0),
                                                                 static_cast<char>(0xf0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                                 0, 0));
  const __m512i lead_fixed = _mm512_broadcast_i32x4(
      _mm_setr_epi8(0, 0, static_cast<char>(0xc0), static_cast<char>(0xe0), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  const __m512i low5 = _mm512_set1_epi16(0x1f), low6 = _mm512_set1_epi16(0x3f);
  const __m512i least2 = _mm512_set1_epi16(0x80), least3 = _mm512_set1_epi16(0x800);
  const std::uint16_t* const values = a.values();
  alignas(64) std::uint16_t cp[32];
  std::size_t at = 0, g = 0;
  while (g < max_groups && static_cast<std::size_t>(e - p) - at >= x_groups_slack) {
    const std::uint8_t* const q = p + at;
    const __m512i bytes = _mm512_loadu_si512(q);
    const std::uint64_t leads = _mm512_cmpneq_epi8_mask(_mm512_and_si512(bytes, top2), tail);
    if (!(leads & 1)) break;
    const std::size_t whole = (static_cast<std::size_t>(std::popcount(leads)) - 1) / 8;
    const std::size_t planned = std::min({whole, std::size_t{4}, max_groups - g});
    if (planned == 0) break;
    std::size_t take = planned;
    const __m512i start = _mm512_maskz_compress_epi8(leads, index);
    const __m512i len = _mm512_sub_epi8(_mm512_maskz_compress_epi8(leads & (leads - 1), index), start);
    const __m512i b0 = _mm512_permutexvar_epi8(start, bytes);
    const __m512i b1 = _mm512_permutexvar_epi8(_mm512_add_epi8(start, one), bytes);
    const __m512i b2 = _mm512_permutexvar_epi8(_mm512_add_epi8(start, two), bytes);
    const std::uint64_t len1 = _mm512_cmpeq_epi8_mask(len, one), len2 = _mm512_cmpeq_epi8_mask(len, two),
                        len3 = _mm512_cmpeq_epi8_mask(len, three);
    std::uint64_t ok = (len1 | len2 | len3) &
                       _mm512_cmpeq_epi8_mask(_mm512_and_si512(b0, _mm512_shuffle_epi8(lead_mask, len)),
                                              _mm512_shuffle_epi8(lead_fixed, len)) &
                       _mm512_cmpneq_epi8_mask(b0, g_char);
    const __m512i w0 = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(b0));
    const __m512i w1 = _mm512_and_si512(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(b1)), low6);
    const __m512i w2 = _mm512_and_si512(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(b2)), low6);
    __m512i c = _mm512_mask_mov_epi16(w0, static_cast<__mmask32>(len2),
                                      _mm512_or_si512(_mm512_slli_epi16(_mm512_and_si512(w0, low5), 6), w1));
    c = _mm512_mask_mov_epi16(
        c, static_cast<__mmask32>(len3),
        _mm512_or_si512(_mm512_slli_epi16(w0, 12), _mm512_or_si512(_mm512_slli_epi16(w1, 6), w2)));
    ok &= ~std::uint64_t{_mm512_mask_cmplt_epu16_mask(static_cast<__mmask32>(len2), c, least2) |
                         _mm512_mask_cmplt_epu16_mask(static_cast<__mmask32>(len3), c, least3)};
    const std::uint64_t bad = ~ok & ((std::uint64_t{1} << (8 * take)) - 1);
    if (bad) take = static_cast<std::size_t>(std::countr_zero(bad)) / 8;
    _mm512_store_si512(cp, c);
    std::size_t j = 0;
    for (; j < take; ++j) {
      const std::uint16_t* const k = cp + 8 * j;
      const std::uint64_t v0 = values[k[0]], v1 = values[k[1]], v2 = values[k[2]], v3 = values[k[3]],
                          v4 = values[k[4]], v5 = values[k[5]], v6 = values[k[6]], v7 = values[k[7]];
      if ((v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7) >> 11) break;
      const std::uint64_t h0 = v0 << 44 | v1 << 33 | v2 << 22 | v3 << 11 | v4, h1 = v5 << 22 | v6 << 11 | v7;
      put_be64(out + 11 * (g + j), h0 << 9 | h1 >> 24);
      put_be64(out + 11 * (g + j) + 8, h1 << 40);
    }
    g += j;
    if (j == 0) break;
    // The (8 j)-th lead byte: where the next group starts.
    at += static_cast<std::size_t>(std::countr_zero(_pdep_u64(std::uint64_t{1} << (8 * j), leads)));
    if (j < planned) break;
  }
  groups = g;
  return at;
}
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

// The x_groups of a path, or null where the processor lacks what it needs.
XGroups x_groups_of(ArmorXPath path) {
  switch (path) {
    case ArmorXPath::scalar: return x_groups_scalar;
#if defined(__x86_64__)
    case ArmorXPath::avx2:
      __builtin_cpu_init();  // before main: the CPU's features may not be read yet
      if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
          __builtin_cpu_supports("popcnt"))
        return x_groups_avx2;
      return nullptr;
    case ArmorXPath::avx512:
      // (libgcc counts AVX-512 only where the system saves its registers.)
      __builtin_cpu_init();
      if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
          __builtin_cpu_supports("avx512vl") &&
          __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
          __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt"))
        return x_groups_avx512;
      return nullptr;
#endif
    default: return nullptr;
  }
}

XGroups fastest_x_groups() {
  for (ArmorXPath path : {ArmorXPath::avx512, ArmorXPath::avx2})
    if (XGroups f = x_groups_of(path)) return f;
  return x_groups_scalar;
}

XGroups x_groups_chosen = fastest_x_groups();

// --- the writer's fast paths ---------------------------------------------
// Whole groups encoded by tables and constant shifts. armor_text keeps the
// plain encoders (libsodium's base64, dense_encode), so the unit tests and
// fuzz/armor_roundtrip compare the two.

// Every 12-bit value's two base64 characters, for each alphabet.
struct Base64Pairs {
  std::array<char, 8192> url, standard;
};
const Base64Pairs& base64_pairs() {
  static const Base64Pairs p = [] {
    Base64Pairs t{};
    const char* std_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int v = 0; v < 4096; ++v) {
      for (int k = 0; k < 2; ++k) {
        const int c = k == 0 ? v >> 6 : v & 63;
        t.standard[2 * v + k] = std_chars[c];
        t.url[2 * v + k] = c == 62 ? '-' : c == 63 ? '_' : std_chars[c];
      }
    }
    return t;
  }();
  return p;
}

// in.size() a multiple of 3; writes in.size() / 3 * 4 characters.
void base64_groups(std::span<const std::uint8_t> in, const char* pairs, char* out) {
  for (std::size_t i = 0; i + 3 <= in.size(); i += 3, out += 4) {
    const std::uint32_t v = static_cast<std::uint32_t>(in[i]) << 16 | static_cast<std::uint32_t>(in[i + 1]) << 8 | in[i + 2];
    std::memcpy(out, pairs + 2 * (v >> 12), 2);
    std::memcpy(out + 2, pairs + 2 * (v & 0xfff), 2);
  }
}

// in.size() a multiple of the group of BITS-bit characters (11 bytes for
// x, 15 for dense: 8 characters each), appended to text. A group is two
// 8-byte loads (the second overlapping the first) and eight constant
// shifts; each character is a 4-byte store from the table, the next one
// written where this one's UTF-8 ends.
template <unsigned Bits>
void dense_groups(const DenseAlphabet& a, std::span<const std::uint8_t> in, std::string& text) {
  constexpr std::size_t group = Bits;  // 8 characters of Bits bits: Bits bytes
  constexpr unsigned low = 8 * (group - 8);
  const std::size_t at = text.size();
  text.resize(at + in.size() / group * 8 * 3 + 4);
  char* out = text.data() + at;
  const std::uint8_t* const table = a.utf8_words();
  constexpr std::uint32_t mask = (1u << Bits) - 1;
  for (std::size_t i = 0; i + group <= in.size(); i += group) {
    // The group is hi * 2^low + lo (no 128-bit type: 32-bit targets have none).
    const std::uint64_t hi = get_be64(&in[i]);
    const std::uint64_t lo = get_be64(&in[i + group - 8]) & ((std::uint64_t{1} << low) - 1);
#pragma GCC unroll 8
    for (unsigned j = 0; j < 8; ++j) {
      const unsigned shift = Bits * (7 - j);  // of the character's lowest bit
      const std::uint64_t v = shift >= low ? hi >> (shift - low) : hi << (low - shift) | lo >> shift;
      const std::uint8_t* e = table + 4 * (static_cast<std::uint32_t>(v) & mask);
      std::memcpy(out, e, 4);
      out += e[3];
    }
  }
  text.resize(static_cast<std::size_t>(out - text.data()));
}

// Unicode's White_Space property.
bool white_space(std::int32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

std::string code_point_name(std::int32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

}  // namespace

std::string_view armor_form_name(ArmorForm form) {
  switch (form) {
    case ArmorForm::line: return "line";
    case ArmorForm::block: return "block";
    case ArmorForm::binary: return "binary";
    case ArmorForm::x: return "x";
    case ArmorForm::dense: return "dense";
  }
  return "?";
}

std::optional<ArmorForm> armor_form_named(std::string_view name) {
  for (ArmorForm f : {ArmorForm::line, ArmorForm::block, ArmorForm::binary, ArmorForm::x, ArmorForm::dense})
    if (armor_form_name(f) == name) return f;
  return std::nullopt;
}

bool armor_x_path(ArmorXPath path) {
  XGroups f = x_groups_of(path);
  if (f) x_groups_chosen = f;
  return f != nullptr;
}

void armor_x_fastest_path() { x_groups_chosen = fastest_x_groups(); }

std::string armor_line(std::span<const std::uint8_t> message) {
  return std::string(armor_prefix) + base64_encode(message, Base64::url_unpadded);
}

std::string armor_block(std::span<const std::uint8_t> message) {
  std::string b64 = base64_encode(message, Base64::standard);
  std::string out = std::string(armor_begin) + "\n";
  for (std::size_t i = 0; i < b64.size(); i += line_width)
    out += b64.substr(i, line_width) + "\n";
  out += std::string(armor_end) + "\n";
  return out;
}

std::string armor_text(std::span<const std::uint8_t> message, ArmorForm form) {
  switch (form) {
    case ArmorForm::line: return armor_line(message);
    case ArmorForm::block: return armor_block(message);
    case ArmorForm::binary: break;
    case ArmorForm::x:
    case ArmorForm::dense: {
      const DenseAlphabet& a = alphabet_of(form);
      std::string text(marker_of(form));
      std::uint32_t acc = 0;
      int nacc = 0;
      dense_encode(a, message, acc, nacc, text);
      dense_finish(a, acc, nacc, text);
      return text;
    }
  }
  throw std::logic_error("armor_text: binary is no text form");
}

bool looks_binary(std::span<const std::uint8_t> data) {
  return !data.empty() && (data[0] >> 4) == 1;
}

ArmorWriter::ArmorWriter(Output& out, Form form) : out_(out), form_(form) {
  if (form == Form::x || form == Form::dense) alphabet_ = &alphabet_of(form);
}

// Encodes whole groups: 3 bytes for a line (base64url, no padding within),
// 48 bytes (one 64-character line) for a block, 11 bytes (8 characters of
// 11 bits) for x, 15 bytes (8 characters of 15 bits) for dense.
void ArmorWriter::emit(std::span<const std::uint8_t> bytes) {
  if (!started_) {
    started_ = true;
    std::string head = form_ == Form::line    ? std::string(armor_prefix)
                       : form_ == Form::block ? std::string(armor_begin) + "\n"
                                              : std::string(marker_of(form_));
    put(as_bytes(head));
  }
  if (bytes.empty()) return;
  if (alphabet_) {
    std::string text;
    if (alphabet_->bits == 11 && bytes.size() % 11 == 0) {
      dense_groups<11>(*alphabet_, bytes, text);
    } else if (alphabet_->bits == 15 && bytes.size() % 15 == 0) {
      dense_groups<15>(*alphabet_, bytes, text);
    } else {
      std::uint32_t acc = 0;
      int nacc = 0;
      dense_encode(*alphabet_, bytes, acc, nacc, text);
    }
    put(as_bytes(text));
    return;
  }
  if (form_ == Form::line) {
    std::string t;
    if (bytes.size() % 3 == 0) {
      t.resize(bytes.size() / 3 * 4);
      base64_groups(bytes, base64_pairs().url.data(), t.data());
    } else {
      t = base64_encode(bytes, Base64::url_unpadded);  // the last 1 or 2 bytes
    }
    put(as_bytes(t));
    return;
  }
  std::string text;
  text.reserve(bytes.size() / 48 * 65 + 66);
  for (std::size_t i = 0; i < bytes.size(); i += 48) {
    std::span<const std::uint8_t> line = bytes.subspan(i, std::min<std::size_t>(48, bytes.size() - i));
    if (line.size() == 48) {
      const std::size_t at = text.size();
      text.resize(at + 64);
      base64_groups(line, base64_pairs().standard.data(), text.data() + at);
    } else {
      text += base64_encode(line, Base64::standard);  // the last line, padded
    }
    text += '\n';
  }
  put(as_bytes(text));
}

// Small messages leave in one write(2), so that writers sharing a pipe never
// interleave them; large ones in pieces of 64 KiB or more.
void ArmorWriter::put(std::span<const std::uint8_t> bytes) {
  if (buffer_.size() + bytes.size() > write_size) {
    flush();
    if (bytes.size() >= write_size) {
      out_.write(bytes);
      return;
    }
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void ArmorWriter::flush() {
  if (buffer_.empty()) return;
  out_.write(buffer_);
  buffer_.clear();
}

void ArmorWriter::write(std::span<const std::uint8_t> bytes) {
  if (form_ == Form::binary) {
    put(bytes);
    return;
  }
  const std::size_t group = form_ == Form::line    ? 3
                            : form_ == Form::block ? 48
                            : form_ == Form::x     ? 11
                                                   : 15;
  if (!pending_.empty()) {
    std::size_t take = std::min(group - pending_.size(), bytes.size());
    pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    if (pending_.size() < group) return;
    emit(pending_);
    pending_.clear();
  }
  std::size_t whole = bytes.size() / group * group;
  // In pieces of at most 48 KiB of input: the text is 4/3 of it (or up to
  // twice, for x and dense).
  const std::size_t piece = 49152 / group * group;
  for (std::size_t i = 0; i < whole; i += piece) emit(bytes.subspan(i, std::min(piece, whole - i)));
  if (whole == 0) emit({});
  pending_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(whole), bytes.end());
}

void ArmorWriter::finish() {
  if (alphabet_) {
    emit({});  // the marker, if nothing came
    std::string text;
    std::uint32_t acc = 0;
    int nacc = 0;
    dense_encode(*alphabet_, pending_, acc, nacc, text);
    dense_finish(*alphabet_, acc, nacc, text);
    pending_.clear();
    text += '\n';
    put(as_bytes(text));
  } else if (form_ != Form::binary) {
    emit(pending_);
    pending_.clear();
    std::string tail = form_ == Form::line ? "\n" : std::string(armor_end) + "\n";
    put(as_bytes(tail));
  }
  flush();
}

ArmorReader::ArmorReader(Input& in) : in_(in), buf_(16384) {}

int ArmorReader::peek(std::size_t ahead) {
  while (end_ - start_ <= ahead && !eof_) {
    if (start_ > 0) {
      std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    std::size_t n = in_.read(std::span(buf_.data() + end_, buf_.size() - end_));
    if (n == 0) eof_ = true;
    end_ += n;
  }
  return end_ - start_ > ahead ? buf_[start_ + ahead] : -1;
}

void ArmorReader::advance(std::size_t n) {
  prev_ = buf_[start_ + n - 1];
  start_ += n;
  pos_ += n;
}

bool ArmorReader::at(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (peek(i) != static_cast<unsigned char>(s[i])) return false;
  return true;
}

void ArmorReader::done() {
  token_done_ = true;
  token_end_ = pos_;
}

void ArmorReader::defect(const std::string& why) {
  // Skip what is left of the token: the rest of a one-line token, or the
  // rest of the current line of a block.
  if (form_ == ArmorForm::line) {
    while (url_byte(peek(0))) advance(1);
  } else {
    while (peek(0) >= 0 && peek(0) != '\n') advance(1);
    if (peek(0) == '\n') advance(1);
  }
  done();
  throw OpenError(Fault::armor, why);
}

// A block whose base64 is bad is still read line by line to its END line,
// and a defect of the lines is what is reported if one comes first.
// Nothing more is decoded.
void ArmorReader::bad_block_base64() {
  for (;;) {
    if (line_len_ == 0 && prev_ == '\n') {
      if (peek(0) < 0) defect("the armor block has no END line");
      if (block_line_start()) {
        done();
        throw OpenError(Fault::armor, "the armor block is not valid base64");
      }
      if (short_line_) defect(malformed_lines);
    }
    if (!block_line_end(peek(0))) advance(1);
  }
}

// One character of a block, as far as its lines go: a line ending (LF, or
// the CR of CR LF) is consumed and true returned; any other character is
// counted against the 64 of its line, left to the caller, and false
// returned. A line too long, an empty line or the end of input is a defect.
bool ArmorReader::block_line_end(int c) {
  if (c < 0) defect("the armor block has no END line");
  if (c == '\r' && peek(1) == '\n') {
    advance(1);
    return true;
  }
  if (c == '\n') {
    if (line_len_ == 0) defect(malformed_lines);
    short_line_ = line_len_ < line_width;
    line_len_ = 0;
    advance(1);
    return true;
  }
  if (++line_len_ > line_width) defect(malformed_lines);
  return false;
}

bool ArmorReader::next() {
  if (in_token_ && !token_done_) finish_token();
  in_token_ = false;
  for (;;) {
    int c = peek(0);
    if (c < 0) return false;
    if (c == 'g' && at(armor_prefix)) {
      std::size_t run = 0;
      if (!message_start(peek(armor_prefix.size())))
        while (run < min_token_chars && url_byte(peek(armor_prefix.size() + run))) ++run;
      if (message_start(peek(armor_prefix.size())) || run >= min_token_chars) {
        token_offset_ = pos_;
        advance(armor_prefix.size());
        form_ = ArmorForm::line;
        break;
      }
      advance(armor_prefix.size());  // "grypt:" in prose
      continue;
    }
    if (std::size_t k = c == 'g' ? dense_marker(form_) : 0; k != 0) {
      // A marker starts a token when a character of its alphabet (or one
      // they decompose to) follows, perhaps after a line break; else it is
      // prose ("a grypt× token").
      alphabet_ = &alphabet_of(form_);
      if (token_char(char_at(k + line_break(k)))) {
        token_offset_ = pos_;
        advance(k);
        break;
      }
      advance(k);
      continue;
    }
    if (c == '-' && prev_ == '\n' && at(armor_begin)) {
      std::size_t k = armor_begin.size();
      if (peek(k) == '\r') ++k;
      if (peek(k) == '\n') {
        token_offset_ = pos_;
        advance(k + 1);
        form_ = ArmorForm::block;
        break;
      }
      advance(k);
      continue;
    }
    advance(1);
  }
  in_token_ = true;
  token_done_ = false;
  acc_ = 0;
  nacc_ = 0;
  pad_ = 0;
  line_len_ = 0;
  short_line_ = false;
  block_empty_ = true;
  out_have_ = out_at_ = 0;
  return true;
}

void ArmorReader::finish_token() {
  std::uint8_t sink[4096];
  try {
    while (body_.read(sink) > 0) {
    }
  } catch (const OpenError&) {
    // defect() has skipped the rest already
  }
}

// At the start of a block line: the END line ends the block; anything
// else starts a line of base64.
bool ArmorReader::block_line_start() {
  if (!at(armor_end)) return false;
  std::size_t k = armor_end.size();
  if (peek(k) == '\r') ++k;
  int d = peek(k);
  if (d != '\n' && d >= 0) return false;
  advance(d == '\n' ? k + 1 : k);
  return true;
}

std::size_t ArmorReader::decode_some(std::uint8_t* out, std::size_t max) {
  if (form_ == ArmorForm::x || form_ == ArmorForm::dense) return decode_dense(out, max);
  std::size_t n = 0;
  while (n < max) {
    if (out_at_ < out_have_) {
      out[n++] = out_[out_at_++];
      continue;
    }
    if (token_done_) break;
    // The common case in a tight loop: whole groups of 4 characters; in a
    // block, within a line that has begun, without padding, up to the
    // line's 64 characters (the line's end and the next line's start, and
    // everything else, are read one character at a time below).
    const bool line = form_ == ArmorForm::line;
    if (nacc_ == 0 && max - n >= 3 && (line || (pad_ == 0 && !(line_len_ == 0 && prev_ == '\n')))) {
      static const auto tables = [] {
        std::array<std::array<std::int8_t, 256>, 2> t{};
        for (int c = 0; c < 256; ++c) {
          t[0][c] = static_cast<std::int8_t>(b64_value(c, true));
          t[1][c] = static_cast<std::int8_t>(b64_value(c, false));
        }
        return t;
      }();
      const std::array<std::int8_t, 256>& values = tables[line ? 0 : 1];
      if (end_ - start_ < 64 && !eof_) peek(63);
      const std::uint8_t* p = buf_.data() + start_;
      const std::uint8_t* const e = buf_.data() + end_;
      while (e - p >= 4 && max - n >= 3) {
        if (!line && line_len_ + 4 > line_width) {
          // A whole line's LF and the next line's first group go on here;
          // a short line, CR LF, the END line and the rest go below.
          if (line_len_ != line_width || p[0] != '\n' || e - p < 5) break;
          ++p;
          line_len_ = 0;
          continue;
        }
        int a = values[p[0]], b = values[p[1]], c = values[p[2]], d = values[p[3]];
        if ((a | b | c | d) < 0) break;
        std::uint32_t q = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
        out[n++] = static_cast<std::uint8_t>(q >> 16);
        out[n++] = static_cast<std::uint8_t>(q >> 8);
        out[n++] = static_cast<std::uint8_t>(q);
        p += 4;
        if (!line) {
          line_len_ += 4;
          block_empty_ = false;
        }
      }
      if (p != buf_.data() + start_) {
        advance(static_cast<std::size_t>(p - (buf_.data() + start_)));
        continue;
      }
    }
    int c = peek(0);
    int v;
    if (form_ == ArmorForm::line) {
      v = c >= 0 ? b64_value(c, true) : -1;
      if (v < 0) {
        // The end of a one-line token: 2 or 3 characters left give 1 or 2
        // bytes, whose unused bits must be zero.
        if (nacc_ == 1) defect("not valid base64url");
        if (nacc_ == 2) {
          if (acc_ & 0x0f) defect("not valid base64url");
          out_[0] = static_cast<std::uint8_t>(acc_ >> 4);
          out_have_ = 1;
        } else if (nacc_ == 3) {
          if (acc_ & 0x03) defect("not valid base64url");
          out_[0] = static_cast<std::uint8_t>(acc_ >> 10);
          out_[1] = static_cast<std::uint8_t>(acc_ >> 2);
          out_have_ = 2;
        }
        if (nacc_ != 0) out_at_ = 0;
        nacc_ = 0;
        done();
        continue;
      }
      advance(1);
    } else {
      if (line_len_ == 0 && prev_ == '\n') {
        if (c < 0) defect("the armor block has no END line");
        if (block_line_start()) {
          done();
          if (block_empty_) throw OpenError(Fault::armor, "the armor block is empty");
          if (nacc_ != 0) throw OpenError(Fault::armor, "the armor block is not valid base64");
          continue;
        }
        if (short_line_) defect(malformed_lines);
      }
      if (block_line_end(c)) continue;
      block_empty_ = false;
      advance(1);
      if (c == '=') {
        // Padding: only in the last group, after two or three characters.
        if (nacc_ < 2 || pad_ + nacc_ >= 4) bad_block_base64();
        ++pad_;
        if (nacc_ + pad_ == 4) {
          if (pad_ == 2) {
            if (acc_ & 0x0f) bad_block_base64();
            out_[0] = static_cast<std::uint8_t>(acc_ >> 4);
            out_have_ = 1;
          } else {
            if (acc_ & 0x03) bad_block_base64();
            out_[0] = static_cast<std::uint8_t>(acc_ >> 10);
            out_[1] = static_cast<std::uint8_t>(acc_ >> 2);
            out_have_ = 2;
          }
          out_at_ = 0;
          nacc_ = 0;
          acc_ = 0;
        }
        continue;
      }
      if (pad_ > 0) bad_block_base64();
      v = b64_value(c, false);
      if (v < 0) bad_block_base64();
    }
    acc_ = acc_ << 6 | static_cast<std::uint32_t>(v);
    if (++nacc_ == 4) {
      out_[0] = static_cast<std::uint8_t>(acc_ >> 16);
      out_[1] = static_cast<std::uint8_t>(acc_ >> 8);
      out_[2] = static_cast<std::uint8_t>(acc_);
      out_have_ = 3;
      out_at_ = 0;
      nacc_ = 0;
      acc_ = 0;
    }
  }
  return n;
}

// --- x and dense ---------------------------------------------------------

ArmorReader::Char ArmorReader::char_at(std::size_t ahead) {
  int b0 = peek(ahead);
  if (b0 < 0) return {-1, 0};
  if (b0 < 0x80) return {b0, 1};
  std::uint8_t len = b0 >= 0xf5 ? 0 : b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc2 ? 2 : 0;
  if (len == 0) return {-2, 1};
  std::int32_t c = b0 & (0x7f >> len);
  for (std::size_t i = 1; i < len; ++i) {
    int b = peek(ahead + i);
    if (b < 0 || (b & 0xc0) != 0x80) return {-2, 1};
    c = c << 6 | (b & 0x3f);
  }
  if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
    return {-2, 1};
  return {c, len};
}

bool ArmorReader::token_char(Char c) const { return alphabet_->value_of(c.cp) != DenseAlphabet::other; }

std::size_t ArmorReader::line_break(std::size_t ahead) {
  int c = peek(ahead);
  if (c == '\n') return 1;
  return c == '\r' && peek(ahead + 1) == '\n' ? 2 : 0;
}

// The token ends before its final character: it was cut short (a site
// shortened the post), which is not the same as a changed one.
void ArmorReader::cut_short() {
  done();
  throw OpenError(Fault::truncated, std::string(alphabet_->name) + " armor: cut short at byte " +
                                        std::to_string(pos_) +
                                        ", before its final character (was the post shortened?)");
}

// Skips the rest of a damaged token, as far as it goes on: through its
// final character, or to a point where no character of its alphabet (or
// of what they decompose to) follows.
void ArmorReader::dense_defect(const std::string& why) {
  for (;;) {
    if (at_marker()) break;
    Char c = char_at(0);
    std::uint16_t v = alphabet_->value_of(c.cp);
    if (v >= alphabet_->main_size() && v < alphabet_->main_size() + alphabet_->final_size()) {
      advance(c.len);
      break;
    }
    if (v == DenseAlphabet::mark || v < alphabet_->main_size()) {
      advance(c.len);
      continue;
    }
    if (c.cp == -1) break;
    std::size_t skip = line_break(0);
    if (skip == 0) skip = c.len;
    if (c.cp == -2)
      while (char_at(skip).cp == -2) ++skip;
    if (!token_char(char_at(skip))) break;
    advance(skip);
  }
  done();
  throw OpenError(Fault::armor, std::string(alphabet_->name) + " armor: " + why);
}

// An x or dense marker here: its length in bytes (the line breaks a site
// put between its characters included), and its form; 0 if none.
std::size_t ArmorReader::dense_marker(ArmorForm& form) {
  std::size_t k = 0;
  for (char c : std::string_view("grypt")) {
    if (k > 0) k += line_break(k);
    if (peek(k) != c) return 0;
    ++k;
  }
  k += line_break(k);
  if (peek(k) == 0xc3 && peek(k + 1) == 0x97) {
    form = ArmorForm::x;
    return k + 2;
  }
  if (peek(k) == 0xe2 && peek(k + 1) == 0x89 && peek(k + 2) == 0xa1) {
    form = ArmorForm::dense;
    return k + 3;
  }
  return 0;
}

bool ArmorReader::at_marker() {
  ArmorForm f;
  return peek(0) == 'g' && (at(armor_prefix) || dense_marker(f) != 0);
}

// One character, or one line break, of an x or dense token. False at the
// end of the token.
bool ArmorReader::dense_step() {
  const DenseAlphabet& a = *alphabet_;
  // Another token's marker ends this one ("g" is in the x alphabet): the
  // line this token was on was cut, and the next line starts a new one.
  if (at_marker()) cut_short();
  Char c = char_at(0);
  std::uint16_t v = a.value_of(c.cp);
  if (v < a.main_size()) {
    acc_ = acc_ << a.bits | v;
    nacc_ += a.bits;
    advance(c.len);
    while (nacc_ >= 8) {
      nacc_ -= 8;
      out_[out_have_++] = static_cast<std::uint8_t>(acc_ >> nacc_);
    }
    acc_ &= (1u << nacc_) - 1;
    return true;
  }
  if (v < a.main_size() + a.final_size()) {
    // The final character: value f carries r bits, f + 1 - 2^r.
    std::uint32_t f = v - a.main_size() + 1;
    int r = 0;
    while ((f >> (r + 1)) != 0) ++r;
    acc_ = acc_ << r | (f - (1u << r));
    nacc_ += r;
    advance(c.len);
    while (nacc_ >= 8) {
      nacc_ -= 8;
      out_[out_have_++] = static_cast<std::uint8_t>(acc_ >> nacc_);
    }
    // As the writer ends: bits in the final character only when they end
    // on a byte boundary; the padding of a last main character all zero.
    if ((r > 0 && nacc_ != 0) || (acc_ & ((1u << nacc_) - 1)) != 0) {
      done();
      throw OpenError(Fault::armor, std::string(a.name) + " armor: not canonical: bits past its last byte");
    }
    done();
    return false;
  }
  if (std::size_t lb = line_break(0); lb != 0) {
    if (token_char(char_at(lb))) {
      advance(lb);  // a line a site wrapped
      return true;
    }
    cut_short();
  }
  if (v == DenseAlphabet::mark)
    dense_defect("decomposed by Unicode normalization (NFD or NFKD): " + code_point_name(c.cp) + " at byte " +
                 std::to_string(pos_) + "; ask for a copy that was not normalized");
  // Something else: a character in place of one of the alphabet (more of
  // them follow it), or where the token was cut: the end of the input,
  // white space, an ellipsis, or anything that no more of the token
  // follows (a cut may fall inside a character's bytes: bytes that are no
  // UTF-8 count as one).
  std::size_t len = c.len;
  if (c.cp == -2)
    while (char_at(len).cp == -2) ++len;
  if (c.cp == -1 || c.cp == 0x2026 || white_space(c.cp) || !token_char(char_at(len))) cut_short();
  if (c.cp == -2)
    dense_defect("byte " + std::to_string(pos_) + " is not UTF-8 (0x" +
                 "0123456789abcdef"[peek(0) >> 4] + "0123456789abcdef"[peek(0) & 15] + ")");
  dense_defect(code_point_name(c.cp) + " at byte " + std::to_string(pos_) + " is not in its alphabet");
}

std::size_t ArmorReader::decode_dense(std::uint8_t* out, std::size_t max) {
  const DenseAlphabet& a = *alphabet_;
  const int bits = a.bits;
  const std::uint32_t main = a.main_size();
  std::size_t n = 0;
  while (n < max) {
    if (out_at_ < out_have_) {
      out[n++] = out_[out_at_++];
      continue;
    }
    if (token_done_) break;
    out_have_ = out_at_ = 0;
    // The common case in a tight loop: main characters, whole in the
    // buffer, with room for the two bytes each can give.
    if (end_ - start_ < 64 && !eof_) peek(63);
    const std::uint8_t* p = buf_.data() + start_;
    const std::uint8_t* const e = buf_.data() + end_;
    std::uint32_t acc = acc_;
    std::uint32_t nacc = static_cast<std::uint32_t>(nacc_);
    while (e - p >= 3 && max - n >= 2) {
      // Dense, at a group's start: 8 characters (24 bytes) give 15 bytes.
      if (bits == 15 && nacc == 0 && e - p >= 24 && max - n >= 16 && dense_group(a, p, out + n)) {
        p += 24;
        n += 15;
        continue;
      }
      // x, at a group's start: 8 characters (8 to 24 bytes) give 11
      // bytes, as many groups at once as there is room for.
      if (bits == 11 && nacc == 0 && static_cast<std::size_t>(e - p) >= x_groups_slack && max - n >= 16) {
        std::size_t groups = 0;
        p += x_groups_chosen(a, p, e, out + n, (max - n - 5) / 11, groups);
        n += 11 * groups;
        if (groups) continue;
      }
      std::uint32_t b0 = p[0], b1 = p[1], b2 = p[2];
      std::uint32_t c, len;
      if (bits == 15) {
        // Every dense character is 3 bytes long (U+3041 to U+D7A3): the
        // next one's place does not wait for this one's bytes.
        c = (b0 & 0x0f) << 12 | (b1 & 0x3f) << 6 | (b2 & 0x3f);
        len = 3;
        if (((b0 & 0xf0) != 0xe0) | ((b1 & 0xc0) != 0x80) | ((b2 & 0xc0) != 0x80)) break;
      } else {
        // x: 1 to 3 bytes, in no order a CPU could guess: masks, not branches.
        len = utf8_length[b0];
        std::uint32_t is1 = len == 1, is2 = len == 2, is3 = len == 3;
        c = (b0 & (0u - is1)) | (((b0 & 0x1f) << 6 | (b1 & 0x3f)) & (0u - is2)) |
            (((b0 & 0x0f) << 12 | (b1 & 0x3f) << 6 | (b2 & 0x3f)) & (0u - is3));
        std::uint32_t tails = ((b1 & 0xc0) == 0x80) & (is2 | ((b2 & 0xc0) == 0x80));
        // No UTF-8, an overlong one, or "g" (perhaps a marker): the careful way.
        if ((len == 0) | ((is2 | is3) & (tails ^ 1)) | (is3 & (c < 0x800)) | (b0 == 'g')) break;
      }
      std::uint32_t v = a.value_of_bmp(c);
      if (v >= main) break;
      acc = acc << bits | v;
      nacc += static_cast<std::uint32_t>(bits);
      std::uint32_t k = nacc >> 3;  // 1 or 2 bytes
      out[n] = static_cast<std::uint8_t>(acc >> (nacc - 8));
      out[n + 1] = static_cast<std::uint8_t>(acc >> ((nacc - 16) & 31));
      n += k;
      nacc -= 8 * k;
      acc &= (1u << nacc) - 1;
      p += len;
    }
    acc_ = acc;
    nacc_ = static_cast<int>(nacc);
    if (p != buf_.data() + start_) {
      advance(static_cast<std::size_t>(p - (buf_.data() + start_)));
      continue;
    }
    dense_step();
  }
  return n;
}

std::size_t ArmorReader::Body::read(std::span<std::uint8_t> buf) {
  if (!r_.in_token_) return 0;
  return r_.decode_some(buf.data(), buf.size());
}

}  // namespace grypt
