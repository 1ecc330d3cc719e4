// Fixed keys shared by the fuzz targets and the seed generator (seeds.cpp):
// the seeds are sealed under exactly the keys the targets open with, so the
// fuzzer starts from inputs that authenticate and reach the deep paths.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/group.h"
#include "core/keys.h"
#include "core/message.h"
#include "core/secret.h"
#include "core/vault.h"
#include "proto/daemon.h"

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

// group_cache: the group server's signing identity, whose fingerprint the
// member pinned in its group reference; the group; the epoch key of each
// epoch of the seed chains; the roster file's epoch and members.
inline constexpr auto server_secret = pattern<64>(0x33, 5);
inline constexpr std::string_view group_name = "fuzz-group";
inline constexpr std::uint32_t roster_epoch = 3;

inline const Identity& server_identity() {
  static const Identity id = Identity::from_secret(server_secret);
  return id;
}

inline const Fingerprint& pinned() {
  static const Fingerprint fp = server_identity().public_key().fingerprint();
  return fp;
}

inline const GroupId& group_id() {
  static const GroupId id = derive_group_id(pinned(), group_name);
  return id;
}

inline std::array<std::uint8_t, 32> chain_epoch_key(Epoch e) {
  return pattern<32>(static_cast<std::uint8_t>(0x90 + e.value()), 9);
}

// The member (the fixed identity) and two made-up ones.
inline const std::vector<RosterEntry>& roster() {
  static const std::vector<RosterEntry> r = {
      {"fixed", identity().public_key()},
      {"bob", Identity::from_secret(pattern<64>(0x61, 17)).public_key()},
      {"carol.c-2_x", Identity::from_secret(pattern<64>(0x62, 19)).public_key()}};
  return r;
}

inline const StateHash& roster_hash() {
  static const StateHash h = roster_digest(roster());
  return h;
}

// daemon_reply: the requests a reply is decoded against (the reply's type
// and, for vault, its lists' lengths depend on the request). The first
// input byte picks one, modulo their number; the rest is the reply.
inline const std::vector<daemon::Request>& daemon_requests() {
  static const std::vector<daemon::Request> r = [] {
    using daemon::EntryHead;
    daemon::Vault batch;  // a vault-get scan: names and entries of an opened vault
    batch.vault_key_file = std::vector<std::uint8_t>(100, 0x76);
    batch.locators = {"fuzz/a", "fuzz/b"};
    batch.name_keys = {EntryHead{}};
    batch.entry_keys = {{EntryHead{}, "fuzz/a"}, {pattern<entry_header_bytes>(1, 1), "fuzz/b"}};
    daemon::Vault create;
    create.create = true;
    create.locators = {"fuzz/new"};
    daemon::Vault reseal;
    reseal.vault_key_file = std::vector<std::uint8_t>(100, 0x76);
    reseal.reseal = {identity().public_key()};
    return std::vector<daemon::Request>{
        daemon::Status{},
        daemon::Seal{std::string(group_name), true},
        daemon::Sign{},
        daemon::Open{},
        daemon::Members{group_id(), Epoch(roster_epoch), identity().public_key().key_id()},
        batch,
        create,
        reseal,
        daemon::Join{std::string(group_name), "grypt-ref:x"},
        daemon::Stop{}};
  }();
  return r;
}

inline const daemon::Request& daemon_request(std::uint8_t selector) {
  return daemon_requests()[selector % daemon_requests().size()];
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
