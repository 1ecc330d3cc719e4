#include "core/group.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/text.h"

namespace grypt {
namespace {

constexpr std::uint8_t state_magic[8] = {'G', 'R', 'Y', 'P', 'T', 'S', 'T', 0x01};
constexpr std::string_view reference_prefix = "grypt-ref:";
constexpr std::size_t signed_part = 188;

// BLAKE2b-256 over a label and parts.
class Blake {
 public:
  explicit Blake(std::string_view label) {
    crypto_generichash_init(&st_, nullptr, 0, 32);
    add(as_bytes(label));
  }
  Blake& add(std::span<const std::uint8_t> b) {
    if (!b.empty()) crypto_generichash_update(&st_, b.data(), b.size());
    return *this;
  }
  StateHash done() {
    StateHash h;
    crypto_generichash_final(&st_, h.data(), h.size());
    return h;
  }

 private:
  crypto_generichash_state st_;
};

bool host_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '.' || c == ':' || c == '-';
}

}  // namespace

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

GroupId derive_group_id(const Fingerprint& server, std::string_view group_name) {
  StateHash h = Blake("grypt group id v1").add(server).add(as_bytes(group_name)).done();
  GroupId id;
  std::memcpy(id.data(), h.data(), id.size());
  return id;
}

std::string reference_host_defect(std::string_view host) {
  if (host.empty() || host.size() > 253) return "a host is 1 to 253 characters";
  if (!std::all_of(host.begin(), host.end(), host_char))
    return "a host is a DNS name or an IP address, of letters, digits, '.', ':' and '-'";
  return "";
}

std::string GroupReference::to_string() const {
  if (std::string d = reference_host_defect(host); !d.empty()) throw FormatError("invalid reference host: " + d);
  if (std::string d = group_name_defect(group); !d.empty()) throw FormatError("invalid reference group: " + d);
  std::vector<std::uint8_t> b;
  b.push_back(1);
  b.insert(b.end(), server.begin(), server.end());
  b.push_back(static_cast<std::uint8_t>(port >> 8));
  b.push_back(static_cast<std::uint8_t>(port));
  b.push_back(static_cast<std::uint8_t>(host.size()));
  b.insert(b.end(), host.begin(), host.end());
  b.push_back(static_cast<std::uint8_t>(group.size()));
  b.insert(b.end(), group.begin(), group.end());
  StateHash sum = Blake("grypt reference v1").add(b).done();
  b.insert(b.end(), sum.begin(), sum.begin() + 4);
  return std::string(reference_prefix) + base64_encode(b, Base64::url_unpadded);
}

GroupReference GroupReference::parse(std::string_view text) {
  auto bad = [](const std::string& why) { return FormatError("invalid group reference: " + why); };
  if (text.substr(0, reference_prefix.size()) != reference_prefix)
    throw FormatError("not a group reference (it must start with grypt-ref:)");
  std::vector<std::uint8_t> b;
  if (!base64_try_decode(text.substr(reference_prefix.size()), Base64::url_unpadded, b))
    throw bad("not canonical base64url");
  if (b.size() < 1 + 32 + 2 + 1 + 1 + 1 + 4) throw bad("too short");
  if (b[0] != 1) throw bad("unknown version " + std::to_string(b[0]));
  std::size_t h = b[35];
  if (b.size() < 36 + h + 1 + 4) throw bad("its lengths do not add up");
  std::size_t g = b[36 + h];
  if (b.size() != 37 + h + g + 4) throw bad("its lengths do not add up");
  StateHash sum = Blake("grypt reference v1").add(std::span(b).first(b.size() - 4)).done();
  if (std::memcmp(sum.data(), b.data() + b.size() - 4, 4) != 0)
    throw bad("checksum mismatch (mistyped or damaged)");
  GroupReference r;
  std::memcpy(r.server.data(), &b[1], 32);
  r.port = get_be16(&b[33]);
  r.host.assign(reinterpret_cast<const char*>(&b[36]), h);
  r.group.assign(reinterpret_cast<const char*>(&b[37 + h]), g);
  if (r.port == 0) throw bad("port 0");
  if (h == 0 || h > 253 || !std::all_of(r.host.begin(), r.host.end(), host_char))
    throw bad("the host is not a DNS name or an address of 1 to 253 characters");
  if (std::string d = group_name_defect(r.group); !d.empty()) throw bad("the group name: " + d);
  return r;
}

StateHash roster_digest(std::vector<RosterEntry> members) {
  std::sort(members.begin(), members.end(), [](const RosterEntry& a, const RosterEntry& b) {
    return std::lexicographical_compare(a.key.bytes().begin(), a.key.bytes().end(),
                                        b.key.bytes().begin(), b.key.bytes().end());
  });
  Blake h("grypt roster v1");
  for (const RosterEntry& m : members) {
    std::uint8_t len = static_cast<std::uint8_t>(m.name.size());
    h.add(m.key.bytes()).add(std::span(&len, 1)).add(as_bytes(m.name));
  }
  return h.done();
}

StateHash epoch_commitment(std::span<const std::uint8_t> epoch_key, const GroupId& group,
                           Epoch epoch) {
  std::string_view label = "grypt epoch key commitment v1";
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

std::array<std::uint8_t, state_bytes> GroupState::encode() const {
  std::array<std::uint8_t, state_bytes> b{};
  std::memcpy(&b[0], state_magic, 8);
  std::memcpy(&b[8], group.data(), 8);
  put_be32(&b[16], epoch.value());
  put_be64(&b[20], static_cast<std::uint64_t>(time));
  std::memcpy(&b[28], previous.data(), 32);
  std::memcpy(&b[60], roster.data(), 32);
  std::memcpy(&b[92], commitment.data(), 32);
  std::memcpy(&b[124], signer.bytes().data(), 64);
  std::memcpy(&b[188], signature.data(), 64);
  return b;
}

std::array<std::uint8_t, state_bytes> GroupState::sign(const Identity& signer_id) {
  signer = signer_id.public_key();
  auto b = encode();
  std::string_view label = "grypt state signature v1";
  std::vector<std::uint8_t> m(label.begin(), label.end());
  m.insert(m.end(), b.begin(), b.begin() + signed_part);
  signature = signer_id.sign(m);
  std::memcpy(&b[188], signature.data(), 64);
  return b;
}

GroupState GroupState::decode(std::span<const std::uint8_t> b) {
  if (b.size() != state_bytes)
    throw FormatError("a group state is 252 bytes, not " + std::to_string(b.size()));
  if (std::memcmp(b.data(), state_magic, 8) != 0) throw FormatError("not a grypt group state");
  GroupState s;
  std::memcpy(s.group.data(), &b[8], 8);
  s.epoch = Epoch(get_be32(&b[16]));
  if (s.epoch.value() == 0) throw FormatError("a group state of epoch 0");
  s.time = static_cast<std::int64_t>(get_be64(&b[20]));
  std::memcpy(s.previous.data(), &b[28], 32);
  std::memcpy(s.roster.data(), &b[60], 32);
  std::memcpy(s.commitment.data(), &b[92], 32);
  s.signer = PublicKey::from_bytes(b.subspan(124, 64));
  std::memcpy(s.signature.data(), &b[188], 64);
  return s;
}

bool GroupState::verify() const {
  auto b = encode();
  std::string_view label = "grypt state signature v1";
  std::vector<std::uint8_t> m(label.begin(), label.end());
  m.insert(m.end(), b.begin(), b.begin() + signed_part);
  return signer.verify(m, signature);
}

StateHash GroupState::hash() const { return Blake("grypt state v1").add(encode()).done(); }

SecretBytes box_shared_key(const Identity& signer, const PublicKey& member) {
  SecretBytes k(crypto_box_BEFORENMBYTES);
  if (crypto_box_beforenm(k.data(), member.x25519().data(), signer.secret().data() + 32) != 0)
    throw FormatError("cannot box to this member's key");
  return k;
}

std::array<std::uint8_t, epoch_box_bytes> box_epoch_key(const SecretBytes& shared,
                                                        std::span<const std::uint8_t> epoch_key) {
  std::array<std::uint8_t, epoch_box_bytes> box;
  random_bytes(std::span(box).first(crypto_box_NONCEBYTES));
  crypto_box_easy_afternm(box.data() + crypto_box_NONCEBYTES, epoch_key.data(), epoch_key.size(),
                          box.data(), shared.data());
  return box;
}

std::optional<SecretBytes> open_epoch_box(std::span<const std::uint8_t> box,
                                          const Identity& member, const PublicKey& signer) {
  if (box.size() != epoch_box_bytes) return std::nullopt;
  SecretBytes key(key_bytes);
  if (crypto_box_open_easy(key.data(), box.data() + crypto_box_NONCEBYTES,
                           box.size() - crypto_box_NONCEBYTES, box.data(), signer.x25519().data(),
                           member.secret().data() + 32) != 0)
    return std::nullopt;
  return key;
}

const char* chain_result_text(ChainCheck::Result r) {
  using R = ChainCheck::Result;
  switch (r) {
    case R::accepted: return "accepted";
    case R::bad_format: return "the state is malformed";
    case R::wrong_group: return "the state is of another group";
    case R::bad_signer: return "the state is not signed by the pinned server key";
    case R::bad_signature: return "the state's signature does not verify";
    case R::not_next: return "the state is not next to the chain held (a gap, a replay or a rollback)";
    case R::bad_previous: return "the state does not link to the chain held";
    case R::key_missing: return "the epoch key is missing";
    case R::key_mismatch: return "the epoch key does not open or does not match the state's commitment";
    case R::forked: return "the server signed two different states for one epoch";
  }
  return "?";
}

ChainCheck check_next_state(std::span<const std::uint8_t> bytes, const GroupId& group,
                            const PublicKey& pinned_signer,
                            const std::optional<GroupState>& held,
                            std::span<const std::uint8_t> box, const Identity& member) {
  using R = ChainCheck::Result;
  ChainCheck c;
  try {
    c.state = GroupState::decode(bytes);
  } catch (const FormatError&) {
    c.result = R::bad_format;
    return c;
  }
  if (c.state.group != group) c.result = R::wrong_group;
  else if (!(c.state.signer == pinned_signer)) c.result = R::bad_signer;
  else if (!c.state.verify()) c.result = R::bad_signature;
  else if (held && c.state.epoch != held->epoch.next()) c.result = R::not_next;
  else if (held && c.state.previous != held->hash()) c.result = R::bad_previous;
  if (c.result != R::accepted || box.empty()) return c;
  std::optional<SecretBytes> key = open_epoch_box(box, member, c.state.signer);
  if (!key || epoch_commitment(key->span(), group, c.state.epoch) != c.state.commitment) {
    c.result = R::key_mismatch;
    return c;
  }
  c.epoch_key = std::move(*key);
  return c;
}

}  // namespace grypt
