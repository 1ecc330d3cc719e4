// The group server protocol's messages (man/grypt-protocol.7, SERVER
// PROTOCOL) as types. Each side decodes what it receives with these typed
// decoders: a frame that is not exactly one of the messages it may receive
// is a ProtocolError, whatever the peer meant. JSON stays inside src/proto.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/epoch_box.h"
#include "core/group.h"
#include "core/keys.h"
#include "proto/frame.h"

namespace grypt::proto {

inline constexpr std::uint32_t version = 2;
inline constexpr std::size_t max_groups = 64;
inline constexpr std::size_t max_lacking = 64;
// Boxes per commit frame: 15,000 boxes are 960,000 characters of base64url,
// under the frame limit with the rest of the frame.
inline constexpr std::size_t boxes_per_part = 15000;
inline constexpr std::size_t max_members = 1'000'000;
// States in one commit's run; the base64 a sender puts in one frame.
inline constexpr std::size_t max_run = 1000;
inline constexpr std::size_t part_budget = 1'000'000;

// A group a member asks for, and what it holds of it: every state up to
// `epoch` (whose state hashes to `head`), without the keys of the
// `lacking` ranges (inclusive); or, not a member yet, its signed join
// request.
struct GroupWant {
  std::string name;
  std::optional<Epoch> epoch;
  std::optional<StateHash> head;
  std::vector<std::pair<Epoch, Epoch>> lacking;
  std::vector<std::uint8_t> request;  // empty: none
};

struct Hello {
  PublicKey key;
  std::vector<GroupWant> groups;
};
// More groups on a connection after its hello, or a group asked again.
struct Ask {
  std::vector<GroupWant> groups;
};
struct HistoryBox {
  Epoch epoch;
  EpochBox box{};
};
// A new epoch from an admin: the state, the commit's ephemeral key, a box
// for each member of the new roster in key order, and boxes of past
// epochs for the subject of an add, a grant or a move. A commit of many members
// comes in parts (more: true but the last), each with the state and the
// ephemeral key and the next boxes; `history` in the first.
struct Commit {
  std::string group;  // empty for a create: the genesis names it
  std::vector<std::uint8_t> state;
  EphemeralPublic ephemeral{};
  std::vector<EpochBox> boxes;
  std::vector<HistoryBox> history;
  bool more = false;
  // The states between the head and `state`, oldest first, without boxes
  // (a run: many changes in one commit); in the first part only.
  std::vector<std::vector<std::uint8_t>> run;
};
struct PendingRequest {
  std::string group;
};
// A member's leave request for a group it follows (grypt-protocol.7, leave).
struct Leave {
  std::string group;
  std::vector<std::uint8_t> request;  // 177 to 377 bytes
};
struct Ping {};
struct Pong {};

struct Welcome {
  PublicKey server;
};
struct State {
  std::string group;
  Epoch epoch;
  std::vector<std::uint8_t> state;
  EphemeralPublic ephemeral{};
  std::vector<std::uint8_t> box;  // empty: no key for this member
};
struct History {
  std::string group;
  Epoch grant;  // the commit that gave it
  Epoch epoch;
  EpochBox box{};
};
struct Synced {
  std::string group;
  Epoch epoch;
};
struct NotMember {
  std::string group;
};
struct Removed {
  std::string group;
};
struct Left {
  std::string group;
};
struct Committed {
  std::string group;
  Epoch epoch;
};
// A commit the server did not take; `head` is its newest epoch of the group.
struct Refused {
  std::string group;
  std::string code;  // stale, bad-state, not-admin, name-taken, bad-boxes, store
  Epoch head;
  std::string message;
};
struct PendingEntry {
  std::int64_t number = 0;
  std::vector<std::uint8_t> request;
  std::int64_t first = 0, last = 0;
  std::uint64_t count = 0;
};
struct Pending {
  std::string group;
  std::vector<PendingEntry> requests;
};
struct ErrorReply {
  std::string code, message;
};

using FromMember = std::variant<Hello, Ask, Commit, PendingRequest, Ping, Pong, Leave>;
using FromServer = std::variant<Welcome, State, History, Synced, NotMember, Removed, Committed, Refused,
                                Pending, Ping, Pong, ErrorReply, Left>;

// Frame bodies (without the length prefix).
std::vector<std::uint8_t> encode(const FromMember& m);
std::vector<std::uint8_t> encode(const FromServer& m);
FromMember decode_from_member(std::span<const std::uint8_t> body);
FromServer decode_from_server(std::span<const std::uint8_t> body);

// A commit in frames of at most boxes_per_part boxes and part_budget bytes
// of base64 each: the run and the history boxes in the first.
std::vector<Commit> split_commit(const Commit& c);

}  // namespace grypt::proto
