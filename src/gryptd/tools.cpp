// Answering the tools (grypt-protocol.7, DAEMON PROTOCOL): one function
// per request, dispatched by the request's type.
#include <unistd.h>

#include <asio/use_awaitable.hpp>
#include <filesystem>

#include "core/encoding.h"
#include "core/error.h"
#include "core/join_request.h"
#include "core/vault_format.h"
#include "gryptd/agent.h"
#include "core/overloaded.h"

namespace grypt {
namespace {

using asio::awaitable;

// How long a tool waits for the server to answer about a group the daemon
// cannot answer for itself: one it is not a member of, or an epoch newer
// than it holds. Connected and synced, a newer epoch would be pushed at
// once: only one already on its way is worth a short wait.
constexpr auto catch_up_wait = 3s;
constexpr auto in_flight_wait = 300ms;

daemon::Failure wrong_server(const KnownGroup* g) {
  return {daemon::Code::wrong_server, "the server of " + g->entry.name +
                                          " is not the one its reference names (its key is not the "
                                          "reference's): check the reference"};
}

daemon::Failure not_member(const KnownGroup* g, const PublicKey& key) {
  return {daemon::Code::not_member, "you are not a member of " + g->entry.name +
                                        ": send your key to its administrator: " + key.to_string()};
}

// Whether a request needs a key the daemon holds only while unlocked
// (gryptd.1, Locking); the others are answered locked too.
bool needs_keys(const daemon::Request& r) {
  if (const auto* l = std::get_if<daemon::Listing>(&r)) return l->what == daemon::Listing::What::pending;
  return !std::holds_alternative<daemon::Status>(r) && !std::holds_alternative<daemon::Members>(r) &&
         !std::holds_alternative<daemon::Leave>(r) && !std::holds_alternative<daemon::Stop>(r) &&
         !std::holds_alternative<daemon::Lock>(r) && !std::holds_alternative<daemon::Unlock>(r);
}

}  // namespace

daemon::Failure locked_failure() {
  return {daemon::Code::locked, "gryptd is locked: unlock it with gryptd unlock"};
}

awaitable<daemon::Reply> ToolSession::handle(const daemon::Request& req) {
  try {
    if (needs_keys(req)) {
      // An identity without a passphrase has nothing to ask: it unlocks.
      if (a_.locked() && a_.options.passphrase_free)
        if (std::optional<daemon::Failure> f = a_.unlock(nullptr)) co_return *f;
      if (a_.locked()) co_return locked_failure();
      a_.used();
    }
    awaitable<daemon::Reply> answer = std::visit(
        overloaded{
            [&](const daemon::Status&) { return status(); },
            [&](const daemon::Seal& s) { return seal(s); },
            [&](const daemon::Sign& s) { return sign(s); },
            [&](const daemon::Open& o) { return open(o); },
            [&](const daemon::Members& m) { return members(m); },
            [&](const daemon::Vault& v) { return vault(v); },
            [&](const daemon::Join& j) { return join(j); },
            [&](const daemon::Stop& s) { return stop(s); },
            [&](const daemon::Create& c) { return create(c); },
            [&](const daemon::Add& a) { return add(a); },
            [&](const daemon::AddMany& a) { return add_many(a); },
            [&](const daemon::Change& c) { return change(c); },
            [&](const daemon::Move& m) { return move(m); },
            [&](const daemon::Listing& l) { return listing(l); },
            [&](const daemon::Leave& l) { return leave(l); },
            [&](const daemon::Lock& l) { return lock(l); },
            [&](const daemon::Unlock& u) { return unlock(u); },
        },
        req);
    co_return co_await std::move(answer);
  } catch (const UnknownGroupError& e) {
    co_return daemon::Failure{daemon::Code::unknown_group, e.what()};
  } catch (const OpenError& e) {
    co_return daemon::Failure{e.fault() == Fault::forked ? daemon::Code::forked : daemon::Code::unknown_epoch,
                              e.what()};
  } catch (const UsageError& e) {
    co_return daemon::Failure{daemon::Code::usage, e.what()};
  } catch (const Error& e) {
    co_return daemon::Failure{daemon::Code::protocol, e.what()};
  }
}

awaitable<daemon::Reply> ToolSession::status() {
  Keyring& k = a_.keyring;
  daemon::StatusReply s{k.public_key().to_string(), static_cast<std::uint64_t>(::getpid()), k.locked(), {}};
  for (KnownGroup* g : k.groups()) {
    Live& l = a_.live(g);
    daemon::GroupStatus st{g->entry.name, g->entry.reference.to_string(), a_.standing(g), 0,
                           g->chain.confirmed, g->chain.roster().size(), a_.why(g), {}, 0, ""};
    if (!g->chain.empty()) {
      st.epoch = g->chain.head().epoch.value();
      st.head = g->chain.hash(g->chain.head().epoch);
      st.expires = g->chain.head().expires;
    }
    if (const RosterEntry* me = g->chain.roster().find(k.public_key()); me && l.standing != Standing::not_member)
      st.role = role_name(me->role);
    s.groups.push_back(std::move(st));
  }
  co_return s;
}

// Before saying "not a member" or "no such epoch", ask the server once
// more: a member just admitted, or an epoch made a moment ago, is known to
// it before this daemon's next attempt. Once per tool and group: a feed of
// posts of a group we left costs one ask.
awaitable<void> ToolSession::catch_up(KnownGroup* g, Epoch wanted) {
  Live& l = a_.live(g);
  auto holds = [&] {
    return l.standing != Standing::not_member && !g->chain.empty() && g->chain.head().epoch >= wanted;
  };
  Link* link = a_.link(g);
  if (holds() || !link || !asked_.insert(g).second) co_return;
  std::chrono::milliseconds wait = catch_up_wait;
  if (!link->connected())
    link->wake();
  else if (l.standing == Standing::not_member)
    link->ask_again(g);
  else if (l.standing == Standing::connected)
    wait = in_flight_wait;
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::uint64_t answers = l.answers;
  // Until the server answered about the group (what we hold then is all
  // we get), or the wait is over.
  while (!holds() && l.answers == answers && !a_.stopping) {
    bool woke = co_await a_.signal_of(g).wait_until(deadline);
    if (!woke) co_return;
  }
}

awaitable<daemon::Reply> ToolSession::seal(const daemon::Seal& s) {
  KnownGroup* g = a_.keyring.find(s.group);
  if (!g) throw UnknownGroupError("no group named " + s.group + " (see gryptd join)");
  Live& l = a_.live(g);
  if (g->chain.empty() || l.standing == Standing::not_member) co_await catch_up(g, Epoch(1));
  if (l.standing == Standing::wrong_server && !g->chain.newest_key()) co_return wrong_server(g);
  if (l.standing == Standing::not_member) co_return not_member(g, a_.keyring.public_key());
  // Two histories: no post until the user decides which is the group's.
  if (l.standing == Standing::forked)
    co_return daemon::Failure{daemon::Code::forked, "not sealing for " + g->entry.name + ": " + l.why +
                                                        " (see gryptd status)"};
  // Fresh means confirmed now, by a round trip to the server (grypt-seal.1,
  // --require-fresh); the epoch is chosen once it answered.
  daemon::SealReply r;
  r.fresh = false;
  if (Link* link = a_.link(g); link && a_.standing(g) == Standing::connected)
    if (std::optional<std::int64_t> t = co_await link->confirm(); t && a_.standing(g) == Standing::connected)
      r.fresh = true;
  if (a_.locked()) co_return locked_failure();  // locked while the server was asked
  auto [h, key] = a_.keyring.seal(s.group, s.is_signed);
  r.header = h.encode();
  r.key = std::move(key.key);
  r.state_hash = key.state;
  r.epoch = h.epoch.value();
  r.confirmed = g->chain.confirmed;
  r.state = a_.standing(g);
  if (s.digest) {
    SignedDigest sd = IdentitySigner(a_.keyring.identity()).sign(h, key.state, *s.digest);
    r.signature = daemon::SignReply{sd.key_id, sd.signature};
  }
  co_return r;
}

awaitable<daemon::Reply> ToolSession::sign(const daemon::Sign& s) {
  MessageHeader h = MessageHeader::decode(s.header);
  // The state the header names, which this member holds: a header whose
  // state it does not hold is not signed.
  MessageKey key = a_.keyring.message_key(h);
  SignedDigest sd = IdentitySigner(a_.keyring.identity()).sign(h, key.state, s.digest);
  co_return daemon::SignReply{sd.key_id, sd.signature};
}

awaitable<daemon::Reply> ToolSession::open(const daemon::Open& o) {
  MessageHeader h = MessageHeader::decode(o.header);
  if (KnownGroup* g = a_.keyring.find(h.group)) {
    co_await catch_up(g, h.epoch);
    if (a_.locked()) co_return locked_failure();  // locked while the server was asked
    if (a_.live(g).standing == Standing::wrong_server && !g->chain.key(h.epoch)) co_return wrong_server(g);
  }
  daemon::OpenReply r;
  MessageKey key = a_.keyring.message_key(h);
  r.key = std::move(key.key);
  r.state_hash = key.state;
  r.group = a_.keyring.find(h.group)->entry.name;
  r.epoch = h.epoch.value();
  if (std::optional<Epoch> e = a_.keyring.superseded_by(h)) r.superseded_by = e->value();
  co_return r;
}

// Rosters follow from the chain the member holds: the members of the
// message's epoch with the key id, and whether each is in the newest held.
awaitable<daemon::Reply> ToolSession::members(const daemon::Members& m) {
  KnownGroup* g = a_.keyring.find(m.group);
  if (!g) co_return daemon::Failure{daemon::Code::unknown_group, "a group you do not know"};
  MessageHeader h;
  h.group = m.group;
  h.epoch = m.epoch;
  daemon::MembersReply r;
  for (Member& x : a_.keyring.lookup(h, m.key_id)) r.members.push_back({x.name, x.key, x.current});
  co_return r;
}

awaitable<daemon::Reply> ToolSession::vault(const daemon::Vault& v) { co_return vault_request(a_, v); }

awaitable<daemon::Reply> ToolSession::join(const daemon::Join& j) {
  GroupReference ref = GroupReference::parse(j.reference);
  bool known = a_.keyring.find(j.name) != nullptr;
  KnownGroup& g = a_.keyring.join(j.name, ref, j.note);
  if (!known) a_.link_for(&g);
  co_return daemon::Done{};
}

awaitable<daemon::Reply> ToolSession::stop(const daemon::Stop&) { co_return daemon::Done{}; }

// The administrators told with a signed leave request when the server is
// connected and the key a member; then the group forgotten, and its cache
// (chain and epoch keys) removed (grypt-protocol.7, leave).
awaitable<daemon::Reply> ToolSession::leave(const daemon::Leave& l) {
  KnownGroup* g = a_.keyring.find(l.group);
  if (!g) throw UnknownGroupError("no group named " + l.group + " (see gryptd status)");
  bool told = false;
  Link* link = a_.link(g);
  const Standing standing = a_.standing(g);
  if (!a_.locked() && link && link->connected() &&
      (standing == Standing::connected || standing == Standing::expired) &&
      g->chain.roster().find(a_.keyring.public_key())) {
    JoinRequest r{g->id(), a_.now(), a_.keyring.public_key(), "", JoinRequest::Kind::leave};
    std::vector<std::uint8_t> request = r.sign(a_.keyring.identity());
    auto keep = link->shared_from_this();
    auto answer = co_await link->leave(g->entry.reference.name, std::move(request));
    told = answer && std::holds_alternative<proto::Left>(*answer);
    if (answer && !told) a_.log(l.group + ": the server refused the leave request: " +
                                std::get<proto::Refused>(*answer).message);
    // Another request may have forgotten it meanwhile.
    g = a_.keyring.find(l.group);
    if (!g) co_return daemon::LeftReply{told};
  }
  std::string dir = g->dir;
  // A server that took the request follows the group no more on this
  // connection: nothing to start again.
  a_.forget(g, !told);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    std::string what = "left " + l.group + ", but its cache " + dir + " could not be removed: " + ec.message();
    a_.log(what);
    throw SystemError(what);
  }
  a_.log("left " + l.group + (told ? "; its administrators were told" : "") + "; its cache " + dir + " is removed");
  co_return daemon::LeftReply{told};
}

daemon::Reply vault_request(Agent& a, const daemon::Vault& v) {
  daemon::VaultReply r;
  std::vector<std::uint8_t> file = v.vault_key_file;
  const Identity& id = a.keyring.identity();
  if (v.create) {
    // A new vault: its key is made here and never leaves, sealed to the
    // identity; the tool writes the file.
    SecretBytes key(key_bytes);
    random_bytes(key.span());
    file = encode_vault_key_file(key, {id.public_key()});
    r.vault_key_file = file;
  }
  std::array<std::uint8_t, 32> digest;
  sha256(file, digest);
  std::string name = base64_encode(digest, Base64::url_unpadded);
  auto it = a.vault_keys.find(name);
  if (it == a.vault_keys.end()) {
    try {
      it = a.vault_keys.emplace(name, open_vault_key_file(file, id)).first;
    } catch (const OpenError& e) {
      return daemon::Failure{daemon::Code::vault, e.what()};
    }
  }
  if (!v.reseal.empty()) {
    try {
      r.vault_key_file = encode_vault_key_file(it->second, v.reseal);
    } catch (const UsageError& e) {
      return daemon::Failure{daemon::Code::protocol, e.what()};
    }
  }
  LocalVaultKeys keys(SecretBytes::copy_of(it->second.span()));
  for (const std::string& n : v.locators) r.locators.push_back(keys.locator(n));
  for (const daemon::EntryHead& h : v.name_keys) r.name_keys.push_back(keys.name_key(h));
  for (const auto& [h, n] : v.entry_keys) r.entry_keys.push_back(keys.entry_key(h, n));
  return r;
}

awaitable<daemon::Reply> ToolSession::lock(const daemon::Lock&) {
  a_.lock("asked by a tool");
  co_return daemon::Done{};
}

awaitable<daemon::Reply> ToolSession::unlock(const daemon::Unlock& u) {
  if (std::optional<daemon::Failure> f = a_.unlock(&u.passphrase)) co_return *f;
  co_return daemon::Done{};
}

}  // namespace grypt
