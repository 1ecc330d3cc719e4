// gryptd: the member's agent (man/gryptd.1). One event loop (standalone Asio
// with C++20 coroutines) serves the tools on the Unix socket and keeps one
// TLS session per group server, pinned to the reference's key, checking
// every state before it is kept (grypt-protocol.7, CHECKING STATES), and
// reconnecting with exponential backoff and jitter.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/keyring.h"

namespace grypt {

struct DaemonOptions {
  std::string socket_path;
  // The identity file, read again to unlock (an absolute path: a detached
  // daemon's working directory is /), and whether it has a passphrase.
  std::string identity_path;
  bool passphrase_free = false;
  // gryptd --lock-after: lock once no request used a key for this long
  // (zero: never).
  std::chrono::seconds lock_after{0};
  // How long a tool may take to send the rest of a request it started
  // (gryptd.1, Requests); a tool that is silent between requests is
  // waiting on its own input, and keeps its connection.
  std::chrono::milliseconds tool_frame_timeout = std::chrono::seconds(30);
  // How long an administrator's request (a commit, the pending requests)
  // waits for the server's answer (grypt-admin.1, DIAGNOSTICS).
  std::chrono::milliseconds answer_wait = std::chrono::seconds(30);
  // How long an epoch this administrator signs lasts (grypt-protocol.7,
  // EXPIRY): 7 days; it rotates a group of its own once a quarter of that
  // is left.
  std::int64_t state_lifetime = 7 * 24 * 3600;
  // The largest frame body of an answer: a longer one comes in parts
  // (grypt-protocol.7, DAEMON PROTOCOL).
  std::size_t reply_part_bytes = 512 * 1024;
  // The wall clock, Unix seconds (expiry, join requests, confirmations,
  // the epochs this administrator signs); the system's when empty. Tests
  // set it.
  std::function<std::int64_t()> clock;
  // Called once the socket listens (detaching waits for it).
  std::function<void()> ready;
  std::function<void(const std::string&)> log;
};

// Runs until "stop", SIGTERM or SIGINT; the socket must be bound already
// (listen_fd). `identity`, the keyring's, empty when it is locked, is
// wiped when the agent locks and set when it unlocks. Returns the exit
// status.
int run_daemon(Keyring& keyring, std::optional<Identity>& identity, int listen_fd, const DaemonOptions& options);

}  // namespace grypt
