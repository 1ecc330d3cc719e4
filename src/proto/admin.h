// The administration socket's messages (man/grypt-protocol.7,
// ADMINISTRATION): the operator's verbs, one request and one reply per
// connection. The operator runs the server; the groups belong to their
// administrators, whose requests come over the member protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace grypt::admin {

struct Request {
  enum class Type { groups, admins, admit, revoke, reference } type = Type::groups;
  std::string key;  // admit, revoke: a public key string
};
const char* type_name(Request::Type t);

struct GroupInfo {
  std::string name, id, reference;
  std::uint32_t epoch = 0;
  std::uint64_t members = 0, admins = 0, online = 0;
};

struct Reply {
  bool ok = true;
  std::string code, message;  // when not ok
  std::vector<GroupInfo> groups;
  std::vector<std::string> admins;  // key strings
  std::string reference;            // the server's, for "reference"
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

// The reply as the JSON a script reads (the operator verbs' --json), one line.
std::string reply_json(const Reply& r);

}  // namespace grypt::admin
