#include "proto/server.h"

#include <gtest/gtest.h>

#include "proto/admin.h"
#include "proto/daemon.h"

namespace grypt {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string code_of(std::string_view body) {
  try {
    proto::decode_from_member(bytes(body));
  } catch (const ProtocolError& e) {
    return e.code() + ": " + e.what();
  }
  return "accepted";
}

TEST(Protocol, MessagesRoundTrip) {
  init_crypto();
  Identity id = Identity::generate();
  proto::Hello h{id.public_key(),
                 {{"friends", Epoch(9), StateHash{1, 2, 3}, {{Epoch(3), Epoch(4)}, {Epoch(7), Epoch(7)}}, {}},
                  {"other", {}, {}, {}, {5, 6, 7}}}};
  auto back = std::get<proto::Hello>(proto::decode_from_member(proto::encode(proto::FromMember{h})));
  EXPECT_EQ(back.key, h.key);
  ASSERT_EQ(back.groups.size(), 2u);
  EXPECT_EQ(back.groups[0].epoch, Epoch(9));
  EXPECT_EQ(*back.groups[0].head, (StateHash{1, 2, 3}));
  EXPECT_EQ(back.groups[0].lacking, h.groups[0].lacking);
  EXPECT_FALSE(back.groups[1].epoch);
  EXPECT_EQ(back.groups[1].request, (std::vector<std::uint8_t>{5, 6, 7}));
  proto::Ask a{{{"pals", {}, {}, {}, {}}}};
  auto ab = std::get<proto::Ask>(proto::decode_from_member(proto::encode(proto::FromMember{a})));
  ASSERT_EQ(ab.groups.size(), 1u);
  EXPECT_EQ(ab.groups[0].name, "pals");
  proto::State s{"friends", Epoch(4), std::vector<std::uint8_t>(state_bytes, 7), EphemeralPublic{3},
                 std::vector<std::uint8_t>(box_bytes, 9)};
  auto sb = std::get<proto::State>(proto::decode_from_server(proto::encode(proto::FromServer{s})));
  EXPECT_EQ(sb.state, s.state);
  EXPECT_EQ(sb.box, s.box);
  EXPECT_EQ(sb.ephemeral, s.ephemeral);
  s.box.clear();
  sb = std::get<proto::State>(proto::decode_from_server(proto::encode(proto::FromServer{s})));
  EXPECT_TRUE(sb.box.empty());
  // A commit of many members comes in parts of at most 15,000 boxes.
  proto::Commit c{"friends", std::vector<std::uint8_t>(state_bytes, 1), EphemeralPublic{2},
                  std::vector<EpochBox>(33000, EpochBox{4}), {{Epoch(1), EpochBox{5}}}, false, {}};
  auto parts = proto::split_commit(c);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(parts[0].more && parts[1].more && !parts[2].more);
  EXPECT_EQ(parts[0].history.size(), 1u);
  EXPECT_TRUE(parts[1].history.empty());
  for (const proto::Commit& part : parts) {
    auto f = proto::encode(proto::FromMember{part});
    EXPECT_LE(f.size(), max_frame);
    auto cb = std::get<proto::Commit>(proto::decode_from_member(f));
    EXPECT_EQ(cb.boxes.size(), part.boxes.size());
    EXPECT_EQ(cb.more, part.more);
  }
  proto::Commit create = c;
  create.group.clear();
  create.boxes.resize(1);
  create.history.clear();
  auto cr = std::get<proto::Commit>(proto::decode_from_member(proto::encode(proto::FromMember{create})));
  EXPECT_TRUE(cr.group.empty());
  proto::Refused r{"friends", "stale", Epoch(7), "another admin"};
  auto rb = std::get<proto::Refused>(proto::decode_from_server(proto::encode(proto::FromServer{r})));
  EXPECT_EQ(rb.head, Epoch(7));
  EXPECT_EQ(rb.code, "stale");
}

TEST(Protocol, MalformedFramesAreProtocolErrorsWithStableCodes) {
  init_crypto();
  std::string key = Identity::generate().public_key().to_string();
  auto hello = [&](const std::string& rest) {
    return "{\"type\":\"hello\",\"version\":2,\"key\":\"" + key + "\"" + rest + "}";
  };
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"friends\"}]")), "accepted");
  EXPECT_EQ(code_of("not json").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("[1,2]").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{}").rfind("protocol: missing \"type\"", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":7}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"\\u001b[2J\"}"), "protocol: unexpected frame type \"\\x1b[2J\"");
  EXPECT_EQ(code_of("{\"type\":\"welcome\",\"version\":2,\"server\":\"" + key + "\"}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"hello\",\"version\":1,\"key\":\"" + key + "\",\"groups\":[]}").rfind("version", 0), 0u);
  EXPECT_EQ(code_of(hello("")).rfind("protocol: missing \"groups\"", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[]")).rfind("protocol", 0), 0u);
  std::string many = ",\"groups\":[";
  for (int i = 0; i < 65; ++i) many += std::string(i ? "," : "") + "{\"name\":\"g" + std::to_string(i) + "\"}";
  EXPECT_EQ(code_of(hello(many + "]")).rfind("too-many-groups", 0), 0u);
  std::string many64 = ",\"groups\":[";
  for (int i = 0; i < 64; ++i) many64 += std::string(i ? "," : "") + "{\"name\":\"g" + std::to_string(i) + "\"}";
  EXPECT_EQ(code_of(hello(many64 + "]")), "accepted");
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"a b\"}]")).rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"},{\"name\":\"x\"}]")).rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"epoch\":3}]")).rfind("protocol", 0), 0u);
  std::string h3 = "\"epoch\":3,\"head\":\"" + std::string(43, 'A') + "\"";
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"," + h3 + "}]")), "accepted");
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"epoch\":0,\"head\":\"" + std::string(43, 'A') + "\"}]"))
                .rfind("protocol: \"epoch\" is 0", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"lacking\":[[1,1]]}]")).rfind("protocol: \"lacking\" goes with", 0), 0u);
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"," + h3 + ",\"lacking\":[[1,2]]}]")), "accepted");
  for (std::string bad : {"[[2,1]]", "[[1,2],[3,3]]", "[[0,1]]", "[[2,4]]", "[[1]]", "[1,2]", "[[2,2],[1,1]]"})
    EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\"," + h3 + ",\"lacking\":" + bad + "}]")).rfind("protocol", 0), 0u) << bad;
  EXPECT_EQ(code_of(hello(",\"groups\":[{\"name\":\"x\",\"request\":\"\"}]")).rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"ask\",\"groups\":[{\"name\":\"x\"}]}"), "accepted");
  EXPECT_EQ(code_of("{\"type\":\"ask\",\"groups\":[]}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"hello\",\"version\":2,\"key\":\"grypt-pk:xyz\",\"groups\":[{\"name\":\"x\"}]}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"roster\",\"group\":\"x\",\"epoch\":1}").rfind("protocol: unexpected frame type", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"commit\",\"group\":\"x\",\"state\":\"AAAA\",\"ephemeral\":\"\",\"boxes\":\"\"}").rfind("protocol", 0), 0u);
  EXPECT_EQ(code_of("{\"type\":\"ping\",\"extra\":[1,2,3]}"), "accepted");  // unknown members are ignored
  EXPECT_THROW(proto::decode_from_server(bytes("{\"type\":\"state\",\"group\":\"x\",\"epoch\":1,\"state\":\"AAAA\"}")),
               ProtocolError);
  EXPECT_THROW(proto::decode_from_server(bytes("{\"type\":\"hello\"}")), ProtocolError);
}

// A run of 1000 states and the boxes of 33,000 members: the run and the
// history boxes in the first part, every part within one frame.
TEST(Protocol, ACommitWithARunComesInPartsThatEachFitAFrame) {
  proto::Commit c{"friends", std::vector<std::uint8_t>(state_bytes, 1), EphemeralPublic{2},
                  std::vector<EpochBox>(33000, EpochBox{4}), {}, false, {}};
  for (std::uint32_t e = 2; e < 2000; ++e) c.history.push_back({Epoch(e), EpochBox{5}});
  c.run.assign(proto::max_run, std::vector<std::uint8_t>(state_bytes, 6));
  auto parts = proto::split_commit(c);
  ASSERT_GE(parts.size(), 4u);
  std::size_t boxes = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto f = proto::encode(proto::FromMember{parts[i]});
    EXPECT_LE(f.size(), max_frame) << "part " << i;
    auto cb = std::get<proto::Commit>(proto::decode_from_member(f));
    EXPECT_EQ(cb.run.size(), i == 0 ? proto::max_run : 0u);
    EXPECT_EQ(cb.history.size(), i == 0 ? 1998u : 0u);
    EXPECT_EQ(cb.more, i + 1 < parts.size());
    boxes += cb.boxes.size();
  }
  EXPECT_EQ(boxes, 33000u);
  auto first = std::get<proto::Commit>(proto::decode_from_member(proto::encode(proto::FromMember{parts[0]})));
  EXPECT_EQ(first.run, c.run);
  // What a run may not be.
  const std::string s480 = base64_encode(std::vector<std::uint8_t>(state_bytes, 1), Base64::url_unpadded);
  const std::string e32 = base64_encode(std::vector<std::uint8_t>(32, 2), Base64::url_unpadded);
  auto commit = [&](const std::string& type, const std::string& run) {
    return code_of("{\"type\":\"" + type + "\"," + (type == "commit" ? "\"group\":\"friends\"," : "") +
                   "\"state\":\"" + s480 + "\",\"ephemeral\":\"" + e32 + "\",\"boxes\":\"\"" + run + "}");
  };
  EXPECT_EQ(commit("commit", ",\"run\":[\"" + s480 + "\"]"), "accepted");
  EXPECT_EQ(commit("commit", ",\"run\":[]"), "protocol: \"run\" is not an array of 1 to 1000 states");
  EXPECT_EQ(commit("commit", ",\"run\":\"" + s480 + "\""), "protocol: \"run\" is not an array of 1 to 1000 states");
  EXPECT_EQ(commit("commit", ",\"run\":[\"AAAA\"]"), "protocol: a state of \"run\" is not 480 bytes");
  EXPECT_EQ(commit("commit", ",\"run\":[7]").rfind("protocol", 0), 0u);
  EXPECT_EQ(commit("create", ",\"run\":[\"" + s480 + "\"]"), "protocol: a create with a run");
  std::string many = ",\"run\":[";
  for (std::size_t i = 0; i <= proto::max_run; ++i) many += (i ? ",\"" : "\"") + s480 + "\"";
  EXPECT_EQ(commit("commit", many + "]"), "protocol: \"run\" is not an array of 1 to 1000 states");
}

TEST(AdminProtocol, RequestsAndRepliesRoundTrip) {
  init_crypto();
  std::string key = Identity::generate().public_key().to_string();
  admin::Request q{admin::Request::Type::admit, key};
  admin::Request back = admin::decode_request(admin::encode(q));
  EXPECT_EQ(back.type, admin::Request::Type::admit);
  EXPECT_EQ(back.key, key);
  EXPECT_THROW(admin::decode_request(bytes("{\"type\":\"drop-tables\"}")), ProtocolError);
  EXPECT_THROW(admin::decode_request(bytes("{\"type\":\"admit\"}")), ProtocolError);
  EXPECT_THROW(admin::decode_request(bytes("{\"type\":\"admit\",\"key\":\"grypt-pk:x\"}")), ProtocolError);
  admin::Reply r;
  r.groups.push_back({"friends", "id", "grypt-ref:x", 3, 2, 1, 1});
  r.admins.push_back(key);
  admin::Reply rb = admin::decode_reply(admin::encode(r));
  ASSERT_EQ(rb.groups.size(), 1u);
  EXPECT_EQ(rb.groups[0].epoch, 3u);
  EXPECT_EQ(rb.admins, r.admins);
  EXPECT_EQ(admin::reply_json(r).substr(0, 12), "{\"ok\":true,\"");
}

TEST(AdminProtocol, ALongListComesInPartsThatEachFitAFrame) {
  admin::Reply r;
  for (int i = 0; i < 20000; ++i)
    r.groups.push_back({"group-" + std::to_string(i), std::string(11, 'i'), "grypt-ref:" + std::string(150, 'r'),
                        static_cast<std::uint32_t>(i), 1, 1, 0});
  auto parts = admin::encode_parts(r);
  ASSERT_GT(parts.size(), 4u);
  admin::Reply back;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(parts[i].size(), 512u * 1024);
    EXPECT_EQ(admin::decode_reply_part(parts[i], back), i + 1 < parts.size()) << i;
  }
  ASSERT_EQ(back.groups.size(), r.groups.size());
  EXPECT_EQ(back.groups[12345].name, "group-12345");
  EXPECT_THROW(admin::decode_reply(parts[0]), ProtocolError);
}

TEST(AdminProtocol, AReplyInPartsKeepsItsReference) {
  // fuzz/regressions/server_message/reference-in-parts: cut into parts, a
  // reply lost its reference.
  init_crypto();
  admin::Reply r;
  r.reference = "grypt-srv:" + std::string(300, 'r');
  for (int i = 0; i < 10; ++i) r.admins.push_back(Identity::generate().public_key().to_string());
  auto parts = admin::encode_parts(r, 256);
  ASSERT_GT(parts.size(), 1u);
  admin::Reply back;
  for (std::size_t i = 0; i < parts.size(); ++i) EXPECT_EQ(admin::decode_reply_part(parts[i], back), i + 1 < parts.size());
  EXPECT_EQ(admin::encode(back), admin::encode(r));
}

TEST(DaemonProtocol, AVaultRequestWithAnEmptyVaultKeyRoundTrips) {
  // fuzz/regressions/daemon_request/vault-key-empty: an empty vault.key was
  // left out of the request, which gryptd then refused as malformed.
  daemon::Vault v;
  auto back = std::get<daemon::Vault>(daemon::decode_request(daemon::encode(daemon::Request{v})));
  EXPECT_TRUE(back.vault_key_file.empty());
  EXPECT_FALSE(back.create);
}

TEST(DaemonProtocol, DeeplyNestedValuesAreRefusedWithoutRecursion) {
  // fuzz/regressions/daemon_request/*-deep: copying such a value recursed
  // once per level and overflowed the stack.
  for (std::string field : {"reseal", "name_keys"}) {
    std::string pre = "{\"type\":\"vault\",\"create\":true,\"" + field + "\":[";
    std::size_t n = (max_frame - pre.size() - 2) / 2;
    std::string body = pre + std::string(n, '[') + std::string(n, ']') + "]}";
    EXPECT_THROW(daemon::decode_request(bytes(body)), ProtocolError) << field;
  }
  // Any frame: 32 levels are parsed, 33 refused before parsing; brackets
  // inside strings do not count.
  std::string ok = "{\"type\":\"x\",\"a\":" + std::string(31, '[') + std::string(31, ']') + ",\"s\":\"[[[[\\\"[[\"}";
  EXPECT_THROW(proto::decode_from_member(bytes(ok)), ProtocolError);  // unknown type, but parsed
  try {
    proto::decode_from_member(bytes(ok));
  } catch (const ProtocolError& e) {
    EXPECT_EQ(std::string(e.what()).find("nested"), std::string::npos) << e.what();
  }
  std::string deep = "{\"type\":\"x\",\"a\":" + std::string(32, '[') + std::string(32, ']') + "}";
  try {
    proto::decode_from_member(bytes(deep));
    ADD_FAILURE();
  } catch (const ProtocolError& e) {
    EXPECT_STREQ(e.what(), "a frame nested too deeply");
  }
}

TEST(DaemonProtocol, ASealWithADigestAsksForItsSignatureInTheSameAnswer) {
  init_crypto();  // SecretBytes: alone (--gtest_filter), no other test has initialised libsodium
  daemon::Seal q{"friends", true, std::array<std::uint8_t, 64>{}};
  (*q.digest)[0] = 7;
  auto back = std::get<daemon::Seal>(daemon::decode_request(daemon::encode(daemon::Request{q})));
  ASSERT_TRUE(back.digest);
  EXPECT_EQ(*back.digest, *q.digest);
  EXPECT_FALSE(std::get<daemon::Seal>(daemon::decode_request(
                   bytes("{\"type\":\"seal\",\"group\":\"friends\"}")))
                   .digest);
  // A digest is signed: with an anonymous seal it is a mistake, not ignored.
  EXPECT_THROW(daemon::decode_request(bytes("{\"type\":\"seal\",\"group\":\"friends\",\"signed\":false,"
                                            "\"digest\":\"" + std::string(86, 'A') + "\"}")),
               ProtocolError);

  daemon::SealReply r;
  r.key = SecretBytes(32);
  r.state_hash[0] = 5;
  r.signature = daemon::SignReply{};
  r.signature->signature[63] = 9;
  auto body = daemon::encode(daemon::Reply{std::move(r)});
  auto got = std::get<daemon::SealReply>(daemon::decode_reply(body, daemon::Request{q}));
  ASSERT_TRUE(got.signature);
  EXPECT_EQ(got.signature->signature[63], 9);
  EXPECT_EQ(got.state_hash[0], 5);
  // Asked with a digest, an answer without the signature is malformed.
  daemon::SealReply bare;
  bare.key = SecretBytes(32);
  EXPECT_THROW(daemon::decode_reply(daemon::encode(daemon::Reply{std::move(bare)}), daemon::Request{q}),
               ProtocolError);
}

TEST(DaemonProtocol, ALongAnswerComesInPartsThatJoinBack) {
  init_crypto();
  const PublicKey k = Identity::generate().public_key();
  daemon::RosterReply r;
  for (int i = 0; i < 5000; ++i) r.members.push_back({"member-" + std::to_string(i), k, "member", 7});
  const daemon::Request q{daemon::Listing{daemon::Listing::What::roster, "friends"}};
  const auto whole = daemon::encode(daemon::Reply{r});
  ASSERT_GT(whole.size(), 4u * 65536);
  auto parts = daemon::encode_parts(daemon::Reply{r}, 65536);
  ASSERT_GT(parts.size(), 4u);
  std::optional<daemon::Reply> joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(parts[i].size(), 65536u);
    EXPECT_EQ(daemon::decode_reply_part(parts[i], q, joined), i + 1 < parts.size()) << i;
  }
  ASSERT_TRUE(joined);
  EXPECT_EQ(daemon::encode(*joined), whole);
  // Short, or with no list: one body, the answer itself.
  EXPECT_EQ(daemon::encode_parts(daemon::Reply{daemon::RosterReply{}}).size(), 1u);
  EXPECT_EQ(daemon::encode_parts(daemon::Reply{daemon::Failure{daemon::Code::usage, std::string(5000, 'x')}}, 256).size(), 1u);
}

TEST(DaemonProtocol, PartsThatDoNotJoinAreRefused) {
  init_crypto();
  const daemon::Request roster{daemon::Listing{daemon::Listing::What::roster, "friends"}};
  const daemon::Request pending{daemon::Listing{daemon::Listing::What::pending, "friends"}};
  auto part = [](std::string body, const daemon::Request& q, std::optional<daemon::Reply>& into) {
    return daemon::decode_reply_part(bytes(body), q, into);
  };
  std::optional<daemon::Reply> into;
  // "more" where there is nothing to continue.
  EXPECT_THROW(part("{\"ok\":false,\"code\":\"usage\",\"message\":\"m\",\"more\":true}", roster, into), ProtocolError);
  into.reset();
  EXPECT_THROW(part("{\"ok\":true,\"reference\":\"grypt-ref:x\",\"more\":true}",
                    daemon::Request{daemon::Listing{daemon::Listing::What::invite, "friends"}}, into),
               ProtocolError);
  // A failure after a part of a listing.
  into.reset();
  const std::string one = "{\"name\":\"alice\",\"key\":\"" + Identity::generate().public_key().to_string() +
                          "\",\"role\":\"member\",\"since\":2}";
  EXPECT_TRUE(part("{\"ok\":true,\"members\":[" + one + "],\"more\":true}", roster, into));
  EXPECT_THROW(part("{\"ok\":false,\"code\":\"usage\",\"message\":\"m\"}", roster, into), ProtocolError);
  // A part with nothing in it, which would let parts go on for ever.
  into.reset();
  EXPECT_THROW(part("{\"ok\":true,\"members\":[],\"more\":true}", roster, into), ProtocolError);
  // Joined, more requests than one answer may hold.
  daemon::PendingReply many;
  const PublicKey k = Identity::generate().public_key();
  for (int i = 0; i < 600; ++i) many.requests.push_back({i + 1, false, std::nullopt, k, "hi", 1, 1, 1, 1});
  auto body = daemon::encode(daemon::Reply{many});
  std::string text(body.begin(), body.end());
  text.insert(text.size() - 1, ",\"more\":true");
  into.reset();
  EXPECT_TRUE(part(text, pending, into));
  EXPECT_THROW(part(std::string(body.begin(), body.end()), pending, into), ProtocolError);
}

TEST(DaemonProtocol, AGroupsStateIsOneOfItsNames) {
  for (Standing st : {Standing::connecting, Standing::connected, Standing::offline, Standing::not_member,
                      Standing::wrong_server, Standing::rolled_back, Standing::forked, Standing::expired}) {
    ASSERT_EQ(standing_of(standing_name(st)), st);
    daemon::StatusReply r{"grypt-pk:x", 1, false, {}};
    daemon::GroupStatus g;
    g.name = "friends";
    g.state = st;
    r.groups.push_back(g);
    auto back = std::get<daemon::StatusReply>(daemon::decode_reply(daemon::encode(daemon::Reply{r}), daemon::Status{}));
    EXPECT_EQ(back.groups.at(0).state, st);
  }
  EXPECT_FALSE(standing_of("Connected"));
  EXPECT_FALSE(standing_of("not_member"));
  auto body = [](const std::string& state) {
    return bytes("{\"ok\":true,\"identity\":\"k\",\"pid\":1,\"groups\":[{\"name\":\"friends\",\"reference\":\"r\","
                 "\"state\":\"" + state + "\",\"epoch\":1,\"confirmed\":0,\"members\":1,\"why\":\"\",\"head\":\"" +
                 std::string(43, 'A') + "\",\"expires\":0,\"role\":\"\"}]}");
  };
  EXPECT_NO_THROW(daemon::decode_reply(body("expired"), daemon::Status{}));
  EXPECT_THROW(daemon::decode_reply(body("sleeping"), daemon::Status{}), ProtocolError);
}

}  // namespace
}  // namespace grypt
