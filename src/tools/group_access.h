// What grypt-seal and grypt-open share: the options that pick the daemon or
// a local identity, and the key providers behind either. With --identity
// the tools read the daemon's cache themselves (man/grypt.5, DAEMON
// CACHE); otherwise they ask gryptd.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/keyring.h"
#include "ipc/daemon_client.h"
#include "cli/options.h"

namespace grypt {

inline void add_group_options(cxxopts::Options& o) {
  o.add_options()
      ("i,identity", "work without the daemon, from its cache, as the identity in FILE",
       cxxopts::value<std::string>(), "FILE")
      ("passphrase-fd", "with --identity: read its passphrase from descriptor N",
       cxxopts::value<int>(), "N")
      ("passphrase-file", "with --identity: read its passphrase from F",
       cxxopts::value<std::string>(), "F")
      ("socket", "the daemon's socket (default: $GRYPT_SOCKET or $XDG_RUNTIME_DIR/grypt/gryptd.sock)",
       cxxopts::value<std::string>(), "PATH")
      ("h,help", "print this help")
      ("version", "print the version");
}

// Either a daemon connection or a local keyring, with the same providers.
struct GroupAccess {
  std::optional<DaemonClient> client;
  std::unique_ptr<DaemonKeys> daemon_keys;
  std::unique_ptr<Identity> identity;
  std::unique_ptr<Keyring> keyring;
  std::unique_ptr<IdentitySigner> signer;

  MessageKeys& keys() { return keyring ? static_cast<MessageKeys&>(*keyring) : *daemon_keys; }
  Members& members() { return keyring ? static_cast<Members&>(*keyring) : *daemon_keys; }
  Signer& sign() { return keyring ? static_cast<Signer&>(*signer) : *daemon_keys; }
};

// stdin_is_data: a passphrase may not come from stdin.
inline GroupAccess open_group_access(const cxxopts::ParseResult& r, bool stdin_is_data) {
  GroupAccess a;
  if (r.count("identity")) {
    std::string path = option<std::string>(r, "identity");
    a.identity = std::make_unique<Identity>(unlock_identity(path, secret_source(r, "passphrase"), stdin_is_data));
    a.keyring = std::make_unique<Keyring>(*a.identity, groups_file_path(), default_cache_dir());
    a.signer = std::make_unique<IdentitySigner>(*a.identity);
    return a;
  }
  if (r.count("passphrase-fd") || r.count("passphrase-file"))
    throw UsageError("--passphrase-fd and --passphrase-file go with --identity");
  std::string path = r.count("socket") ? option<std::string>(r, "socket") : default_socket_path();
  a.client = DaemonClient::connect(path);
  if (!a.client)
    throw UsageError(daemon_absent(path) + ": start it with gryptd, or give --identity FILE");
  a.daemon_keys = std::make_unique<DaemonKeys>(*a.client);
  return a;
}


}  // namespace grypt
