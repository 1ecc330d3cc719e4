#include "core/vault.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "core/file.h"

namespace grypt {
namespace {

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_crypto();
    char tmpl[] = "/tmp/grypt-vault-XXXXXX";
    dir_ = mkdtemp(tmpl);
    vault_dir_ = dir_ + "/vault";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  void put(Vault& v, const std::string& name, std::string_view value, unsigned keep = 10) {
    MemoryInput in(as_bytes(value));
    v.put(name, in, keep);
  }
  std::string get(Vault& v, const std::string& name, std::uint64_t version = 0) {
    MemoryOutput out;
    v.get(name, version, out);
    return {out.data.begin(), out.data.end()};
  }
  std::string dir_, vault_dir_;
  Identity alice_ = Identity::generate();
};

TEST_F(VaultTest, FirstUseCreatesAPrivateVault) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  struct stat st;
  ASSERT_EQ(stat(vault_dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  LocalVaultKeys again = open_local_vault(vault_dir_, alice_, false);
  EXPECT_TRUE(ct_equal(k.vault_key().span(), again.vault_key().span()));
  Identity bob = Identity::generate();
  try {
    open_local_vault(vault_dir_, bob, false);
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::wrong_key);
  }
}

TEST_F(VaultTest, VersionsHistoryAndPruning) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  Vault v(vault_dir_, k);
  for (int i = 1; i <= 5; ++i) put(v, "a/b", "value " + std::to_string(i), 3);
  EXPECT_EQ(get(v, "a/b"), "value 5");
  auto h = v.history("a/b");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].version, 5u);
  EXPECT_EQ(h[2].version, 3u);
  EXPECT_EQ(h[0].size, 7u);
  EXPECT_EQ(get(v, "a/b", 3), "value 3");
  EXPECT_THROW(get(v, "a/b", 2), UsageError);  // pruned
  EXPECT_THROW(get(v, "nope"), UsageError);
}

TEST_F(VaultTest, TombstonesHideButKeepHistory) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  Vault v(vault_dir_, k);
  put(v, "x", "1");
  put(v, "y", "2");
  MemoryInput empty({});
  v.put("x", empty, 10, true);
  std::vector<std::string> bad;
  EXPECT_EQ(v.list("", bad), std::vector<std::string>{"y"});
  EXPECT_THROW(get(v, "x"), UsageError);
  EXPECT_EQ(get(v, "x", 1), "1");
  auto h = v.history("x");
  EXPECT_TRUE(h[0].deleted);
  put(v, "x", "back");
  EXPECT_EQ(v.list("", bad), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(bad.empty());
}

TEST_F(VaultTest, ListFiltersByPrefixAndNamesNeverReachTheDisk) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  Vault v(vault_dir_, k);
  put(v, "db/prod/password", "p");
  put(v, "db/test/password", "t");
  put(v, "mail", "m");
  std::vector<std::string> bad;
  EXPECT_EQ(v.list("db/", bad), (std::vector<std::string>{"db/prod/password", "db/test/password"}));
  EXPECT_EQ(std::system(("grep -rq 'db/prod' " + vault_dir_).c_str()) == 0, false);
}

TEST_F(VaultTest, AMovedEntryIsRefused) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  Vault v(vault_dir_, k);
  put(v, "a", "secret a");
  put(v, "b", "secret b");
  std::string da = vault_dir_ + "/entries/" + k.locator("a");
  std::string db = vault_dir_ + "/entries/" + k.locator("b");
  ASSERT_EQ(std::system(("cp " + da + "/* " + db + "/").c_str()), 0);
  try {
    get(v, "b");
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::wrong_name);
  }
  std::vector<std::string> bad;
  v.list("", bad);
  EXPECT_EQ(bad.size(), 1u);
}

TEST_F(VaultTest, ResealingAddsRecipientsWithoutReencrypting) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  Vault v(vault_dir_, k);
  put(v, "shared", "for both");
  Identity bob = Identity::generate();
  reseal_vault(vault_dir_, k, {alice_.public_key(), bob.public_key()});
  LocalVaultKeys kb = open_local_vault(vault_dir_, bob, false);
  Vault vb(vault_dir_, kb);
  EXPECT_EQ(get(vb, "shared"), "for both");
}

TEST_F(VaultTest, RefusesAVaultOthersCanWrite) {
  open_local_vault(vault_dir_, alice_, true);
  chmod(vault_dir_.c_str(), 0777);
  EXPECT_THROW(open_local_vault(vault_dir_, alice_, false), UsageError);
}

TEST(EntryNames, Rules) {
  for (const char* ok : {"a", "a/b", "db/prod/password", "x.y", "..a", "a b"})
    EXPECT_NO_THROW(check_entry_name(ok)) << ok;
  for (const char* bad : {"", "/a", "a/", "a//b", "./a", "a/../b", "..", "a\nb", "a\tb"})
    EXPECT_THROW(check_entry_name(bad), UsageError) << bad;
  EXPECT_THROW(check_entry_name(std::string(256, 'a')), UsageError);
}

}  // namespace
}  // namespace grypt
