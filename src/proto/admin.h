// The administration socket's messages (man/grypt-protocol.7,
// ADMINISTRATION): one request, one reply per connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/group.h"

namespace grypt::admin {

struct Request {
  std::string type;  // groups, init, add, remove, rotate, members, pending, log, invite
  std::string group;
  std::string key;     // add: a key string or a pending number
  std::string name;    // add
  bool history = false;  // add
  std::string member;  // remove: a name or a key string
};

struct GroupInfo {
  std::string name, id, reference;
  std::uint32_t epoch = 0;
  std::uint64_t members = 0, pending = 0;
};
struct MemberInfo {
  std::string name, key;
  std::uint32_t since = 0;
  bool history = false, online = false;
};
struct PendingInfo {
  std::int64_t number = 0;
  std::string key, note;
  std::int64_t first = 0, last = 0;
  std::uint64_t count = 0;
};
struct LogInfo {
  std::int64_t time = 0;
  std::string actor, action, detail;
};

struct Reply {
  bool ok = true;
  std::string code, message;  // when not ok
  std::optional<std::uint32_t> epoch;
  std::optional<std::string> reference;
  std::vector<GroupInfo> groups;
  std::vector<MemberInfo> members;
  std::vector<PendingInfo> pending;
  std::vector<LogInfo> log;
};

std::vector<std::uint8_t> encode(const Request& r);
std::vector<std::uint8_t> encode(const Reply& r);
// The reply as frame bodies of at most `max_body` bytes each: a list too
// long for one is cut into parts, each marked "more" but the last.
std::vector<std::vector<std::uint8_t>> encode_parts(const Reply& r, std::size_t max_body = 512 * 1024);
Request decode_request(std::span<const std::uint8_t> body);  // ProtocolError
Reply decode_reply(std::span<const std::uint8_t> body);
// Adds one part of a reply to `into`; true if more parts follow.
bool decode_reply_part(std::span<const std::uint8_t> body, Reply& into);

// The reply as the JSON a script reads (the admin verbs' --json), one line.
std::string reply_json(const Reply& r);

}  // namespace grypt::admin
