// What both store backends read and write the same way: the names that
// bind a sealed field to its row (its associated data), and the checks a
// row read back must pass. A store edited by hand is named, never trusted.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/keys.h"

namespace grypt::store_rows {

// The sealed fields' associated data (gryptserver.8, FILES).
inline const char* const server_secret_where = "meta.server_secret.1";
inline std::string request_where(std::int64_t group, const PublicKey& key) {
  return "pending.request.group=" + std::to_string(group) + ".key=" + key.to_string();
}

inline PublicKey key_of(const std::vector<std::uint8_t>& b, const std::string& where) {
  try {
    return PublicKey::from_bytes(b);
  } catch (const FormatError&) {
    throw OpenError(Fault::auth, "the store is damaged: " + where + " holds no valid key");
  }
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const std::vector<std::uint8_t>& b, const std::string& where) {
  if (b.size() != N)
    throw OpenError(Fault::auth, "the store is damaged: " + where + " is not " + std::to_string(N) + " bytes");
  std::array<std::uint8_t, N> out;
  std::memcpy(out.data(), b.data(), N);
  return out;
}

// The server key read back must be the one its sealed secret makes.
inline void check_server_public(const Identity& id, const std::vector<std::uint8_t>& stored) {
  const auto mine = id.public_key().bytes();
  if (stored.size() != mine.size() || !std::equal(mine.begin(), mine.end(), stored.begin()))
    throw OpenError(Fault::auth, "the store is damaged: meta.server_public does not match the server's secret key");
}

inline std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace grypt::store_rows
