#include "core/vault.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/file.h"
#include "core/test_dir.h"

namespace grypt {
namespace {

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    init_crypto();
    vault_dir_ = dir_ + "/vault";
  }
  void put(Vault& v, const std::string& name, std::string_view value, unsigned keep = 10) {
    MemoryInput in(as_bytes(value));
    v.put(name, in, keep);
  }
  std::string get(Vault& v, const std::string& name, std::uint64_t version = 0) {
    MemoryOutput out;
    v.get(name, version, out);
    return {out.data.begin(), out.data.end()};
  }
  TestDir tmp_;
  std::string dir_ = tmp_.path(), vault_dir_;
  Identity alice_ = (init_crypto(), Identity::generate());
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
  v.remove("x");
  EXPECT_EQ(v.list(""), std::vector<std::string>{"y"});
  EXPECT_THROW(get(v, "x"), UsageError);
  EXPECT_EQ(get(v, "x", 1), "1");
  auto h = v.history("x");
  EXPECT_TRUE(h[0].deleted);
  put(v, "x", "back");
  EXPECT_EQ(v.list(""), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(v.unreadable().empty());
}

TEST_F(VaultTest, ListFiltersByPrefixAndNamesNeverReachTheDisk) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  Vault v(vault_dir_, k);
  put(v, "db/prod/password", "p");
  put(v, "db/test/password", "t");
  put(v, "mail", "m");
  EXPECT_EQ(v.list("db/"), (std::vector<std::string>{"db/prod/password", "db/test/password"}));
  EXPECT_EQ(std::system(("grep -rq 'db/prod' " + vault_dir_).c_str()) == 0, false);
}

TEST_F(VaultTest, ListTakesAGlob) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  Vault v(vault_dir_, k);
  for (const char* name : {"api/github", "api/github/token", "api/gitlab", "mytoken"})
    put(v, name, "x");
  EXPECT_EQ(v.list("api/*"), (std::vector<std::string>{"api/github", "api/gitlab"}));
  EXPECT_EQ(v.list("*token"), std::vector<std::string>{"mytoken"});
  EXPECT_EQ(v.list("api/"), (std::vector<std::string>{"api/github", "api/github/token", "api/gitlab"}));
  EXPECT_TRUE(v.list("nothing*").empty());
}

TEST(NameMatches, AGlobMatchesWholeNamesAndNoWildcardMatchesASlash) {
  EXPECT_TRUE(name_matches("api/*", "api/github"));
  EXPECT_FALSE(name_matches("api/*", "api/github/token"));
  EXPECT_TRUE(name_matches("api/*/*", "api/github/token"));
  EXPECT_FALSE(name_matches("api/*", "api"));
  EXPECT_FALSE(name_matches("*token*", "api/token"));
  EXPECT_TRUE(name_matches("*token*", "my-token-2"));
  EXPECT_FALSE(name_matches("a?b", "a/b"));
  EXPECT_FALSE(name_matches("a[/]b", "a/b"));
  EXPECT_TRUE(name_matches("git[hl]*", "gitlab"));
  EXPECT_TRUE(name_matches("*", ".env"));  // a leading dot is no exception
}

TEST(NameMatches, WithoutGlobCharactersAPrefix) {
  EXPECT_TRUE(name_matches("", "anything"));
  EXPECT_TRUE(name_matches("db/prod", "db/production/key"));
  EXPECT_FALSE(name_matches("db/prod/", "db/production/key"));
  EXPECT_TRUE(name_matches("a\\b", "a\\b/c"));  // a backslash is itself here
  EXPECT_FALSE(name_matches("db/prod", "db/pro"));
}

TEST(NameMatches, SpecialCharacters) {
  EXPECT_TRUE(name_matches("weird\\*", "weird*"));  // quoted: a star itself
  EXPECT_FALSE(name_matches("weird\\*", "weirdo"));
  EXPECT_TRUE(name_matches("q\\?", "q?"));
  EXPECT_FALSE(name_matches("q\\?", "qx"));
  EXPECT_TRUE(name_matches("a[", "a["));  // an unclosed bracket is itself
  // One byte, whatever the locale: α/β is two bytes a side.
  EXPECT_FALSE(name_matches("?/?", "\xce\xb1/\xce\xb2"));
  EXPECT_TRUE(name_matches("?\?/?\?", "\xce\xb1/\xce\xb2"));
  EXPECT_TRUE(name_matches("*/*", "\xce\xb1/\xce\xb2"));
  EXPECT_FALSE(name_matches("[[:digit:]]*", "2fa/x"));
  EXPECT_TRUE(name_matches("[[:digit:]]*", "2fa"));
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
  v.list("");
  EXPECT_EQ(v.unreadable().size(), 1u);
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
  for (const char* ok : {"a", "a/b", "db/prod/password", "x.y", "..a", "a b", "caf\xc3\xa9/\xe2\x82\xac"})
    EXPECT_NO_THROW(check_entry_name(ok)) << ok;
  for (const char* bad : {"", "/a", "a/", "a//b", "./a", "a/../b", "..", "a\nb", "a\tb",
                          "a\x7f", "\xff", "a\xc0\xaf" "b", "\xed\xa0\x80", "x\xc2\x9b" "y",
                          "x\xe2\x80\xae" "y"})
    EXPECT_THROW(check_entry_name(bad), UsageError) << bad;
  EXPECT_NO_THROW(check_entry_name(std::string(255, 'a')));
  EXPECT_THROW(check_entry_name(std::string(256, 'a')), UsageError);
}

TEST(VersionNames, AreBoundedAndNeverWrap) {
  std::uint64_t v = 0;
  EXPECT_TRUE(parse_version_file_name("00000000000000000001", v));
  EXPECT_EQ(v, 1u);
  EXPECT_TRUE(parse_version_file_name("00000999999999999999", v));
  EXPECT_EQ(v, max_version);
  EXPECT_FALSE(parse_version_file_name("00001000000000000000", v));  // max + 1
  EXPECT_FALSE(parse_version_file_name("18446744073709551615", v));  // 2^64 - 1
  EXPECT_FALSE(parse_version_file_name("99999999999999999999", v));  // would wrap
  EXPECT_FALSE(parse_version_file_name("00000000000000000000", v));
  EXPECT_FALSE(parse_version_file_name("0000000000000000001", v));  // 19 digits
  EXPECT_FALSE(parse_version_file_name("0000000000000000001x", v));
  EXPECT_EQ(version_file_name(max_version), "00000999999999999999");
}

class VaultAttack : public VaultTest {
 protected:
  // A vault with two names, and beside it a second vault made with the same
  // identity: its vault.key seals another key to alice, as an attacker who
  // can write the directory would make one.
  void SetUp() override {
    VaultTest::SetUp();
    LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
    Vault v(vault_dir_, k);
    put(v, "db/password", "real");
    put(v, "mail", "real mail");
    LocalVaultKeys evil = open_local_vault(dir_ + "/evil", alice_, true);
    Vault e(dir_ + "/evil", evil);
    put(e, "db/password", "planted");
  }
  std::string tree() {
    std::string out;
    FILE* p = popen(("cd " + vault_dir_ + " && find . | sort").c_str(), "r");
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
    return out;
  }
};

TEST_F(VaultAttack, AReplacedVaultKeyIsRefusedBeforeAPutEncryptsToIt) {
  std::string before = tree();
  ASSERT_EQ(std::system(("cp " + dir_ + "/evil/vault.key " + vault_dir_ + "/vault.key").c_str()), 0);
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, false);  // it does open: sealed to alice
  Vault v(vault_dir_, k);
  try {
    put(v, "new/secret", "would go to the attacker");
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::wrong_key);
    EXPECT_NE(std::string(e.what()).find("the vault key does not match its entries"),
              std::string::npos);
  }
  try {
    get(v, "mail");
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::wrong_key);  // not "no secret named mail"
  }
  EXPECT_THROW(v.list(""), OpenError);  // no entry opens
  EXPECT_THROW(v.remove("mail"), OpenError);
  // Nothing was written but the replaced key itself.
  std::string after = tree();
  EXPECT_EQ(after, before);
}

TEST_F(VaultAttack, PlantedEntriesBesideAReplacedKeyAreRefusedToo) {
  ASSERT_EQ(std::system(("cp " + dir_ + "/evil/vault.key " + vault_dir_ + "/vault.key && cp -r " +
                         dir_ + "/evil/entries/* " + vault_dir_ + "/entries/")
                            .c_str()),
            0);
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, false);
  Vault v(vault_dir_, k);
  // The planted db/password opens under the planted key, but alice's own
  // entries do not: the get is refused instead of returning the plant.
  try {
    get(v, "db/password");
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::wrong_key);
  }
  EXPECT_EQ(v.list(""), std::vector<std::string>{"db/password"});
  EXPECT_EQ(v.unreadable().size(), 2u);
}

TEST_F(VaultAttack, AMissingVaultKeyBesideEntriesNeverStartsANewVault) {
  ASSERT_EQ(unlink((vault_dir_ + "/vault.key").c_str()), 0);
  try {
    open_local_vault(vault_dir_, alice_, true);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("holds entries but no vault.key"), std::string::npos);
  }
  EXPECT_FALSE(file_exists(vault_dir_ + "/vault.key"));
  EXPECT_THROW(vault_exists(vault_dir_), UsageError);
}

TEST_F(VaultTest, StrayFilesAreReportedIgnoredAndNeverPrunedOrCounted) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  {
    Vault v(vault_dir_, k);
    put(v, "k", "one");
    put(v, "k", "two");
  }
  std::string dir = vault_dir_ + "/entries/" + k.locator("k");
  for (std::string stray : {"18446744073709551615", "99999999999999999999", "notes.txt"})
    write_file_atomic(dir + "/" + stray, as_bytes("junk"));
  write_file_atomic(vault_dir_ + "/entries/README", as_bytes("junk"));
  Vault v(vault_dir_, k);
  EXPECT_EQ(v.stray().size(), 4u);
  put(v, "k", "three", 2);  // version 3, not 0; pruning keeps 2 and 3
  EXPECT_EQ(get(v, "k"), "three");
  auto h = v.history("k");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].version, 3u);
  EXPECT_EQ(h[1].version, 2u);
  EXPECT_TRUE(file_exists(dir + "/18446744073709551615"));
  EXPECT_EQ(v.list(""), std::vector<std::string>{"k"});
}

TEST_F(VaultTest, RemovingATamperedNewestVersionWritesNothing) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  Vault v(vault_dir_, k);
  put(v, "k", std::string(100, 'x'));
  std::string f = vault_dir_ + "/entries/" + k.locator("k") + "/" + version_file_name(1);
  ASSERT_EQ(std::system(("chmod 600 " + f + " && printf '\\001' | dd of=" + f +
                         " bs=1 seek=330 conv=notrunc status=none").c_str()),
            0);
  try {
    v.remove("k");
    FAIL();
  } catch (const OpenError& e) {
    EXPECT_EQ(e.fault(), Fault::auth);
    EXPECT_NE(std::string(e.what()).find("nothing was deleted"), std::string::npos);
  }
  EXPECT_FALSE(file_exists(vault_dir_ + "/entries/" + k.locator("k") + "/" + version_file_name(2)));
}

TEST_F(VaultTest, ModesAndTypesInsideTheVaultAreChecked) {
  LocalVaultKeys k = open_local_vault(vault_dir_, alice_, true);
  {
    Vault v(vault_dir_, k);
    put(v, "k", "v");
  }
  std::string key = vault_dir_ + "/vault.key", entries = vault_dir_ + "/entries";
  std::string loc = entries + "/" + k.locator("k"), file = loc + "/" + version_file_name(1);
  chmod(key.c_str(), 0666);
  EXPECT_THROW(open_local_vault(vault_dir_, alice_, false), FormatError);
  chmod(key.c_str(), 0600);
  chmod(entries.c_str(), 0777);
  EXPECT_THROW(Vault(vault_dir_, k), FormatError);
  chmod(entries.c_str(), 0700);
  chmod(loc.c_str(), 0770);
  EXPECT_THROW(Vault(vault_dir_, k), FormatError);
  chmod(loc.c_str(), 0700);
  chmod(file.c_str(), 0622);
  EXPECT_THROW(Vault(vault_dir_, k), FormatError);
  chmod(file.c_str(), 0600);
  EXPECT_NO_THROW(Vault(vault_dir_, k));
  // A FIFO or a symlink where an entry belongs: refused, never waited on.
  ASSERT_EQ(unlink(file.c_str()), 0);
  ASSERT_EQ(mkfifo(file.c_str(), 0600), 0);
  EXPECT_THROW(Vault(vault_dir_, k), UsageError);
  ASSERT_EQ(unlink(file.c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", file.c_str()), 0);
  EXPECT_THROW(Vault(vault_dir_, k), UsageError);
  ASSERT_EQ(unlink(key.c_str()), 0);
  ASSERT_EQ(mkfifo(key.c_str(), 0600), 0);
  EXPECT_THROW(open_local_vault(vault_dir_, alice_, false), UsageError);
}

}  // namespace
}  // namespace grypt
