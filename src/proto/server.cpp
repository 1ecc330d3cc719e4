#include "proto/server.h"

#include "proto/json_fields.h"
#include "core/overloaded.h"

namespace grypt::proto {
namespace {

using namespace json_fields;

Json roster_json(const Roster& r) {
  Json members = Json::array();
  for (const RosterEntry& m : r.members)
    members.push_back({{"name", m.name}, {"key", m.key.to_string()}});
  Json j = {{"type", "roster"}, {"group", r.group}, {"epoch", r.epoch.value()},
            {"members", members}};
  if (r.more) j["more"] = true;
  return j;
}

void check_version(const Json& j) {
  if (number(j, "version", UINT32_MAX) != version)
    throw ProtocolError("version", "unsupported protocol version " +
                                       std::to_string(number(j, "version", UINT32_MAX)));
}

std::string note_of(const Json& j) {
  if (!has(j, "note")) return "";
  std::string n = text(j, "note", max_note_bytes);
  if (std::string d = join_note_defect(n); !d.empty()) bad("\"note\": " + d);
  return n;
}

Json want_json(const GroupWant& g) {
  Json w = {{"name", g.name}};
  if (g.epoch) w["epoch"] = g.epoch->value();
  if (g.head) w["head"] = b64(*g.head);
  if (g.first) w["first"] = g.first->value();
  if (!g.lacking.empty()) {
    Json ranges = Json::array();
    for (auto [a, b] : g.lacking) ranges.push_back({a.value(), b.value()});
    w["lacking"] = ranges;
  }
  if (!g.note.empty()) w["note"] = g.note;
  return w;
}

Json wants_json(const std::vector<GroupWant>& groups) {
  Json a = Json::array();
  for (const GroupWant& g : groups) a.push_back(want_json(g));
  return a;
}

Epoch held_epoch(const Json& j, const char* name) {
  Epoch e = epoch(j, name);
  if (e.value() == 0) bad(std::string("\"") + name + "\" is 0 (leave it out when nothing is held)");
  return e;
}

// "lacking": ranges [from, to] inside [first, epoch], ascending, apart.
std::vector<std::pair<Epoch, Epoch>> lacking_of(const Json& j, Epoch first, Epoch newest) {
  const Json& a = field(j, "lacking");
  if (!a.is_array()) bad("\"lacking\" is not an array");
  if (a.size() > max_lacking) bad("\"lacking\" has more than 64 ranges");
  std::vector<std::pair<Epoch, Epoch>> out;
  for (const Json& r : a) {
    if (!r.is_array() || r.size() != 2) bad("a range in \"lacking\" that is not two epochs");
    Json pair = {{"from", r[0]}, {"to", r[1]}};
    Epoch from = epoch(pair, "from"), to = epoch(pair, "to");
    bool after_last = out.empty() || from.value() > out.back().second.value() + 1;
    if (from < first || to > newest || from > to || !after_last)
      bad("\"lacking\" ranges must be ascending, apart, and within first..epoch");
    out.emplace_back(from, to);
  }
  return out;
}

GroupWant want_of(const Json& g) {
  if (!g.is_object()) bad("a group that is not an object");
  GroupWant w;
  w.name = name(g, "name");
  if (has(g, "epoch")) w.epoch = held_epoch(g, "epoch");
  if (has(g, "head")) {
    auto head = bytes(g, "head", 32);
    if (head.size() != 32) bad("\"head\" is not 32 bytes");
    StateHash hh;
    std::copy(head.begin(), head.end(), hh.begin());
    w.head = hh;
  }
  if (w.head.has_value() != w.epoch.has_value()) bad("\"epoch\" and \"head\" go together");
  if (has(g, "first")) {
    if (!w.epoch) bad("\"first\" goes with \"epoch\"");
    w.first = held_epoch(g, "first");
    if (*w.first > *w.epoch) bad("\"first\" is after \"epoch\"");
  }
  if (has(g, "lacking")) {
    if (!w.first) bad("\"lacking\" goes with \"first\"");
    w.lacking = lacking_of(g, *w.first, *w.epoch);
  }
  w.note = note_of(g);
  return w;
}

std::vector<GroupWant> wants_of(const Json& j) {
  const Json& groups = field(j, "groups");
  if (!groups.is_array()) bad("\"groups\" is not an array");
  if (groups.empty()) bad("\"groups\" is empty");
  if (groups.size() > max_groups)
    throw ProtocolError("too-many-groups", "more than 64 groups in one frame");
  std::vector<GroupWant> out;
  for (const Json& g : groups) {
    GroupWant w = want_of(g);
    for (const GroupWant& seen : out)
      if (seen.name == w.name) bad("group " + w.name + " twice");
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace

std::vector<std::uint8_t> encode(const FromMember& m) {
  return body(std::visit(
      overloaded{
          [](const Hello& h) {
            return Json{{"type", "hello"}, {"version", version}, {"key", h.key.to_string()},
                        {"groups", wants_json(h.groups)}};
          },
          [](const Ask& a) { return Json{{"type", "ask"}, {"groups", wants_json(a.groups)}}; },
          [](const RosterRequest& r) {
            return Json{{"type", "roster"}, {"group", r.group}, {"epoch", r.epoch.value()}};
          },
          [](const Ping&) { return Json{{"type", "ping"}}; },
          [](const Pong&) { return Json{{"type", "pong"}}; },
      },
      m));
}

std::vector<std::uint8_t> encode(const FromServer& m) {
  return body(std::visit(
      overloaded{
          [](const Welcome& w) {
            return Json{{"type", "welcome"}, {"version", version}, {"server", w.server.to_string()}};
          },
          [](const State& s) {
            Json j = {{"type", "state"}, {"group", s.group}, {"epoch", s.epoch.value()},
                      {"state", b64(s.state)}};
            if (!s.key.empty()) j["key"] = b64(s.key);
            return j;
          },
          [](const Synced& s) {
            return Json{{"type", "synced"}, {"group", s.group}, {"epoch", s.epoch.value()}};
          },
          [](const NotMember& n) { return Json{{"type", "not-member"}, {"group", n.group}}; },
          [](const Removed& r) { return Json{{"type", "removed"}, {"group", r.group}}; },
          [](const Roster& r) { return roster_json(r); },
          [](const Ping&) { return Json{{"type", "ping"}}; },
          [](const Pong&) { return Json{{"type", "pong"}}; },
          [](const ErrorReply& e) {
            return Json{{"type", "error"}, {"code", e.code}, {"message", e.message}};
          },
      },
      m));
}

FromMember decode_from_member(std::span<const std::uint8_t> frame_body) {
  Json j = parse_object(frame_body);
  std::string type = text(j, "type", 32);
  if (type == "hello") {
    check_version(j);
    return Hello{key(j, "key"), wants_of(j)};
  }
  if (type == "ask") return Ask{wants_of(j)};
  if (type == "roster") return RosterRequest{name(j, "group"), epoch(j, "epoch")};
  if (type == "ping") return Ping{};
  if (type == "pong") return Pong{};
  bad("unexpected frame type \"" + printable(type) + "\"");
}

FromServer decode_from_server(std::span<const std::uint8_t> frame_body) {
  Json j = parse_object(frame_body);
  std::string type = text(j, "type", 32);
  if (type == "welcome") {
    check_version(j);
    return Welcome{key(j, "server")};
  }
  if (type == "state") {
    State s{name(j, "group"), epoch(j, "epoch"), bytes(j, "state", state_bytes), {}};
    if (s.state.size() != state_bytes) bad("\"state\" is not 252 bytes");
    if (has(j, "key")) {
      s.key = bytes(j, "key", epoch_box_bytes);
      if (s.key.size() != epoch_box_bytes) bad("\"key\" is not 72 bytes");
    }
    return s;
  }
  if (type == "synced") return Synced{name(j, "group"), epoch(j, "epoch")};
  if (type == "not-member") return NotMember{name(j, "group")};
  if (type == "removed") return Removed{name(j, "group")};
  if (type == "roster") {
    Roster r{name(j, "group"), epoch(j, "epoch"), {}, false};
    const Json& members = field(j, "members");
    if (!members.is_array()) bad("\"members\" is not an array");
    for (const Json& m : members) {
      if (!m.is_object()) bad("a member that is not an object");
      r.members.push_back({name(m, "name"), key(m, "key")});
    }
    if (has(j, "more")) r.more = boolean(j, "more");
    return r;
  }
  if (type == "ping") return Ping{};
  if (type == "pong") return Pong{};
  if (type == "error") return ErrorReply{text(j, "code", 64), text(j, "message", 1024)};
  bad("unexpected frame type \"" + printable(type) + "\"");
}

std::vector<Roster> split_roster(const std::string& group, Epoch epoch,
                                 const std::vector<RosterEntry>& members, std::size_t per_frame) {
  std::vector<Roster> out;
  std::size_t i = 0;
  do {
    Roster r{group, epoch, {}, false};
    for (std::size_t k = 0; k < per_frame && i < members.size(); ++k, ++i)
      r.members.push_back(members[i]);
    r.more = i < members.size();
    out.push_back(std::move(r));
  } while (i < members.size());
  return out;
}

}  // namespace grypt::proto
