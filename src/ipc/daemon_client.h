// The tools' side of the daemon protocol: a connection to gryptd and the
// key providers over it (message keys, signatures, member lookups, vault
// keys), so that grypt-seal, grypt-open and the vault tools use the daemon
// through the same interfaces as a local identity.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/fd.h"
#include "core/message.h"
#include "core/vault_format.h"
#include "proto/daemon.h"

namespace grypt {

// The daemon said no; `code` is the daemon protocol's error code.
class DaemonRefusal : public OpenError {
 public:
  DaemonRefusal(daemon::Code code, const std::string& what)
      : OpenError(code == daemon::Code::forked ? Fault::forked : Fault::wrong_key, what), code_(code) {}
  daemon::Code code() const { return code_; }

 private:
  daemon::Code code_;
};

// A locked daemon that the passphrase given did not unlock: the end of the
// tool's run (exit status 1), not of one message.
class UnlockRefused : public Error {
 public:
  UnlockRefused() : Error("wrong passphrase") {}
  int exit_status() const override { return exit_no; }
};

class DaemonClient {
 public:
  // nullopt when no daemon listens at `path`; UsageError when the socket
  // belongs to another user.
  static std::optional<DaemonClient> connect(const std::string& path);
  // The answer, or the daemon's refusal as an error: DaemonRefusal (exit
  // status 1) when it holds no key, is not a member, has no roster or its
  // server's key is not the pinned one;
  // SystemError otherwise.
  // A locked daemon is unlocked first, with the passphrase asked at the
  // terminal; without one, UsageError says how to unlock it.
  daemon::Reply call(const daemon::Request& r);
  const std::string& path() const { return path_; }
  // Unlocks the daemon: UnlockRefused for a wrong passphrase.
  void unlock(SecretBytes passphrase);

 private:
  void unlock_at_terminal();
  DaemonClient(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Fd fd_;
  std::string path_;
};

// Why DaemonClient::connect found no daemon at `path`, for an error message.
std::string daemon_absent(const std::string& path);

class DaemonKeys : public MessageKeys, public Signer, public Members {
 public:
  explicit DaemonKeys(DaemonClient& c) : c_(c) {}
  MessageKey message_key(const MessageHeader& h) override;
  // The daemon knows the state of the header's epoch: it binds its own.
  SignedDigest sign(const MessageHeader& h, const StateHash& state,
                    std::span<const std::uint8_t, 64> digest) const override;
  std::vector<Member> lookup(const MessageHeader& h, const KeyId& id) const override;
  // The name the daemon knows the last opened message's group by.
  const std::string& last_group() const { return last_group_; }
  // The newest epoch, when it replaced the last opened message's with
  // other members.
  std::optional<Epoch> last_superseded_by() const { return last_superseded_by_; }

 private:
  DaemonClient& c_;
  std::string last_group_;
  std::optional<Epoch> last_superseded_by_;
};

class DaemonVaultKeys : public VaultKeys {
 public:
  DaemonVaultKeys(DaemonClient& c, std::vector<std::uint8_t> vault_key_file)
      : c_(c), file_(std::move(vault_key_file)) {}
  std::string locator(std::string_view name) override;
  SecretBytes name_key(std::span<const std::uint8_t> header) override;
  SecretBytes entry_key(std::span<const std::uint8_t> header, std::string_view name) override;
  std::vector<std::string> locators(const std::vector<std::string>& names) override;
  std::vector<SecretBytes> name_keys(const std::vector<std::span<const std::uint8_t>>& headers) override;
  std::pair<SecretBytes, SecretBytes> both_keys(std::span<const std::uint8_t> header,
                                                std::string_view name) override;

 private:
  DaemonClient& c_;
  std::vector<std::uint8_t> file_;
  std::map<std::string, std::string> locators_;  // names asked already
};

}  // namespace grypt
