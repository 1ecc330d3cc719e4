// BLAKE2b-256 of a label and parts (crypto_generichash, 32-byte output, no
// key), as the group formats use it: "BLAKE2b-256(label || part || ...)".
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace grypt {

class Blake {
 public:
  explicit Blake(std::string_view label);
  Blake& add(std::span<const std::uint8_t> bytes);
  Blake& add_be32(std::uint32_t v);
  std::array<std::uint8_t, 32> done();

 private:
  alignas(64) unsigned char state_[384];
};

}  // namespace grypt
