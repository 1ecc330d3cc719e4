// The daemon protocol's messages (man/grypt-protocol.7, DAEMON PROTOCOL):
// what the tools ask gryptd and what it answers, as types. gryptd decodes
// requests and the tools decode answers with these typed decoders only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/group.h"
#include "core/keys.h"
#include "core/message.h"
#include "core/vault_format.h"
#include "proto/frame.h"

namespace grypt::daemon {

using EntryHead = std::array<std::uint8_t, entry_header_bytes>;
using HeaderBytes = std::array<std::uint8_t, header_bytes>;

struct Status {};
struct Seal {
  std::string group;
  bool is_signed = true;
  // A signed post read in full before asking: the SHA-512 of its plaintext,
  // signed in the same answer.
  std::optional<std::array<std::uint8_t, Sha512::size>> digest;
};
struct Sign {
  HeaderBytes header{};
  std::array<std::uint8_t, Sha512::size> digest{};
};
struct Open {
  HeaderBytes header{};
};
struct Members {
  GroupId group{};
  Epoch epoch;
  KeyId key_id{};
};
struct Vault {
  std::vector<std::uint8_t> vault_key_file;  // empty with create
  bool create = false;                       // a new vault key, sealed to the identity
  std::vector<PublicKey> reseal;             // the vault key sealed again to these
  std::vector<std::string> locators;
  std::vector<EntryHead> name_keys;
  std::vector<std::pair<EntryHead, std::string>> entry_keys;
};
struct Join {
  std::string name, reference;
  std::string note;  // empty: none
};
struct Stop {};

using Request = std::variant<Status, Seal, Sign, Open, Members, Vault, Join, Stop>;

struct GroupStatus {
  // state: connecting, connected, offline, not-member, wrong-server,
  // rolled-back or forked (gryptd.1, status)
  std::string name, reference, state;
  std::uint32_t epoch = 0;
  std::int64_t confirmed = 0;
  std::uint64_t members = 0;
  std::string why;  // rolled-back, forked: what the server did
};
struct StatusReply {
  std::string identity;
  std::uint64_t pid = 0;
  std::vector<GroupStatus> groups;
};
struct SignReply {
  KeyId key_id{};
  Signature signature{};
};
struct SealReply {
  HeaderBytes header{};
  SecretBytes key;
  std::uint32_t epoch = 0;
  bool fresh = false;
  std::int64_t confirmed = 0;
  std::string state;  // the group's state, as in status
  std::optional<SignReply> signature;  // when the request had a digest
};
struct OpenReply {
  SecretBytes key;
  std::string group;
  std::uint32_t epoch = 0;
  // The newest epoch held, when it replaced the message's with other members.
  std::optional<std::uint32_t> superseded_by;
};
struct MemberFound {
  std::string name;
  PublicKey key;
  std::optional<bool> current;  // nullopt: could not be checked
};
struct MembersReply {
  std::vector<MemberFound> members;
};
struct VaultReply {
  std::vector<std::uint8_t> vault_key_file;  // with create or reseal
  std::vector<std::string> locators;
  std::vector<SecretBytes> name_keys, entry_keys;
};
struct Done {};
struct Failure {
  std::string code, message;
};

using Reply = std::variant<StatusReply, SealReply, SignReply, OpenReply, MembersReply, VaultReply,
                           Done, Failure>;

// Frame bodies. Secret fields are wiped from the encoder's and decoder's
// working strings; the caller wipes the body it sent.
std::vector<std::uint8_t> encode(const Request& r);
Request decode_request(std::span<const std::uint8_t> body);
std::vector<std::uint8_t> encode(const Reply& r);
// The reply to `request` (its type fixes which reply is valid), or Failure.
Reply decode_reply(std::span<const std::uint8_t> body, const Request& request);

}  // namespace grypt::daemon
