#include "proto/server.h"

#include "core/join_request.h"
#include "core/overloaded.h"
#include "proto/json_fields.h"

namespace grypt::proto {
namespace {

using namespace json_fields;

void check_version(const Json& j) {
  if (number(j, "version", UINT32_MAX) != version)
    throw ProtocolError("version", "unsupported protocol version " +
                                       std::to_string(number(j, "version", UINT32_MAX)));
}

Json want_json(const GroupWant& g) {
  Json w = {{"name", g.name}};
  if (g.epoch) w["epoch"] = g.epoch->value();
  if (g.head) w["head"] = b64(*g.head);
  if (!g.lacking.empty()) {
    Json ranges = Json::array();
    for (auto [a, b] : g.lacking) ranges.push_back({a.value(), b.value()});
    w["lacking"] = ranges;
  }
  if (!g.request.empty()) w["request"] = b64(g.request);
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

// "lacking": ranges [from, to] within 1..epoch, ascending, apart.
std::vector<std::pair<Epoch, Epoch>> lacking_of(const Json& j, Epoch newest) {
  const Json& a = field(j, "lacking");
  if (!a.is_array()) bad("\"lacking\" is not an array");
  if (a.size() > max_lacking) bad("\"lacking\" has more than 64 ranges");
  std::vector<std::pair<Epoch, Epoch>> out;
  for (const Json& r : a) {
    if (!r.is_array() || r.size() != 2) bad("a range in \"lacking\" that is not two epochs");
    Json pair = {{"from", r[0]}, {"to", r[1]}};
    Epoch from = epoch(pair, "from"), to = epoch(pair, "to");
    bool after_last = out.empty() || from.value() > out.back().second.value() + 1;
    if (from.value() == 0 || to > newest || from > to || !after_last)
      bad("\"lacking\" ranges must be ascending, apart, and within 1..epoch");
    out.emplace_back(from, to);
  }
  return out;
}

GroupWant want_of(const Json& g) {
  if (!g.is_object()) bad("a group that is not an object");
  GroupWant w;
  w.name = name(g, "name");
  if (has(g, "epoch")) w.epoch = held_epoch(g, "epoch");
  if (has(g, "head")) w.head = fixed<32>(g, "head");
  if (w.head.has_value() != w.epoch.has_value()) bad("\"epoch\" and \"head\" go together");
  if (has(g, "lacking")) {
    if (!w.epoch) bad("\"lacking\" goes with \"epoch\"");
    w.lacking = lacking_of(g, *w.epoch);
  }
  if (has(g, "request")) {
    w.request = bytes(g, "request", max_join_request_bytes);
    if (w.request.empty()) bad("\"request\" is empty");
  }
  return w;
}

std::vector<GroupWant> wants_of(const Json& j) {
  const Json& groups = field(j, "groups");
  if (!groups.is_array()) bad("\"groups\" is not an array");
  if (groups.empty()) bad("\"groups\" is empty");
  if (groups.size() > max_groups) throw ProtocolError("too-many-groups", "more than 64 groups in one frame");
  std::vector<GroupWant> out;
  for (const Json& g : groups) {
    GroupWant w = want_of(g);
    for (const GroupWant& seen : out)
      if (seen.name == w.name) bad("group " + w.name + " twice");
    out.push_back(std::move(w));
  }
  return out;
}

Json commit_json(const Commit& c) {
  Json j = {{"type", c.group.empty() ? "create" : "commit"}};
  if (!c.group.empty()) j["group"] = c.group;
  if (!c.run.empty()) {
    Json run = Json::array();
    for (const auto& st : c.run) run.push_back(b64(st));
    j["run"] = run;
  }
  j["state"] = b64(c.state);
  j["ephemeral"] = b64(c.ephemeral);
  std::vector<std::uint8_t> boxes;
  boxes.reserve(c.boxes.size() * box_bytes);
  for (const EpochBox& b : c.boxes) boxes.insert(boxes.end(), b.begin(), b.end());
  j["boxes"] = b64(boxes);
  if (!c.history.empty()) {
    Json h = Json::array();
    for (const HistoryBox& x : c.history) h.push_back({{"epoch", x.epoch.value()}, {"box", b64(x.box)}});
    j["history"] = h;
  }
  if (c.more) j["more"] = true;
  return j;
}

Commit commit_of(const Json& j, bool create) {
  Commit c;
  if (!create) c.group = name(j, "group");
  if (has(j, "run")) {
    if (create) bad("a create with a run");
    const Json& r = field(j, "run");
    if (!r.is_array() || r.empty() || r.size() > max_run) bad("\"run\" is not an array of 1 to 1000 states");
    for (const Json& x : r) {
      Json one = {{"run", x}};
      c.run.push_back(bytes(one, "run", state_bytes));
      if (c.run.back().size() != state_bytes) bad("a state of \"run\" is not 480 bytes");
    }
  }
  c.state = bytes(j, "state", state_bytes);
  if (c.state.size() != state_bytes) bad("\"state\" is not 480 bytes");
  c.ephemeral = fixed<32>(j, "ephemeral");
  auto boxes = bytes(j, "boxes", boxes_per_part * box_bytes);
  if (boxes.size() % box_bytes != 0) bad("\"boxes\" is not a whole number of 48-byte boxes");
  for (std::size_t at = 0; at < boxes.size(); at += box_bytes) {
    EpochBox b;
    std::copy(boxes.begin() + at, boxes.begin() + at + box_bytes, b.begin());
    c.boxes.push_back(b);
  }
  if (has(j, "history")) {
    const Json& h = field(j, "history");
    if (!h.is_array() || h.size() > 1000000) bad("\"history\" is not an array");
    for (const Json& x : h) {
      if (!x.is_object()) bad("a history box that is not an object");
      c.history.push_back({held_epoch(x, "epoch"), fixed<box_bytes>(x, "box")});
    }
  }
  if (has(j, "more")) c.more = boolean(j, "more");
  return c;
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
          [](const Commit& c) { return commit_json(c); },
          [](const PendingRequest& p) { return Json{{"type", "pending"}, {"group", p.group}}; },
          [](const Ping&) { return Json{{"type", "ping"}}; },
          [](const Pong&) { return Json{{"type", "pong"}}; },
          [](const Leave& l) { return Json{{"type", "leave"}, {"group", l.group}, {"request", b64(l.request)}}; },
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
                      {"state", b64(s.state)}, {"ephemeral", b64(s.ephemeral)}};
            if (!s.box.empty()) j["box"] = b64(s.box);
            return j;
          },
          [](const History& h) {
            return Json{{"type", "history"}, {"group", h.group}, {"grant", h.grant.value()},
                        {"epoch", h.epoch.value()}, {"box", b64(h.box)}};
          },
          [](const Synced& s) {
            return Json{{"type", "synced"}, {"group", s.group}, {"epoch", s.epoch.value()}};
          },
          [](const NotMember& n) { return Json{{"type", "not-member"}, {"group", n.group}}; },
          [](const Removed& r) { return Json{{"type", "removed"}, {"group", r.group}}; },
          [](const Left& l) { return Json{{"type", "left"}, {"group", l.group}}; },
          [](const Committed& c) {
            return Json{{"type", "committed"}, {"group", c.group}, {"epoch", c.epoch.value()}};
          },
          [](const Refused& r) {
            return Json{{"type", "refused"}, {"group", r.group}, {"code", r.code},
                        {"head", r.head.value()}, {"message", r.message}};
          },
          [](const Pending& p) {
            Json a = Json::array();
            for (const PendingEntry& e : p.requests)
              a.push_back({{"number", e.number}, {"request", b64(e.request)}, {"first", e.first},
                           {"last", e.last}, {"count", e.count}});
            return Json{{"type", "pending"}, {"group", p.group}, {"requests", a}};
          },
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
  if (type == "commit") return commit_of(j, false);
  if (type == "create") return commit_of(j, true);
  if (type == "pending") return PendingRequest{name(j, "group")};
  if (type == "leave") {
    Leave l{name(j, "group"), bytes(j, "request", max_join_request_bytes)};
    if (l.request.empty()) bad("\"request\" is empty");
    return l;
  }
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
    State s{name(j, "group"), epoch(j, "epoch"), bytes(j, "state", state_bytes), fixed<32>(j, "ephemeral"), {}};
    if (s.state.size() != state_bytes) bad("\"state\" is not 480 bytes");
    if (has(j, "box")) {
      auto b = fixed<box_bytes>(j, "box");
      s.box.assign(b.begin(), b.end());
    }
    return s;
  }
  if (type == "history")
    return History{name(j, "group"), held_epoch(j, "grant"), held_epoch(j, "epoch"), fixed<box_bytes>(j, "box")};
  if (type == "synced") return Synced{name(j, "group"), epoch(j, "epoch")};
  if (type == "not-member") return NotMember{name(j, "group")};
  if (type == "removed") return Removed{name(j, "group")};
  if (type == "left") return Left{name(j, "group")};
  if (type == "committed") return Committed{name(j, "group"), held_epoch(j, "epoch")};
  if (type == "refused")
    return Refused{name(j, "group"), text(j, "code", 32), epoch(j, "head"), text(j, "message", 1024)};
  if (type == "pending") {
    Pending p{name(j, "group"), {}};
    const Json& a = field(j, "requests");
    if (!a.is_array()) bad("\"requests\" is not an array");
    for (const Json& e : a) {
      if (!e.is_object()) bad("a request that is not an object");
      p.requests.push_back({static_cast<std::int64_t>(number(e, "number", INT64_MAX)),
                            bytes(e, "request", max_join_request_bytes),
                            static_cast<std::int64_t>(number(e, "first", INT64_MAX)),
                            static_cast<std::int64_t>(number(e, "last", INT64_MAX)), number(e, "count", UINT64_MAX)});
    }
    return p;
  }
  if (type == "ping") return Ping{};
  if (type == "pong") return Pong{};
  if (type == "error") return ErrorReply{text(j, "code", 64), text(j, "message", 1024)};
  bad("unexpected frame type \"" + printable(type) + "\"");
}

std::vector<Commit> split_commit(const Commit& c) {
  // Base64 bytes: a state 640, a box 64, a history box about 90.
  const std::size_t first = c.run.size() * 643 + c.history.size() * 90;
  std::vector<Commit> out;
  std::size_t i = 0;
  do {
    Commit part{c.group, c.state, c.ephemeral, {}, {}, false, {}};
    std::size_t room = part_budget;
    if (out.empty()) {
      part.run = c.run;
      part.history = c.history;
      room = first < room ? room - first : 0;
    }
    const std::size_t n = std::min({boxes_per_part, room / 64, c.boxes.size() - i});
    part.boxes.assign(c.boxes.begin() + static_cast<std::ptrdiff_t>(i), c.boxes.begin() + static_cast<std::ptrdiff_t>(i + n));
    i += n;
    part.more = i < c.boxes.size();
    out.push_back(std::move(part));
  } while (i < c.boxes.size());
  return out;
}

}  // namespace grypt::proto
