// The ephemeral key of an administrator's next commit to a group, made
// ahead of it (core/epoch_box.h): after each commit and at unlock, two
// threads at the lowest priority do the X25519 with every member of a large
// roster, so that removing a member of 10,000 then costs a hash and an AES
// a box, not an X25519 (about 50 us) each. Whatever is not done by the
// commit (members added since, a commit right after the last) is done then,
// as without it. The key is still one per commit, never reused, in memory
// only, and wiped at lock with the epoch keys beside it.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "core/epoch_box.h"

namespace grypt {

class NextEphemeral {
 public:
  // Smaller rosters are boxed at commit time: milliseconds.
  static constexpr std::size_t min_members = 256;

  NextEphemeral() = default;
  NextEphemeral(const NextEphemeral&) = delete;
  NextEphemeral& operator=(const NextEphemeral&) = delete;
  ~NextEphemeral() { stop(); }

  // Starts preparing the key for `members` (a new key, or the one under
  // way extended to members it lacks). Nothing for a small roster.
  void prepare(std::span<const PublicKey> members);
  // The key as far as it is prepared, or a fresh one; the next commit
  // prepares another.
  EphemeralKey take();
  // The slots filled so far, once the threads are done (for tests).
  std::size_t prepared();

 private:
  void stop();
  std::optional<EphemeralKey> key_;
  std::vector<std::jthread> threads_;
};

}  // namespace grypt
