#include "core/roster.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "core/bytes.h"

namespace grypt {
namespace {

std::array<std::uint8_t, 32> signing_half(const PublicKey& k) {
  std::array<std::uint8_t, 32> a;
  std::memcpy(a.data(), k.ed25519().data(), 32);
  return a;
}

void update(crypto_generichash_state& st, std::span<const std::uint8_t> b) {
  if (!b.empty()) crypto_generichash_update(&st, b.data(), b.size());
}

}  // namespace

const char* role_name(Role r) { return r == Role::admin ? "admin" : "member"; }

std::string Roster::add_defect(const RosterEntry& e) const {
  if (const RosterEntry* m = find(e.key)) return "the key is a member already, as " + m->name;
  if (auto it = by_signing_half_.find(signing_half(e.key)); it != by_signing_half_.end())
    return "the key's signing half is the key of " + entries_.at(it->second).name;
  if (find(e.name)) return "the name " + e.name + " is taken";
  return "";
}

void Roster::add(const RosterEntry& e) {
  entries_[e.key] = e;
  by_signing_half_[signing_half(e.key)] = e.key;
  by_name_[e.name] = e.key;
  if (e.role == Role::admin) ++admins_;
  touch(e.key);
}

void Roster::remove(PublicKey key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.role == Role::admin) --admins_;
  by_signing_half_.erase(signing_half(key));
  by_name_.erase(it->second.name);
  entries_.erase(it);
  touch(key);
}

void Roster::set_role(const PublicKey& key, Role role) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.role == role) return;
  admins_ += role == Role::admin ? 1 : -1;
  it->second.role = role;
  touch(key);
}

const RosterEntry* Roster::find(const PublicKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

const RosterEntry* Roster::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_.at(it->second);
}

std::vector<RosterEntry> Roster::entries() const {
  std::vector<RosterEntry> out;
  out.reserve(entries_.size());
  for (const auto& [k, e] : entries_) out.push_back(e);
  return out;
}

void Roster::touch(const PublicKey& key) { buckets_[key.bytes()[0]].reset(); }

StateHash Roster::digest() const {
  static constexpr std::string_view bucket_label = "grypt roster bucket v2";
  static constexpr std::string_view roster_label = "grypt roster v2";
  crypto_generichash_state top;
  crypto_generichash_init(&top, nullptr, 0, 32);
  update(top, as_bytes(roster_label));
  // The map is in key order: a bucket's entries are together and sorted.
  for (unsigned b = 0; b < 256; ++b) {
    if (!buckets_[b]) {
      std::array<std::uint8_t, public_key_bytes> low{};
      low[0] = static_cast<std::uint8_t>(b);
      crypto_generichash_state st;
      crypto_generichash_init(&st, nullptr, 0, 32);
      update(st, as_bytes(bucket_label));
      for (auto e = entries_.lower_bound(PublicKey::from_trusted_bytes(low));
           e != entries_.end() && e->first.bytes()[0] == b; ++e) {
        std::uint8_t meta[2] = {static_cast<std::uint8_t>(e->second.role),
                                static_cast<std::uint8_t>(e->second.name.size())};
        update(st, e->first.bytes());
        update(st, meta);
        update(st, as_bytes(e->second.name));
      }
      StateHash h;
      crypto_generichash_final(&st, h.data(), h.size());
      buckets_[b] = h;
    }
    update(top, *buckets_[b]);
  }
  StateHash out;
  crypto_generichash_final(&top, out.data(), out.size());
  return out;
}

}  // namespace grypt
