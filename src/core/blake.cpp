#include "core/blake.h"

#include <sodium.h>

#include "core/bytes.h"
#include "core/secret.h"

namespace grypt {

static_assert(sizeof(crypto_generichash_state) <= 384);

Blake::Blake(std::string_view label) {
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_), nullptr, 0, 32);
  add(as_bytes(label));
}

Blake& Blake::add(std::span<const std::uint8_t> b) {
  if (!b.empty())
    crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), b.data(), b.size());
  return *this;
}

Blake& Blake::add_be32(std::uint32_t v) {
  std::uint8_t b[4];
  put_be32(b, v);
  return add(b);
}

std::array<std::uint8_t, 32> Blake::done() {
  std::array<std::uint8_t, 32> h;
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_), h.data(), h.size());
  return h;
}

}  // namespace grypt
