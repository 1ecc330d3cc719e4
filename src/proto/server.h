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

#include "core/group.h"
#include "core/keys.h"
#include "proto/frame.h"

namespace grypt::proto {

inline constexpr std::uint32_t version = 1;
inline constexpr std::size_t max_groups = 64;
inline constexpr std::size_t max_lacking = 64;

// A group a member asks for, and what it holds of it: the states of epochs
// `first` to `epoch` (the newest, whose state hashes to `head`), without
// the keys of the `lacking` ranges (inclusive).
struct GroupWant {
  std::string name;
  std::optional<Epoch> epoch;
  std::optional<StateHash> head;
  std::optional<Epoch> first;
  std::vector<std::pair<Epoch, Epoch>> lacking;
  std::string note;  // for the administrators, if it is not a member
};

struct Hello {
  PublicKey key;
  std::vector<GroupWant> groups;
};
// More groups on a connection after its hello, or a group asked again.
struct Ask {
  std::vector<GroupWant> groups;
};
struct Welcome {
  PublicKey server;
};
struct State {
  std::string group;
  Epoch epoch;
  std::vector<std::uint8_t> state;
  std::vector<std::uint8_t> key;  // empty: not entitled to this epoch's key
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
struct RosterRequest {
  std::string group;
  Epoch epoch;
};
struct Roster {
  std::string group;
  Epoch epoch;
  std::vector<RosterEntry> members;
  bool more = false;
};
struct Ping {};
struct Pong {};
struct ErrorReply {
  std::string code, message;
};

using FromMember = std::variant<Hello, Ask, RosterRequest, Ping, Pong>;
using FromServer =
    std::variant<Welcome, State, Synced, NotMember, Removed, Roster, Ping, Pong, ErrorReply>;

// Frame bodies (without the length prefix).
std::vector<std::uint8_t> encode(const FromMember& m);
std::vector<std::uint8_t> encode(const FromServer& m);
FromMember decode_from_member(std::span<const std::uint8_t> body);
FromServer decode_from_server(std::span<const std::uint8_t> body);

// The roster in frames of at most `per_frame` members.
std::vector<Roster> split_roster(const std::string& group, Epoch epoch,
                                 const std::vector<RosterEntry>& members,
                                 std::size_t per_frame = 4000);

}  // namespace grypt::proto
