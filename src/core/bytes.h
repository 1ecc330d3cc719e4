// Big-endian integers, as every grypt format and protocol writes them
// (man/grypt.5, Notation).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace grypt {

// Appends bytes to a growing format (resize and copy: GCC 12 reports false
// out-of-bounds warnings for vector::insert of short arrays).
inline void append(std::vector<std::uint8_t>& v, std::span<const std::uint8_t> b) {
  std::size_t at = v.size();
  v.resize(at + b.size());
  if (!b.empty()) std::memcpy(v.data() + at, b.data(), b.size());
}
inline void append(std::vector<std::uint8_t>& v, std::string_view s) {
  append(v, std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

inline void put_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

inline std::uint16_t get_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

inline void put_be32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

inline std::uint32_t get_be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// One load or store and a byte swap (GCC 12 turns the byte-at-a-time
// loops into eight loads or stores; the armor's group paths call these
// for every 8 characters).
inline void put_be64(std::uint8_t* p, std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

inline std::uint64_t get_be64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

}  // namespace grypt
