#include "gryptd/ahead.h"

#include <sys/resource.h>
#include <unistd.h>

#include <utility>

namespace grypt {

void NextEphemeral::prepare(std::span<const PublicKey> members) {
  if (members.size() < min_members) return;
  stop();
  if (!key_) key_ = EphemeralKey::generate();
  std::size_t n = key_->plan(members), half = n / 2;
  auto run = [this](std::stop_token stop, std::size_t from, std::size_t to) {
    // Idle time only: the daemon's loop, its sessions and the tools first.
    // (Failing leaves the default priority: the work is the same.)
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
    key_->fill(from, to, stop);
  };
  threads_.emplace_back(run, 0, half);
  threads_.emplace_back(run, half, n);
}

EphemeralKey NextEphemeral::take() {
  stop();
  EphemeralKey k = key_ ? std::move(*key_) : EphemeralKey::generate();
  key_.reset();
  return k;
}

std::size_t NextEphemeral::prepared() {
  for (std::jthread& t : threads_) t.join();
  threads_.clear();
  return key_ ? key_->prepared() : 0;
}

void NextEphemeral::stop() {
  for (std::jthread& t : threads_) t.request_stop();
  threads_.clear();  // joins
}

}  // namespace grypt
