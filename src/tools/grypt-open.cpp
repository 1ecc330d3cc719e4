// grypt-open: open every grypt message found in stdin or in the FILEs, in
// order (man/grypt-open.1).
// Text is scanned for one-line tokens and blocks in constant memory; a
// binary message is read as it comes. A signed message's plaintext is held
// until its signature verified: nothing unauthenticated is written, not even
// a claimed sender. An anonymous message has no sender to check: its chunks
// are written as each one verifies, and a message cut short says how much of
// it was written.
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/armor.h"
#include "core/io.h"
#include "core/progress.h"
#include "core/text.h"
#include "tools/files.h"
#include "tools/group_access.h"
#include "tools/hold.h"

namespace grypt {
namespace {

// Input that gives back bytes already read (to tell binary from text)
// before the rest of the stream.
class Prefixed : public Input {
 public:
  Prefixed(std::vector<std::uint8_t> head, Input& rest) : head_(std::move(head)), rest_(rest) {}
  std::size_t read(std::span<std::uint8_t> buf) override {
    if (at_ < head_.size()) {
      std::size_t n = std::min(buf.size(), head_.size() - at_);
      std::memcpy(buf.data(), head_.data() + at_, n);
      at_ += n;
      return n;
    }
    return rest_.read(buf);
  }

 private:
  std::vector<std::uint8_t> head_;
  std::size_t at_ = 0;
  Input& rest_;
};

// Plaintext for a terminal: controls, bidirectional formatting and invalid
// UTF-8 are shown escaped (\xNN), so that a post cannot drive the terminal;
// newlines and tabs pass. Pipes and files get every byte.
class TerminalSafe : public Output {
 public:
  explicit TerminalSafe(Output& out) : out_(out) {}
  void write(std::span<const std::uint8_t> bytes) override {
    held_.insert(held_.end(), bytes.begin(), bytes.end());
    // Keep a cut UTF-8 sequence (at most 3 bytes) for the next write.
    std::size_t keep = 0;
    while (keep < 3 && keep < held_.size() && (held_[held_.size() - 1 - keep] & 0xc0) == 0x80) ++keep;
    if (keep < held_.size() && held_[held_.size() - 1 - keep] >= 0xc0) ++keep;
    else keep = 0;
    flush(held_.size() - keep);
  }
  void finish() { flush(held_.size()); }

 private:
  void flush(std::size_t n) {
    std::string out;
    std::string_view text(reinterpret_cast<const char*>(held_.data()), n);
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == '\n' || text[i] == '\t') {
        out += printable(text.substr(start, i - start));
        if (i < text.size()) out += text[i];
        start = i + 1;
      }
    }
    out_.write(as_bytes(out));
    held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  Output& out_;
  std::vector<std::uint8_t> held_;
};

// An error that does not stop the run: "grypt-open: error: text".
void print_error(const std::string& text) { note("error: " + text); }

// Input with no message, such as a quiet feed, is not an error. Said only
// to a person: cron mails whatever a job writes to stderr.
void say_no_message() {
  if (isatty(STDERR_FILENO)) note("no grypt message in the input");
}

struct Opened {
  MessageHeader header;
  std::string group;
  std::optional<Member> sender;
  // An anonymous post's epoch was replaced by this one, with other members.
  std::optional<Epoch> superseded_by;
};

class Run {
 public:
  Run(GroupAccess& a, bool json, OutputFile& output)
      : a_(a), out_(output.out()), json_(json), tty_(output.is_terminal()), to_file_(output.is_file()) {}

  // Opens one message from `in`: holds its plaintext, checks it whole,
  // then writes it. False (and reported) if it does not open.
  bool open(Input& in, std::uint64_t offset, std::uint64_t size_hint) {
    ++count_;
    offset_ = offset;
    std::string where = in_file("message " + std::to_string(count_) + " (byte " + std::to_string(offset) + ")");
    Hold hold;
    Opened o;
    std::optional<Streamed> streamed;
    try {
      MessageOpener op(in, a_.keys(), size_hint);
      o.header = op.header();
      if (!o.header.is_signed && !json_) {
        // Anonymous: each chunk is written once it verified.
        streamed.emplace(*this);
        while (!op.done()) streamed->write(op.next());
        op.finish(a_.members());
        o.group = group_name(o.header);
        o.superseded_by = superseded_by(o.header);
        streamed->end();
        describe(o);
        return true;
      }
      while (!op.done()) hold.write(op.next());
      o.sender = op.finish(a_.members());
      o.group = group_name(o.header);
      if (!o.sender) o.superseded_by = superseded_by(o.header);
    } catch (const OpenError& e) {
      report(where, cut_short(e.what(), streamed));
      return false;
    } catch (const AuthError& e) {
      report(where, cut_short(e.what(), streamed));
      return false;
    }
    // Verified: now, and only now, the plaintext and its sender.
    if (json_) {
      write_json(where, o, hold);
    } else {
      Streamed out(*this);
      hold.replay(out);
      out.end();
      describe(o);
    }
    return true;
  }

  // A message that did not open (exit 1), or, with `error`, one that opened
  // but cannot be written as asked (exit 2).
  void report(const std::string& where, const std::string& what, bool error = false) {
    ++(error ? errored_ : failed_);
    print_error(where + ": " + what);
    if (json_) {
      nlohmann::ordered_json j = {{"message", count_}, {"offset", offset_}, {"error", what}};
      add_file(j);
      write_json_line(j);
    }
  }

  // With FILE operands, every line about a message names the FILE it is in.
  void start_file(const std::string& name) { file_ = name; }

  int count() const { return count_; }
  bool failed() const { return failed_ > 0; }
  bool errored() const { return errored_ > 0; }
  int not_written() const { return failed_ + errored_; }

 private:
  // One plaintext on its way to the output: after a newline if the one before
  // did not end with one, escaped for a terminal; chunks of a large one are
  // gathered into writes of 1 MiB, a small one leaves at once. It counts
  // what it wrote.
  class Streamed : public Output {
   public:
    explicit Streamed(Run& run) : run_(run), safe_(run.out_) {
      if (run_.wrote_any_ && !run_.ended_with_newline_) run_.write_out(as_bytes("\n"));
    }
    void write(std::span<const std::uint8_t> b) override {
      if (b.empty()) return;
      last_ = b.back();
      if (buffer_.size() == 0) {
        if (b.size() < gather_from) {
          put(b);
          return;
        }
        buffer_ = SecretBytes(1 << 20);
      }
      while (!b.empty()) {
        std::size_t n = std::min(b.size(), buffer_.size() - used_);
        std::memcpy(buffer_.data() + used_, b.data(), n);
        used_ += n;
        b = b.subspan(n);
        if (used_ == buffer_.size()) flush();
      }
    }
    // After the whole plaintext: flushes, and ends the line on a terminal
    // so that the sender's line (stderr) starts one of its own.
    void end() {
      flush();
      if (run_.tty_) safe_.finish();
      run_.wrote_any_ = true;
      run_.ended_with_newline_ = written_ == 0 || last_ == '\n';
      if (run_.tty_ && !run_.ended_with_newline_) {
        run_.write_out(as_bytes("\n"));
        run_.ended_with_newline_ = true;
      }
    }
    std::uint64_t written() const { return written_ + used_; }

   private:
    static constexpr std::size_t gather_from = 64 * 1024;  // a whole STREAM chunk

    void flush() {
      if (used_ == 0) return;
      put(std::span<const std::uint8_t>(buffer_.data(), used_));
      used_ = 0;
    }
    void put(std::span<const std::uint8_t> b) {
      if (run_.tty_)
        safe_.write(b);
      else
        run_.out_.write(b);
      written_ += b.size();
    }
    Run& run_;
    TerminalSafe safe_;
    SecretBytes buffer_;
    std::size_t used_ = 0;
    std::uint64_t written_ = 0;
    int last_ = -1;
  };

  // The reason an anonymous message failed, and what of it was written
  // (with -o, nothing: FILE is not replaced).
  std::string cut_short(const std::string& why, std::optional<Streamed>& s) {
    if (!s || to_file_) return why;
    std::uint64_t n = s->written();
    if (n == 0) return why;
    // What verified is written; what did not is not.
    s->end();
    return why + " (the first " + std::to_string(n) + " bytes of it, which verified, were written)";
  }

  std::string group_name(const MessageHeader& h) {
    if (a_.keyring) {
      if (KnownGroup* g = a_.keyring->find(h.group)) return g->entry.name;
    } else {
      return a_.daemon_keys->last_group();  // named when it gave the key
    }
    return "?";
  }

  std::optional<Epoch> superseded_by(const MessageHeader& h) {
    return a_.keyring ? a_.keyring->superseded_by(h) : a_.daemon_keys->last_superseded_by();
  }

  void describe(const Opened& o) {
    std::string who;
    if (!o.sender) {
      who = "anonymous";
      // Anyone who held this epoch's key could have sealed it, and some of
      // them are no longer members (grypt-open.1).
      if (o.superseded_by)
        who += " (epoch " + o.superseded_by->to_string() +
               " has replaced it with other members: it may come from a removed member)";
    } else {
      who = "from " + o.sender->name + " [" + o.sender->key.fingerprint_text() + "]";
      if (!o.sender->current)
        who += ", whose membership now could not be checked (the newest roster is not at hand)";
      else if (!*o.sender->current)
        who += ", who is no longer a member";
    }
    note(in_file(o.group + " epoch " + o.header.epoch.to_string() + ": " + who));
  }

  std::string in_file(const std::string& text) const { return file_.empty() ? text : file_ + ": " + text; }

  void add_file(nlohmann::ordered_json& j) const {
    if (!file_.empty()) j["file"] = file_;
  }

  void write_json(const std::string& where, const Opened& o, Hold& hold) {
    auto plain = hold.in_memory();
    if (!plain) {
      report(where, "too large for --json (over 16 MiB): open it without --json", true);
      return;
    }
    nlohmann::ordered_json j = {{"message", count_}, {"group", o.group}, {"epoch", o.header.epoch.value()},
                                {"signed", o.header.is_signed}};
    if (o.sender) {
      nlohmann::ordered_json current = nullptr;
      if (o.sender->current) current = *o.sender->current;
      j["sender"] = {{"name", o.sender->name}, {"key", o.sender->key.to_string()},
                     {"fingerprint", o.sender->key.fingerprint_text()}, {"current", current}};
    } else {
      j["sender"] = nullptr;
    }
    j["superseded_by"] = nullptr;
    if (o.superseded_by) j["superseded_by"] = o.superseded_by->value();
    std::string_view text(reinterpret_cast<const char*>(plain->data()), plain->size());
    if (valid_utf8(text))
      j["text"] = std::string(text);
    else
      j["base64"] = base64_encode(plain->span(), Base64::standard);
    add_file(j);
    write_json_line(j);
  }

  // One JSON object per line; to a terminal, with the same escapes as
  // plaintext gets there (controls and bidirectional formatting).
  void write_json_line(const nlohmann::ordered_json& j) {
    std::string line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    if (tty_) line = json_for_terminal(line);
    write_out(as_bytes(line + "\n"));
  }

  void write_out(std::span<const std::uint8_t> b) { out_.write(b); }

  GroupAccess& a_;
  Output& out_;
  bool json_, tty_, to_file_;
  std::string file_;  // the FILE being read, when FILEs were named
  int count_ = 0;
  std::uint64_t offset_ = 0;
  int failed_ = 0, errored_ = 0;  // messages that did not open; that could not be written as asked
  bool wrote_any_ = false, ended_with_newline_ = true;
};

// Opens every message of one input: one binary message, or every token
// found in text.
void scan(Run& run, Input& source) {
  std::vector<std::uint8_t> first(1);
  first.resize(source.read_full(first));
  Prefixed in(first, source);
  if (looks_binary(first)) {
    run.open(in, 0, 0);
    return;
  }
  ArmorReader reader(in);
  while (reader.next()) run.open(reader.body(), reader.offset(), 0);
}

// With -o, FILE gets the output only when every message opened and was
// written as asked; otherwise it is left as it was, and says so.
int finish(Run& run, OutputFile& output) {
  int status = run.errored() ? exit_error : run.failed() ? exit_no : exit_ok;
  if (status == exit_ok)
    output.commit();
  else if (output.is_file())
    print_error(output.path() + " left as it was: " + std::to_string(run.not_written()) + " of " +
                std::to_string(run.count()) + " messages failed");
  return status;
}

cxxopts::Options open_options() {
  cxxopts::Options o("grypt-open", "Open every grypt message in the FILEs, or in stdin");
  o.custom_help("[--json] [-o FILE] [-i FILE] [FILE...]");
  o.positional_help("");
  o.add_options()("json", "one JSON object per message, on a line of its own (plaintext as text or base64)")
      ("quiet", "no progress line on stderr (shown only at a terminal, after a second, when stdout is not one), "
                "and no note when there is no message");
  add_output_option(o, "write to FILE (mode 0600), which is replaced only if every message opened (- is stdout)");
  add_group_options(o);
  o.parse_positional({"files"});
  o.add_options("hidden")("files", "", cxxopts::value<std::vector<std::string>>());
  return o;
}

int body(int argc, char** argv) {
  cxxopts::Options o = open_options();
  auto r = parse_options(o, argc, argv);
  if (handle_common_options(o, r,
                            "\nEvery form is found, mixed in any text: grypt: lines, blocks, grypt\u00d7 (x) and\n"
                            "grypt\u2261 (dense) tokens; or one binary message per input.\n"
                            "The FILEs are read in turn, or stdin when none is named (- is stdin).\n"
                            "Plaintexts go to stdout or -o FILE, senders to stderr.\n"
                            "Exit status: 0 every message opened, or there was none; 1 one did not\n"
                            "(tampered, no key, forged sender); 2 error: a FILE that cannot be read,\n"
                            "a message that cannot be written as asked.\n"
                            "See grypt-open(1).\n"))
    return exit_ok;
  std::vector<std::string> files;
  if (r.count("files")) files = option<std::vector<std::string>>(r, "files");
  OutputFile output(r, 0600);
  GroupAccess access = open_group_access(r, true);
  Run run(access, r.count("json") > 0, output);
  grow_pipe(STDOUT_FILENO);
  // Counts what is read, of every FILE; never beside plaintext written to
  // the same terminal.
  const bool typed = isatty(STDIN_FILENO) && (files.empty() || std::count(files.begin(), files.end(), "-") > 0);
  Progress progress("opening", !r.count("quiet") && !output.is_terminal() && !typed);
  for (const std::string& name : files.empty() ? std::vector<std::string>{"-"} : files) {
    InputFile file(name);
    if (!files.empty()) run.start_file(file.name());
    CountedInput counted(file.in(), progress);
    scan(run, counted);
  }
  if (run.count() == 0 && !r.count("quiet")) say_no_message();
  return finish(run, output);
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("grypt-open", argc, argv, grypt::body); }
