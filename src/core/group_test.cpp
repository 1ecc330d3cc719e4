#include "core/group.h"

#include <gtest/gtest.h>

#include "core/blake.h"
#include "core/encoding.h"
#include "core/epoch_box.h"
#include "core/error.h"
#include "core/group_test_chain.h"
#include "core/join_request.h"
#include "core/reference.h"

namespace grypt {
namespace {

GroupReference sample_reference() {
  init_crypto();
  return {Identity::generate().public_key(), GroupId{7, 7, 7}, {{"grypt.example.org", 4433}}, "friends"};
}

TEST(GroupReference, RoundTripsAndIsChecked) {
  GroupReference r = sample_reference();
  r.endpoints.push_back({"10.0.0.2", 4434});
  std::string text = r.to_string();
  GroupReference back = GroupReference::parse(text);
  EXPECT_EQ(back.server, r.server);
  EXPECT_EQ(back.group, r.group);
  EXPECT_EQ(back.endpoints, r.endpoints);
  EXPECT_EQ(back.name, "friends");
  auto error = [](const std::string& t) {
    try {
      GroupReference::parse(t);
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error("grypt-srv:" + text.substr(10)), "not a group reference (it must start with grypt-ref:)");
  std::string flipped = text;
  flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error(flipped), "invalid group reference: checksum mismatch (mistyped or damaged)");
  EXPECT_EQ(error(text.substr(0, text.size() - 1)).rfind("invalid group reference", 0), 0u);
  r.endpoints.clear();
  EXPECT_THROW(r.to_string(), FormatError);
  r.endpoints.assign(9, Endpoint{"h", 1});
  EXPECT_THROW(r.to_string(), FormatError);
  ServerReference s{r.server, {{"127.0.0.1", 4433}}};
  EXPECT_EQ(ServerReference::parse(s.to_string()).endpoints, s.endpoints);
  EXPECT_EQ(error(s.to_string()), "not a group reference (it must start with grypt-ref:)");
  // A zero group id names no genesis: a member would take any group's.
  GroupReference zero = sample_reference();
  zero.group = GroupId{};
  EXPECT_THROW(zero.to_string(), FormatError);
  zero.group[31] = 1;
  std::string z = zero.to_string();
  zero.group[31] = 0;
  // The same text with the id's last byte zeroed, its checksum made again.
  std::vector<std::uint8_t> raw = base64_decode(z.substr(10), Base64::url_unpadded);
  raw[1 + 64 + 31] = 0;
  raw.resize(raw.size() - 4);
  auto check = Blake("grypt reference v2").add(raw).done();
  raw.insert(raw.end(), check.begin(), check.begin() + 4);
  EXPECT_EQ(error("grypt-ref:" + base64_encode(raw, Base64::url_unpadded)), "invalid group reference: a group id of zeros");
}

TEST(GroupReference, AHostIsOneTo253Bytes) {
  GroupReference r = sample_reference();
  r.endpoints[0].host = std::string(253, 'h');
  EXPECT_EQ(GroupReference::parse(r.to_string()).endpoints[0].host, r.endpoints[0].host);
  r.endpoints[0].host = std::string(254, 'h');
  EXPECT_EQ(reference_host_defect(r.endpoints[0].host), "a host is 1 to 253 characters");
  EXPECT_THROW(r.to_string(), FormatError);
  r.endpoints[0].host = "";
  EXPECT_THROW(r.to_string(), FormatError);
  r.endpoints[0].host = "a b";
  EXPECT_THROW(r.to_string(), FormatError);
}

TEST(GroupNames, Rules) {
  EXPECT_EQ(group_name_defect("friends"), "");
  EXPECT_EQ(group_name_defect("a.b_c-1"), "");
  EXPECT_NE(group_name_defect(""), "");
  EXPECT_NE(group_name_defect("-x"), "");
  EXPECT_NE(group_name_defect("a b"), "");
  EXPECT_NE(group_name_defect(std::string(65, 'a')), "");
  EXPECT_EQ(group_name_defect(std::string(64, 'a')), "");
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

TEST(Roster, DigestIgnoresOrderButNotContentAndRefusesABorrowedHalf) {
  init_crypto();
  Identity a = Identity::generate(), b = Identity::generate();
  Roster one, two;
  one.add({"alice", a.public_key(), Role::admin});
  one.add({"bob", b.public_key(), Role::member});
  two.add({"bob", b.public_key(), Role::member});
  two.add({"alice", a.public_key(), Role::admin});
  EXPECT_EQ(one.digest(), two.digest());
  two.set_role(b.public_key(), Role::admin);
  EXPECT_NE(one.digest(), two.digest());
  two.set_role(b.public_key(), Role::member);
  EXPECT_EQ(one.digest(), two.digest());
  EXPECT_EQ(one.add_defect({"carol", a.public_key(), Role::member}), "the key is a member already, as alice");
  EXPECT_EQ(one.add_defect({"bob", Identity::generate().public_key(), Role::member}), "the name bob is taken");
  std::array<std::uint8_t, 64> borrowed;
  std::copy(a.public_key().ed25519().begin(), a.public_key().ed25519().end(), borrowed.begin());
  std::copy(b.public_key().x25519().begin(), b.public_key().x25519().end(), borrowed.begin() + 32);
  EXPECT_EQ(one.add_defect({"mallory", PublicKey::from_bytes(borrowed), Role::member}),
            "the key's signing half is the key of alice");
  one.remove(b.public_key());
  EXPECT_EQ(one.size(), 1u);
  EXPECT_EQ(one.admins(), 1u);
}

TEST(GroupState, EncodesSignsAndDecodesWhatItSigned) {
  TestChain c;
  c.add_alice();
  GroupState s = GroupState::decode(c.bytes[1]);
  EXPECT_TRUE(s.verify());
  EXPECT_EQ(s.change, Change::add);
  EXPECT_EQ(s.subject_name, "alice");
  EXPECT_EQ(s.group, c.group);
  EXPECT_EQ(s.encode(), c.bytes[1]);
  EXPECT_EQ(group_id_of(c.states[0]), c.group);
  for (std::size_t i = 0; i < state_bytes; i += 3) {
    auto t = c.bytes[1];
    t[i] ^= 0x01;
    bool refused = false;
    try {
      refused = !GroupState::decode(t).verify();
    } catch (const FormatError&) {
      refused = true;
    }
    EXPECT_TRUE(refused) << i;
  }
  auto v1 = c.bytes[1];
  v1[7] = 0x01;
  EXPECT_THROW(GroupState::decode(v1), FormatError);
}

TEST(GroupState, ChecksTheChangeAgainstThePreviousRoster) {
  TestChain c;
  Roster r;
  ASSERT_EQ(check_genesis(c.states[0], c.group, r), StateFault::none);
  EXPECT_EQ(check_genesis(c.states[0], GroupId{1}, r), StateFault::other_group);
  c.add_alice();
  EXPECT_EQ(check_next(c.states[0], c.states[1], c.name, r), StateFault::none);
  EXPECT_EQ(r.size(), 2u);
  // A replay of the same addition does not apply to the roster it made.
  std::string why;
  EXPECT_EQ(check_next(c.states[0], c.states[1], c.name, r, &why), StateFault::bad_change);
  EXPECT_EQ(why, "the key is a member already, as alice");
  EXPECT_EQ(check_next(c.states[1], c.states[1], c.name, r), StateFault::not_next);
}

TEST(EpochBox, OpensOnlyForItsMemberItsStateAndItsEpoch) {
  init_crypto();
  Identity alice = Identity::generate(), bob = Identity::generate();
  SecretBytes key(32);
  random_bytes(key.span());
  StateHash state{1}, other{2};
  EphemeralKey e = EphemeralKey::generate();
  EpochBox box = e.box(alice.public_key(), state, key.span());
  auto opened = open_box(box, alice, e.public_key(), state);
  ASSERT_TRUE(opened);
  EXPECT_TRUE(ct_equal(opened->span(), key.span()));
  EXPECT_FALSE(open_box(box, bob, e.public_key(), state));
  EXPECT_FALSE(open_box(box, alice, e.public_key(), other));
  EXPECT_FALSE(open_box(box, alice, EphemeralKey::generate().public_key(), state));
  EXPECT_FALSE(open_box(box, alice, e.public_key(), state, Epoch(2)));
  EpochBox past = e.box(alice.public_key(), state, key.span(), Epoch(2));
  EXPECT_TRUE(open_box(past, alice, e.public_key(), state, Epoch(2)));
  EXPECT_FALSE(open_box(past, alice, e.public_key(), state, Epoch(3)));
  EXPECT_FALSE(open_box(past, alice, e.public_key(), state));
}

// A key prepared ahead (all its members, some, or none when stopped at
// once) makes the same boxes as one that does each X25519 at the box.
TEST(EpochBox, PreparedAheadTheSameBoxes) {
  init_crypto();
  SecretBytes key(32);
  random_bytes(key.span());
  StateHash state{3};
  std::vector<Identity> members;
  std::vector<PublicKey> keys;
  for (int i = 0; i < 6; ++i) {
    members.push_back(Identity::generate());
    keys.push_back(members.back().public_key());
  }
  EphemeralKey e = EphemeralKey::generate();
  std::vector<EpochBox> plain;
  for (const PublicKey& k : keys) plain.push_back(e.box(k, state, key.span()));
  std::stop_source stopped;
  stopped.request_stop();
  ASSERT_EQ(e.plan(std::span(keys).first(4)), 4u);
  e.fill(0, 4, stopped.get_token());
  EXPECT_EQ(e.prepared(), 0u);
  e.fill(0, 2);
  EXPECT_EQ(e.prepared(), 2u);
  // A second plan keeps what is filled and numbers the new members in.
  ASSERT_EQ(e.plan(keys), 6u);
  EXPECT_EQ(e.prepared(), 2u);
  e.fill(0, 6);
  EXPECT_EQ(e.prepared(), 6u);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(e.box(keys[i], state, key.span()), plain[i]) << i;
    auto opened = open_box(plain[i], members[i], e.public_key(), state);
    ASSERT_TRUE(opened) << i;
    EXPECT_TRUE(ct_equal(opened->span(), key.span()));
  }
  // A member planned for nothing is boxed as before.
  Identity late = Identity::generate();
  EXPECT_TRUE(open_box(e.box(late.public_key(), state, key.span()), late, e.public_key(), state));
}

TEST(JoinRequest, SignedByItsKeyForItsGroup) {
  init_crypto();
  Identity bob = Identity::generate();
  JoinRequest r{GroupId{9}, 1800000000, bob.public_key(), "bob from the club"};
  auto bytes = r.sign(bob);
  JoinRequest back = JoinRequest::decode(bytes);
  EXPECT_EQ(back.key, bob.public_key());
  EXPECT_EQ(back.note, "bob from the club");
  EXPECT_EQ(back.time, 1800000000);
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    auto t = bytes;
    t[i] ^= 0x01;
    EXPECT_THROW(JoinRequest::decode(t), FormatError) << i;
  }
  EXPECT_THROW(JoinRequest::decode(std::span(bytes).first(bytes.size() - 1)), FormatError);
  // A leave request: its own magic and label; neither passes for the other.
  JoinRequest leave{GroupId{9}, 1800000000, bob.public_key(), "", JoinRequest::Kind::leave};
  auto left = leave.sign(bob);
  EXPECT_EQ(JoinRequest::decode(left).kind, JoinRequest::Kind::leave);
  EXPECT_EQ(JoinRequest::decode(bytes).kind, JoinRequest::Kind::join);
  auto swapped = left;
  swapped[5] = 'J';  // GRYPTLR -> GRYPTJR, the leave label's signature kept
  EXPECT_THROW(JoinRequest::decode(swapped), FormatError);
  // Naming another key than the one that signed: refused.
  auto other = bytes;
  PublicKey stranger = Identity::generate().public_key();
  auto k = stranger.bytes();
  std::copy(k.begin(), k.end(), other.begin() + 48);
  EXPECT_THROW(JoinRequest::decode(other), FormatError);
}

}  // namespace
}  // namespace grypt
