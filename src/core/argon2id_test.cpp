#include "core/argon2id.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/secret.h"

namespace grypt {
namespace {

// RFC 9106 §5.3: Argon2id with secret and associated data.
TEST(Argon2id, Rfc9106TestVector) {
  std::vector<std::uint8_t> password(32, 0x01), salt(16, 0x02), secret(8, 0x03), ad(12, 0x04);
  const std::uint8_t expected[32] = {
      0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53, 0xc9,
      0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59};
  std::uint8_t out[32];
  argon2id(out, {password, salt, secret, ad}, {3, 32, 4});
  EXPECT_TRUE(ct_equal(out, expected));
}

TEST(Argon2id, ThreadCountAndMemoryReuseDoNotChangeTheResult) {
  std::vector<std::uint8_t> password(10, 'p'), salt(16, 's');
  Argon2Params p{2, 4096, 4};
  std::uint8_t one[32], four[32], reused1[32], reused2[32];
  argon2id(one, {password, salt, {}, {}}, p, 1);
  argon2id(four, {password, salt, {}, {}}, p, 4);
  {
    Argon2MemoryReuse reuse;
    argon2id(reused1, {password, salt, {}, {}}, p, 1);
    argon2id(reused2, {password, salt, {}, {}}, p, 1);
  }
  EXPECT_TRUE(ct_equal(one, four));
  EXPECT_TRUE(ct_equal(one, reused1));
  EXPECT_TRUE(ct_equal(one, reused2));
}

TEST(Argon2id, SecretChangesTheResult) {
  std::vector<std::uint8_t> password(10, 'p'), salt(16, 's'), k1(32, 1), k2(32, 2);
  std::uint8_t a[32], b[32];
  argon2id(a, {password, salt, k1, {}}, {1, 64, 1});
  argon2id(b, {password, salt, k2, {}}, {1, 64, 1});
  EXPECT_FALSE(ct_equal(a, b));
}

// The flags the kernel shows for the mapping that holds `p`
// (/proc/self/smaps, VmFlags): "hg" is MADV_HUGEPAGE, "dd" MADV_DONTDUMP.
std::string vm_flags_of(const void* p, std::uintptr_t* start = nullptr) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  auto at = reinterpret_cast<std::uintptr_t>(p);
  while (std::getline(smaps, line)) {
    // A mapping's first line is "lo-hi perms ..."; its fields follow.
    unsigned long lo, hi;
    if (std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2) {
      inside = lo <= at && at < hi;
      if (inside && start) *start = lo;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line.substr(8);
  }
  return "";
}

struct SeenMapping {
  std::string flags;
  std::uintptr_t start = 0;
  const std::uint8_t* blocks = nullptr;
  std::size_t bytes = 0;
};
SeenMapping g_seen;

TEST(Argon2id, BlockMemoryIsHugePageAlignedAdvisedAndKeptOutOfCoreDumps) {
  // 8 MiB goes through the huge-page path: a 2 MiB-aligned mapping advised
  // MADV_HUGEPAGE, and MADV_DONTDUMP like every block mapping. The hook
  // looks at the mapping while the hash runs.
  set_argon2_blocks_hook([](const std::uint8_t* blocks, std::size_t bytes) {
    g_seen.blocks = blocks;
    g_seen.bytes = bytes;
    g_seen.flags = vm_flags_of(blocks, &g_seen.start);
  });
  std::vector<std::uint8_t> password(4, 'x'), salt(16, 's');
  std::uint8_t a[32], b[32];
  argon2id(a, {password, salt, {}, {}}, {1, 8192, 2}, 1);
  set_argon2_blocks_hook(nullptr);
  ASSERT_NE(g_seen.blocks, nullptr);
  EXPECT_EQ(g_seen.bytes, 8192u * 1024);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(g_seen.blocks) % (2u << 20), 0u);
  EXPECT_NE(g_seen.flags.find(" hg"), std::string::npos) << g_seen.flags;
  EXPECT_NE(g_seen.flags.find(" dd"), std::string::npos) << g_seen.flags;
  // The same hash on two threads: the mapping changes nothing but speed.
  argon2id(b, {password, salt, {}, {}}, {1, 8192, 2}, 2);
  EXPECT_TRUE(ct_equal(a, b));

  // Below 2 MiB: no huge-page advice, still out of core dumps.
  g_seen = {};
  set_argon2_blocks_hook([](const std::uint8_t* blocks, std::size_t bytes) {
    g_seen.blocks = blocks;
    g_seen.bytes = bytes;
    g_seen.flags = vm_flags_of(blocks);
  });
  argon2id(a, {password, salt, {}, {}}, {1, 64, 1}, 1);
  set_argon2_blocks_hook(nullptr);
  EXPECT_EQ(g_seen.flags.find(" hg"), std::string::npos) << g_seen.flags;
  EXPECT_NE(g_seen.flags.find(" dd"), std::string::npos) << g_seen.flags;
}

TEST(Argon2id, LimitsAtTheirEdges) {
  EXPECT_EQ(argon2_params_defect({16, 64, 1}), "");
  EXPECT_EQ(argon2_params_defect({17, 64, 1}), "t=17 is above the limit of 16 passes");
  EXPECT_EQ(argon2_params_defect({1, 512, 64}), "");
  EXPECT_EQ(argon2_params_defect({1, 1024, 65}), "p=65 is above the limit of 64 lanes");
  EXPECT_EQ(argon2_params_defect({1, 4194304, 1}), "");
  EXPECT_EQ(argon2_params_defect({1, 4194305, 1}),
            "m=4194305 KiB is above the limit of 4 GiB (4194304 KiB)");
  EXPECT_EQ(argon2_params_defect({2, 4194304, 1}), "");  // t x m = 8 GiB exactly
  EXPECT_EQ(argon2_params_defect({16, 524288, 1}), "");
  EXPECT_NE(argon2_params_defect({16, 524289, 1}).find("work limit"), std::string::npos);
  EXPECT_NE(argon2_params_defect({3, 2796203, 1}).find("work limit"), std::string::npos);
  EXPECT_EQ(argon2_params_defect({1, 32, 4}), "");
  EXPECT_NE(argon2_params_defect({1, 31, 4}).find("8 KiB per lane"), std::string::npos);
  EXPECT_NE(argon2_params_defect({0, 64, 1}).find("at least 1"), std::string::npos);
  EXPECT_NE(argon2_params_defect({1, 64, 0}).find("at least 1"), std::string::npos);
  std::uint8_t out[32];
  std::vector<std::uint8_t> salt(16, 's');
  EXPECT_THROW(argon2id(out, {{}, salt, {}, {}}, {17, 64, 1}), UsageError);
}

// The floor t=2, m=64: 64 KiB of memory and 128 KiB of work (t x m).
TEST(Argon2id, FloorAtItsEdges) {
  Argon2Floor floor{2, 64};
  EXPECT_EQ(argon2_floor_shortfall({2, 64, 1}, floor), "");
  EXPECT_EQ(argon2_floor_shortfall({2, 64, 8}, floor), "");   // lanes do not count
  EXPECT_EQ(argon2_floor_shortfall({1, 128, 1}, floor), "");  // memory for passes
  EXPECT_EQ(argon2_floor_shortfall({16, 4194304, 1}, floor), "");
  EXPECT_EQ(argon2_floor_shortfall({2, 63, 1}, floor),
            "m=63 KiB is below the memory floor of 64 KiB");
  EXPECT_EQ(argon2_floor_shortfall({16, 63, 1}, floor),  // passes not for memory
            "m=63 KiB is below the memory floor of 64 KiB");
  EXPECT_EQ(argon2_floor_shortfall({1, 127, 1}, floor),
            "t=1 with m=127 KiB is below the work floor of t x m = 128 KiB");
  // A floor at the work limit: t=2 with 4 GiB.
  Argon2Floor top{2, 4194304};
  EXPECT_EQ(argon2_floor_shortfall({2, 4194304, 1}, top), "");
  EXPECT_EQ(argon2_floor_shortfall({1, 4194304, 1}, top),
            "t=1 with m=4194304 KiB is below the work floor of t x m = 8388608 KiB");
}

TEST(Argon2id, RejectsParametersOutsideRfc9106) {
  std::uint8_t out[32];
  std::vector<std::uint8_t> salt(16, 's');
  EXPECT_THROW(argon2id(out, {{}, salt, {}, {}}, {0, 64, 1}), UsageError);
  EXPECT_THROW(argon2id(out, {{}, salt, {}, {}}, {1, 64, 0}), UsageError);
  EXPECT_THROW(argon2id(out, {{}, salt, {}, {}}, {1, 16, 4}), UsageError);  // < 8 KiB per lane
}

TEST(Argon2id, RefusesMoreMemoryThanAvailable) {
  EXPECT_THROW(check_memory_available(memory_available_kib() + 1024), MemoryError);
  EXPECT_NO_THROW(check_memory_available(1024));
}

}  // namespace
}  // namespace grypt
