#include "core/message.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/armor.h"

namespace grypt {
namespace {

struct Ring : MessageKeys, Members {
  GroupId group{1, 2, 3, 4, 5, 6, 7, 8};
  StateHash state{4, 4, 4};
  std::vector<std::uint8_t> epoch_key = std::vector<std::uint8_t>(32, 9);
  std::vector<PublicKey> members;
  MessageKey message_key(const MessageHeader& h) override {
    if (h.group != short_id(group) || h.epoch != Epoch(5)) throw OpenError(Fault::wrong_key, "no key");
    if (h.state != state_prefix(state)) throw OpenError(Fault::forked, "another state");
    return MessageKey{derive_message_key(epoch_key, h, state), state};
  }
  std::vector<Member> lookup(const MessageHeader&, const KeyId& id) const override {
    std::vector<Member> out;
    for (const auto& k : members)
      if (k.key_id() == id) out.push_back({k, "m", std::optional<bool>(true)});
    return out;
  }
};

std::vector<std::uint8_t> seal(Ring& r, std::string_view text, const Signer* signer) {
  MessageHeader h = MessageHeader::fresh(r.group, Epoch(5), r.state, signer != nullptr);
  MessageKey k = r.message_key(h);
  MemoryOutput out;
  MessageSealer s(h, k, out, signer);
  s.write(as_bytes(text));
  s.finish();
  return out.data;
}

TEST(Message, HeaderLayout) {
  MessageHeader h;
  h.is_signed = true;
  h.group = {1, 2, 3, 4, 5, 6, 7, 8};
  h.epoch = Epoch(0x01020304);
  h.state = {0xe1, 0xe2, 0xe3};
  for (int i = 0; i < 16; ++i) h.nonce[i] = static_cast<std::uint8_t>(0xa0 + i);
  auto b = h.encode();
  EXPECT_EQ(b.size(), 32u);
  EXPECT_EQ(b[0], 0x13);
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(b[8], 8);
  EXPECT_EQ(b[9], 1);
  EXPECT_EQ(b[12], 4);
  EXPECT_EQ(b[13], 0xe1);
  EXPECT_EQ(b[15], 0xe3);
  EXPECT_EQ(b[16], 0xa0);
  EXPECT_EQ(b[31], 0xaf);
  MessageHeader back = MessageHeader::decode(b);
  EXPECT_EQ(back.encode(), b);
  h.is_signed = false;
  EXPECT_EQ(h.encode()[0], 0x12);
  auto error = [](std::array<std::uint8_t, header_bytes> b) {
    try {
      MessageHeader::decode(b);
    } catch (const OpenError& e) {
      return std::string(fault_name(e.fault())) + ": " + e.what();
    }
    return std::string("accepted");
  };
  b[0] = 0x11;
  EXPECT_EQ(error(b).rfind("header: a message of version 1", 0), 0u);
  b[0] = 0x15;
  EXPECT_EQ(error(b), "header: a message of version 3 (this grypt reads version 2)");
  b[0] = 0x23;
  EXPECT_EQ(error(b).rfind("header: not a grypt message", 0), 0u);
}

TEST(Message, OverheadMeetsTheBudget) {
  init_crypto();
  Ring r;
  Identity alice = Identity::generate();
  IdentitySigner signer(alice);
  EXPECT_EQ(seal(r, "", nullptr).size(), 48u);  // budget: <= 48
  EXPECT_EQ(seal(r, "", &signer).size(), 120u);  // budget: <= 120
  std::string post(200, 'p');
  auto m = seal(r, post, &signer);
  EXPECT_EQ(m.size(), 320u);
  EXPECT_LE(armor_line(m).size(), 500u - 67u);  // 433: fits a 500-character post
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

TEST(Message, AnotherStateOfTheEpochIsAForkNotATampering) {
  Ring r;
  auto m = seal(r, "x", nullptr);
  Ring other = r;
  other.state[5] ^= 1;  // the same prefix, another state: the key differs
  MemoryInput in(m);
  MessageOpener op(in, other);
  EXPECT_THROW(
      {
        while (!op.done()) op.next();
      },
      OpenError);
  other.state[0] ^= 1;  // another prefix: told apart at once
  MemoryInput in2(m);
  try {
    MessageOpener op2(in2, other);
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::forked);
  }
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
    MessageHeader h = MessageHeader::fresh(r.group, Epoch(5), r.state, true);
    MessageKey k = r.message_key(h);
    MemoryOutput out;
    MessageSealer s(h, k, out, &signer);
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
    StreamOpener so(k.key.span(), payload, signed_trailer_bytes);
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
    EXPECT_TRUE(alice.public_key().verify(signed_bytes(h, r.state, id, digest), sig));
  }
}

}  // namespace
}  // namespace grypt
