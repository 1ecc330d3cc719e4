#include "core/epoch_box.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "core/bytes.h"
#include "core/crypto.h"
#include "core/error.h"

namespace grypt {
namespace {

constexpr std::array<std::uint8_t, gcm_nonce_bytes> zero_nonce{};

SecretBytes box_key(std::span<const std::uint8_t> shared, const EphemeralPublic& ephemeral,
                    const PublicKey& member, const StateHash& state, std::optional<Epoch> history) {
  std::string_view label = history ? "grypt history box v2" : "grypt box v2";
  std::vector<std::uint8_t> info(label.begin(), label.end());
  info.insert(info.end(), ephemeral.begin(), ephemeral.end());
  Fingerprint f = member.fingerprint();
  info.insert(info.end(), f.begin(), f.end());
  if (history) {
    std::uint8_t e[4];
    put_be32(e, history->value());
    info.insert(info.end(), e, e + 4);
  }
  return hkdf_sha256(shared, state, info);
}

}  // namespace

EphemeralKey EphemeralKey::generate() {
  EphemeralKey k;
  k.secret_ = SecretBytes(crypto_scalarmult_SCALARBYTES);
  random_bytes(k.secret_.span());
  crypto_scalarmult_base(k.public_.data(), k.secret_.data());
  return k;
}

EpochBox EphemeralKey::box(const PublicKey& member, const StateHash& state,
                           std::span<const std::uint8_t> epoch_key, std::optional<Epoch> history) const {
  SecretBytes shared(crypto_scalarmult_BYTES);
  if (const std::uint8_t* ready = shared_with(member.x25519()))
    std::memcpy(shared.data(), ready, shared.size());
  else if (crypto_scalarmult(shared.data(), secret_.data(), member.x25519().data()) != 0)
    throw FormatError("cannot box to this member's key");
  SecretBytes k = box_key(shared.span(), public_, member, state, history);
  EpochBox b{};
  AesGcm(k.span()).seal(zero_nonce, epoch_key, b.data(), b.data() + 32);
  return b;
}

std::size_t EphemeralKey::plan(std::span<const PublicKey> members) {
  std::vector<Slot> slots = slots_;
  for (const PublicKey& m : members) {
    Slot s;
    std::ranges::copy(m.x25519(), s.x25519.begin());
    slots.push_back(s);
  }
  auto by_key = [](const Slot& a, const Slot& b) { return a.x25519 < b.x25519; };
  // Stable: a filled slot stays ahead of a new one for the same key.
  // (std:: algorithms rather than ranges: clang 14 builds the fuzzers.)
  std::stable_sort(slots.begin(), slots.end(), by_key);
  auto same = [](const Slot& a, const Slot& b) { return a.x25519 == b.x25519; };
  slots.erase(std::unique(slots.begin(), slots.end(), same), slots.end());
  SecretBytes shared(std::max<std::size_t>(1, slots.size()) * crypto_scalarmult_BYTES);
  for (std::size_t i = 0; i < slots.size(); ++i)
    if (slots[i].filled) std::memcpy(shared.data() + 32 * i, shared_with(slots[i].x25519), 32);
  slots_ = std::move(slots);
  shared_ = std::move(shared);
  return slots_.size();
}

void EphemeralKey::fill(std::size_t from, std::size_t to, std::stop_token stop) {
  for (std::size_t i = from; i < std::min(to, slots_.size()) && !stop.stop_requested(); ++i) {
    if (slots_[i].filled) continue;
    // A key whose X25519 fails (a low-order point) stays unfilled: box()
    // refuses it as it would unprepared.
    slots_[i].filled = crypto_scalarmult(shared_.data() + 32 * i, secret_.data(), slots_[i].x25519.data()) == 0;
  }
}

std::size_t EphemeralKey::prepared() const {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.filled; }));
}

const std::uint8_t* EphemeralKey::shared_with(std::span<const std::uint8_t, 32> x25519) const {
  std::array<std::uint8_t, 32> k;
  std::ranges::copy(x25519, k.begin());
  auto it = std::lower_bound(slots_.begin(), slots_.end(), k, [](const Slot& s, const auto& x) { return s.x25519 < x; });
  if (it == slots_.end() || it->x25519 != k || !it->filled) return nullptr;
  return shared_.data() + 32 * static_cast<std::size_t>(it - slots_.begin());
}

std::optional<SecretBytes> open_box(std::span<const std::uint8_t> box, const Identity& member,
                                    const EphemeralPublic& ephemeral, const StateHash& state,
                                    std::optional<Epoch> history) {
  if (box.size() != box_bytes) return std::nullopt;
  SecretBytes shared(crypto_scalarmult_BYTES);
  if (crypto_scalarmult(shared.data(), member.secret().data() + 32, ephemeral.data()) != 0)
    return std::nullopt;
  SecretBytes k = box_key(shared.span(), ephemeral, member.public_key(), state, history);
  SecretBytes key(key_bytes);
  if (!AesGcm(k.span()).open(zero_nonce, box.first(32), box.data() + 32, key.data())) return std::nullopt;
  return key;
}

}  // namespace grypt
