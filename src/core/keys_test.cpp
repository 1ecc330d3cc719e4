#include "core/keys.h"

#include <array>

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "core/error.h"
#include "core/identity_file.h"

namespace grypt {
namespace {

TEST(Keys, KeyStringRoundTripsAndIsChecked) {
  init_crypto();
  Identity id = Identity::generate();
  std::string s = id.public_key().to_string();
  EXPECT_EQ(s.substr(0, 9), "grypt-pk:");
  EXPECT_EQ(s.size(), 100u);
  EXPECT_EQ(PublicKey::parse(s), id.public_key());
  std::string bad = s;
  bad[50] = bad[50] == 'x' ? 'y' : 'x';
  EXPECT_THROW(PublicKey::parse(bad), FormatError);
  EXPECT_THROW(PublicKey::parse("grypt-pk:"), FormatError);
  EXPECT_THROW(PublicKey::parse(s + "A"), FormatError);
}

TEST(Keys, KeyIdIsTheFingerprintPrefix) {
  Identity id = Identity::generate();
  auto fp = id.public_key().fingerprint();
  auto kid = id.public_key().key_id();
  EXPECT_TRUE(std::equal(kid.begin(), kid.end(), fp.begin()));
  EXPECT_NE(Identity::generate().public_key().key_id(), kid);
}

// The examples of man/grypt.5 (Fingerprint and key id), computed apart
// from this code (Python's hashlib).
TEST(Keys, FingerprintTextIsTheFirst160BitsInCrockfordBase32) {
  std::array<std::uint8_t, 64> bytes;
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(short_code(std::span(bytes).first(32)), "000G-40R4-0M30-E209-185G-R38E-1W81-24GK");
  EXPECT_EQ(PublicKey::from_trusted_bytes(bytes).fingerprint_text(), "JQ81-Q94J-NV7V-JE17-2P6S-WS4T-T1T5-CAEZ");
  std::array<std::uint8_t, 20> ones;
  ones.fill(0xff);
  EXPECT_EQ(short_code(ones), "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ");
}

TEST(Keys, SignAndVerify) {
  Identity a = Identity::generate(), b = Identity::generate();
  auto sig = a.sign(as_bytes("hello"));
  EXPECT_TRUE(a.public_key().verify(as_bytes("hello"), sig));
  EXPECT_FALSE(a.public_key().verify(as_bytes("hellO"), sig));
  EXPECT_FALSE(b.public_key().verify(as_bytes("hello"), sig));
}

TEST(Keys, SealedBoxesOpenOnlyForTheirRecipient) {
  Identity a = Identity::generate(), b = Identity::generate();
  auto box = a.public_key().seal(as_bytes("vault key bytes"));
  SecretBytes out;
  EXPECT_TRUE(a.open_sealed(box, out));
  EXPECT_EQ(out.view(), "vault key bytes");
  EXPECT_FALSE(b.open_sealed(box, out));
  box[5] ^= 1;
  EXPECT_FALSE(a.open_sealed(box, out));
}

TEST(Keys, FromSecretReproducesTheIdentity) {
  Identity a = Identity::generate();
  Identity again = Identity::from_secret(a.secret().span());
  EXPECT_EQ(again.public_key(), a.public_key());
}

TEST(IdentityFile, EncryptedAndPlainRoundTrip) {
  Identity a = Identity::generate();
  SecretBytes pass = SecretBytes::copy_of(as_bytes("pw"));
  auto f = encode_identity(a, &pass, {1, 64, 1});
  EXPECT_EQ(f.size(), 193u);
  IdentityInfo info = inspect_identity(f, "f");
  EXPECT_TRUE(info.encrypted);
  EXPECT_EQ(info.public_key, a.public_key());
  EXPECT_EQ(info.params, (Argon2Params{1, 64, 1}));
  bool asked = false;
  Identity back = decode_identity(f, "f", [&] {
    asked = true;
    return SecretBytes::copy_of(as_bytes("pw"));
  });
  EXPECT_TRUE(asked);
  EXPECT_EQ(back.public_key(), a.public_key());
  try {
    decode_identity(f, "f", [] { return SecretBytes::copy_of(as_bytes("wrong")); });
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::wrong_key);
    EXPECT_EQ(e.exit_status(), 1);
  }
  auto plain = encode_identity(a, nullptr);
  EXPECT_EQ(plain.size(), 177u);
  Identity p = decode_identity(plain, "f", []() -> SecretBytes { throw std::logic_error("asked"); });
  EXPECT_EQ(p.public_key(), a.public_key());
}

TEST(IdentityFile, DamageIsAFormatErrorNamingTheFile) {
  Identity a = Identity::generate();
  auto f = encode_identity(a, nullptr);
  for (std::size_t n : {0ul, 7ul, 8ul, 100ul, 176ul}) {
    try {
      inspect_identity(std::span(f).first(n), "/x/id");
      FAIL() << n;
    } catch (const FormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("/x/id ", 0), 0u) << e.what();
      EXPECT_EQ(e.exit_status(), 2);
    }
  }
}

}  // namespace
}  // namespace grypt
