// The checks of a frame body of the group server protocol and the
// administration socket, shared by the fuzz targets server_frames (bodies
// cut from a stream) and server_message (one body).
#pragma once

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/error.h"
#include "proto/admin.h"
#include "proto/server.h"

namespace grypt::fuzz {

using Bytes = std::vector<std::uint8_t>;
using Span = std::span<const std::uint8_t>;

// decode, encode, decode again: the same encoding.
template <class Decode>
void round_trip(Span body, Decode decode) {
  Bytes e;
  try {
    e = grypt::proto::encode(decode(body));
  } catch (const grypt::Error&) {
    return;
  }
  try {
    if (grypt::proto::encode(decode(e)) != e) __builtin_trap();
  } catch (const grypt::Error&) {
    __builtin_trap();  // the encoder wrote what the decoder refuses
  }
}

// A commit cut into parts (proto::split_commit) as an admin's daemon sends
// it: each part of at most boxes_per_part boxes, with the commit's state,
// ephemeral key and group, the history in the first, "more" on every part
// but the last; joined as the server joins them, the commit.
inline void check_split(const grypt::proto::Commit& c) {
  namespace p = grypt::proto;
  std::vector<p::Commit> parts = p::split_commit(c);
  if (parts.empty()) __builtin_trap();
  p::Commit joined = parts[0];
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const p::Commit& part = parts[i];
    if (part.group != c.group || part.state != c.state || part.ephemeral != c.ephemeral ||
        part.boxes.size() > p::boxes_per_part || part.more != (i + 1 < parts.size()) ||
        (i > 0 && !part.history.empty()))
      __builtin_trap();
    if (i > 0) joined.boxes.insert(joined.boxes.end(), part.boxes.begin(), part.boxes.end());
  }
  joined.more = c.more;
  if (p::encode(p::FromMember{joined}) != p::encode(p::FromMember{c})) __builtin_trap();
}

inline void check_admin_request(Span body) {
  Bytes e;
  try {
    e = grypt::admin::encode(grypt::admin::decode_request(body));
  } catch (const grypt::Error&) {
    return;
  }
  try {
    if (grypt::admin::encode(grypt::admin::decode_request(e)) != e) __builtin_trap();
  } catch (const grypt::Error&) {
    __builtin_trap();
  }
}

// A whole reply, from one part or several.
inline void check_admin_reply(const grypt::admin::Reply& r) {
  Bytes whole = grypt::admin::encode(r);
  try {
    if (grypt::admin::encode(grypt::admin::decode_reply(whole)) != whole) __builtin_trap();
    grypt::admin::Reply joined;
    std::vector<Bytes> parts = grypt::admin::encode_parts(r, 256);
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (grypt::admin::decode_reply_part(parts[i], joined) != (i + 1 < parts.size()))
        __builtin_trap();  // "more" on every part but the last
    if (grypt::admin::encode(joined) != whole) __builtin_trap();
  } catch (const grypt::Error&) {
    __builtin_trap();
  }
}


// A body as the administration socket's reply part: a reply of several
// parts is gathered in `reply` until its last, then checked whole.
inline void gather_reply(Span body, grypt::admin::Reply& reply) {
  try {
    if (grypt::admin::decode_reply_part(body, reply)) return;
    check_admin_reply(reply);
  } catch (const grypt::Error&) {
  }
  reply = {};
}

// Every check one frame body gets: decoded as each side of the group server
// protocol, as the administration socket's request, and gathered as its
// reply part.
inline void check_body(Span body, grypt::admin::Reply& reply) {
  round_trip(body, [](Span b) { return grypt::proto::decode_from_member(b); });
  try {
    grypt::proto::FromMember m = grypt::proto::decode_from_member(body);
    if (const auto* c = std::get_if<grypt::proto::Commit>(&m)) check_split(*c);
  } catch (const grypt::Error&) {
  }
  round_trip(body, [](Span b) { return grypt::proto::decode_from_server(b); });
  check_admin_request(body);
  gather_reply(body, reply);
}

}  // namespace grypt::fuzz
