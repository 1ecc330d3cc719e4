// The unit tests' PostgreSQL: one server for the test binary, started by
// test/pg-cluster (Debian's postgresql, initdb in a temporary directory,
// a Unix socket only) the first time a test asks for a database, and
// stopped by pid when the tests end. Each test gets a database of its own.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/test_dir.h"

namespace grypt {

class TestPgCluster : public ::testing::Environment {
 public:
  static TestPgCluster& get() {
    static TestPgCluster* c = [] {
      auto* e = new TestPgCluster;
      ::testing::AddGlobalTestEnvironment(e);  // gtest owns it; TearDown stops the server
      return e;
    }();
    return *c;
  }

  // A new database's connection string.
  std::string database() {
    start();
    std::string name = "t" + std::to_string(++made_);
    run("createdb '" + dir_ + "' " + name);
    return "postgresql:///" + name + "?host=" + dir_ + "&user=grypt";
  }
  const std::string& socket_dir() {
    start();
    return dir_;
  }
  std::string data_dir() {
    start();
    return dir_ + "/data";
  }
  void restart() { run("restart '" + dir_ + "'"); }

  void TearDown() override {
    if (!dir_.empty() && std::system(("test/pg-cluster stop '" + dir_ + "'").c_str()) != 0)
      std::fprintf(stderr, "cannot stop the tests' PostgreSQL in %s\n", dir_.c_str());
    dir_.clear();
  }

 private:
  void start() {
    if (!dir_.empty()) return;
    dir_ = parent_.path() + "/pg";
    // The server runs as postgres when the tests run as root: it must
    // reach its directory.
    std::filesystem::permissions(parent_.path(), std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
    run("start '" + dir_ + "'");
  }
  static void run(const std::string& args) {
    std::string cmd = "test/pg-cluster " + args + " >/dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  }

  TestDir parent_;
  std::string dir_;
  int made_ = 0;
};

}  // namespace grypt
