// What both store backends share: the field cipher that seals what is
// still secret in a store, and the reading of stored commits.
#include "gryptserver/store.h"

#include <algorithm>
#include <map>

#include "core/bytes.h"
#include "core/crypto.h"
#include "gryptserver/store_rows.h"

namespace grypt {

FieldCipher::FieldCipher(const SecretBytes& master_key)
    : key_(hkdf_sha256(master_key.span(), {}, as_bytes("grypt store field key v1"))) {}

std::vector<std::uint8_t> FieldCipher::seal(std::span<const std::uint8_t> plain,
                                            const std::string& where) {
  std::vector<std::uint8_t> out(gcm_nonce_bytes + plain.size() + gcm_tag_bytes);
  random_bytes(std::span(out).first(gcm_nonce_bytes));
  std::string aad = "grypt store v1 " + where;
  AesGcm(key_.span()).seal(std::span<const std::uint8_t, gcm_nonce_bytes>(out.data(), gcm_nonce_bytes),
                           plain, out.data() + gcm_nonce_bytes,
                           out.data() + gcm_nonce_bytes + plain.size(), as_bytes(aad));
  return out;
}

SecretBytes FieldCipher::open(std::span<const std::uint8_t> sealed, const std::string& where) {
  auto damaged = [&] {
    return OpenError(Fault::auth, "the store is damaged: " + where +
                                      " does not decrypt (edited, or copied from another row)");
  };
  if (sealed.size() < gcm_nonce_bytes + gcm_tag_bytes) throw damaged();
  std::size_t n = sealed.size() - gcm_nonce_bytes - gcm_tag_bytes;
  SecretBytes plain(n);
  std::string aad = "grypt store v1 " + where;
  if (!AesGcm(key_.span()).open(std::span<const std::uint8_t, gcm_nonce_bytes>(sealed.data(), gcm_nonce_bytes),
                                sealed.subspan(gcm_nonce_bytes, n), sealed.data() + gcm_nonce_bytes + n,
                                plain.data(), as_bytes(aad)))
    throw damaged();
  return plain;
}

bool open_pending(FieldCipher& cipher, std::int64_t group, const std::vector<std::uint8_t>& key,
                  const std::vector<std::uint8_t>& sealed, PendingRow& row) {
  try {
    row.key = PublicKey::from_bytes(key);
    SecretBytes r = cipher.open(sealed, store_rows::request_where(group, row.key));
    row.request.assign(r.data(), r.data() + r.size());
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::vector<CommitRow> split_commits(std::int64_t group, Epoch after, std::vector<StateRow> states,
                                     const std::vector<StoredBox>& boxes) {
  struct Boxes {
    std::vector<std::pair<PublicKey, EpochBox>> own;
    std::vector<std::pair<PublicKey, BoxRow>> history;
  };
  std::map<std::int64_t, Boxes> by_grant;
  for (const auto& [member, epoch, grant, box] : boxes) {
    const std::string where = "boxes of epoch " + std::to_string(epoch) + " of group " + std::to_string(group);
    // Not checked as a key (an Ed25519 point check each, half a second for
    // a commit to 10,000): the reader compares it with the roster's, which
    // was (Server::catch_up).
    PublicKey key = PublicKey::from_trusted_bytes(store_rows::fixed<public_key_bytes>(member, where));
    EpochBox b = store_rows::fixed<box_bytes>(box, where);
    Boxes& at = by_grant[grant];
    if (epoch == grant)
      at.own.emplace_back(key, b);
    else
      at.history.push_back({key, BoxRow{Epoch(static_cast<std::uint32_t>(epoch)), Epoch(static_cast<std::uint32_t>(grant)), b}});
  }
  std::vector<CommitRow> out;
  CommitRow c;
  c.group = group;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const Epoch e(after.value() + static_cast<std::uint32_t>(i) + 1);
    auto it = by_grant.find(e.value());
    if (it == by_grant.end() || it->second.own.empty()) {
      c.run.push_back(std::move(states[i]));
      continue;
    }
    c.epoch = e;
    c.state = std::move(states[i]);
    c.boxes = std::move(it->second.own);
    std::sort(c.boxes.begin(), c.boxes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    c.history = std::move(it->second.history);
    out.push_back(std::move(c));
    c = CommitRow{};
    c.group = group;
  }
  return out;
}

}  // namespace grypt
