#include "vector.h"

#include <dirent.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "core/armor.h"
#include "core/crypto.h"
#include "core/encoding.h"
#include "core/epoch_box.h"
#include "core/error.h"
#include "core/group_cache.h"
#include "core/identity_file.h"
#include "core/join_request.h"
#include "core/message.h"
#include "core/reference.h"
#include "core/vault.h"
#include "gryptserver/relay.h"
#include "proto/server.h"

namespace grypt::vectors {
namespace {

std::vector<std::uint8_t> b64url(const std::string& s) {
  return base64_decode(s, Base64::url_unpadded, "vector field");
}

// Runs `open` and turns its result or failure into an Outcome.
template <typename F>
Outcome outcome_of(F open) {
  try {
    return {"ok", open()};
  } catch (const OpenError& e) {
    return {fault_name(e.fault()), e.what()};
  } catch (const FormatError& e) {
    std::string m = e.what();
    return {m.find("truncated") != std::string::npos ? "truncated" : "header", m};
  }
}

// A message in text form is read as grypt-open reads it: through the
// ArmorReader, streamed into the opener, so that a defect is reported by
// whichever of the two meets it first.
Outcome check_message(const Vector& v) {
  return outcome_of([&] {
    Keyring ring(v);
    MemoryInput data(v.data);
    std::optional<ArmorReader> reader;
    Input* in = &data;
    if (!looks_binary(v.data)) {
      reader.emplace(data);
      if (!reader->next()) throw OpenError(Fault::armor, "expected one armored message, found 0");
      in = &reader->body();
    }
    std::vector<std::uint8_t> plain;
    std::optional<Member> sender;
    std::optional<OpenError> failed;
    try {
      MessageOpener op(*in, ring);
      while (!op.done()) {
        auto p = op.next();
        plain.insert(plain.end(), p.begin(), p.end());
      }
      sender = op.finish(ring);
    } catch (const OpenError& e) {
      failed = e;
    }
    if (reader) {
      std::size_t found = 1;
      while (reader->next()) ++found;
      if (found != 1)
        throw OpenError(Fault::armor, "expected one armored message, found " + std::to_string(found));
    }
    if (failed) throw *failed;
    return summary(plain, " sender=" + (sender ? sender->key.to_string() : std::string("none")));
  });
}

Outcome check_vault_entry(const Vector& v) {
  return outcome_of([&] {
    LocalVaultKeys keys(SecretBytes::copy_of(b64url(v.get("vault-key"))));
    MemoryInput in(v.data);
    EntryOpener entry(in, keys, v.get("name"), std::stoull(v.get("version")));
    std::vector<std::uint8_t> plain;
    while (!entry.done()) {
      auto p = entry.next();
      plain.insert(plain.end(), p.begin(), p.end());
    }
    return summary(plain, entry.header().tombstone ? " tombstone" : "");
  });
}

Outcome check_vault_key(const Vector& v) {
  return outcome_of([&] {
    Identity id = Identity::from_secret(b64url(v.get("identity-secret")));
    SecretBytes key = open_vault_key_file(v.data, id);
    return "vault-key=" + base64_encode(key.span(), Base64::url_unpadded);
  });
}

Outcome check_identity(const Vector& v) {
  return outcome_of([&] {
    Identity id = decode_identity(v.data, "identity", [&] {
      return SecretBytes::copy_of(as_bytes(v.get("passphrase")));
    });
    return "public=" + id.public_key().to_string();
  });
}

Outcome check_pubkey(const Vector& v) {
  try {
    std::string text(v.data.begin(), v.data.end());
    PublicKey k = PublicKey::parse(text);
    return {"ok", "public=" + k.to_string()};
  } catch (const FormatError& e) {
    return {"armor", e.what()};
  }
}

// --- group formats ---------------------------------------------------------

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const std::string& text, const std::string& what) {
  std::vector<std::uint8_t> b = unhex(text, what);
  if (b.size() != N)
    throw std::runtime_error(what + " is " + std::to_string(b.size()) + " bytes, not " + std::to_string(N));
  std::array<std::uint8_t, N> a;
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

std::vector<std::string> words(const std::string& line, std::size_t n, const std::string& what) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  if (out.size() != n) throw std::runtime_error("a " + what + " line of " + std::to_string(out.size()) + " words, not " + std::to_string(n));
  return out;
}

std::uint32_t number(const std::string& w, const std::string& what) {
  if (w.empty() || w.size() > 10 || w.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("not a number in " + what + ": '" + w + "'");
  unsigned long long n = std::stoull(w);
  if (n > 0xffffffffULL) throw std::runtime_error("a number too large in " + what + ": " + w);
  return static_cast<std::uint32_t>(n);
}

const char* placed_name(Placed::How h) {
  switch (h) {
    case Placed::How::appended: return "appended";
    case Placed::How::key_added: return "key-added";
    case Placed::How::held: return "held";
  }
  return "?";
}

Outcome check_state(const Vector& v) {
  const GroupId group = fixed<32>(v.get("group"), "group");
  const std::string& name = v.get("name");
  std::optional<Identity> member;
  if (v.has("identity-secret")) member = Identity::from_secret(b64url(v.get("identity-secret")));
  // Without a member, no box is opened: take() never looks at this one.
  const std::array<std::uint8_t, secret_key_bytes> zero{};
  const Identity nobody = Identity::from_secret(zero);
  const Identity& me = member ? *member : nobody;

  if (v.data.empty()) throw std::runtime_error(v.name + ": no states");
  std::vector<StateRecord> records;
  for (std::size_t at = 0; at < v.data.size(); at += state_bytes) {
    std::size_t n = std::min(state_bytes, v.data.size() - at);
    records.push_back({{v.data.begin() + static_cast<long>(at), v.data.begin() + static_cast<long>(at + n)}, {}, {}});
  }
  std::vector<bool> boxed(records.size());
  if (v.has("box")) {
    if (!member) throw std::runtime_error(v.name + ": box lines without an identity-secret");
    for (const std::string& line : v.fields.at("box")) {
      auto w = words(line, 3, "box");
      std::size_t n = number(w[0], "box");
      if (n < 1 || n > records.size() || boxed[n - 1])
        throw std::runtime_error(v.name + ": a box line for state " + w[0]);
      boxed[n - 1] = true;
      records[n - 1].ephemeral = fixed<32>(w[1], "ephemeral");
      records[n - 1].box = unhex(w[2], "box");
    }
  }
  struct HistoryBox {
    Epoch grant, epoch;
    std::vector<std::uint8_t> box;
  };
  std::vector<HistoryBox> history;
  if (v.has("history")) {
    if (!member) throw std::runtime_error(v.name + ": history lines without an identity-secret");
    for (const std::string& line : v.fields.at("history")) {
      auto w = words(line, 3, "history");
      history.push_back({Epoch(number(w[0], "history")), Epoch(number(w[1], "history")), unhex(w[2], "history box")});
    }
  }

  GroupChain chain(group, name);
  std::string placed;
  for (std::size_t i = 0; i < records.size(); ++i) {
    Placed p = chain.take(records[i], me);
    if (p.fault != StateFault::none)
      return {state_fault_name(p.fault),
              "state " + std::to_string(i + 1) + " of " + std::to_string(records.size()) + ": " +
                  state_fault_text(p.fault) + (p.why.empty() ? "" : ": " + p.why),
              {}};
    placed += (placed.empty() ? "" : " ") + std::string(placed_name(p.how));
  }
  for (std::size_t i = 0; i < history.size(); ++i) {
    const HistoryBox& h = history[i];
    if (h.box.size() != box_bytes)
      return {state_fault_name(StateFault::malformed),
              "history " + std::to_string(i + 1) + " of " + std::to_string(history.size()) + ": a box of " +
                  std::to_string(h.box.size()) + " bytes",
              {}};
    if (!chain.take_history(h.grant, h.epoch, h.box, me))
      return {state_fault_name(StateFault::key_mismatch),
              "history " + std::to_string(i + 1) + " of " + std::to_string(history.size()) +
                  ": the history box of epoch " + h.epoch.to_string() + " given at epoch " + h.grant.to_string() +
                  " does not open or its key does not match that epoch's commitment",
              {}};
  }

  Outcome out{"ok", "", {}};
  const Epoch head = chain.head().epoch;
  out.facts.emplace_back("placed", placed);
  out.facts.emplace_back("head", head.to_string() + " " + hex(chain.hash(head)));
  out.facts.emplace_back("roster", hex(chain.roster().digest()));
  for (const RosterEntry& e : chain.roster().entries())
    out.facts.emplace_back("roster-entry", std::string(role_name(e.role)) + " " + e.name + " " + e.key.to_string());
  std::size_t keys = 0;
  for (std::uint32_t e = 1; e <= head.value(); ++e)
    if (const SecretBytes* k = chain.key(Epoch(e))) {
      out.facts.emplace_back("held-key", std::to_string(e) + " " + hex(k->span()));
      ++keys;
    }
  out.message = "head at epoch " + head.to_string() + ", " + std::to_string(chain.roster().size()) +
                " members, " + std::to_string(keys) + " epoch keys held";
  return out;
}

Outcome check_reference(const Vector& v) {
  std::string text(v.data.begin(), v.data.end());
  Outcome out{"ok", "", {}};
  auto endpoints = [&](const std::vector<Endpoint>& eps) {
    for (const Endpoint& e : eps) out.facts.emplace_back("endpoint", e.host + " " + std::to_string(e.port));
  };
  try {
    if (text.rfind("grypt-srv:", 0) == 0) {
      ServerReference s = ServerReference::parse(text);
      out.facts.emplace_back("kind", "server");
      out.facts.emplace_back("server-key", s.server.to_string());
      endpoints(s.endpoints);
      out.message = "a server reference";
    } else {
      GroupReference g = GroupReference::parse(text);
      out.facts.emplace_back("kind", "group");
      out.facts.emplace_back("server-key", g.server.to_string());
      out.facts.emplace_back("group-id", hex(g.group));
      endpoints(g.endpoints);
      out.facts.emplace_back("group-name", g.name);
      out.message = "a group reference to " + g.name;
    }
  } catch (const FormatError& e) {
    return {"armor", e.what(), {}};
  }
  return out;
}

Outcome check_join_request(const Vector& v) {
  try {
    JoinRequest r = JoinRequest::decode(v.data);
    Outcome out{"ok", "a join request", {}};
    out.facts.emplace_back("group-id", hex(r.group));
    out.facts.emplace_back("time", std::to_string(r.time));
    out.facts.emplace_back("key", r.key.to_string());
    if (!r.note.empty()) out.facts.emplace_back("note", r.note);
    if (r.kind == JoinRequest::Kind::leave) out.facts.emplace_back("kind", "leave");
    return out;
  } catch (const FormatError& e) {
    std::string m = e.what();
    return {m.find("signature does not verify") != std::string::npos ? "auth" : "header", m, {}};
  }
}

// The server's answer to a commit (COMMITS): built from the held states by
// the same checks, then the commit of the data checked against them.
Outcome commit_outcome(const std::variant<CheckedCommit, proto::Refused>& v) {
  if (const auto* r = std::get_if<proto::Refused>(&v)) return {r->code, r->message, {}};
  const CheckedCommit& c = std::get<CheckedCommit>(v);
  Outcome out{"ok", "taken", {}};
  for (const GroupState& r : c.run) out.facts.emplace_back("run", r.epoch.to_string() + " " + hex(r.hash()));
  out.facts.emplace_back("head", c.state.epoch.to_string() + " " + hex(c.state.hash()));
  for (const auto& [key, box] : c.row.boxes) out.facts.emplace_back("box-for", key.to_string());
  for (const auto& [key, h] : c.row.history) out.facts.emplace_back("history-for", key.to_string() + " " + h.epoch.to_string());
  return out;
}

// Takes a held state as the server took it, with dummy boxes.
void hold(Relay& relay, GroupLive*& g, const std::vector<std::uint8_t>& bytes, const std::string& name) {
  GroupState s = GroupState::decode(bytes);
  proto::Commit c{g ? g->name() : "", bytes, {}, {}, {}, false, {}};
  if (!g) {
    c.boxes.resize(1);
    g = &relay.add(GroupRow{1, s.group_name, group_id_of(s), 1},
                   std::get<CheckedCommit>(relay.check_create(c, {s.signer})));
    return;
  }
  std::size_t n = g->roster.size() + (s.change == Change::add) - (s.change == Change::remove);
  c.boxes.resize(n);
  auto v = relay.check(*g, c);
  if (!std::holds_alternative<CheckedCommit>(v))
    throw std::runtime_error(name + ": a held state the server refuses: " + std::get<proto::Refused>(v).message);
  relay.apply(*g, std::get<CheckedCommit>(v));
}

Outcome check_commit(const Vector& v) {
  proto::Commit c;
  try {
    c = std::get<proto::Commit>(proto::decode_from_member(v.data));
  } catch (const std::exception& e) {
    return {"protocol", e.what(), {}};
  }
  Relay relay;
  GroupLive* g = nullptr;
  if (v.has("held"))
    for (const std::string& h : v.fields.at("held")) hold(relay, g, unhex(h, "held"), v.name);
  if (c.group.empty()) {
    std::vector<PublicKey> creators;
    if (v.has("creator"))
      for (const std::string& k : v.fields.at("creator")) creators.push_back(PublicKey::parse(k));
    auto r = relay.check_create(c, creators);
    if (const auto* ok = std::get_if<CheckedCommit>(&r); ok && g && ok->state.group_name == g->name())
      return {"name-taken", "a group of that name exists", {}};
    return commit_outcome(r);
  }
  if (!g || g->name() != c.group) return {"not-admin", "a group this connection does not follow", {}};
  return commit_outcome(relay.check(*g, c));
}

}  // namespace

std::string hex(std::span<const std::uint8_t> b) {
  std::string s;
  char buf[3];
  for (auto c : b) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    s += buf;
  }
  return s;
}

std::vector<std::uint8_t> unhex(const std::string& s, const std::string& what) {
  auto digit = [&](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::runtime_error(what + ": not lowercase hex");
  };
  if (s.size() % 2 != 0) throw std::runtime_error(what + ": an odd number of hex digits");
  std::vector<std::uint8_t> out(s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(digit(s[2 * i]) * 16 + digit(s[2 * i + 1]));
  return out;
}

const char* state_fault_name(StateFault f) {
  switch (f) {
    case StateFault::none: return "ok";
    case StateFault::malformed: return "malformed";
    case StateFault::bad_signature: return "bad signature";
    case StateFault::not_genesis: return "not genesis";
    case StateFault::other_group: return "other group";
    case StateFault::not_next: return "not next";
    case StateFault::bad_previous: return "bad previous";
    case StateFault::not_admin: return "not admin";
    case StateFault::bad_change: return "bad change";
    case StateFault::last_admin: return "last admin";
    case StateFault::roster_mismatch: return "roster mismatch";
    case StateFault::renamed: return "renamed";
    case StateFault::forked: return "forked";
    case StateFault::key_mismatch: return "key mismatch";
  }
  return "?";
}

const std::vector<std::string>& fact_keys(const std::string& format) {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"state", {"placed", "head", "roster", "roster-entry", "held-key"}},
      {"reference", {"kind", "server-key", "group-id", "endpoint", "group-name"}},
      {"join-request", {"group-id", "time", "key", "note"}},
      {"commit", {"run", "head", "box-for", "history-for"}},
  };
  static const std::vector<std::string> none;
  auto it = keys.find(format);
  return it == keys.end() ? none : it->second;
}

std::string summary(std::span<const std::uint8_t> plain, const std::string& extra) {
  std::array<std::uint8_t, 32> d;
  sha256(plain, d);
  return "size=" + std::to_string(plain.size()) + " sha256=" + hex(d) + extra;
}

Keyring::Keyring(const Vector& v) {
  group_ = b64url(v.get("group"));
  epoch_ = Epoch(static_cast<std::uint32_t>(std::stoul(v.get("epoch"))));
  key_ = b64url(v.get("epoch-key"));
  state_ = b64url(v.get("state"));
  if (v.has("member"))
    for (const std::string& m : v.fields.at("member")) members_.push_back(PublicKey::parse(m));
}

MessageKey Keyring::message_key(const MessageHeader& h) {
  if (!std::equal(h.group.begin(), h.group.end(), group_.begin(), group_.end()))
    throw OpenError(Fault::wrong_key,
                    "not a member of group " + base64_encode(h.group, Base64::url_unpadded));
  if (h.epoch != epoch_) throw OpenError(Fault::wrong_key, "no key for epoch " + h.epoch.to_string());
  StateHash state{};
  if (state_.size() != state.size()) throw std::runtime_error("a state field of " + std::to_string(state_.size()) + " bytes");
  std::copy(state_.begin(), state_.end(), state.begin());
  if (state_prefix(state) != h.state)
    throw OpenError(Fault::forked, "sealed under another state of epoch " + h.epoch.to_string() +
                                       " than the one held: the group's history was forked");
  return MessageKey{derive_message_key(key_, h, state), state};
}

std::vector<Member> Keyring::lookup(const MessageHeader&, const KeyId& id) const {
  std::vector<Member> out;
  for (const PublicKey& k : members_)
    if (k.key_id() == id) out.push_back({k, "", std::optional<bool>(true)});
  return out;
}

const std::string& Vector::get(const std::string& key) const {
  auto it = fields.find(key);
  if (it == fields.end() || it->second.empty())
    throw std::runtime_error(name + ": missing field '" + key + "'");
  return it->second.front();
}

Vector parse_vector(const std::string& name, const std::string& text) {
  Vector v;
  v.name = name;
  std::size_t pos = 0;
  for (;;) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) throw std::runtime_error(name + ": no blank line before data");
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    std::size_t colon = line.find(": ");
    if (colon == std::string::npos) throw std::runtime_error(name + ": bad line '" + line + "'");
    v.fields[line.substr(0, colon)].push_back(line.substr(colon + 2));
  }
  if (v.fields.empty() || text.rfind("expect: ", 0) != 0)
    throw std::runtime_error(name + ": the first line must be 'expect: ...'");
  std::string body = text.substr(pos);
  if (v.get("data") == "text") {
    v.data.assign(body.begin(), body.end());
  } else {
    std::string b64;
    for (char c : body)
      if (c != '\n') b64 += c;
    v.data = base64_decode(b64, Base64::standard, name + " data");
  }
  return v;
}

Vector load_vector(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string name = path.substr(path.rfind('/') + 1);
  return parse_vector(name, ss.str());
}

std::string format_vector(const Vector& v) {
  static const char* order[] = {"expect", "format", "error", "comment"};
  std::string out;
  for (const char* k : order)
    if (v.has(k))
      for (const std::string& val : v.fields.at(k)) out += std::string(k) + ": " + val + "\n";
  for (const auto& [k, vals] : v.fields) {
    if (std::find(std::begin(order), std::end(order), k) != std::end(order) || k == "data")
      continue;
    for (const std::string& val : vals) out += k + ": " + val + "\n";
  }
  out += "data: " + v.get("data") + "\n\n";
  if (v.get("data") == "text") return out + std::string(v.data.begin(), v.data.end());
  std::string b64 = base64_encode(v.data, Base64::standard);
  for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\n";
  return out;
}

Outcome check_vector(const Vector& v) {
  const std::string& f = v.get("format");
  if (f == "message") return check_message(v);
  if (f == "vault-entry") return check_vault_entry(v);
  if (f == "vault-key") return check_vault_key(v);
  if (f == "identity") return check_identity(v);
  if (f == "pubkey") return check_pubkey(v);
  if (f == "state") return check_state(v);
  if (f == "reference") return check_reference(v);
  if (f == "join-request") return check_join_request(v);
  if (f == "commit") return check_commit(v);
  throw std::runtime_error(v.name + ": unknown format " + f);
}

std::string verdict(const Vector& v, const Outcome& got) {
  const std::string& want = v.get("expect");
  if (got.result != want)
    return "expected " + want + ", got " + got.result + " (" + got.message + ")";
  if (want == "ok") {
    if (v.has("result") && v.get("result") != got.message)
      return "opened, but to '" + got.message + "' instead of '" + v.get("result") + "'";
    for (const std::string& k : fact_keys(v.get("format"))) {
      std::vector<std::string> want_lines = v.has(k) ? v.fields.at(k) : std::vector<std::string>{};
      std::vector<std::string> got_lines;
      for (const auto& [gk, gv] : got.facts)
        if (gk == k) got_lines.push_back(gv);
      if (got_lines != want_lines) {
        auto join = [](const std::vector<std::string>& l) {
          std::string s;
          for (const std::string& x : l) s += (s.empty() ? "" : " | ") + x;
          return s;
        };
        return "opened, but " + k + " is '" + join(got_lines) + "', not '" + join(want_lines) + "'";
      }
    }
    return {};
  }
  if (got.message.find(v.get("error")) == std::string::npos)
    return "failed as " + want + " but with '" + got.message + "', not '" + v.get("error") + "'";
  return {};
}

std::vector<std::string> vector_files(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) throw std::runtime_error("cannot read " + dir);
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".vec") == 0) out.push_back(dir + "/" + n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace grypt::vectors
