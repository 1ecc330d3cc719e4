#include "proto/admin.h"

#include <cstring>

#include "proto/json_fields.h"

namespace grypt::admin {
namespace {

using namespace json_fields;
using OJson = nlohmann::ordered_json;

const char* const request_types[] = {"groups", "init",    "add", "remove", "rotate",
                                     "members", "pending", "log", "invite"};

OJson reply_object(const Reply& r) {
  if (!r.ok) return OJson{{"ok", false}, {"code", r.code}, {"message", r.message}};
  OJson j = {{"ok", true}};
  if (r.epoch) j["epoch"] = *r.epoch;
  if (r.reference) j["reference"] = *r.reference;
  if (!r.groups.empty()) {
    OJson a = OJson::array();
    for (const GroupInfo& g : r.groups)
      a.push_back({{"name", g.name}, {"id", g.id}, {"epoch", g.epoch}, {"members", g.members},
                   {"pending", g.pending}, {"reference", g.reference}});
    j["groups"] = a;
  }
  if (!r.members.empty()) {
    OJson a = OJson::array();
    for (const MemberInfo& m : r.members)
      a.push_back({{"name", m.name}, {"key", m.key}, {"since", m.since}, {"history", m.history},
                   {"online", m.online}});
    j["members"] = a;
  }
  if (!r.pending.empty()) {
    OJson a = OJson::array();
    for (const PendingInfo& p : r.pending)
      a.push_back({{"number", p.number}, {"key", p.key}, {"note", p.note}, {"first", p.first},
                   {"last", p.last}, {"count", p.count}});
    j["pending"] = a;
  }
  if (!r.log.empty()) {
    OJson a = OJson::array();
    for (const LogInfo& l : r.log)
      a.push_back({{"time", l.time}, {"actor", l.actor}, {"action", l.action}, {"detail", l.detail}});
    j["log"] = a;
  }
  return j;
}

std::vector<std::uint8_t> bytes_of(const OJson& j) {
  std::string s = j.dump(-1, ' ', false, OJson::error_handler_t::replace);
  return {s.begin(), s.end()};
}

std::int64_t integer(const Json& j, const char* name) {
  const Json& v = field(j, name);
  if (!v.is_number_integer()) bad(std::string("\"") + name + "\" is not an integer");
  return v.get<std::int64_t>();
}

}  // namespace

std::vector<std::uint8_t> encode(const Request& r) {
  OJson j = {{"type", r.type}};
  if (!r.group.empty()) j["group"] = r.group;
  if (!r.key.empty()) j["key"] = r.key;
  if (!r.name.empty()) j["name"] = r.name;
  if (r.history) j["history"] = true;
  if (!r.member.empty()) j["member"] = r.member;
  return bytes_of(j);
}

std::vector<std::uint8_t> encode(const Reply& r) { return bytes_of(reply_object(r)); }

std::vector<std::vector<std::uint8_t>> encode_parts(const Reply& r, std::size_t max_body) {
  OJson whole = reply_object(r);
  std::vector<std::uint8_t> one = bytes_of(whole);
  if (one.size() <= max_body) return {one};
  // Items are packed greedily: each part holds as many as fit, and the first
  // also the reply's other fields. An item alone is far below a frame.
  std::vector<std::vector<std::uint8_t>> parts;
  OJson part = whole;
  for (const char* list : {"groups", "members", "pending", "log"}) part.erase(list);
  std::size_t size = bytes_of(part).size() + 16;  // "more":true,
  auto flush = [&] {
    part["more"] = true;
    parts.push_back(bytes_of(part));
    part = OJson{{"ok", true}};
    size = 32;
  };
  for (const char* list : {"groups", "members", "pending", "log"}) {
    if (!whole.contains(list)) continue;
    for (const OJson& item : whole[list]) {
      std::size_t n = item.dump(-1, ' ', false, OJson::error_handler_t::replace).size() + 1;
      if (size + n + std::strlen(list) + 8 > max_body) flush();
      if (!part.contains(list)) {
        part[list] = OJson::array();
        size += std::strlen(list) + 8;
      }
      part[list].push_back(item);
      size += n;
    }
  }
  parts.push_back(bytes_of(part));
  return parts;
}

std::string reply_json(const Reply& r) {
  return reply_object(r).dump(-1, ' ', false, OJson::error_handler_t::replace);
}

Request decode_request(std::span<const std::uint8_t> body) {
  Json j = parse_object(body);
  Request r;
  r.type = text(j, "type", 16);
  if (std::find(std::begin(request_types), std::end(request_types), r.type) ==
      std::end(request_types))
    bad("unknown request \"" + printable(r.type) + "\"");
  if (r.type != "groups") r.group = name(j, "group");
  if (r.type == "add") {
    r.key = text(j, "key", 200);
    r.name = name(j, "name");
    if (has(j, "history")) r.history = boolean(j, "history");
  }
  if (r.type == "remove") r.member = text(j, "member", 200);
  return r;
}

Reply decode_reply(std::span<const std::uint8_t> body) {
  Reply r;
  if (decode_reply_part(body, r)) bad("a part of a reply where a whole one belongs");
  return r;
}

bool decode_reply_part(std::span<const std::uint8_t> body, Reply& r) {
  Json j = parse_object(body);
  r.ok = boolean(j, "ok");
  if (!r.ok) {
    r.code = text(j, "code", 64);
    r.message = text(j, "message", 4096);
    return false;
  }
  if (has(j, "epoch")) r.epoch = static_cast<std::uint32_t>(number(j, "epoch", UINT32_MAX));
  if (has(j, "reference")) r.reference = text(j, "reference", 1024);
  auto array = [&](const char* n) -> const Json& {
    const Json& a = field(j, n);
    if (!a.is_array()) bad(std::string("\"") + n + "\" is not an array");
    return a;
  };
  if (has(j, "groups"))
    for (const Json& g : array("groups"))
      r.groups.push_back({text(g, "name"), text(g, "id"), text(g, "reference", 1024),
                          static_cast<std::uint32_t>(number(g, "epoch", UINT32_MAX)),
                          number(g, "members", UINT64_MAX), number(g, "pending", UINT64_MAX)});
  if (has(j, "members"))
    for (const Json& m : array("members"))
      r.members.push_back({text(m, "name"), text(m, "key"),
                           static_cast<std::uint32_t>(number(m, "since", UINT32_MAX)),
                           boolean(m, "history"), boolean(m, "online")});
  if (has(j, "pending"))
    for (const Json& p : array("pending"))
      r.pending.push_back({integer(p, "number"), text(p, "key"), text(p, "note", 4096),
                           integer(p, "first"), integer(p, "last"), number(p, "count", UINT64_MAX)});
  if (has(j, "log"))
    for (const Json& l : array("log"))
      r.log.push_back({integer(l, "time"), text(l, "actor"), text(l, "action"),
                       text(l, "detail", 65536)});
  return has(j, "more") && boolean(j, "more");
}

}  // namespace grypt::admin
