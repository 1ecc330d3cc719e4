// A group's roster as the tools print it (grypt-admin members, gryptd
// members): one line a member, or JSON with every key present.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "proto/daemon.h"

namespace grypt {

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
