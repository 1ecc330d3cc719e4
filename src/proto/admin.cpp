#include "proto/admin.h"

#include <cstring>

#include "proto/json_fields.h"

namespace grypt::admin {
namespace {

using namespace json_fields;
using OJson = nlohmann::ordered_json;

constexpr std::pair<Request::Type, const char*> types[] = {
    {Request::Type::groups, "groups"}, {Request::Type::admins, "admins"},
    {Request::Type::admit, "admit"},   {Request::Type::revoke, "revoke"},
    {Request::Type::reference, "reference"},
};

OJson reply_object(const Reply& r) {
  if (!r.ok) return OJson{{"ok", false}, {"code", r.code}, {"message", r.message}};
  OJson j = {{"ok", true}};
  OJson groups = OJson::array();
  for (const GroupInfo& g : r.groups)
    groups.push_back({{"name", g.name}, {"id", g.id}, {"epoch", g.epoch}, {"members", g.members},
                      {"admins", g.admins}, {"online", g.online}, {"reference", g.reference}});
  j["groups"] = groups;
  j["admins"] = r.admins;
  if (!r.reference.empty()) j["reference"] = r.reference;
  return j;
}

std::vector<std::uint8_t> bytes_of(const OJson& j) {
  std::string s = j.dump(-1, ' ', false, OJson::error_handler_t::replace);
  return {s.begin(), s.end()};
}

}  // namespace

const char* type_name(Request::Type t) {
  for (auto [k, n] : types)
    if (k == t) return n;
  return "?";
}

std::vector<std::uint8_t> encode(const Request& r) {
  OJson j = {{"type", type_name(r.type)}};
  if (!r.key.empty()) j["key"] = r.key;
  return bytes_of(j);
}

std::vector<std::uint8_t> encode(const Reply& r) { return bytes_of(reply_object(r)); }

std::vector<std::vector<std::uint8_t>> encode_parts(const Reply& r, std::size_t max_body) {
  OJson whole = reply_object(r);
  std::vector<std::uint8_t> one = bytes_of(whole);
  if (one.size() <= max_body) return {one};
  // Items are packed greedily: each part holds as many as fit. An item
  // alone is far below a frame.
  std::vector<std::vector<std::uint8_t>> parts;
  OJson part = {{"ok", true}, {"groups", OJson::array()}, {"admins", OJson::array()}};
  std::size_t size = 64;
  // The reference, if any, goes with the first part.
  if (whole.contains("reference")) {
    part["reference"] = whole["reference"];
    size += whole["reference"].dump(-1, ' ', false, OJson::error_handler_t::replace).size() + 16;
  }
  for (const char* list : {"groups", "admins"}) {
    for (const OJson& item : whole[list]) {
      std::size_t n = item.dump(-1, ' ', false, OJson::error_handler_t::replace).size() + 1;
      if (size + n > max_body) {
        part["more"] = true;
        parts.push_back(bytes_of(part));
        part = {{"ok", true}, {"groups", OJson::array()}, {"admins", OJson::array()}};
        size = 64;
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
  std::string type = text(j, "type", 16);
  for (auto [k, n] : types)
    if (type == n) {
      Request r{k, ""};
      if (k == Request::Type::admit || k == Request::Type::revoke) r.key = key(j, "key").to_string();
      return r;
    }
  bad("unknown request \"" + printable(type) + "\"");
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
  auto array = [&](const char* n) -> const Json& {
    const Json& a = field(j, n);
    if (!a.is_array()) bad(std::string("\"") + n + "\" is not an array");
    return a;
  };
  for (const Json& g : array("groups"))
    r.groups.push_back({name(g, "name"), text(g, "id", 64), text(g, "reference", 4096),
                        static_cast<std::uint32_t>(number(g, "epoch", UINT32_MAX)), number(g, "members", UINT64_MAX),
                        number(g, "admins", UINT64_MAX), number(g, "online", UINT64_MAX)});
  if (has(j, "reference")) r.reference = text(j, "reference", 4096);
  for (const Json& a : array("admins")) {
    if (!a.is_string()) bad("an admin that is not a key string");
    Json wrap = {{"k", a}};
    r.admins.push_back(key(wrap, "k").to_string());
  }
  return has(j, "more") && boolean(j, "more");
}

}  // namespace grypt::admin
