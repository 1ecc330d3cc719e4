// The daemon protocol's messages (man/grypt-protocol.7, DAEMON PROTOCOL):
// what the tools ask gryptd and what it answers, as types. gryptd decodes
// requests and the tools decode answers with these typed decoders only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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

// The longest reference text: a group reference with 8 endpoints of 253-byte
// hosts and a 64-byte name is 2964 characters (grypt-protocol.7, REFERENCES).
inline constexpr std::size_t max_reference_chars = 4096;

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
  ShortGroupId group{};
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
struct Leave {
  std::string group;
};
// gryptd.1, Locking: the keys wiped, and given back with the passphrase.
struct Lock {};
inline constexpr std::size_t max_passphrase_bytes = 1024;
struct Unlock {
  SecretBytes passphrase;
};

// An administrator's requests (grypt-admin.1): the daemon makes, signs and
// commits the new epoch; the tool never sees a key.
struct Create {
  std::string group;   // its name on the server
  std::string server;  // the server's reference
  std::string name;    // the creator's name in the group; empty: its login name
};
struct Add {
  std::string group;
  std::string who;  // a public key string, or the number of a pending request
  std::string name;
  bool history = false;
  bool admin = false;
};
// Members added in one commit (a run), in this order.
inline constexpr std::size_t max_add_many = 1001;
struct AddMany {
  std::string group;
  std::vector<std::pair<std::string, PublicKey>> members;  // name, key
};
// Remove, rotate, promote, demote and grant: one shape.
struct Change {
  grypt::Change change = grypt::Change::rotate;
  std::string group;
  std::string member;  // a name or a public key string; empty for rotate
};
// A member's move to a new key, on its move statement's text.
inline constexpr std::size_t max_move_statement_chars = 1024;
struct Move {
  std::string group;
  std::string statement;
  bool history = false;  // every past epoch held, not only the old key's
};
struct Listing {
  enum class What { roster, pending, log, invite } what = What::roster;
  std::string group;
};

using Request = std::variant<Status, Seal, Sign, Open, Members, Vault, Join, Stop, Create, Add, AddMany, Change,
                             Listing, Leave, Lock, Unlock, Move>;

}  // namespace grypt::daemon

namespace grypt {

// Where a group stands with its server, as `gryptd status` shows it
// (gryptd.1, status); on the wire by its name.
enum class Standing {
  connecting,    // a connection is being made
  connected,     // synced with the server, which pushes every new epoch
  offline,       // no connection, tried again later
  not_member,    // the server says this key is not a member (or removed it)
  wrong_server,  // the server's key is not the one the reference pins
  rolled_back,   // the server said it is at an epoch older than the one held
  forked,        // an admin signed two different states for one epoch
  expired,       // the newest epoch's expiry passed: no admin made a newer one
  locked,        // the daemon is locked, and so not connected
};
const char* standing_name(Standing s);  // "connecting", "not-member", ...
std::optional<Standing> standing_of(std::string_view name);

}  // namespace grypt

namespace grypt::daemon {

struct GroupStatus {
  std::string name, reference;
  Standing state = Standing::offline;
  std::uint32_t epoch = 0;
  std::int64_t confirmed = 0;
  std::uint64_t members = 0;
  std::string why;   // rolled-back, forked, expired: what happened
  StateHash head{};  // the newest state's hash (zero: none)
  std::int64_t expires = 0;  // the newest state's expiry (0: never)
  std::string role;  // member or admin; empty when not a member
};
struct StatusReply {
  std::string identity;
  std::uint64_t pid = 0;
  bool locked = false;
  std::vector<GroupStatus> groups;
};
struct SignReply {
  KeyId key_id{};
  Signature signature{};
};
struct SealReply {
  HeaderBytes header{};
  SecretBytes key;
  StateHash state_hash{};  // of the epoch sealed under
  std::uint32_t epoch = 0;
  bool fresh = false;
  std::int64_t confirmed = 0;
  Standing state = Standing::offline;  // the group's, as in status
  std::optional<SignReply> signature;  // when the request had a digest
};
struct OpenReply {
  SecretBytes key;
  StateHash state_hash{};
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
// leave: whether the group's administrators were told (a leave request the
// server took).
struct LeftReply {
  bool told = false;
};
struct CreateReply {
  std::string reference;  // the new group's
};
struct EpochReply {
  std::uint32_t epoch = 0;
};
struct RosterEntryOut {
  std::string name;
  PublicKey key;
  std::string role;
  std::uint32_t since = 0;
};
struct RosterReply {
  std::vector<RosterEntryOut> members;
};
struct PendingOut {
  std::int64_t number = 0;
  bool leave = false;                // a leave request; else a join request
  std::optional<std::string> name;  // the key's name in the roster (a leaver's)
  PublicKey key;
  std::string note;
  std::int64_t time = 0, first = 0, last = 0;
  std::uint64_t count = 0;
};
struct PendingReply {
  std::vector<PendingOut> requests;
};
struct LogOut {
  std::uint32_t epoch = 0;
  std::int64_t time = 0;
  std::string change, subject_name, role, signer_name;
  std::optional<PublicKey> subject;
  PublicKey signer;
};
struct LogReply {
  std::vector<LogOut> entries;
};
struct InviteReply {
  std::string reference;
};

// The daemon protocol's error codes (grypt-protocol.7, DAEMON PROTOCOL),
// carried as a type from where the error is raised.
enum class Code {
  unknown_group,  // a group the daemon does not know
  unknown_epoch,  // no key for that group and epoch
  forked,         // a post sealed under another state of its epoch
  not_member,
  no_roster,
  wrong_server,
  not_admin,      // the request needs an administrator of the group
  locked,         // the daemon is locked: it holds no key until unlocked
  passphrase,     // an unlock's passphrase does not unlock the identity
  refused,        // the server or the group's rules refused the change
  offline,        // the group's server cannot be reached now
  vault,
  usage,
  protocol,
};
const char* code_name(Code c);  // "unknown-group", ...
std::optional<Code> code_of(std::string_view name);

struct Failure {
  Code code = Code::protocol;
  std::string message;
};

using Reply = std::variant<StatusReply, SealReply, SignReply, OpenReply, MembersReply, VaultReply,
                           Done, CreateReply, EpochReply, RosterReply, PendingReply, LogReply,
                           InviteReply, Failure, LeftReply>;

// Frame bodies. Secret fields are wiped from the encoder's and decoder's
// working strings; the caller wipes the body it sent.
std::vector<std::uint8_t> encode(const Request& r);
Request decode_request(std::span<const std::uint8_t> body);
std::vector<std::uint8_t> encode(const Reply& r);
// The reply to `request` (its type fixes which reply is valid), or Failure.
Reply decode_reply(std::span<const std::uint8_t> body, const Request& request);

// An answer too long for one frame comes in parts (grypt-protocol.7, DAEMON
// PROTOCOL): bodies of at most max_body bytes, each the answer with the
// next items of its list and "more" true but the last. An answer that
// fits, or has no list to cut, is one body.
std::vector<std::vector<std::uint8_t>> encode_parts(const Reply& r, std::size_t max_body = 512 * 1024);
// One part of the answer to `request`: the first becomes `into`, a later
// one's items are appended to its list. True when more parts follow.
bool decode_reply_part(std::span<const std::uint8_t> body, const Request& request, std::optional<Reply>& into);

}  // namespace grypt::daemon
