#include "ipc/daemon_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/passphrase.h"
#include "ipc/unix_socket.h"

namespace grypt {

std::optional<DaemonClient> DaemonClient::connect(const std::string& path) {
  Fd fd;
  try {
    fd = connect_unix(path);
  } catch (const SystemError& e) {
    if (e.errnum() == ENOENT || e.errnum() == ECONNREFUSED) return std::nullopt;
    throw;
  }
  require_same_user(fd.get(), "the daemon socket " + path);
  return DaemonClient(std::move(fd), path);
}

std::string daemon_absent(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return "gryptd is not running (no socket at " + path + ")";
  return "gryptd is not running (nothing answers at " + path + ")";
}

// A locked daemon (gryptd.1, Locking): a person at a terminal is asked for
// the passphrase, which unlocks it; without one, the tool says how.
void DaemonClient::unlock_at_terminal() {
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) throw UsageError("gryptd is locked: unlock it with gryptd unlock");
  ::close(tty);
  SecretPrompt p;
  p.what = "passphrase to unlock gryptd";
  p.stdin_is_data = true;  // the terminal only: stdin is the tool's input
  p.max_size = daemon::max_passphrase_bytes;
  unlock(read_secret(SecretSource{}, p));
}

void DaemonClient::unlock(SecretBytes passphrase) {
  try {
    call(daemon::Unlock{std::move(passphrase)});
  } catch (const DaemonRefusal& e) {
    if (e.code() == daemon::Code::passphrase) throw UnlockRefused();
    throw;
  }
}

daemon::Reply DaemonClient::call(const daemon::Request& r) {
  std::vector<std::uint8_t> body = daemon::encode(r);
  write_frame(fd_.get(), body);
  wipe(body.data(), body.size());
  // One frame, or the parts of a long answer.
  std::optional<daemon::Reply> joined;
  for (bool more = true; more;) {
    std::optional<std::vector<std::uint8_t>> answer;
    try {
      answer = read_frame(fd_.get(), 30000);
    } catch (const SystemError& e) {
      throw SystemError("gryptd at " + path_ + " did not answer: " + e.what());
    }
    if (!answer) throw SystemError("gryptd at " + path_ + " closed the connection");
    more = daemon::decode_reply_part(*answer, r, joined);
    wipe(answer->data(), answer->size());
  }
  daemon::Reply reply = std::move(*joined);
  if (const auto* f = std::get_if<daemon::Failure>(&reply)) {
    using daemon::Code;
    switch (f->code) {
      case Code::unknown_group:
      case Code::unknown_epoch:
      case Code::forked:
      case Code::vault:
      case Code::not_member:
      case Code::no_roster:
      case Code::wrong_server:
      case Code::not_admin:
      case Code::passphrase:
        throw DaemonRefusal(f->code, f->message);
      case Code::locked:
        if (std::holds_alternative<daemon::Unlock>(r)) break;
        unlock_at_terminal();
        return call(r);
      case Code::usage:
      case Code::refused:
        throw UsageError(f->message);
      case Code::offline:
      case Code::protocol:
        break;
    }
    throw SystemError("gryptd: " + f->message);
  }
  return reply;
}

MessageKey DaemonKeys::message_key(const MessageHeader& h) {
  auto reply = std::get<daemon::OpenReply>(c_.call(daemon::Open{h.encode()}));
  last_group_ = reply.group;
  last_superseded_by_.reset();
  if (reply.superseded_by) last_superseded_by_ = Epoch(*reply.superseded_by);
  return MessageKey{std::move(reply.key), reply.state_hash};
}

SignedDigest DaemonKeys::sign(const MessageHeader& h, const StateHash&,
                              std::span<const std::uint8_t, 64> digest) const {
  daemon::Sign req{h.encode(), {}};
  std::memcpy(req.digest.data(), digest.data(), digest.size());
  auto reply = std::get<daemon::SignReply>(c_.call(req));
  return {reply.key_id, reply.signature};
}

std::vector<Member> DaemonKeys::lookup(const MessageHeader& h, const KeyId& id) const {
  auto reply = std::get<daemon::MembersReply>(c_.call(daemon::Members{h.group, h.epoch, id}));
  std::vector<Member> out;
  for (auto& m : reply.members) out.push_back({m.key, m.name, m.current});
  return out;
}

std::vector<std::string> DaemonVaultKeys::locators(const std::vector<std::string>& names) {
  daemon::Vault req;
  req.vault_key_file = file_;
  for (const std::string& n : names)
    if (!locators_.count(n)) req.locators.push_back(n);
  if (!req.locators.empty()) {
    auto reply = std::get<daemon::VaultReply>(c_.call(req));
    for (std::size_t i = 0; i < req.locators.size(); ++i) locators_[req.locators[i]] = reply.locators[i];
  }
  std::vector<std::string> out;
  for (const std::string& n : names) out.push_back(locators_[n]);
  return out;
}

std::string DaemonVaultKeys::locator(std::string_view name) {
  return locators({std::string(name)}).front();
}

std::vector<SecretBytes> DaemonVaultKeys::name_keys(
    const std::vector<std::span<const std::uint8_t>>& headers) {
  if (headers.empty()) return {};
  daemon::Vault req;
  req.vault_key_file = file_;
  for (auto h : headers) {
    daemon::EntryHead head;
    std::memcpy(head.data(), h.data(), head.size());
    req.name_keys.push_back(head);
  }
  return std::move(std::get<daemon::VaultReply>(c_.call(req)).name_keys);
}

SecretBytes DaemonVaultKeys::name_key(std::span<const std::uint8_t> header) {
  return std::move(name_keys({header.first(entry_header_bytes)}).front());
}

std::pair<SecretBytes, SecretBytes> DaemonVaultKeys::both_keys(std::span<const std::uint8_t> header,
                                                               std::string_view name) {
  daemon::Vault req;
  req.vault_key_file = file_;
  daemon::EntryHead head;
  std::memcpy(head.data(), header.data(), head.size());
  req.name_keys.push_back(head);
  req.entry_keys.emplace_back(head, std::string(name));
  auto reply = std::get<daemon::VaultReply>(c_.call(req));
  return {std::move(reply.name_keys.front()), std::move(reply.entry_keys.front())};
}

SecretBytes DaemonVaultKeys::entry_key(std::span<const std::uint8_t> header, std::string_view name) {
  daemon::Vault req;
  req.vault_key_file = file_;
  daemon::EntryHead head;
  std::memcpy(head.data(), header.data(), head.size());
  req.entry_keys.emplace_back(head, std::string(name));
  return std::move(std::get<daemon::VaultReply>(c_.call(req)).entry_keys.front());
}

}  // namespace grypt
