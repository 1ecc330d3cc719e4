#include "core/group.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/group_test_chain.h"

namespace grypt {
namespace {

TEST(GroupReference, RoundTripsAndIsChecked) {
  init_crypto();
  GroupReference r;
  r.server = Identity::generate().public_key().fingerprint();
  r.host = "group.example.org";
  r.port = 4433;
  r.group = "friends";
  std::string text = r.to_string();
  EXPECT_EQ(text.rfind("grypt-ref:", 0), 0u);
  GroupReference back = GroupReference::parse(text);
  EXPECT_EQ(back.server, r.server);
  EXPECT_EQ(back.host, r.host);
  EXPECT_EQ(back.port, r.port);
  EXPECT_EQ(back.group, r.group);
  EXPECT_EQ(back.group_id(), derive_group_id(r.server, "friends"));
  for (std::size_t i = 10; i < text.size(); ++i) {
    std::string t = text;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_THROW(GroupReference::parse(t), FormatError) << i;
  }
  EXPECT_THROW(GroupReference::parse("grypt-pk:" + text.substr(10)), FormatError);
  EXPECT_THROW(GroupReference::parse(text.substr(0, text.size() - 2)), FormatError);
  r.host = "::1";
  EXPECT_EQ(GroupReference::parse(r.to_string()).host, "::1");
}

TEST(GroupNames, Rules) {
  for (std::string ok : {std::string("friends"), std::string("a"), std::string("Team-2.0_x"),
                         std::string(64, 'a')})
    EXPECT_EQ(group_name_defect(ok), "") << ok;
  for (std::string bad : {std::string(""), std::string(65, 'a'), std::string("-x"),
                          std::string(".x"), std::string("a b"), std::string("a/b"),
                          std::string("caf\xc3\xa9")})
    EXPECT_NE(group_name_defect(bad), "") << bad;
}

TEST(GroupIds, DependOnTheServerAndTheName) {
  init_crypto();
  Fingerprint a = Identity::generate().public_key().fingerprint();
  Fingerprint b = Identity::generate().public_key().fingerprint();
  EXPECT_NE(derive_group_id(a, "friends"), derive_group_id(b, "friends"));
  EXPECT_NE(derive_group_id(a, "friends"), derive_group_id(a, "friends2"));
  EXPECT_EQ(derive_group_id(a, "friends"), derive_group_id(a, "friends"));
}

TEST(Roster, DigestIgnoresOrderButNotContent) {
  init_crypto();
  PublicKey a = Identity::generate().public_key(), b = Identity::generate().public_key();
  EXPECT_EQ(roster_digest({{"alice", a}, {"bob", b}}), roster_digest({{"bob", b}, {"alice", a}}));
  EXPECT_NE(roster_digest({{"alice", a}, {"bob", b}}), roster_digest({{"alice", a}, {"bobby", b}}));
  EXPECT_NE(roster_digest({{"alice", a}}), roster_digest({{"alice", a}, {"bob", b}}));
  EXPECT_NE(roster_digest({{"ab", a}, {"c", b}}), roster_digest({{"a", a}, {"bc", b}}));
}

TEST(GroupState, SignsVerifiesAndChains) {
  TestChain c;
  auto box1 = c.next();
  GroupState s1 = GroupState::decode(c.states[0]);
  EXPECT_TRUE(s1.verify());
  EXPECT_EQ(s1.encode(), c.states[0]);
  EXPECT_EQ(s1.signer, c.server.public_key());
  for (std::size_t i : {8u, 16u, 20u, 28u, 60u, 92u, 200u}) {
    auto t = c.states[0];
    t[i] ^= 1;
    EXPECT_FALSE(GroupState::decode(t).verify()) << i;
  }
  auto first = check_next_state(c.states[0], c.group, c.server.public_key(), std::nullopt, box1,
                                c.alice);
  ASSERT_EQ(first.result, ChainCheck::Result::accepted) << chain_result_text(first.result);
  EXPECT_TRUE(ct_equal(first.epoch_key.span(), c.keys[0].span()));
  auto box2 = c.next();
  auto second = check_next_state(c.states[1], c.group, c.server.public_key(), c.held(1), box2,
                                 c.alice);
  EXPECT_EQ(second.result, ChainCheck::Result::accepted);
}

TEST(GroupState, ReplaysRollbacksForksAndForgeriesAreRefused) {
  using R = ChainCheck::Result;
  TestChain c;
  auto b1 = c.next();
  auto b2 = c.next();
  auto b3 = c.next();
  PublicKey pin = c.server.public_key();
  // A replayed older state, and the same state again.
  EXPECT_EQ(check_next_state(c.states[0], c.group, pin, c.held(2), b1, c.alice).result, R::not_next);
  EXPECT_EQ(check_next_state(c.states[1], c.group, pin, c.held(2), b2, c.alice).result, R::not_next);
  // Skipping an epoch.
  EXPECT_EQ(check_next_state(c.states[2], c.group, pin, c.held(1), b3, c.alice).result, R::not_next);
  // A fork: a second epoch 2 and 3 signed by the same server after epoch 1.
  // A member at epoch 2 of the first chain refuses the fork's epoch 3, which
  // does not name its epoch 2.
  TestChain fork;
  fork.server = Identity::from_secret(c.server.secret().span());
  fork.alice = Identity::from_secret(c.alice.secret().span());
  fork.group = c.group;
  fork.states.push_back(c.states[0]);
  fork.keys.push_back(SecretBytes::copy_of(c.keys[0].span()));
  fork.next();
  auto fork3 = fork.next();
  EXPECT_EQ(check_next_state(fork.states[2], c.group, pin, c.held(2), fork3, c.alice).result,
            R::bad_previous);
  // Another signer, or a state of another group.
  TestChain stranger;
  stranger.alice = Identity::from_secret(c.alice.secret().span());
  stranger.group = c.group;
  auto sb = stranger.next();
  EXPECT_EQ(check_next_state(stranger.states[0], c.group, pin, std::nullopt, sb, c.alice).result,
            R::bad_signer);
  EXPECT_EQ(check_next_state(c.states[0], GroupId{}, pin, std::nullopt, b1, c.alice).result,
            R::wrong_group);
  auto forged = c.states[0];
  forged[200] ^= 1;
  EXPECT_EQ(check_next_state(forged, c.group, pin, std::nullopt, b1, c.alice).result,
            R::bad_signature);
  EXPECT_EQ(check_next_state(std::span(c.states[0]).first(100), c.group, pin, std::nullopt, b1,
                             c.alice).result,
            R::bad_format);
}

TEST(GroupState, ABoxThatDoesNotMatchTheCommitmentIsRefused) {
  using R = ChainCheck::Result;
  TestChain c;
  c.next();
  PublicKey pin = c.server.public_key();
  // The server boxes another key than the one the state commits to.
  SecretBytes wrong(32);
  random_bytes(wrong.span());
  auto box = box_epoch_key(box_shared_key(c.server, c.alice.public_key()), wrong.span());
  EXPECT_EQ(check_next_state(c.states[0], c.group, pin, std::nullopt, box, c.alice).result,
            R::key_mismatch);
  // A box for someone else, and a damaged box.
  Identity bob = Identity::generate();
  auto for_bob = box_epoch_key(box_shared_key(c.server, bob.public_key()), c.keys[0].span());
  EXPECT_EQ(check_next_state(c.states[0], c.group, pin, std::nullopt, for_bob, c.alice).result,
            R::key_mismatch);
  auto good = box_epoch_key(box_shared_key(c.server, c.alice.public_key()), c.keys[0].span());
  good[40] ^= 1;
  EXPECT_EQ(check_next_state(c.states[0], c.group, pin, std::nullopt, good, c.alice).result,
            R::key_mismatch);
  // No box at all: the state is taken, without a key.
  auto none = check_next_state(c.states[0], c.group, pin, std::nullopt, {}, c.alice);
  EXPECT_EQ(none.result, R::accepted);
  EXPECT_TRUE(none.epoch_key.empty());
}

}  // namespace
}  // namespace grypt

namespace grypt {
namespace {

TEST(GroupReference, AHostIsOneTo253Bytes) {
  init_crypto();
  GroupReference r;
  r.server = Identity::generate().public_key().fingerprint();
  r.port = 4433;
  r.group = "friends";
  r.host = std::string(253, 'h');
  EXPECT_EQ(GroupReference::parse(r.to_string()).host, r.host);
  r.host = std::string(254, 'h');
  EXPECT_EQ(reference_host_defect(r.host), "a host is 1 to 253 characters");
  EXPECT_THROW(r.to_string(), FormatError);
  r.host = "";
  EXPECT_THROW(r.to_string(), FormatError);
  r.host = "a b";
  EXPECT_THROW(r.to_string(), FormatError);
}

TEST(JoinNote, CleanTextOfAtMost200Bytes) {
  EXPECT_EQ(join_note_defect("bob from the bike club"), "");
  EXPECT_EQ(join_note_defect(std::string(200, 'n')), "");
  EXPECT_EQ(join_note_defect(std::string(201, 'n')), "a note is at most 200 bytes");
  EXPECT_EQ(join_note_defect(""), "a note cannot be empty");
  EXPECT_EQ(join_note_defect("a\nb"), "it contains a control character");
  EXPECT_EQ(join_note_defect("a\xc2\x9b" "b"), "it contains a control character");
  EXPECT_EQ(join_note_defect("a\xe2\x81\xa6" "b"), "it contains a bidirectional formatting character");
  EXPECT_EQ(join_note_defect("\xff"), "it is not valid UTF-8");
  EXPECT_EQ(join_note_defect(" padded"), "a note cannot start or end with a blank");
}

}  // namespace
}  // namespace grypt
