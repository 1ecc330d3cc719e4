// Epoch keys boxed to members (man/grypt-protocol.7, EPOCH KEY BOXES).
// The admin who commits an epoch makes one ephemeral X25519 key pair for
// the commit and a box for each member of the new roster:
//
//   shared  = X25519(ephemeral secret, member's X25519 key)
//   box key = HKDF(shared, salt = the new state's hash,
//                  info = "grypt box v2" || ephemeral public (32) || member fingerprint (32))
//   box     = AES-256-GCM(box key, 12 zero bytes, epoch key)   48 bytes
//
// A history box gives a past epoch's key with the same commit:
//   info = "grypt history box v2" || ephemeral public || member fingerprint || epoch (4)
//
// A box is bound to its state and its member: moved to another, it does not
// open. The ephemeral secret is forgotten after the commit, so a later
// theft of the admin's identity opens no box it made.
//
// An admin's daemon may make the key before the commit and do the X25519
// with each member then (plan, fill: on other threads, while it is idle),
// so that the commit's boxes cost a hash and an AES each. The key is still
// one per commit, in memory only; the wire cannot tell.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stop_token>
#include <vector>

#include "core/group.h"
#include "core/keys.h"

namespace grypt {

inline constexpr std::size_t box_bytes = 48;
using EpochBox = std::array<std::uint8_t, box_bytes>;
using EphemeralPublic = std::array<std::uint8_t, 32>;

class EphemeralKey {
 public:
  static EphemeralKey generate();
  const EphemeralPublic& public_key() const { return public_; }
  // The box of `epoch_key` for `member`, for the state hashing to `state`;
  // `history`: the epoch of a past key given with this commit.
  EpochBox box(const PublicKey& member, const StateHash& state, std::span<const std::uint8_t> epoch_key,
               std::optional<Epoch> history = std::nullopt) const;

  // Ahead of the commit: a slot for the shared secret with each of
  // `members` that has none yet (slots filled before are kept); returns
  // the number of slots, filled or not.
  std::size_t plan(std::span<const PublicKey> members);
  // Fills slots [from, to) (as plan numbered them), until `stop` is
  // requested. Threads may fill disjoint ranges at once; nothing else may
  // touch the key until they are done.
  void fill(std::size_t from, std::size_t to, std::stop_token stop = {});
  // The slots filled.
  std::size_t prepared() const;

 private:
  // A member's X25519 key, and whether its slot in shared_ is filled.
  struct Slot {
    std::array<std::uint8_t, 32> x25519;
    bool filled = false;
  };
  // The filled slot's shared secret for this X25519 key, or null.
  const std::uint8_t* shared_with(std::span<const std::uint8_t, 32> x25519) const;

  EphemeralPublic public_{};
  SecretBytes secret_;
  std::vector<Slot> slots_;  // sorted by key
  SecretBytes shared_;       // 32 bytes a slot
};

// The key in `box`, or nullopt when it does not open for `member`.
std::optional<SecretBytes> open_box(std::span<const std::uint8_t> box, const Identity& member,
                                    const EphemeralPublic& ephemeral, const StateHash& state,
                                    std::optional<Epoch> history = std::nullopt);

}  // namespace grypt
