#include "core/message.h"

#include "core/bytes.h"

#include <cstring>
#include <string_view>

namespace grypt {
namespace {

constexpr std::string_view key_label = "grypt message v1";
constexpr std::string_view signature_label = "grypt signature v1";

void append(std::vector<std::uint8_t>& v, std::span<const std::uint8_t> bytes) {
  v.insert(v.end(), bytes.begin(), bytes.end());
}

}  // namespace

std::array<std::uint8_t, header_bytes> MessageHeader::encode() const {
  std::array<std::uint8_t, header_bytes> b{};
  b[0] = static_cast<std::uint8_t>(message_version << 4 | (is_signed ? 1 : 0));
  std::memcpy(&b[1], group.data(), group.size());
  put_be32(&b[9], epoch.value());
  std::memcpy(&b[13], nonce.data(), nonce.size());
  return b;
}

MessageHeader MessageHeader::decode(std::span<const std::uint8_t> b) {
  if (b.size() < header_bytes)
    throw OpenError(Fault::truncated, "truncated: the message header is incomplete");
  unsigned version = b[0] >> 4, flags = b[0] & 0x0f;
  if (version != message_version)
    throw OpenError(Fault::header, "not a grypt message, or version " + std::to_string(version) +
                                       " (this grypt reads version 1)");
  if (flags & ~1u)
    throw OpenError(Fault::header, "malformed message header: reserved flags are set");
  MessageHeader h;
  h.is_signed = flags & 1;
  std::memcpy(h.group.data(), &b[1], h.group.size());
  h.epoch = Epoch(get_be32(&b[9]));
  std::memcpy(h.nonce.data(), &b[13], h.nonce.size());
  return h;
}

MessageHeader MessageHeader::fresh(const GroupId& group, Epoch epoch, bool is_signed) {
  MessageHeader h;
  h.is_signed = is_signed;
  h.group = group;
  h.epoch = epoch;
  random_bytes(h.nonce);
  return h;
}

SecretBytes derive_message_key(std::span<const std::uint8_t> epoch_key, const MessageHeader& h) {
  std::vector<std::uint8_t> info(key_label.begin(), key_label.end());
  append(info, h.encode());
  return hkdf_sha256(epoch_key, h.nonce, info);
}

std::vector<std::uint8_t> signed_bytes(const MessageHeader& h, const KeyId& id,
                                       std::span<const std::uint8_t, Sha512::size> digest) {
  std::vector<std::uint8_t> m(signature_label.begin(), signature_label.end());
  append(m, h.encode());
  append(m, id);
  append(m, digest);
  return m;
}

MessageSealer::MessageSealer(const MessageHeader& header, std::span<const std::uint8_t> key,
                             Output& out, const Signer* signer)
    : header_(header),
      signer_(signer),
      stream_(key, out, signer ? signed_trailer_bytes : 0) {
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
  SignedDigest sd = signer_->sign(header_, digest);
  std::array<std::uint8_t, signed_trailer_bytes> trailer;
  std::memcpy(trailer.data(), sd.key_id.data(), sd.key_id.size());
  std::memcpy(trailer.data() + sd.key_id.size(), sd.signature.data(), sd.signature.size());
  stream_.finish(trailer);
}

MessageOpener::MessageOpener(Input& in, MessageKeys& keys, std::uint64_t size_hint) : in_(in) {
  std::array<std::uint8_t, header_bytes> raw;
  header_ = MessageHeader::decode(std::span(raw).first(in.read_full(raw)));
  key_ = keys.message_key(header_);
  stream_.emplace(key_.span(), in_, header_.is_signed ? signed_trailer_bytes : 0,
                  size_hint > header_bytes ? size_hint - header_bytes : 0);
}

std::span<const std::uint8_t> MessageOpener::next() {
  auto plain = stream_->next();
  // Hashed alongside: next() leaves these bytes alone until the call after.
  if (header_.is_signed) digest_.update_later(plain);
  return plain;
}

SignedDigest IdentitySigner::sign(const MessageHeader& h,
                                  std::span<const std::uint8_t, 64> digest) const {
  SignedDigest s;
  s.key_id = id_.public_key().key_id();
  s.signature = id_.sign(signed_bytes(h, s.key_id, digest));
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
  auto message = signed_bytes(header_, id, digest);
  std::vector<Member> candidates = members.lookup(header_, id);
  if (candidates.empty())
    throw OpenError(Fault::auth, "the sender it claims is not a member of the group");
  for (Member& m : candidates)
    if (m.key.verify(message, sig)) return std::move(m);
  throw OpenError(Fault::auth, "the sender's signature does not verify");
}

}  // namespace grypt
