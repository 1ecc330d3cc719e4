// Fixed keys shared by the fuzz targets and the seed generator (seeds.cpp):
// the seeds are sealed under exactly the keys the targets open with, so the
// fuzzer starts from inputs that authenticate and reach the deep paths.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/keys.h"
#include "core/message.h"
#include "core/secret.h"
#include "core/vault.h"

namespace grypt::fuzz {

// Each target initialises libsodium from a static initialiser:
//   static const bool g_init = grypt::fuzz::init();
inline bool init() {
  grypt::init_crypto();
  return true;
}

template <std::size_t N>
constexpr std::array<std::uint8_t, N> pattern(std::uint8_t start, std::uint8_t step) {
  std::array<std::uint8_t, N> a{};
  for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::uint8_t>(start + i * step);
  return a;
}

// message_open: the epoch key for every group and epoch.
inline constexpr auto epoch_key = pattern<32>(0x11, 3);
// stream_open: the STREAM payload key.
inline constexpr auto stream_key = pattern<32>(0x5a, 7);
// vault_entry: the vault key and the entry name.
inline constexpr auto vault_key = pattern<32>(0xa0, 5);
inline constexpr std::string_view entry_name = "fuzz/entry";
// The identity: message sender and member (message_open), vault.key
// recipient (vault_entry). Ed25519 seed || X25519 secret.
inline constexpr auto identity_secret = pattern<64>(0x42, 11);
// identity_file: the passphrase of encrypted identity files.
inline constexpr std::string_view passphrase = "fuzz passphrase";

// stream_open: the first input byte selects the trailer size, the rest is
// the payload.
inline constexpr std::size_t stream_trailer(std::uint8_t selector) {
  return (selector & 1) ? signed_trailer_bytes : 0;
}

inline const Identity& identity() {
  static const Identity id = Identity::from_secret(identity_secret);
  return id;
}

inline SecretBytes secret(std::span<const std::uint8_t> bytes) {
  return SecretBytes::copy_of(bytes);
}

// Opens any header: the key is derived from the fixed epoch key.
class FixedMessageKeys : public MessageKeys {
 public:
  SecretBytes message_key(const MessageHeader& h) override {
    return derive_message_key(epoch_key, h);
  }
};

// Every group has one member, the fixed identity, under any key id.
class FixedMembers : public Members {
 public:
  std::vector<Member> lookup(const MessageHeader&, const KeyId&) const override {
    return {{identity().public_key(), "fixed", true}};
  }
};

}  // namespace grypt::fuzz
