// Every vector in test/vectors must open, or fail for its named reason.
#include <gtest/gtest.h>

#include "core/secret.h"
#include "vector.h"

namespace grypt::vectors {
namespace {

std::string vectors_dir() {
  const char* d = std::getenv("GRYPT_VECTORS");
  return d ? d : "test/vectors";
}

class VectorTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VectorTest, ComesOutAsExpected) {
  init_crypto();
  Vector v = load_vector(GetParam());
  std::string why = verdict(v, check_vector(v));
  EXPECT_EQ(why, "") << v.name;
}

std::vector<std::string> all() {
  auto files = vector_files(vectors_dir());
  if (files.empty()) throw std::runtime_error("no vectors in " + vectors_dir());
  return files;
}

INSTANTIATE_TEST_SUITE_P(All, VectorTest, ::testing::ValuesIn(all()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(info.param.rfind('/') + 1);
                           n = n.substr(0, n.size() - 4);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace grypt::vectors
