// grypt-testserver: a group server that says what a test tells it to, for
// the tests of what a member's daemon does with a server that breaks the
// protocol (test/bats/grypt-sync.bats). It listens on 127.0.0.1, prints
// a reference to its group on stdout, and for each connection: TLS as
// grypt-protocol.7 says, its welcome, then for each hello or other frame
// from the member one JSON line on stderr ({"from":...}), and the frames
// of the script (one JSON object per line) sent after the hello. It
// answers pings unless --mute.
//
//   grypt-testserver -i IDENTITY --group NAME [--script FILE] [--mute]
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/use_awaitable.hpp>
#include <cxxopts.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "core/encoding.h"
#include "core/error.h"
#include "core/group.h"
#include "core/reference.h"
#include "core/identity_file.h"
#include "core/tool.h"
#include "proto/frame.h"
#include "proto/server.h"
#include "net/tls.h"

namespace grypt {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

struct Options {
  std::string identity, group, script;
  bool mute = false;
};

std::vector<std::string> script_lines(const std::string& path) {
  std::vector<std::string> out;
  if (path.empty()) return out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

awaitable<void> session(tcp::socket socket, const TlsContext& tls, const Identity& id, const Options& o) {
  TlsStream s(tls, std::move(socket));
  try {
    co_await s.handshake();
    std::vector<std::uint8_t> welcome = frame(proto::encode(proto::FromServer{proto::Welcome{id.public_key()}}));
    co_await s.write_all(welcome);
    FrameBuffer in;
    bool greeted = false;
    for (;;) {
      std::vector<std::uint8_t> buf(16384);
      std::size_t n = co_await s.read_some(buf);
      if (n == 0) break;
      in.feed(std::span(buf.data(), n));
      while (auto body = in.next()) {
        std::cerr << "{\"from\":" << std::string(body->begin(), body->end()) << "}" << std::endl;
        proto::FromMember m = proto::decode_from_member(*body);
        if (std::holds_alternative<proto::Ping>(m) && !o.mute) {
          std::vector<std::uint8_t> pong = frame(proto::encode(proto::FromServer{proto::Pong{}}));
          co_await s.write_all(pong);
        }
        if (std::holds_alternative<proto::Hello>(m) && !greeted) {
          greeted = true;
          for (const std::string& line : script_lines(o.script)) {
            std::vector<std::uint8_t> f = frame(std::span(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()));
            co_await s.write_all(f);
          }
        }
      }
    }
  } catch (const std::exception& e) {
    std::cerr << nlohmann::json{{"closed", e.what()}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  }
}

awaitable<void> serve(tcp::acceptor& acceptor, const TlsContext& tls, const Identity& id, const Options& o) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
    asio::co_spawn(acceptor.get_executor(), session(std::move(socket), tls, id, o), asio::detached);
  }
}

int body(int argc, char** argv) {
  cxxopts::Options opts("grypt-testserver", "A scripted group server for the tests");
  Options o;
  opts.add_options()
      ("i,identity", "identity file (no passphrase)", cxxopts::value<std::string>())
      ("group", "the group named in the reference", cxxopts::value<std::string>())
      ("script", "frames to send after the hello, one JSON object per line", cxxopts::value<std::string>())
      ("mute", "do not answer pings")
      ("group-id", "the group id the reference names (base64url): a real group's, served from its states",
       cxxopts::value<std::string>());
  auto r = opts.parse(argc, argv);
  o.identity = r["identity"].as<std::string>();
  o.group = r["group"].as<std::string>();
  if (r.count("script")) o.script = r["script"].as<std::string>();
  o.mute = r.count("mute") > 0;
  Identity id = load_identity(o.identity, [] { return SecretBytes(); });
  asio::io_context io;
  TlsContext tls(TlsContext::Role::server, id);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  // A group id nothing else has (this server has no real group), one per
  // name: a member may join several test servers.
  GroupId fake{};
  crypto_generichash(fake.data(), fake.size(), reinterpret_cast<const unsigned char*>(o.group.data()),
                     o.group.size(), nullptr, 0);
  if (r.count("group-id")) {
    auto id_bytes = base64_decode(r["group-id"].as<std::string>(), Base64::url_unpadded);
    if (id_bytes.size() != fake.size()) throw UsageError("--group-id: not 32 bytes");
    std::copy(id_bytes.begin(), id_bytes.end(), fake.begin());
  }
  GroupReference ref{id.public_key(), fake, {{"127.0.0.1", acceptor.local_endpoint().port()}}, o.group};
  std::cout << ref.to_string() << std::endl;
  asio::co_spawn(io, serve(acceptor, tls, id, o), asio::detached);
  io.run();
  return exit_ok;
}

}  // namespace
}  // namespace grypt

int main(int argc, char** argv) { return grypt::run_tool("grypt-testserver", argc, argv, grypt::body); }
