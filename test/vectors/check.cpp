// vector-check FILE...       checks vector files: "ok NAME (expect)" or
//                            "FAIL NAME: why"; exit 1 if any case did not
//                            come out as its expect line says.
// vector-check --open FILE   opens a binary message from stdin with FILE's
//                            keyring and writes its plaintext to stdout as
//                            a tool would: each chunk only after its tag
//                            verified; exit 1 when it does not open.
#include <unistd.h>

#include <iostream>

#include "core/io.h"
#include "core/message.h"
#include "core/tool.h"
#include "vector.h"

namespace {

int open_message(int, char** argv) {
  using namespace grypt;
  vectors::Vector v = vectors::load_vector(argv[2]);
  vectors::Keyring ring(v);
  FdInput in(STDIN_FILENO, "stdin");
  FdOutput out(STDOUT_FILENO, "stdout");
  MessageOpener op(in, ring);
  while (!op.done()) {
    auto plain = op.next();
    if (!plain.empty()) out.write(plain);
  }
  op.finish(ring);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--open")
    return grypt::run_tool("vector-check", argc, argv, open_message);
  grypt::init_crypto();
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    try {
      grypt::vectors::Vector v = grypt::vectors::load_vector(argv[i]);
      std::string why = grypt::vectors::verdict(v, grypt::vectors::check_vector(v));
      if (why.empty()) {
        std::cout << "ok " << v.name << " (" << v.get("expect") << ")\n";
      } else {
        std::cout << "FAIL " << v.name << ": " << why << "\n";
        ++failed;
      }
    } catch (const std::exception& e) {
      std::cout << "FAIL " << argv[i] << ": " << e.what() << "\n";
      ++failed;
    }
  }
  return failed ? 1 : 0;
}
