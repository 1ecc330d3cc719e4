#include "core/group.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "core/blake.h"
#include "core/bytes.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/text.h"

namespace grypt {
namespace {

constexpr std::uint8_t state_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'S', 'T', 0x02};
constexpr std::size_t signed_part = 416;
constexpr std::string_view signature_label = "grypt state signature v2";

bool all_zero(std::span<const std::uint8_t> b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c == 0; });
}

void put_name(std::uint8_t* p, const std::string& name) {
  p[0] = static_cast<std::uint8_t>(name.size());
  std::memcpy(p + 1, name.data(), name.size());
}

// A length byte and 64 bytes of name, zero padded; empty allowed only when
// `may_be_empty`.
std::string get_name(std::span<const std::uint8_t> b, const char* what, bool may_be_empty) {
  std::size_t n = b[0];
  if (n > max_name_chars) throw FormatError(std::string(what) + " is longer than 64 bytes");
  if (!all_zero(b.subspan(1 + n, max_name_chars - n)))
    throw FormatError(std::string(what) + " is not zero padded");
  std::string name(reinterpret_cast<const char*>(b.data() + 1), n);
  if (n == 0 && may_be_empty) return name;
  if (std::string d = group_name_defect(name); !d.empty()) throw FormatError(std::string(what) + ": " + d);
  return name;
}

std::vector<std::uint8_t> signed_message(std::span<const std::uint8_t> state) {
  std::vector<std::uint8_t> m(signature_label.size() + signed_part);
  std::memcpy(m.data(), signature_label.data(), signature_label.size());
  std::memcpy(m.data() + signature_label.size(), state.data(), signed_part);
  return m;
}

}  // namespace

ShortGroupId short_id(const GroupId& id) {
  ShortGroupId s;
  std::memcpy(s.data(), id.data(), s.size());
  return s;
}

std::string group_name_defect(std::string_view name) {
  if (name.empty()) return "a name cannot be empty";
  if (name.size() > max_name_chars) return "a name is at most 64 characters";
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return "a name starts with a letter or a digit";
  for (char c : name)
    if (!alnum(c) && c != '.' && c != '_' && c != '-')
      return "a name is made of letters, digits, '.', '_' and '-'";
  return "";
}

std::string join_note_defect(std::string_view note) {
  if (note.empty()) return "a note cannot be empty";
  if (note.size() > max_note_bytes) return "a note is at most 200 bytes";
  if (std::string d = name_defect(note); !d.empty()) return d;
  if (trim_blanks(note).size() != note.size()) return "a note cannot start or end with a blank";
  return "";
}

const char* change_name(Change c) {
  switch (c) {
    case Change::create: return "create";
    case Change::add: return "add";
    case Change::remove: return "remove";
    case Change::rotate: return "rotate";
    case Change::promote: return "promote";
    case Change::demote: return "demote";
    case Change::grant: return "grant";
    case Change::move: return "move";
  }
  return "?";
}

std::array<std::uint8_t, state_bytes> GroupState::encode() const {
  std::array<std::uint8_t, state_bytes> b{};
  std::memcpy(&b[0], state_magic, 8);
  std::memcpy(&b[8], group.data(), 32);
  put_be32(&b[40], epoch.value());
  put_be64(&b[44], static_cast<std::uint64_t>(time));
  put_be64(&b[52], static_cast<std::uint64_t>(expires));
  std::memcpy(&b[60], previous.data(), 32);
  std::memcpy(&b[92], roster.data(), 32);
  std::memcpy(&b[124], commitment.data(), 32);
  b[156] = static_cast<std::uint8_t>(change);
  b[157] = role ? static_cast<std::uint8_t>(*role) : 0;
  if (subject) std::memcpy(&b[158], subject->bytes().data(), 64);
  put_name(&b[222], subject_name);
  put_name(&b[287], group_name);
  std::memcpy(&b[352], signer.bytes().data(), 64);
  std::memcpy(&b[416], signature.data(), 64);
  return b;
}

std::array<std::uint8_t, state_bytes> GroupState::sign(const Identity& signer_id) {
  signer = signer_id.public_key();
  auto b = encode();
  signature = signer_id.sign(signed_message(b));
  std::memcpy(&b[416], signature.data(), 64);
  return b;
}

GroupState GroupState::decode(std::span<const std::uint8_t> b) {
  if (b.size() != state_bytes)
    throw FormatError("a group state is 480 bytes, not " + std::to_string(b.size()));
  if (std::memcmp(b.data(), state_magic, 7) != 0) throw FormatError("not a grypt group state");
  if (b[7] != state_magic[7])
    throw FormatError("a group state of version " + std::to_string(b[7]) + " (this grypt reads version 2)");
  GroupState s;
  std::memcpy(s.group.data(), &b[8], 32);
  s.epoch = Epoch(get_be32(&b[40]));
  if (s.epoch.value() == 0) throw FormatError("a group state of epoch 0");
  s.time = static_cast<std::int64_t>(get_be64(&b[44]));
  s.expires = static_cast<std::int64_t>(get_be64(&b[52]));
  if (s.time < 0 || s.expires < 0 || (s.expires != 0 && s.expires <= s.time))
    throw FormatError("a group state whose times are out of range");
  std::memcpy(s.previous.data(), &b[60], 32);
  std::memcpy(s.roster.data(), &b[92], 32);
  std::memcpy(s.commitment.data(), &b[124], 32);
  if (b[156] < 1 || b[156] > 8) throw FormatError("a group state with an unknown change " + std::to_string(b[156]));
  s.change = static_cast<Change>(b[156]);
  bool rotate = s.change == Change::rotate;
  if (rotate) {
    if (b[157] != 0 || !all_zero(b.subspan(158, 64)) || b[222] != 0)
      throw FormatError("a rotation that names a subject");
  } else {
    if (b[157] != 1 && b[157] != 2) throw FormatError("a group state with an unknown role " + std::to_string(b[157]));
    s.role = static_cast<Role>(b[157]);
    s.subject = PublicKey::from_bytes(b.subspan(158, 64));
  }
  s.subject_name = get_name(b.subspan(222, 65), "the subject's name", rotate);
  s.group_name = get_name(b.subspan(287, 65), "the group name", false);
  s.signer = PublicKey::from_bytes(b.subspan(352, 64));
  std::memcpy(s.signature.data(), &b[416], 64);
  return s;
}

bool GroupState::verify() const { return signer.verify(signed_message(encode()), signature); }

StateHash GroupState::hash() const { return Blake("grypt state v2").add(encode()).done(); }

GroupId group_id_of(const GroupState& genesis) { return Blake("grypt group v2").add(genesis.encode()).done(); }

StateHash epoch_commitment(std::span<const std::uint8_t> epoch_key, const GroupId& group, Epoch epoch) {
  std::string_view label = "grypt epoch key commitment v2";
  std::vector<std::uint8_t> info(label.begin(), label.end());
  info.insert(info.end(), group.begin(), group.end());
  std::uint8_t e[4];
  put_be32(e, epoch.value());
  info.insert(info.end(), e, e + 4);
  SecretBytes k = hkdf_sha256(epoch_key, {}, info);
  StateHash out;
  std::memcpy(out.data(), k.data(), out.size());
  return out;
}

const char* state_fault_text(StateFault f) {
  switch (f) {
    case StateFault::none: return "accepted";
    case StateFault::malformed: return "the state is malformed";
    case StateFault::bad_signature: return "the state's signature does not verify";
    case StateFault::not_genesis: return "the first state is not the creation of the group by its signer";
    case StateFault::other_group: return "the state is of another group";
    case StateFault::not_next: return "the state is not the next epoch (a gap, a replay or a rollback)";
    case StateFault::bad_previous: return "the state does not link to the chain held";
    case StateFault::not_admin: return "the state is not signed by an administrator of the previous roster";
    case StateFault::bad_change: return "the state's change does not apply to the previous roster";
    case StateFault::last_admin: return "the state's change leaves the group without an administrator";
    case StateFault::roster_mismatch: return "the state's roster is not the one its change makes";
    case StateFault::renamed: return "the state renames the group";
    case StateFault::forked: return "two different states for one epoch: the group's history forked";
    case StateFault::key_mismatch: return "the epoch key does not open or does not match the state's commitment";
  }
  return "?";
}

StateFault check_genesis(const GroupState& s, const GroupId& id, Roster& roster) {
  if (!s.verify()) return StateFault::bad_signature;
  if (s.epoch != Epoch(1) || s.change != Change::create || !all_zero(s.group) || !all_zero(s.previous) ||
      !s.subject || !(*s.subject == s.signer) || s.role != Role::admin)
    return StateFault::not_genesis;
  if (!all_zero(id) && group_id_of(s) != id) return StateFault::other_group;
  Roster r;
  r.add({s.subject_name, *s.subject, Role::admin});
  if (r.digest() != s.roster) return StateFault::roster_mismatch;
  roster = std::move(r);
  return StateFault::none;
}

namespace {

// Applies the change of `s` to `r`, or says why it cannot (and leaves `r`
// as it was). `undo` takes the change back.
std::string apply_change(const GroupState& s, Roster& r, std::function<void()>& undo) {
  const RosterEntry* subject = s.subject ? r.find(*s.subject) : nullptr;
  auto named = [&] {
    if (!subject) return std::string("the subject is not a member");
    if (subject->name != s.subject_name) return "the subject is " + subject->name + ", not " + s.subject_name;
    return std::string();
  };
  undo = [] {};
  switch (s.change) {
    case Change::create:
      return "a second creation";
    case Change::add: {
      RosterEntry e{s.subject_name, *s.subject, *s.role};
      if (std::string d = r.add_defect(e); !d.empty()) return d;
      r.add(e);
      undo = [&r, key = e.key] { r.remove(key); };
      return "";
    }
    case Change::remove: {
      if (std::string d = named(); !d.empty()) return d;
      if (subject->role != *s.role) return "the subject's role is not " + std::string(role_name(*s.role));
      RosterEntry gone = *subject;
      r.remove(*s.subject);
      undo = [&r, gone] { r.add(gone); };
      return "";
    }
    case Change::rotate:
      return "";
    case Change::promote:
    case Change::demote: {
      if (std::string d = named(); !d.empty()) return d;
      Role from = s.change == Change::promote ? Role::member : Role::admin;
      Role to = s.change == Change::promote ? Role::admin : Role::member;
      if (subject->role != from)
        return std::string("the subject is ") + role_name(subject->role) + ", not " + role_name(from);
      if (*s.role != to)
        return std::string("a ") + change_name(s.change) + " must make the subject " + role_name(to) + ", not " +
               role_name(*s.role);
      r.set_role(*s.subject, to);
      undo = [&r, key = *s.subject, from] { r.set_role(key, from); };
      return "";
    }
    case Change::grant:
      if (std::string d = named(); !d.empty()) return d;
      if (subject->role != *s.role) return "the subject's role is not " + std::string(role_name(*s.role));
      return "";
    case Change::move: {
      const RosterEntry* old = r.find(s.subject_name);
      if (!old) return "no member is named " + s.subject_name;
      if (old->role != *s.role) return "the subject's role is not " + std::string(role_name(*s.role));
      RosterEntry moved{s.subject_name, *s.subject, *s.role};
      RosterEntry gone = *old;
      if (gone.key.same_signer(moved.key))
        return "the new key's signing half is the key of " + gone.name;
      r.remove(gone.key);
      if (std::string d = r.add_defect(moved); !d.empty()) {
        r.add(gone);
        return d;
      }
      r.add(moved);
      undo = [&r, gone, key = moved.key] {
        r.remove(key);
        r.add(gone);
      };
      return "";
    }
  }
  return "an unknown change";
}

}  // namespace

StateFault check_next(const GroupState& prev, const GroupState& next, const std::string& group_name,
                      Roster& roster, std::string* why, std::function<void()>* undo_out) {
  if (!next.verify()) return StateFault::bad_signature;
  GroupId id = prev.epoch == Epoch(1) ? group_id_of(prev) : prev.group;
  if (next.group != id) return StateFault::other_group;
  if (next.epoch != prev.epoch.next()) return StateFault::not_next;
  if (next.previous != prev.hash()) return StateFault::bad_previous;
  const RosterEntry* signer = roster.find(next.signer);
  if (!signer || signer->role != Role::admin) return StateFault::not_admin;
  std::function<void()> undo;
  std::string d = apply_change(next, roster, undo);
  if (!d.empty()) {
    if (why) *why = d;
    return StateFault::bad_change;
  }
  StateFault f = StateFault::none;
  if (roster.admins() == 0) f = StateFault::last_admin;
  else if (roster.digest() != next.roster) f = StateFault::roster_mismatch;
  else if (next.group_name != group_name) f = StateFault::renamed;
  if (f != StateFault::none) undo();
  else if (undo_out) *undo_out = std::move(undo);
  return f;
}

}  // namespace grypt
