// Group identifiers shared by the message format (man/grypt.5) and the
// group protocol (man/grypt-protocol.7).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

namespace grypt {

using GroupId = std::array<std::uint8_t, 8>;

// A generation of a group's key. Epochs only move forward: each rotation
// makes the next one.
class Epoch {
 public:
  constexpr Epoch() = default;
  constexpr explicit Epoch(std::uint32_t value) : value_(value) {}
  constexpr std::uint32_t value() const { return value_; }
  constexpr Epoch next() const { return Epoch(value_ + 1); }
  constexpr auto operator<=>(const Epoch&) const = default;
  std::string to_string() const { return std::to_string(value_); }

 private:
  std::uint32_t value_ = 0;
};

}  // namespace grypt
