#include "core/encoding.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace grypt {
namespace {

std::string decode_str(std::string_view text, Base64 v) {
  auto bytes = base64_decode(text, v);
  return {bytes.begin(), bytes.end()};
}

// RFC 4648 §10.
TEST(Base64, Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* padded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  const char* bare[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(base64_encode(as_bytes(plain[i]), Base64::standard), padded[i]);
    EXPECT_EQ(base64_encode(as_bytes(plain[i]), Base64::standard_unpadded), bare[i]);
    EXPECT_EQ(decode_str(padded[i], Base64::standard), plain[i]);
    EXPECT_EQ(decode_str(bare[i], Base64::url_unpadded), plain[i]);
    EXPECT_EQ(base64_encoded_size(std::string_view(plain[i]).size(), Base64::standard),
              std::string_view(padded[i]).size());
  }
}

TEST(Base64, UrlAlphabet) {
  const std::uint8_t bytes[] = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64_encode(bytes, Base64::standard), "+/+/");
  EXPECT_EQ(base64_encode(bytes, Base64::url_unpadded), "-_-_");
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(base64_try_decode("+/+/", Base64::url_unpadded, out));
  EXPECT_FALSE(base64_try_decode("-_-_", Base64::standard, out));
}

TEST(Base64, RejectsNonCanonicalInput) {
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(base64_try_decode("Zh==", Base64::standard, out));  // stray low bits
  EXPECT_FALSE(base64_try_decode("Zh", Base64::url_unpadded, out));
  EXPECT_FALSE(base64_try_decode("Zg", Base64::standard, out));      // padding missing
  EXPECT_FALSE(base64_try_decode("Zg==", Base64::standard_unpadded, out));  // padding present
  EXPECT_FALSE(base64_try_decode("Zg=", Base64::standard, out));
  EXPECT_FALSE(base64_try_decode("Z", Base64::url_unpadded, out));   // impossible length
  EXPECT_FALSE(base64_try_decode("Zm9v ", Base64::standard, out));   // whitespace
  EXPECT_FALSE(base64_try_decode("Zm\n9v", Base64::standard, out));
  EXPECT_FALSE(base64_try_decode("Zm9v*", Base64::standard, out));
  EXPECT_THROW(base64_decode("Zh==", Base64::standard, "key"), FormatError);
}

// libsodium 1.0.18 alone takes bytes 0x80-0xff for '/' or '_'.
TEST(Base64, RejectsEveryByteOutsideTheAlphabet) {
  std::vector<std::uint8_t> out;
  for (Base64 v : {Base64::standard, Base64::standard_unpadded, Base64::url, Base64::url_unpadded}) {
    std::string good = base64_encode(as_bytes("abcdef"), v);  // "YWJjZGVm": no padding
    ASSERT_TRUE(base64_try_decode(good, v, out));
    for (int b = 0; b < 256; ++b) {
      std::string text = good;
      text[2] = static_cast<char>(b);
      bool url = v == Base64::url || v == Base64::url_unpadded;
      bool member = std::isalnum(b) || b == (url ? '-' : '+') || b == (url ? '_' : '/');
      EXPECT_EQ(base64_try_decode(text, v, out), member) << "byte " << b;
    }
  }
}

TEST(Base64, SecretVariantsMatch) {
  init_crypto();
  SecretBytes s = base64_decode_secret("Zm9vYmE", Base64::standard_unpadded);
  EXPECT_EQ(s.view(), "fooba");
  EXPECT_EQ(base64_encode_secret(s.span(), Base64::standard_unpadded).view(), "Zm9vYmE");
  EXPECT_THROW(base64_decode_secret("Zm9vYmF", Base64::standard_unpadded), FormatError);
}

}  // namespace
}  // namespace grypt
