// grypt-seal: encrypt a FILE or stdin for a group's newest epoch, signed by
// the sender unless --anonymous (man/grypt-seal.1). The daemon gives the
// header and the key of this one message (and the signature: with them for
// a post under 64 KiB, at the end for a longer one); the bulk work is done
// here, in constant memory.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>

#include "core/armor.h"
#include "core/io.h"
#include "core/progress.h"
#include "core/text.h"
#include "tools/files.h"
#include "tools/group_access.h"

namespace grypt {
namespace {

// The signature gryptd made with the seal, for the post read before asking.
// Asked for another header or digest, it refuses: that would be a bug here.
class Presigned : public Signer {
 public:
  Presigned(const MessageHeader& h, std::span<const std::uint8_t, Sha512::size> digest,
            const daemon::SignReply& s)
      : header_(h.encode()), signed_{s.key_id, s.signature} {
    std::copy(digest.begin(), digest.end(), digest_.begin());
  }
  SignedDigest sign(const MessageHeader& h, const StateHash&,
                    std::span<const std::uint8_t, 64> digest) const override {
    if (h.encode() != header_ || !std::equal(digest.begin(), digest.end(), digest_.begin()))
      throw std::logic_error("the post changed after gryptd signed it");
    return signed_;
  }

 private:
  daemon::HeaderBytes header_;
  std::array<std::uint8_t, Sha512::size> digest_{};
  SignedDigest signed_;
};

// The start of a post, read before asking the daemon.
struct Start {
  SecretBytes buf;
  std::size_t len = 0;
  bool whole = false;  // the post ends here
  std::span<const std::uint8_t> bytes() const { return std::span(buf.data(), len); }
};

// Reads the post up to one chunk, or to its end if that comes first. A pipe
// whose writer takes longer than a moment is left for later, so that an
// answer from the daemon such as "no group named" comes at once, not at the
// end of a slow producer (tail -f, a long command).
Start read_start(InputFile& post) {
  struct stat st {};
  bool file = ::fstat(post.fd(), &st) == 0 && S_ISREG(st.st_mode);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  Start s;
  s.buf = SecretBytes(1024);  // a short post stays in a pooled slot
  for (;;) {
    if (s.len == s.buf.size()) {
      if (s.len == chunk_bytes) return s;
      SecretBytes more(chunk_bytes);
      std::memcpy(more.data(), s.buf.data(), s.len);
      s.buf = std::move(more);
    }
    if (!file) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{post.fd(), POLLIN, 0};
      int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) throw SystemError("cannot read " + post.name(), errno);
      if (ready == 0) return s;
    }
    std::size_t n = post.in().read(std::span(s.buf.data() + s.len, s.buf.size() - s.len));
    if (n == 0) {
      s.whole = true;
      return s;
    }
    s.len += n;
  }
}

// Why gryptd could not confirm the newest epoch now, by the group's state
// (gryptd.1, status).
std::string unconfirmed(const std::string& group, Standing state) {
  switch (state) {
    case Standing::connected:
      return "the server of " + group + " did not confirm the newest epoch in time";
    case Standing::rolled_back:
      return "the server of " + group + " went back to an older epoch (see gryptd status)";
    case Standing::forked:
      return "the history of " + group + " forked (see gryptd status)";
    case Standing::expired:
      return "the newest epoch of " + group + " has expired: no administrator made a newer one, or the server "
             "withholds it (see gryptd status)";
    case Standing::wrong_server:
      return "the server of " + group + " is not the one its reference names (see gryptd status)";
    case Standing::locked:
      return "gryptd is locked, and not connected to the server of " + group;
    case Standing::connecting:
    case Standing::offline:
    case Standing::not_member:
      break;
  }
  return "the server of " + group + " cannot be reached";
}

// The armor form the options name; line unless one is named.
ArmorForm armor_form(const cxxopts::ParseResult& r) {
  if (r.count("armor") + r.count("block") + r.count("binary") > 1)
    throw UsageError("give only one of --armor, --block and --binary");
  if (r.count("binary")) return ArmorForm::binary;
  if (r.count("block")) return ArmorForm::block;
  if (!r.count("armor")) return ArmorForm::line;
  std::string name = option<std::string>(r, "armor");
  auto named = armor_form_named(name);
  if (!named) throw UsageError("no armor form named '" + name + "': give line, block, binary, x or dense");
  return *named;
}

UsageError unknown_group(const std::string& group) {
  return UsageError("no group named " + group + " (see gryptd status; gryptd join NAME REFERENCE adds one)");
}

// The header and key of the new message, and how fresh its epoch is.
struct Sealing {
  MessageHeader header;
  MessageKey key;
  std::optional<Presigned> presigned;  // the daemon signed the post read first
  bool fresh = false;
  std::int64_t confirmed = 0;
  std::string stale_why;  // why the epoch is not known to be the newest
};

// From the daemon's cache, with --identity. The cache keeps what the daemon
// would refuse or warn about: a fork, and an epoch past its expiry.
Sealing from_cache(Keyring& keyring, const std::string& group, bool is_signed) {
  KnownGroup* g = keyring.find(group);
  if (!g) throw unknown_group(group);
  if (g->fork)
    throw OpenError(Fault::forked, "not sealing for " + group + ": two different states were signed for epoch " +
                                       g->fork->held.epoch.to_string() +
                                       ": the group's history forked (see gryptd status)");
  Sealing s;
  auto [h, k] = keyring.seal(group, is_signed);
  s.header = h;
  s.key = std::move(k);
  s.confirmed = g->chain.confirmed;
  s.stale_why = "without the daemon, from its cache";
  std::int64_t expires = g->chain.head().expires;
  if (expires != 0 && expires <= static_cast<std::int64_t>(std::time(nullptr)))
    s.stale_why += "; " + unconfirmed(group, Standing::expired);
  return s;
}

// From gryptd; with the digest of a post read whole, its signature too.
Sealing from_daemon(DaemonClient& client, const std::string& group, bool is_signed,
                    const std::optional<std::array<std::uint8_t, Sha512::size>>& digest) {
  daemon::SealReply reply;
  try {
    reply = std::get<daemon::SealReply>(client.call(daemon::Seal{group, is_signed, digest}));
  } catch (const DaemonRefusal& e) {
    if (e.code() == daemon::Code::unknown_group) throw unknown_group(group);
    throw;
  }
  Sealing s;
  s.header = MessageHeader::decode(reply.header);
  if (s.header.is_signed != is_signed) throw SystemError("gryptd answered with another kind of header");
  s.key = MessageKey{std::move(reply.key), reply.state_hash};
  s.fresh = reply.fresh;
  s.confirmed = reply.confirmed;
  s.stale_why = unconfirmed(group, reply.state);
  if (digest) s.presigned.emplace(s.header, *digest, *reply.signature);
  return s;
}

// Warns, or with --require-fresh refuses, when the epoch was not confirmed now.
void check_fresh(const Sealing& s, bool require_fresh) {
  if (s.fresh) return;
  std::string epoch = "epoch " + s.header.epoch.to_string();
  std::string when = utc_time(s.confirmed);
  if (require_fresh)
    throw SystemError("not sealing (--require-fresh): " + s.stale_why + "; " + epoch + " was last confirmed " + when);
  warn(s.stale_why + ": sealing under " + epoch + ", last confirmed " + when);
}

cxxopts::Options seal_options() {
  cxxopts::Options o("grypt-seal", "Seal a post, FILE or stdin, for a group");
  o.custom_help("GROUP [FILE] [-o FILE] [--anonymous] [--armor FORM | --block | --binary] [--require-fresh] "
                "[-i FILE]");
  o.positional_help("");
  o.add_options()
      ("anonymous", "leave the sender out (only the group id shows who may have written it)")
      ("armor", "how to write the message: line (the default: one line, grypt:...), block, binary, "
                "x (fewest characters as X counts them) or dense (fewest code points and graphemes, "
                "for Mastodon and Bluesky); see grypt-seal(1)",
       cxxopts::value<std::string>(), "FORM")
      ("block", "the same as --armor block: a PEM-style block")
      ("binary", "the same as --armor binary: the raw message (not to a terminal)")
      ("require-fresh", "fail when the group's server cannot confirm the newest epoch now")
      ("quiet", "no progress line on stderr (shown only at a terminal, after a second, when stdout is not one)");
  add_output_option(o, "write the message to FILE, which is replaced only once the message is whole "
                       "(- is stdout)");
  add_group_options(o);
  o.parse_positional({"group", "file"});
  o.add_options("hidden")("group", "", cxxopts::value<std::string>())("file", "", cxxopts::value<std::string>());
  return o;
}

int body(int argc, char** argv) {
  cxxopts::Options o = seal_options();
  auto r = parse_options(o, argc, argv);
  if (handle_common_options(o, r,
                            "\nThe post is read from FILE, or from stdin when FILE is absent or -.\n"
                            "The message goes to stdout or -o FILE, as one line of armor by default.\n"
                            "Exit status: 0 success, 1 not a member or no key, 2 error. See grypt-seal(1).\n"))
    return exit_ok;
  if (!r.count("group")) throw UsageError("give the GROUP to seal for (see grypt-seal --help)");
  std::string group = option<std::string>(r, "group");
  ArmorForm form = armor_form(r);
  bool is_signed = !r.count("anonymous");
  InputFile post(r.count("file") ? option<std::string>(r, "file") : "-");
  // The message is no secret: its file is for others to read, unless the
  // umask says otherwise.
  OutputFile output(r, 0644 & ~user_umask());
  if (form == ArmorForm::binary && output.is_terminal())
    throw UsageError(std::string("refusing to write binary data to a terminal (redirect stdout, give -o FILE, or ") +
                     (r.count("binary") ? "drop --binary)" : "choose a text form with --armor)"));

  GroupAccess access = open_group_access(r, true);
  grow_pipe(STDOUT_FILENO);
  // A signed post that fits in one chunk is read before asking the daemon,
  // so that its signature comes with its key: one round trip, not two. Not
  // from a terminal, where "no such group" must come before the typing.
  Start first;
  std::optional<std::array<std::uint8_t, Sha512::size>> digest;
  if (access.client && is_signed && !isatty(post.fd())) {
    first = read_start(post);
    if (first.whole) {
      Sha512 sha;
      sha.update(first.bytes());
      sha.final(digest.emplace());
    }
  }
  Sealing s = access.keyring ? from_cache(*access.keyring, group, is_signed)
                             : from_daemon(*access.client, group, is_signed, digest);
  check_fresh(s, r.count("require-fresh") > 0);

  ArmorWriter armor(output.out(), form);
  const Signer* signer = !is_signed ? nullptr : s.presigned ? &*s.presigned : &access.sign();
  MessageSealer sealer(s.header, s.key, armor, signer);
  {
    // Not while the post is typed, nor beside a message written to the
    // same terminal.
    Progress progress("sealing", !r.count("quiet") && !isatty(post.fd()) && !output.is_terminal());
    progress.add(first.len);
    CountedInput counted(post.in(), progress);
    if (first.len > 0) sealer.write(first.bytes());
    if (!digest) sealer.write_all_of(counted);
    sealer.finish();
    armor.finish();
  }
  output.commit();
  return exit_ok;
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("grypt-seal", argc, argv, grypt::body); }
