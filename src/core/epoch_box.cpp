#include "core/epoch_box.h"

#include <sodium.h>

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
  if (crypto_scalarmult(shared.data(), secret_.data(), member.x25519().data()) != 0)
    throw FormatError("cannot box to this member's key");
  SecretBytes k = box_key(shared.span(), public_, member, state, history);
  EpochBox b{};
  AesGcm(k.span()).seal(zero_nonce, epoch_key, b.data(), b.data() + 32);
  return b;
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
