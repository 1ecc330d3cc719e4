#include "core/phc.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "core/secret.h"

namespace grypt {
namespace {

constexpr const char* sample =
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
    "gduXp+Z6iReEolmbyHn5V8s1EtJzmEvZfYoY/Fn/AeI";

TEST(Phc, ParsesAndFormatsTheReferenceForm) {
  PhcHash h = parse_phc(sample);
  EXPECT_EQ(h.params, (Argon2Params{3, 65536, 4}));
  EXPECT_FALSE(h.keyid);
  EXPECT_EQ(std::string(h.salt.begin(), h.salt.end()), "somesaltsomesalt");
  EXPECT_EQ(h.hash.size(), 32u);
  EXPECT_EQ(format_phc(h), sample);
}

TEST(Phc, CarriesTheKeyid) {
  std::string s =
      "$argon2id$v=19$m=64,t=1,p=1,keyid=AAECAwQF$c29tZXNhbHRzb21lc2FsdA$"
      "gduXp+Z6iReEolmbyHn5V8s1EtJzmEvZfYoY/Fn/AeI";
  PhcHash h = parse_phc(s);
  ASSERT_TRUE(h.keyid);
  EXPECT_EQ(*h.keyid, "AAECAwQF");
  EXPECT_EQ(format_phc(h), s);
}

TEST(Phc, ComputedHashMatchesTheArgon2Reference) {
  PhcHash h = parse_phc(sample);
  std::uint8_t out[32];
  argon2id(out, {as_bytes("password"), h.salt, {}, {}}, h.params);
  EXPECT_TRUE(ct_equal(out, h.hash));
}

// Unpeppered output is a standard PHC string: libsodium verifies it.
TEST(Phc, LibsodiumVerifiesOurOutput) {
  init_crypto();
  PhcHash h;
  h.params = {2, 1024, 4};
  h.salt.assign(16, 0x5a);
  h.hash.resize(32);
  argon2id(h.hash, {as_bytes("hunter2"), h.salt, {}, {}}, h.params);
  std::string s = format_phc(h);
  EXPECT_EQ(crypto_pwhash_str_verify(s.c_str(), "hunter2", 7), 0);
  EXPECT_NE(crypto_pwhash_str_verify(s.c_str(), "hunter3", 7), 0);
}

TEST(Phc, ReadsLibsodiumOutput) {
  init_crypto();
  char out[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_str_alg(out, "pw", 2, 3, 1 << 20, crypto_pwhash_ALG_ARGON2ID13), 0);
  PhcHash h = parse_phc(out);
  std::vector<std::uint8_t> mine(h.hash.size());
  argon2id(mine, {as_bytes("pw"), h.salt, {}, {}}, h.params);
  EXPECT_TRUE(ct_equal(mine, h.hash));
}

struct Bad {
  const char* text;
  const char* message;
};

class PhcRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(PhcRejects, WithAClearMessage) {
  try {
    parse_phc(GetParam().text);
    FAIL() << "accepted " << GetParam().text;
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, PhcRejects,
    ::testing::Values(
        Bad{"", "does not start with '$'"},
        Bad{"argon2id$v=19", "does not start with '$'"},
        Bad{"$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "unsupported algorithm 'argon2i'"},
        Bad{"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD",
            "unsupported algorithm 'scrypt'"},
        Bad{"$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "unsupported argon2 version 16"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ", "too few fields"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1", "too few fields"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g$x", "too many fields"},
        Bad{"$argon2id$v=19$t=1,m=64,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "expected m="},
        Bad{"$argon2id$v=19$m=064,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "bad value for m"},
        Bad{"$argon2id$v=19$m=,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "bad value for m"},
        Bad{"$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "bad value for m"},
        Bad{"$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "passes"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1,data=abc$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "expected keyid="},
        Bad{"$argon2id$v=19$m=64,t=1,p=1,keyid=!$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "keyid is not base64"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ=$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "salt is not canonical"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "salt is 4 bytes"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaA", "hash is 4 bytes"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2h",
            "hash is not canonical"},
        // One step over each limit (the step under is in AcceptsTheEdges).
        Bad{"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "salt is 7 bytes"},
        Bad{"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhcw",
            "hash is 31 bytes"},
        Bad{"$argon2id$v=18$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "unsupported argon2 version 18"},
        Bad{"$argon2id$v=20$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "unsupported argon2 version 20"},
        Bad{"$argon2id$v=19$m=64,t=17,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "t=17 is above the limit of 16 passes"},
        Bad{"$argon2id$v=19$m=4294967295,t=4294967295,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "t=4294967295 is above the limit"},
        Bad{"$argon2id$v=19$m=1024,t=1,p=65$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "p=65 is above the limit of 64 lanes"},
        Bad{"$argon2id$v=19$m=4194305,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "m=4194305 KiB is above the limit of 4 GiB"},
        Bad{"$argon2id$v=19$m=2796203,t=3,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "above the work limit"},
        Bad{"$argon2id$v=19$m=31,t=1,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "at least 8 KiB per lane"}));

TEST(Phc, AcceptsTheEdges) {
  const char* hash = "$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
  for (std::string params : {"m=64,t=16,p=1", "m=512,t=1,p=64", "m=4194304,t=2,p=1",
                             "m=524288,t=16,p=1", "m=2796202,t=3,p=1", "m=32,t=1,p=4"}) {
    PhcHash h = parse_phc("$argon2id$v=19$" + params + "$c29tZXNhbHQ" + hash);
    EXPECT_EQ(argon2_params_defect(h.params), "") << params;
  }
  // Salts of 8 and 64 bytes, hashes of 32 and 64 bytes.
  EXPECT_EQ(parse_phc("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ" + std::string(hash)).salt.size(), 8u);
  PhcHash h = parse_phc("$argon2id$v=19$m=64,t=1,p=1$" + std::string(86, 'A') + "$" +
                        std::string(86, 'A'));
  EXPECT_EQ(h.salt.size(), 64u);
  EXPECT_EQ(h.hash.size(), 64u);
  EXPECT_THROW(parse_phc("$argon2id$v=19$m=64,t=1,p=1$" + std::string(88, 'A') + hash),
               FormatError);  // a 66-byte salt
}

}  // namespace
}  // namespace grypt
