// Messages (man/grypt.5, MESSAGES). Header, 32 bytes:
//
//   off size field
//   0   1    0x12 anonymous, 0x13 signed: bits 4-7 are 1 (a control
//            character, which text never starts with), bits 1-3 the
//            version less one (1: version 2), bit 0 signed
//   1   8    group id, the first 8 bytes of the genesis hash
//   9   4    epoch
//   13  3    the first 3 bytes of the hash of the epoch's state
//   16  16   nonce
//
// message key = HKDF-SHA-256(epoch key, salt = nonce,
//                            info = "grypt message v2" || header || state hash)
// payload     = STREAM under the message key; signed messages end with the
//               72-byte trailer inside the final chunk:
//   sender key id (8) || Ed25519 signature (64) over
//   "grypt signature v2" || header || state hash || sender key id || SHA-512(plaintext)
//
// The state hash binds a post to the history it was sealed in: under
// another state of its epoch (a forked history) it does not open, and the
// prefix in the header tells that apart from tampering.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/group.h"
#include "core/keys.h"
#include "core/stream.h"

namespace grypt {

inline constexpr std::size_t header_bytes = 32;
inline constexpr std::size_t state_prefix_bytes = 3;
inline constexpr std::size_t signed_trailer_bytes = key_id_bytes + signature_bytes;
inline constexpr std::uint8_t message_version = 2;  // bits 1-3 of byte 0 hold 1
using StatePrefix = std::array<std::uint8_t, state_prefix_bytes>;

struct MessageHeader {
  bool is_signed = true;
  ShortGroupId group{};
  Epoch epoch;
  StatePrefix state{};
  std::array<std::uint8_t, 16> nonce{};

  std::array<std::uint8_t, header_bytes> encode() const;
  // Throws OpenError: truncated (fewer than 32 bytes) or header (version,
  // reserved flags).
  static MessageHeader decode(std::span<const std::uint8_t> bytes);
  // A header for sealing, under the state hashing to `state`, with a fresh
  // random nonce.
  static MessageHeader fresh(const GroupId& group, Epoch epoch, const StateHash& state, bool is_signed);
};

StatePrefix state_prefix(const StateHash& h);

// The key of one message, and the hash of the state its epoch is held
// under (which its signature binds too).
struct MessageKey {
  SecretBytes key;
  StateHash state{};
};

SecretBytes derive_message_key(std::span<const std::uint8_t> epoch_key, const MessageHeader& h,
                               const StateHash& state);

// Key access, one interface with two providers: the local keyring (tests,
// --identity) and gryptd. Keys stay with the provider; tools get the
// per-message key.
class MessageKeys {
 public:
  virtual ~MessageKeys() = default;
  // Throws OpenError(wrong_key) when the group or epoch is unknown, and
  // OpenError(forked) when the header names another state of the epoch.
  virtual MessageKey message_key(const MessageHeader& h) = 0;
};

struct SignedDigest {
  KeyId key_id{};
  Signature signature{};
};

// Signs a message's header, state and plaintext digest (the signed trailer).
class Signer {
 public:
  virtual ~Signer() = default;
  virtual SignedDigest sign(const MessageHeader& h, const StateHash& state,
                            std::span<const std::uint8_t, 64> digest) const = 0;
};

struct Member {
  PublicKey key;
  std::string name;
  // Still a member of the group's newest epoch; nullopt when that could
  // not be checked (its roster is not at hand).
  std::optional<bool> current;
};

class Members {
 public:
  virtual ~Members() = default;
  // The members of the message's group and epoch whose key id is `id`
  // (normally one).
  virtual std::vector<Member> lookup(const MessageHeader& h, const KeyId& id) const = 0;
};

class IdentitySigner : public Signer {
 public:
  explicit IdentitySigner(const Identity& id) : id_(id) {}
  SignedDigest sign(const MessageHeader& h, const StateHash& state,
                    std::span<const std::uint8_t, 64> digest) const override;

 private:
  const Identity& id_;
};

// Writes header and payload to `out`. signer == nullptr: anonymous.
class MessageSealer {
 public:
  MessageSealer(const MessageHeader& header, const MessageKey& key, Output& out, const Signer* signer);
  void write(std::span<const std::uint8_t> data);
  // Reads `in` to its end and writes it.
  void write_all_of(Input& in);
  void finish();

 private:
  MessageHeader header_;
  StateHash state_;
  const Signer* signer_;
  PipelinedSha512 digest_;
  StreamSealer stream_;
};

// Reads the header, asks `keys` for the message key, then yields verified
// plaintext. For signed messages finish() checks the signature against the
// group's members and returns the sender.
class MessageOpener {
 public:
  // size_hint: the whole message's size when known (0: unknown).
  MessageOpener(Input& in, MessageKeys& keys, std::uint64_t size_hint = 0);
  const MessageHeader& header() const { return header_; }
  // Verified plaintext; empty at the end and after it.
  std::span<const std::uint8_t> next();
  bool done() const { return stream_->done(); }
  // After done(): the verified sender (nullopt for anonymous messages).
  // Throws OpenError(auth) for an unknown sender or a bad signature.
  std::optional<Member> finish(const Members& members);

 private:
  MessageHeader header_;
  Input& in_;
  MessageKey key_;
  std::optional<StreamOpener> stream_;
  // After stream_, so that it is destroyed first: it may be hashing the
  // stream's plaintext.
  PipelinedSha512 digest_;
};

// The bytes signed for a message: label || header || state || key id || digest.
std::vector<std::uint8_t> signed_bytes(const MessageHeader& h, const StateHash& state, const KeyId& id,
                                       std::span<const std::uint8_t, Sha512::size> digest);

}  // namespace grypt
