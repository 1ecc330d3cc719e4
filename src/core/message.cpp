#include "core/message.h"

#include "core/bytes.h"

#include <cstring>
#include <string_view>

namespace grypt {
namespace {

constexpr std::string_view key_label = "grypt message v2";
constexpr std::string_view signature_label = "grypt signature v2";

}  // namespace

std::array<std::uint8_t, header_bytes> MessageHeader::encode() const {
  std::array<std::uint8_t, header_bytes> b{};
  b[0] = static_cast<std::uint8_t>(0x10 | (message_version - 1) << 1 | (is_signed ? 1 : 0));
  std::memcpy(&b[1], group.data(), group.size());
  put_be32(&b[9], epoch.value());
  std::memcpy(&b[13], state.data(), state.size());
  std::memcpy(&b[16], nonce.data(), nonce.size());
  return b;
}

MessageHeader MessageHeader::decode(std::span<const std::uint8_t> b) {
  if (!b.empty()) {
    unsigned version = (b[0] >> 1 & 7) + 1;
    if ((b[0] >> 4) != 1)
      throw OpenError(Fault::header, "not a grypt message (its first byte is not 0x10 to 0x1f)");
    if (version == 1)
      throw OpenError(Fault::header, "a message of version 1, which this grypt no longer reads "
                                     "(group protocol version 2 replaced it)");
    if (version != message_version)
      throw OpenError(Fault::header, "a message of version " + std::to_string(version) +
                                         " (this grypt reads version 2)");
  }
  if (b.size() < header_bytes)
    throw OpenError(Fault::truncated, "truncated: the message header is incomplete");
  MessageHeader h;
  h.is_signed = b[0] & 1;
  std::memcpy(h.group.data(), &b[1], h.group.size());
  h.epoch = Epoch(get_be32(&b[9]));
  std::memcpy(h.state.data(), &b[13], h.state.size());
  std::memcpy(h.nonce.data(), &b[16], h.nonce.size());
  return h;
}

StatePrefix state_prefix(const StateHash& h) {
  StatePrefix p;
  std::memcpy(p.data(), h.data(), p.size());
  return p;
}

MessageHeader MessageHeader::fresh(const GroupId& group, Epoch epoch, const StateHash& state, bool is_signed) {
  MessageHeader h;
  h.is_signed = is_signed;
  h.group = short_id(group);
  h.epoch = epoch;
  h.state = state_prefix(state);
  random_bytes(h.nonce);
  return h;
}

SecretBytes derive_message_key(std::span<const std::uint8_t> epoch_key, const MessageHeader& h,
                               const StateHash& state) {
  std::vector<std::uint8_t> info;
  append(info, key_label);
  append(info, h.encode());
  append(info, state);
  return hkdf_sha256(epoch_key, h.nonce, info);
}

std::vector<std::uint8_t> signed_bytes(const MessageHeader& h, const StateHash& state, const KeyId& id,
                                       std::span<const std::uint8_t, Sha512::size> digest) {
  std::vector<std::uint8_t> m;
  append(m, signature_label);
  append(m, h.encode());
  append(m, state);
  append(m, id);
  append(m, digest);
  return m;
}

MessageSealer::MessageSealer(const MessageHeader& header, const MessageKey& key, Output& out,
                             const Signer* signer)
    : header_(header),
      state_(key.state),
      signer_(signer),
      stream_(key.key.span(), out, signer ? signed_trailer_bytes : 0) {
  if (header.is_signed != (signer != nullptr))
    throw std::logic_error("a signed header needs a signer, an anonymous one none");
  out.write(header.encode());
}

void MessageSealer::write(std::span<const std::uint8_t> data) {
  if (signer_) digest_.update(data);
  stream_.write(data);
}

void MessageSealer::write_all_of(Input& in) {
  stream_.write_all_of(in, signer_ ? &digest_ : nullptr);
}

void MessageSealer::finish() {
  if (!signer_) {
    stream_.finish();
    return;
  }
  std::array<std::uint8_t, Sha512::size> digest;
  digest_.final(digest);
  SignedDigest sd = signer_->sign(header_, state_, digest);
  std::array<std::uint8_t, signed_trailer_bytes> trailer;
  std::memcpy(trailer.data(), sd.key_id.data(), sd.key_id.size());
  std::memcpy(trailer.data() + sd.key_id.size(), sd.signature.data(), sd.signature.size());
  stream_.finish(trailer);
}

MessageOpener::MessageOpener(Input& in, MessageKeys& keys, std::uint64_t size_hint) : in_(in) {
  std::array<std::uint8_t, header_bytes> raw;
  header_ = MessageHeader::decode(std::span(raw).first(in.read_full(raw)));
  key_ = keys.message_key(header_);
  stream_.emplace(key_.key.span(), in_, header_.is_signed ? signed_trailer_bytes : 0,
                  size_hint > header_bytes ? size_hint - header_bytes : 0);
}

std::span<const std::uint8_t> MessageOpener::next() {
  auto plain = stream_->next();
  // Hashed alongside: next() leaves these bytes alone until the call after.
  if (header_.is_signed) digest_.update_later(plain);
  return plain;
}

SignedDigest IdentitySigner::sign(const MessageHeader& h, const StateHash& state,
                                  std::span<const std::uint8_t, 64> digest) const {
  SignedDigest s;
  s.key_id = id_.public_key().key_id();
  s.signature = id_.sign(signed_bytes(h, state, s.key_id, digest));
  return s;
}

std::optional<Member> MessageOpener::finish(const Members& members) {
  if (!stream_->done()) throw std::logic_error("MessageOpener::finish before the end");
  if (!header_.is_signed) return std::nullopt;
  auto trailer = stream_->trailer();
  KeyId id;
  std::memcpy(id.data(), trailer.data(), id.size());
  std::span<const std::uint8_t, 64> sig(trailer.data() + id.size(), signature_bytes);
  std::array<std::uint8_t, Sha512::size> digest;
  digest_.final(digest);
  auto message = signed_bytes(header_, key_.state, id, digest);
  std::vector<Member> candidates = members.lookup(header_, id);
  if (candidates.empty())
    throw OpenError(Fault::auth, "the sender it claims is not a member of the group");
  for (Member& m : candidates)
    if (m.key.verify(message, sig)) return std::move(m);
  throw OpenError(Fault::auth, "the sender's signature does not verify");
}

}  // namespace grypt
