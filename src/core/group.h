// Groups (man/grypt-protocol.7): names, group ids, group references, the
// signed group state that carries each epoch, the roster digest, epoch key
// commitments and boxes. Bytes in, bytes out; the server and the daemon do
// the talking.
//
// Group state, 252 bytes (grypt-protocol.7, GROUP STATE):
//   off size field
//   0   8    "GRYPTST" 0x01
//   8   8    group id
//   16  4    epoch (>= 1)
//   20  8    time the epoch began, Unix seconds
//   28  32   hash of the previous state (zero for the first)
//   60  32   roster digest
//   92  32   epoch key commitment
//   124 64   signer's public key
//   188 64   Ed25519 signature over "grypt state signature v1" || bytes 0..188
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/keys.h"

namespace grypt {

using GroupId = std::array<std::uint8_t, 8>;
using StateHash = std::array<std::uint8_t, 32>;

// A generation of a group's key. Epochs only move forward: each rotation
// makes the next one.
class Epoch {
 public:
  constexpr Epoch() = default;
  constexpr explicit Epoch(std::uint32_t value) : value_(value) {}
  constexpr std::uint32_t value() const { return value_; }
  constexpr Epoch next() const { return Epoch(value_ + 1); }
  constexpr auto operator<=>(const Epoch&) const = default;
  std::string to_string() const { return std::to_string(value_); }

 private:
  std::uint32_t value_ = 0;
};

inline constexpr std::size_t state_bytes = 252;
inline constexpr std::size_t epoch_box_bytes = 72;
inline constexpr std::size_t max_name_chars = 64;

// Group and member names: 1 to 64 of [A-Za-z0-9._-], starting with a
// letter or digit. Empty when valid, else what is wrong.
std::string group_name_defect(std::string_view name);
GroupId derive_group_id(const Fingerprint& server, std::string_view group_name);

// A join note: what a member who is not one yet says to the
// administrators. 1 to 200 bytes of text by the clean-name rule of
// core/text.h (no control or bidirectional formatting characters), without
// blanks around it. Empty when valid, else what is wrong.
inline constexpr std::size_t max_note_bytes = 200;
std::string join_note_defect(std::string_view note);

// A reference's host (grypt-protocol.7, GROUP REFERENCE): 1 to 253 bytes
// of [A-Za-z0-9.:-]. Empty when valid, else what is wrong.
std::string reference_host_defect(std::string_view host);

struct GroupReference {
  Fingerprint server{};
  std::string host;
  std::uint16_t port = 0;
  std::string group;

  std::string to_string() const;  // "grypt-ref:..."; FormatError for a bad host or group
  // FormatError naming the defect.
  static GroupReference parse(std::string_view text);
  GroupId group_id() const { return derive_group_id(server, group); }
};

struct RosterEntry {
  std::string name;
  PublicKey key;
};
// BLAKE2b-256("grypt roster v1" || for each member sorted by key bytes:
// key (64) || name length (1) || name).
StateHash roster_digest(std::vector<RosterEntry> members);

// HKDF(epoch key, "", "grypt epoch key commitment v1" || group id || epoch).
StateHash epoch_commitment(std::span<const std::uint8_t> epoch_key, const GroupId& group,
                           Epoch epoch);

struct GroupState {
  GroupId group{};
  Epoch epoch;
  std::int64_t time = 0;
  StateHash previous{};
  StateHash roster{};
  StateHash commitment{};
  PublicKey signer;
  Signature signature{};

  // Fills signer and signature.
  std::array<std::uint8_t, state_bytes> sign(const Identity& signer_id);
  std::array<std::uint8_t, state_bytes> encode() const;
  // Structure only (FormatError); verify() checks the signature.
  static GroupState decode(std::span<const std::uint8_t> bytes);
  bool verify() const;
  StateHash hash() const;
};

// The epoch key boxed for one member: nonce (24) || crypto_box (48), from
// the signer's X25519 key. A precomputed shared key (crypto_box_beforenm,
// 32 bytes) makes each box one symmetric encryption.
SecretBytes box_shared_key(const Identity& signer, const PublicKey& member);
std::array<std::uint8_t, epoch_box_bytes> box_epoch_key(const SecretBytes& shared,
                                                        std::span<const std::uint8_t> epoch_key);
// The epoch key, or nullopt when the box does not open for `member` from
// `signer`.
std::optional<SecretBytes> open_epoch_box(std::span<const std::uint8_t> box,
                                          const Identity& member, const PublicKey& signer);

// What a member holds of a group's chain, and the checks of
// grypt-protocol.7 (CHECKING STATES) for the next state and its key.
struct ChainCheck {
  enum class Result { accepted, bad_format, wrong_group, bad_signer, bad_signature,
                      not_next, bad_previous, key_missing, key_mismatch, forked };
  Result result = Result::accepted;
  GroupState state;
  SecretBytes epoch_key;  // when the box opened and matched
};
const char* chain_result_text(ChainCheck::Result r);

// `held`: the newest state the member holds (nullopt: none). `box` may be
// empty when the member is not entitled to the epoch's key.
ChainCheck check_next_state(std::span<const std::uint8_t> state_bytes, const GroupId& group,
                            const PublicKey& pinned_signer,
                            const std::optional<GroupState>& held,
                            std::span<const std::uint8_t> box, const Identity& member);

}  // namespace grypt
