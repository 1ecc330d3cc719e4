#include "proto/daemon.h"

#include <functional>

#include "proto/json_fields.h"
#include "core/overloaded.h"

namespace grypt {

const char* standing_name(Standing s) {
  switch (s) {
    case Standing::connecting: return "connecting";
    case Standing::connected: return "connected";
    case Standing::offline: return "offline";
    case Standing::not_member: return "not-member";
    case Standing::wrong_server: return "wrong-server";
    case Standing::rolled_back: return "rolled-back";
    case Standing::forked: return "forked";
    case Standing::expired: return "expired";
    case Standing::locked: return "locked";
  }
  return "?";
}

std::optional<Standing> standing_of(std::string_view name) {
  for (Standing s : {Standing::connecting, Standing::connected, Standing::offline, Standing::not_member,
                     Standing::wrong_server, Standing::rolled_back, Standing::forked, Standing::expired,
                     Standing::locked})
    if (name == standing_name(s)) return s;
  return std::nullopt;
}

}  // namespace grypt

namespace grypt::daemon {
namespace {

using namespace json_fields;

// A group's standing by its name (gryptd.1, status); another is malformed.
Standing standing(const Json& j) {
  std::string s = text(j, "state", 32);
  std::optional<Standing> st = standing_of(s);
  if (!st) bad("\"state\" is no group state: " + s);
  return *st;
}

// A secret field: decoded into guarded memory, and the JSON string that
// carried it wiped.
SecretBytes secret(Json& j, const char* name, std::size_t size, std::size_t min_size) {
  Json& v = const_cast<Json&>(field(j, name));
  if (!v.is_string()) bad(std::string("\"") + name + "\" is not a string");
  std::string& s = v.get_ref<std::string&>();
  SecretBytes out;
  try {
    out = base64_decode_secret(s, Base64::url_unpadded, name);
  } catch (const FormatError&) {
    wipe(s.data(), s.size());
    bad(std::string("\"") + name + "\" is not base64url");
  }
  wipe(s.data(), s.size());
  if (out.size() > size || out.size() < min_size)
    bad(std::string("\"") + name + "\" is not " +
        (min_size == size ? std::to_string(size) : std::to_string(min_size) + " to " + std::to_string(size)) +
        " bytes");
  return out;
}
SecretBytes secret(Json& j, const char* name, std::size_t size) { return secret(j, name, size, size); }

std::string secret_text(const SecretBytes& s) {
  SecretBytes b = base64_encode_secret(s.span(), Base64::url_unpadded);
  return std::string(b.view());  // wiped with the body by the caller
}

// The dumped body, with the JSON tree's copies of secrets wiped.
std::vector<std::uint8_t> body_wiping(Json& j) {
  std::vector<std::uint8_t> out = body(j);
  std::function<void(Json&)> wipe_all = [&](Json& v) {
    if (v.is_string()) {
      std::string& s = v.get_ref<std::string&>();
      wipe(s.data(), s.size());
    } else if (v.is_structured()) {
      for (Json& c : v) wipe_all(c);
    }
  };
  wipe_all(j);
  return out;
}

const Json& array_of(const Json& j, const char* name, std::size_t max) {
  const Json& a = field(j, name);
  if (!a.is_array()) bad(std::string("\"") + name + "\" is not an array");
  if (a.size() > max) bad(std::string("\"") + name + "\" is too long");
  return a;
}

// A roster as long as the server protocol allows.
constexpr std::size_t proto_max_members = 1'000'000;

SignReply sign_reply(const Json& j) {
  return SignReply{fixed<key_id_bytes>(j, "key_id"), fixed<signature_bytes>(j, "signature")};
}

constexpr std::pair<Code, const char*> code_names[] = {
    {Code::unknown_group, "unknown-group"}, {Code::unknown_epoch, "unknown-epoch"},
    {Code::forked, "forked"},               {Code::not_member, "not-member"},
    {Code::no_roster, "no-roster"},         {Code::wrong_server, "wrong-server"},
    {Code::not_admin, "not-admin"},         {Code::refused, "refused"},
    {Code::offline, "offline"},             {Code::vault, "vault"},
    {Code::usage, "usage"},                 {Code::protocol, "protocol"},
    {Code::locked, "locked"},               {Code::passphrase, "passphrase"},
};

constexpr std::pair<grypt::Change, const char*> change_verbs[] = {
    {grypt::Change::remove, "remove"}, {grypt::Change::rotate, "rotate"},
    {grypt::Change::promote, "promote"}, {grypt::Change::demote, "demote"},
    {grypt::Change::grant, "grant"},
};

constexpr std::pair<Listing::What, const char*> listings[] = {
    {Listing::What::roster, "roster"}, {Listing::What::pending, "pending"},
    {Listing::What::log, "log"}, {Listing::What::invite, "invite"},
};

std::string member_field(const Json& j) {
  std::string m = text(j, "member", 200);
  if (m.rfind("grypt-pk:", 0) == 0) {
    (void)key(j, "member");
    return m;
  }
  if (std::string d = group_name_defect(m); !d.empty()) bad("\"member\": " + d);
  return m;
}

}  // namespace

const char* code_name(Code c) {
  for (auto [k, n] : code_names)
    if (k == c) return n;
  return "protocol";
}

std::optional<Code> code_of(std::string_view name) {
  for (auto [k, n] : code_names)
    if (name == n) return k;
  return std::nullopt;
}

std::vector<std::uint8_t> encode(const Request& r) {
  Json j = std::visit(
      overloaded{
          [](const Status&) { return Json{{"type", "status"}}; },
          [](const Seal& s) {
            Json j{{"type", "seal"}, {"group", s.group}, {"signed", s.is_signed}};
            if (s.digest) j["digest"] = b64(*s.digest);
            return j;
          },
          [](const Sign& s) {
            return Json{{"type", "sign"}, {"header", b64(s.header)}, {"digest", b64(s.digest)}};
          },
          [](const Open& o) { return Json{{"type", "open"}, {"header", b64(o.header)}}; },
          [](const Members& m) {
            return Json{{"type", "members"}, {"group_id", b64(m.group)}, {"epoch", m.epoch.value()},
                        {"key_id", b64(m.key_id)}};
          },
          [](const Create& c) {
            Json j{{"type", "create"}, {"group", c.group}, {"server", c.server}};
            if (!c.name.empty()) j["name"] = c.name;
            return j;
          },
          [](const Add& a) {
            return Json{{"type", "add"}, {"group", a.group}, {"who", a.who}, {"name", a.name},
                        {"history", a.history}, {"admin", a.admin}};
          },
          [](const AddMany& a) {
            Json list = Json::array();
            for (const auto& [name, key] : a.members) list.push_back({{"name", name}, {"key", key.to_string()}});
            return Json{{"type", "add-many"}, {"group", a.group}, {"members", list}};
          },
          [](const Move& m) {
            return Json{{"type", "move"}, {"group", m.group}, {"statement", m.statement}, {"history", m.history}};
          },
          [](const Change& c) {
            const char* verb = "rotate";
            for (auto [k, n] : change_verbs)
              if (k == c.change) verb = n;
            Json j{{"type", verb}, {"group", c.group}};
            if (c.change != grypt::Change::rotate) j["member"] = c.member;
            return j;
          },
          [](const Listing& l) {
            const char* what = "roster";
            for (auto [k, n] : listings)
              if (k == l.what) what = n;
            return Json{{"type", what}, {"group", l.group}};
          },
          [](const Vault& v) {
            Json j = {{"type", "vault"}};
            // Without create the decoder requires vault_key: an empty file
            // is sent as one, for gryptd to refuse as a vault.key.
            if (!v.create) j["vault_key"] = b64(v.vault_key_file);
            if (v.create) j["create"] = true;
            if (!v.reseal.empty()) {
              Json a = Json::array();
              for (const PublicKey& k : v.reseal) a.push_back(k.to_string());
              j["reseal"] = a;
            }
            if (!v.locators.empty()) j["locators"] = v.locators;
            if (!v.name_keys.empty()) {
              Json a = Json::array();
              for (const EntryHead& h : v.name_keys) a.push_back(b64(h));
              j["name_keys"] = a;
            }
            if (!v.entry_keys.empty()) {
              Json a = Json::array();
              for (const auto& [h, n] : v.entry_keys) a.push_back({{"header", b64(h)}, {"name", n}});
              j["entry_keys"] = a;
            }
            return j;
          },
          [](const Join& jn) {
            Json j{{"type", "join"}, {"name", jn.name}, {"reference", jn.reference}};
            if (!jn.note.empty()) j["note"] = jn.note;
            return j;
          },
          [](const Stop&) { return Json{{"type", "stop"}}; },
          [](const Leave& l) { return Json{{"type", "leave"}, {"group", l.group}}; },
          [](const Lock&) { return Json{{"type", "lock"}}; },
          [](const Unlock& u) { return Json{{"type", "unlock"}, {"passphrase", secret_text(u.passphrase)}}; },
      },
      r);
  return body_wiping(j);
}

Request decode_request(std::span<const std::uint8_t> frame_body) {
  Json j = parse_object(frame_body);
  std::string type = text(j, "type", 16);
  if (type == "status") return Status{};
  if (type == "seal") {
    Seal s{name(j, "group"), true, std::nullopt};
    if (has(j, "signed")) s.is_signed = boolean(j, "signed");
    if (has(j, "digest")) {
      if (!s.is_signed) bad("\"digest\" goes with a signed seal only");
      s.digest = fixed<Sha512::size>(j, "digest");
    }
    return s;
  }
  if (type == "sign") return Sign{fixed<header_bytes>(j, "header"), fixed<Sha512::size>(j, "digest")};
  if (type == "open") return Open{fixed<header_bytes>(j, "header")};
  if (type == "members")
    return Members{fixed<8>(j, "group_id"), epoch(j, "epoch"), fixed<key_id_bytes>(j, "key_id")};
  if (type == "vault") {
    Vault v;
    if (has(j, "create")) v.create = boolean(j, "create");
    if (!v.create) v.vault_key_file = bytes(j, "vault_key", max_vault_key_file);
    if (has(j, "reseal"))
      for (const Json& k : array_of(j, "reseal", max_recipients)) {
        // Strings only before the copy: copying a nested value recurses
        // once per level, and a 1 MiB frame of '[' overflows the stack.
        if (!k.is_string()) bad("a key in \"reseal\" that is not a string");
        Json wrap = {{"k", k}};
        v.reseal.push_back(key(wrap, "k"));
      }
    constexpr std::size_t max_batch = 4096;
    if (has(j, "locators"))
      for (const Json& n : array_of(j, "locators", max_batch)) {
        if (!n.is_string()) bad("a locator name that is not a string");
        std::string s = n.get<std::string>();
        if (std::string d = entry_name_defect(s); !d.empty()) bad(d);
        v.locators.push_back(std::move(s));
      }
    if (has(j, "name_keys"))
      for (const Json& h : array_of(j, "name_keys", max_batch)) {
        if (!h.is_string()) bad("a header in \"name_keys\" that is not a string");
        Json wrap = {{"h", h}};
        v.name_keys.push_back(fixed<entry_header_bytes>(wrap, "h"));
      }
    if (has(j, "entry_keys"))
      for (const Json& e : array_of(j, "entry_keys", max_batch)) {
        if (!e.is_object()) bad("an entry that is not an object");
        std::string n = text(e, "name", max_name_bytes);
        if (std::string d = entry_name_defect(n); !d.empty()) bad(d);
        v.entry_keys.emplace_back(fixed<entry_header_bytes>(e, "header"), std::move(n));
      }
    return v;
  }
  if (type == "join") {
    Join jn{name(j, "name"), text(j, "reference", max_reference_chars), ""};
    if (has(j, "note")) {
      jn.note = text(j, "note", max_note_bytes);
      if (std::string d = join_note_defect(jn.note); !d.empty()) bad("\"note\": " + d);
    }
    return jn;
  }
  if (type == "stop") return Stop{};
  if (type == "leave") return Leave{name(j, "group")};
  if (type == "lock") return Lock{};
  if (type == "unlock") return Unlock{secret(j, "passphrase", max_passphrase_bytes, 0)};
  if (type == "create") return Create{name(j, "group"), text(j, "server", max_reference_chars), has(j, "name") ? name(j, "name") : ""};
  if (type == "add") {
    Add a{name(j, "group"), text(j, "who", 200), name(j, "name"), false, false};
    if (has(j, "history")) a.history = boolean(j, "history");
    if (has(j, "admin")) a.admin = boolean(j, "admin");
    return a;
  }
  if (type == "move") {
    Move m{name(j, "group"), text(j, "statement", max_move_statement_chars), false};
    if (has(j, "history")) m.history = boolean(j, "history");
    return m;
  }
  if (type == "add-many") {
    AddMany a{name(j, "group"), {}};
    const Json& list = field(j, "members");
    if (!list.is_array() || list.empty() || list.size() > max_add_many)
      bad("\"members\" is not an array of 1 to 1001 members");
    for (const Json& m : list) {
      if (!m.is_object()) bad("a member of \"members\" that is not an object");
      a.members.emplace_back(name(m, "name"), key(m, "key"));
    }
    return a;
  }
  for (auto [k, n] : change_verbs)
    if (type == n)
      return Change{k, name(j, "group"), k == grypt::Change::rotate ? std::string() : member_field(j)};
  for (auto [k, n] : listings)
    if (type == n) return Listing{k, name(j, "group")};
  bad("unknown request \"" + printable(type) + "\"");
}

std::vector<std::uint8_t> encode(const Reply& r) {
  Json j = std::visit(
      overloaded{
          [](const StatusReply& s) {
            Json groups = Json::array();
            for (const GroupStatus& g : s.groups)
              groups.push_back({{"name", g.name},           {"reference", g.reference}, {"state", standing_name(g.state)},
                                {"epoch", g.epoch},         {"confirmed", g.confirmed}, {"members", g.members},
                                {"why", g.why},             {"head", b64(g.head)},      {"expires", g.expires},
                                {"role", g.role}});
            return Json{{"ok", true}, {"identity", s.identity}, {"pid", s.pid}, {"locked", s.locked},
                        {"groups", groups}};
          },
          [](const SealReply& s) {
            Json j{{"ok", true},        {"header", b64(s.header)}, {"key", secret_text(s.key)},
                   {"state_hash", b64(s.state_hash)},
                   {"epoch", s.epoch}, {"fresh", s.fresh},        {"confirmed", s.confirmed},
                   {"state", standing_name(s.state)}};
            if (s.signature) {
              j["key_id"] = b64(s.signature->key_id);
              j["signature"] = b64(s.signature->signature);
            }
            return j;
          },
          [](const SignReply& s) {
            return Json{{"ok", true}, {"key_id", b64(s.key_id)}, {"signature", b64(s.signature)}};
          },
          [](const OpenReply& o) {
            Json j{{"ok", true}, {"key", secret_text(o.key)}, {"state_hash", b64(o.state_hash)},
                   {"group", o.group}, {"epoch", o.epoch}};
            if (o.superseded_by) j["superseded_by"] = *o.superseded_by;
            return j;
          },
          [](const MembersReply& m) {
            Json a = Json::array();
            for (const MemberFound& f : m.members) {
              Json c = f.current ? Json(*f.current) : Json(nullptr);
              a.push_back({{"name", f.name}, {"key", f.key.to_string()}, {"current", c}});
            }
            return Json{{"ok", true}, {"members", a}};
          },
          [](const VaultReply& v) {
            Json j = {{"ok", true}};
            if (!v.vault_key_file.empty()) j["vault_key"] = b64(v.vault_key_file);
            j["locators"] = v.locators;
            Json nk = Json::array(), ek = Json::array();
            for (const SecretBytes& k : v.name_keys) nk.push_back(secret_text(k));
            for (const SecretBytes& k : v.entry_keys) ek.push_back(secret_text(k));
            j["name_keys"] = nk;
            j["entry_keys"] = ek;
            return j;
          },
          [](const Done&) { return Json{{"ok", true}}; },
          [](const LeftReply& l) { return Json{{"ok", true}, {"told", l.told}}; },
          [](const CreateReply& c) { return Json{{"ok", true}, {"reference", c.reference}}; },
          [](const EpochReply& e) { return Json{{"ok", true}, {"epoch", e.epoch}}; },
          [](const RosterReply& r) {
            Json a = Json::array();
            for (const RosterEntryOut& m : r.members)
              a.push_back({{"name", m.name}, {"key", m.key.to_string()}, {"role", m.role}, {"since", m.since}});
            return Json{{"ok", true}, {"members", a}};
          },
          [](const PendingReply& p) {
            Json a = Json::array();
            for (const PendingOut& r : p.requests)
              a.push_back({{"number", r.number}, {"kind", r.leave ? "leave" : "join"}, {"key", r.key.to_string()},
                           {"name", r.name ? Json(*r.name) : Json(nullptr)}, {"note", r.note}, {"time", r.time},
                           {"first", r.first}, {"last", r.last}, {"count", r.count}});
            return Json{{"ok", true}, {"requests", a}};
          },
          [](const LogReply& l) {
            Json a = Json::array();
            for (const LogOut& e : l.entries)
              a.push_back({{"epoch", e.epoch},
                           {"time", e.time},
                           {"change", e.change},
                           {"subject", e.subject ? Json(e.subject->to_string()) : Json(nullptr)},
                           {"subject_name", e.subject_name},
                           {"role", e.role},
                           {"signer", e.signer.to_string()},
                           {"signer_name", e.signer_name}});
            return Json{{"ok", true}, {"log", a}};
          },
          [](const InviteReply& i) { return Json{{"ok", true}, {"reference", i.reference}}; },
          [](const Failure& f) {
            return Json{{"ok", false}, {"code", code_name(f.code)}, {"message", f.message}};
          },
      },
      r);
  return body_wiping(j);
}

Reply decode_reply(std::span<const std::uint8_t> frame_body, const Request& request) {
  Json j = parse_object(frame_body);
  if (!boolean(j, "ok")) {
    std::string code = text(j, "code", 64);
    return Failure{code_of(code).value_or(Code::protocol), text(j, "message", 4096)};
  }
  Reply out = std::visit(
      overloaded{
          [&](const Status&) -> Reply {
            StatusReply s{text(j, "identity", 200), number(j, "pid", UINT32_MAX), false, {}};
            if (has(j, "locked")) s.locked = boolean(j, "locked");
            for (const Json& g : array_of(j, "groups", 4096))
              s.groups.push_back({name(g, "name"), text(g, "reference", max_reference_chars), standing(g),
                                  static_cast<std::uint32_t>(number(g, "epoch", UINT32_MAX)),
                                  static_cast<std::int64_t>(number(g, "confirmed", INT64_MAX)),
                                  number(g, "members", UINT64_MAX), text(g, "why", 1024),
                                  fixed<32>(g, "head"),
                                  static_cast<std::int64_t>(number(g, "expires", INT64_MAX)),
                                  text(g, "role", 16)});
            return s;
          },
          [&](const Seal& q) -> Reply {
            SealReply s;
            s.header = fixed<header_bytes>(j, "header");
            s.key = secret(j, "key", key_bytes);
            s.state_hash = fixed<32>(j, "state_hash");
            s.epoch = static_cast<std::uint32_t>(number(j, "epoch", UINT32_MAX));
            s.fresh = boolean(j, "fresh");
            s.confirmed = static_cast<std::int64_t>(number(j, "confirmed", INT64_MAX));
            s.state = standing(j);
            if (q.digest) s.signature = sign_reply(j);
            return s;
          },
          [&](const Sign&) -> Reply { return sign_reply(j); },
          [&](const Open&) -> Reply {
            OpenReply o;
            o.key = secret(j, "key", key_bytes);
            o.state_hash = fixed<32>(j, "state_hash");
            o.group = name(j, "group");
            o.epoch = static_cast<std::uint32_t>(number(j, "epoch", UINT32_MAX));
            if (has(j, "superseded_by"))
              o.superseded_by = static_cast<std::uint32_t>(number(j, "superseded_by", UINT32_MAX));
            return o;
          },
          [&](const Members&) -> Reply {
            MembersReply m;
            for (const Json& f : array_of(j, "members", 64))
              m.members.push_back({name(f, "name"), key(f, "key"),
                                   has(f, "current") ? std::optional<bool>(boolean(f, "current"))
                                                     : std::nullopt});
            return m;
          },
          [&](const Vault& req) -> Reply {
            VaultReply v;
            if (has(j, "vault_key")) v.vault_key_file = bytes(j, "vault_key", max_vault_key_file);
            if ((req.create || !req.reseal.empty()) && v.vault_key_file.empty())
              bad("the answer lacks the new vault.key");
            for (const Json& l : array_of(j, "locators", 4096)) {
              if (!l.is_string()) bad("a locator that is not a string");
              v.locators.push_back(l.get<std::string>());
            }
            Json& nk = const_cast<Json&>(array_of(j, "name_keys", 4096));
            for (Json& k : nk) {
              Json wrap = {{"k", std::move(k)}};
              v.name_keys.push_back(secret(wrap, "k", key_bytes));
            }
            Json& ek = const_cast<Json&>(array_of(j, "entry_keys", 4096));
            for (Json& k : ek) {
              Json wrap = {{"k", std::move(k)}};
              v.entry_keys.push_back(secret(wrap, "k", key_bytes));
            }
            if (v.locators.size() != req.locators.size() || v.name_keys.size() != req.name_keys.size() ||
                v.entry_keys.size() != req.entry_keys.size())
              bad("the answer does not match the request");
            return v;
          },
          [&](const Join&) -> Reply { return Done{}; },
          [&](const Stop&) -> Reply { return Done{}; },
          [&](const Leave&) -> Reply { return LeftReply{boolean(j, "told")}; },
          [&](const Lock&) -> Reply { return Done{}; },
          [&](const Unlock&) -> Reply { return Done{}; },
          [&](const Create&) -> Reply { return CreateReply{text(j, "reference", max_reference_chars)}; },
          [&](const Add&) -> Reply { return EpochReply{static_cast<std::uint32_t>(number(j, "epoch", UINT32_MAX))}; },
          [&](const AddMany&) -> Reply { return EpochReply{static_cast<std::uint32_t>(number(j, "epoch", UINT32_MAX))}; },
          [&](const Move&) -> Reply { return EpochReply{static_cast<std::uint32_t>(number(j, "epoch", UINT32_MAX))}; },
          [&](const Change&) -> Reply {
            return EpochReply{static_cast<std::uint32_t>(number(j, "epoch", UINT32_MAX))};
          },
          [&](const Listing& l) -> Reply {
            switch (l.what) {
              case Listing::What::roster: {
                RosterReply r;
                for (const Json& m : array_of(j, "members", proto_max_members))
                  r.members.push_back({name(m, "name"), key(m, "key"), text(m, "role", 16),
                                       static_cast<std::uint32_t>(number(m, "since", UINT32_MAX))});
                return r;
              }
              case Listing::What::pending: {
                PendingReply p;
                for (const Json& r : array_of(j, "requests", 1000)) {
                  std::string kind = text(r, "kind", 8);
                  if (kind != "join" && kind != "leave") bad("\"kind\" is neither join nor leave");
                  p.requests.push_back({static_cast<std::int64_t>(number(r, "number", INT64_MAX)), kind == "leave",
                                        has(r, "name") ? std::optional<std::string>(name(r, "name")) : std::nullopt,
                                        key(r, "key"), text(r, "note", max_note_bytes),
                                        static_cast<std::int64_t>(number(r, "time", INT64_MAX)),
                                        static_cast<std::int64_t>(number(r, "first", INT64_MAX)),
                                        static_cast<std::int64_t>(number(r, "last", INT64_MAX)),
                                        number(r, "count", UINT64_MAX)});
                }
                return p;
              }
              case Listing::What::log: {
                LogReply l;
                for (const Json& e : array_of(j, "log", proto_max_members)) {
                  LogOut o;
                  o.epoch = static_cast<std::uint32_t>(number(e, "epoch", UINT32_MAX));
                  o.time = static_cast<std::int64_t>(number(e, "time", INT64_MAX));
                  o.change = text(e, "change", 16);
                  if (has(e, "subject")) o.subject = key(e, "subject");
                  o.subject_name = text(e, "subject_name", max_name_chars);
                  o.role = text(e, "role", 16);
                  o.signer = key(e, "signer");
                  o.signer_name = text(e, "signer_name", max_name_chars);
                  l.entries.push_back(std::move(o));
                }
                return l;
              }
              case Listing::What::invite:
                return InviteReply{text(j, "reference", max_reference_chars)};
            }
            return Done{};
          },
      },
      request);
  return out;
}

namespace {

// The lists an answer may be cut along, and how long each may be joined.
constexpr std::pair<const char*, std::size_t> reply_lists[] = {
    {"members", proto_max_members}, {"requests", 1000}, {"log", proto_max_members}};

// The list of an answer that may come in parts, or null.
const char* list_of(const Reply& r) {
  if (std::holds_alternative<RosterReply>(r)) return "members";
  if (std::holds_alternative<PendingReply>(r)) return "requests";
  if (std::holds_alternative<LogReply>(r)) return "log";
  return nullptr;
}

}  // namespace

std::vector<std::vector<std::uint8_t>> encode_parts(const Reply& r, std::size_t max_body) {
  std::vector<std::uint8_t> one = encode(r);
  const char* list = list_of(r);
  if (one.size() <= max_body || !list) return {std::move(one)};
  Json whole = parse_object(one);
  // Items are packed greedily: each part holds as many as fit. An item
  // alone is far below a part.
  Json items = std::move(whole[list]);
  whole[list] = Json::array();
  const std::size_t empty = whole.dump().size() + 16;  // and ',"more":true'
  std::vector<std::vector<std::uint8_t>> parts;
  Json part = whole;
  std::size_t size = empty;
  for (Json& item : items) {
    std::size_t n = item.dump(-1, ' ', false, Json::error_handler_t::replace).size() + 1;
    if (size + n > max_body && !part[list].empty()) {
      part["more"] = true;
      parts.push_back(body_wiping(part));
      part = whole;
      size = empty;
    }
    part[list].push_back(std::move(item));
    size += n;
  }
  parts.push_back(body_wiping(part));
  return parts;
}

bool decode_reply_part(std::span<const std::uint8_t> body, const Request& request, std::optional<Reply>& into) {
  Json j = parse_object(body);
  const bool more = has(j, "more") && boolean(j, "more");
  Reply part = decode_reply(body, request);
  auto join = [&](auto& to, auto& from, const char* list) {
    std::size_t max = 0;
    for (const auto& [name, m] : reply_lists)
      if (std::string_view(name) == list) max = m;
    if (to.size() + from.size() > max) bad(std::string("the parts' \"") + list + "\" is too long");
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  };
  if (more && !list_of(part)) bad("\"more\" on an answer without a list");
  // Every part but the last carries items: parts that carry none would
  // never end.
  if (more && j[list_of(part)].empty()) bad("a part of an answer with nothing in it");
  if (!into) {
    into = std::move(part);
    return more;
  }
  if (into->index() != part.index()) bad("a part of another kind of answer");
  if (auto* r = std::get_if<RosterReply>(&part)) join(std::get<RosterReply>(*into).members, r->members, "members");
  if (auto* p = std::get_if<PendingReply>(&part)) join(std::get<PendingReply>(*into).requests, p->requests, "requests");
  if (auto* l = std::get_if<LogReply>(&part)) join(std::get<LogReply>(*into).entries, l->entries, "log");
  return more;
}

}  // namespace grypt::daemon
