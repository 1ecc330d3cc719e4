#include "core/message.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/armor.h"

namespace grypt {
namespace {

struct Ring : MessageKeys, Members {
  GroupId group{1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<std::uint8_t> epoch_key = std::vector<std::uint8_t>(32, 9);
  std::vector<PublicKey> members;
  SecretBytes message_key(const MessageHeader& h) override {
    if (h.group != group || h.epoch != Epoch(5)) throw OpenError(Fault::wrong_key, "no key");
    return derive_message_key(epoch_key, h);
  }
  std::vector<Member> lookup(const MessageHeader&, const KeyId& id) const override {
    std::vector<Member> out;
    for (const auto& k : members)
      if (k.key_id() == id) out.push_back({k, "m", true});
    return out;
  }
};

std::vector<std::uint8_t> seal(Ring& r, std::string_view text, const Signer* signer) {
  MessageHeader h = MessageHeader::fresh(r.group, Epoch(5), signer != nullptr);
  SecretBytes k = r.message_key(h);
  MemoryOutput out;
  MessageSealer s(h, k.span(), out, signer);
  s.write(as_bytes(text));
  s.finish();
  return out.data;
}

TEST(Message, HeaderLayout) {
  MessageHeader h;
  h.is_signed = true;
  h.group = {1, 2, 3, 4, 5, 6, 7, 8};
  h.epoch = Epoch(0x01020304);
  for (int i = 0; i < 16; ++i) h.nonce[i] = static_cast<std::uint8_t>(0xa0 + i);
  auto b = h.encode();
  EXPECT_EQ(b[0], 0x11);
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(b[8], 8);
  EXPECT_EQ(b[9], 1);
  EXPECT_EQ(b[12], 4);
  EXPECT_EQ(b[13], 0xa0);
  EXPECT_EQ(b[28], 0xaf);
  MessageHeader back = MessageHeader::decode(b);
  EXPECT_EQ(back.encode(), b);
  h.is_signed = false;
  EXPECT_EQ(h.encode()[0], 0x10);
}

TEST(Message, OverheadMeetsTheBudget) {
  init_crypto();
  Ring r;
  Identity alice = Identity::generate();
  IdentitySigner signer(alice);
  EXPECT_EQ(seal(r, "", nullptr).size(), 45u);  // budget: <= 45
  EXPECT_EQ(seal(r, "", &signer).size(), 117u);  // budget: <= 120
  std::string post(200, 'p');
  auto m = seal(r, post, &signer);
  EXPECT_EQ(m.size(), 317u);
  EXPECT_LE(armor_line(m).size(), 500u - 71u);  // 429: fits a 500-character post
}

TEST(Message, SignedRoundTripNamesTheSender) {
  Ring r;
  Identity alice = Identity::generate();
  r.members = {Identity::generate().public_key(), alice.public_key()};
  IdentitySigner signer(alice);
  auto m = seal(r, "hello group", &signer);
  MemoryInput in(m);
  MessageOpener op(in, r);
  std::string text;
  while (!op.done()) {
    auto p = op.next();
    text.append(reinterpret_cast<const char*>(p.data()), p.size());
  }
  EXPECT_EQ(text, "hello group");
  auto sender = op.finish(r);
  ASSERT_TRUE(sender);
  EXPECT_EQ(sender->key, alice.public_key());
}

TEST(Message, NextAfterTheEndIsEmpty) {
  Ring r;
  Identity alice = Identity::generate();
  r.members = {alice.public_key()};
  IdentitySigner signer(alice);
  auto m = seal(r, "signed", &signer);
  MemoryInput in(m);
  MessageOpener op(in, r);
  std::size_t got = 0;
  while (!op.done()) got += op.next().size();
  EXPECT_EQ(got, 6u);
  EXPECT_TRUE(op.next().empty());
  EXPECT_TRUE(op.next().empty());
  auto sender = op.finish(r);  // the digest did not take in anything more
  ASSERT_TRUE(sender);
  EXPECT_EQ(sender->key, alice.public_key());
}

TEST(Message, AnonymousHasNoSender) {
  Ring r;
  auto m = seal(r, "x", nullptr);
  MemoryInput in(m);
  MessageOpener op(in, r);
  while (!op.done()) op.next();
  EXPECT_FALSE(op.finish(r));
}

TEST(Message, UnknownGroupIsWrongKey) {
  Ring r;
  auto m = seal(r, "x", nullptr);
  m[3] ^= 1;
  MemoryInput in(m);
  try {
    MessageOpener op(in, r);
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::wrong_key);
  }
}

// Over 1 MiB, the sealer and the opener hash the plaintext on a second
// thread while they encrypt or decrypt. Each path is checked against the
// other and against a one-shot SHA-512 of the plaintext.
TEST(Message, LargeSignedMessageHashesTheWholePlaintext) {
  init_crypto();
  Ring r;
  Identity alice = Identity::generate();
  r.members = {alice.public_key()};
  IdentitySigner signer(alice);
  std::vector<std::uint8_t> plain((5 << 20) + 12345);
  for (std::size_t i = 0; i < plain.size(); ++i)
    plain[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
  for (bool streamed : {false, true}) {
    SCOPED_TRACE(streamed ? "sealed from an input" : "sealed in one write");
    MessageHeader h = MessageHeader::fresh(r.group, Epoch(5), true);
    SecretBytes k = r.message_key(h);
    MemoryOutput out;
    MessageSealer s(h, k.span(), out, &signer);
    MemoryInput source(plain);
    if (streamed)
      s.write_all_of(source);
    else
      s.write(plain);
    s.finish();

    MemoryInput in(out.data);
    MessageOpener op(in, r);
    std::vector<std::uint8_t> got;
    while (!op.done()) {
      auto p = op.next();
      got.insert(got.end(), p.begin(), p.end());
    }
    EXPECT_EQ(got, plain);
    auto sender = op.finish(r);
    ASSERT_TRUE(sender);
    EXPECT_EQ(sender->key, alice.public_key());

    MemoryInput payload(std::span(out.data).subspan(header_bytes));
    StreamOpener so(k.span(), payload, signed_trailer_bytes);
    while (!so.done()) so.next();
    auto trailer = so.trailer();
    Sha512 sha;
    sha.update(plain);
    std::array<std::uint8_t, 64> digest;
    sha.final(digest);
    KeyId id;
    std::memcpy(id.data(), trailer.data(), id.size());
    EXPECT_EQ(id, alice.public_key().key_id());
    std::span<const std::uint8_t, 64> sig(trailer.data() + id.size(), signature_bytes);
    EXPECT_TRUE(alice.public_key().verify(signed_bytes(h, id, digest), sig));
  }
}

}  // namespace
}  // namespace grypt
