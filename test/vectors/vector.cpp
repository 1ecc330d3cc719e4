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
#include "core/identity_file.h"
#include "core/message.h"
#include "core/vault.h"

namespace grypt::vectors {
namespace {

std::string hex(std::span<const std::uint8_t> b) {
  std::string s;
  char buf[3];
  for (auto c : b) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    s += buf;
  }
  return s;
}

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

}  // namespace

std::string summary(std::span<const std::uint8_t> plain, const std::string& extra) {
  std::array<std::uint8_t, 32> d;
  sha256(plain, d);
  return "size=" + std::to_string(plain.size()) + " sha256=" + hex(d) + extra;
}

Keyring::Keyring(const Vector& v) {
  group_ = b64url(v.get("group"));
  epoch_ = Epoch(static_cast<std::uint32_t>(std::stoul(v.get("epoch"))));
  key_ = b64url(v.get("epoch-key"));
  if (v.has("member"))
    for (const std::string& m : v.fields.at("member")) members_.push_back(PublicKey::parse(m));
}

SecretBytes Keyring::message_key(const MessageHeader& h) {
  if (!std::equal(h.group.begin(), h.group.end(), group_.begin(), group_.end()))
    throw OpenError(Fault::wrong_key,
                    "not a member of group " + base64_encode(h.group, Base64::url_unpadded));
  if (h.epoch != epoch_) throw OpenError(Fault::wrong_key, "no key for epoch " + h.epoch.to_string());
  return derive_message_key(key_, h);
}

std::vector<Member> Keyring::lookup(const MessageHeader&, const KeyId& id) const {
  std::vector<Member> out;
  for (const PublicKey& k : members_)
    if (k.key_id() == id) out.push_back({k, "", true});
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
  throw std::runtime_error(v.name + ": unknown format " + f);
}

std::string verdict(const Vector& v, const Outcome& got) {
  const std::string& want = v.get("expect");
  if (got.result != want)
    return "expected " + want + ", got " + got.result + " (" + got.message + ")";
  if (want == "ok") {
    if (v.has("result") && v.get("result") != got.message)
      return "opened, but to '" + got.message + "' instead of '" + v.get("result") + "'";
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
