// What the tools print about groups: a roster (grypt-admin members, gryptd
// members), one line a member or JSON with every key present; and times in
// JSON, one form for every tool.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "core/text.h"
#include "proto/daemon.h"

namespace grypt {

// A time in JSON: RFC 3339 in UTC ("2026-12-05T09:58:40Z"), or null for
// none (0: never confirmed, never expires).
inline nlohmann::ordered_json json_time(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return nullptr;
  return utc_time(unix_seconds);
}

// {"members":[{"name","key","fingerprint","role","since"}]}
inline nlohmann::ordered_json roster_json(const daemon::RosterReply& m) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& e : m.members)
    list.push_back({{"name", e.name}, {"key", e.key.to_string()}, {"fingerprint", e.key.fingerprint_text()},
                    {"role", e.role}, {"since", e.since}});
  return {{"members", list}};
}

// "alice  member  since epoch 2  8ES7-9HE6-...", a line a member.
inline std::string roster_text(const daemon::RosterReply& m) {
  std::string out;
  for (const auto& e : m.members)
    out += e.name + "  " + e.role + "  since epoch " + std::to_string(e.since) + "  " + e.key.fingerprint_text() + "\n";
  return out;
}

}  // namespace grypt
