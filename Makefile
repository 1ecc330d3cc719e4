# grypt: a plain Makefile (STYLE.md). Targets: all (default), check, demo,
# bench, fuzz, install, uninstall, deb, clean, deps. V=1 for loud builds,
# SANITIZE=1 for an ASan+UBSan build in build/san, PREFIX and DESTDIR for
# install. CPPFLAGS, CXXFLAGS and LDFLAGS from the environment or the
# command line (as dpkg-buildflags sets them) come after the build's own.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
CXX        ?= g++
# One line per tool: the install, the package and the tests follow these.
TOOLS      := pw-hash grypt-keygen vault-put vault-get grypt-seal grypt-open grypt-admin
SERVICES   := gryptserver gryptd  # gryptd is a user's agent: installed to bin, the server to sbin

ifeq ($(SANITIZE),1)
BUILD      := build/san
BIN        := build/san/bin
# GCC 12 reports false maybe-uninitialized warnings in <regex> (used by
# cxxopts) under sanitizer instrumentation.
OPT        := -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wno-maybe-uninitialized
# -g1: line tables and functions, what the sanitizers' reports need; a
# third less compile time than -g (the sanitizer build is the longest part
# of CI).
CXXFLAGS   ?= -O1 -g1
LDSAN      := -fsanitize=address,undefined
else
BUILD      := build/release
BIN        := bin
OPT        :=
CXXFLAGS   ?= -O2 -g
LDSAN      :=
endif

# Hardening, whatever the environment adds (Debian 12's dpkg-buildflags
# has neither stack clash nor control-flow protection). _FORTIFY_SOURCE
# needs optimisation, and is left to the environment when it sets it (a
# second definition would be a warning); not under ASan, which checks the
# same calls more closely. CET on x86, branch protection on arm64.
MACHINE    := $(shell $(CXX) -dumpmachine 2>/dev/null)
FORTIFY    := $(if $(or $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CXXFLAGS)),$(filter 1,$(SANITIZE))),,-D_FORTIFY_SOURCE=3)
HARDEN     := -fstack-protector-strong -fPIE \
              $(if $(filter x86_64-% i386-% i486-% i586-% i686-%,$(MACHINE)),-fstack-clash-protection -fcf-protection) \
              $(if $(filter aarch64-%,$(MACHINE)),-fstack-clash-protection -mbranch-protection=standard)
HARDEN_LD  := -pie -Wl,-z,relro -Wl,-z,now

WARN       := -Wall -Wextra $(if $(WERROR),-Werror)
# ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio picks aligned_alloc or operator new by
# whether a libstdc++ header came first; files that include Asio first and
# files that do not would free each other's coroutine frames with the wrong
# function (ASan: alloc-dealloc-mismatch). One choice for every file.
GRYPT_CPPFLAGS := -Isrc -I/usr/include/postgresql -DGRYPT_VERSION='"$(VERSION)"' -DASIO_STANDALONE -DASIO_DISABLE_STD_ALIGNED_ALLOC \
              -DCXXOPTS_NO_REGEX $(FORTIFY)
# -ffile-prefix-map: no path of this checkout in the binaries, so two
# builds of one commit in two directories are the same bytes.
GRYPT_CXXFLAGS := -std=c++20 $(OPT) $(WARN) $(HARDEN) -pthread -ffile-prefix-map=$(CURDIR)=.
GRYPT_LDFLAGS := $(LDSAN) $(HARDEN_LD)
ALL_CPPFLAGS = $(GRYPT_CPPFLAGS) $(CPPFLAGS)
ALL_CXXFLAGS = $(GRYPT_CXXFLAGS) $(CXXFLAGS)
ALL_LDFLAGS  = $(GRYPT_LDFLAGS) $(LDFLAGS)
# libcrypto is not linked: src/core/crypto.cpp loads it when bulk work
# first needs it, so small work never pays for loading it.
LDLIBS     := -lsodium -largon2 -pthread
# The tools link the C++ runtime statically: resolving libstdc++'s symbols
# at every start was a fifth of a small vault-get's time (README,
# performance). The crypto libraries stay shared, for security updates.
TOOL_LDFLAGS := -static-libstdc++ -static-libgcc

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif

CORE_SRC   := $(filter-out %_test.cpp,$(wildcard src/core/*.cpp))
CORE_OBJ   := $(CORE_SRC:src/%.cpp=$(BUILD)/%.o)
IPC_OBJ    := $(patsubst src/%.cpp,$(BUILD)/%.o,$(filter-out %_test.cpp,$(wildcard src/ipc/*.cpp)))
PROTO_OBJ  := $(patsubst src/%.cpp,$(BUILD)/%.o,$(filter-out %_test.cpp,$(wildcard src/proto/*.cpp)))
NET_OBJ    := $(patsubst src/%.cpp,$(BUILD)/%.o,$(filter-out %_test.cpp,$(wildcard src/net/*.cpp)))
# The server's parts but its main, so the unit tests can link them.
SERVER_OBJ := $(patsubst src/%.cpp,$(BUILD)/%.o,$(filter-out %_test.cpp src/gryptserver/main.cpp,$(wildcard src/gryptserver/*.cpp)))
DAEMON_OBJ := $(patsubst src/%.cpp,$(BUILD)/%.o,$(filter-out %_test.cpp src/gryptd/main.cpp,$(wildcard src/gryptd/*.cpp)))
TEST_SRC   := $(wildcard src/*/*_test.cpp) test/vectors/vectors_test.cpp
TEST_OBJ   := $(patsubst %.cpp,$(BUILD)/%.o,$(TEST_SRC:src/%=%)) $(BUILD)/test/vectors/vector.o
VEC_CHECK  := $(BUILD)/vector-check
VEC_GEN    := $(BUILD)/vector-generate
TOOL_OBJ   := $(TOOLS:%=$(BUILD)/tools/%.o)
LIBGRYPT   := $(BUILD)/libgrypt.a
LIBIPC     := $(BUILD)/libgrypt-ipc.a
LIBPROTO   := $(BUILD)/libgrypt-proto.a
LIBNET     := $(BUILD)/libgrypt-net.a
UNIT       := $(BUILD)/unit-tests
TESTCLIENT := $(BUILD)/grypt-testclient
TESTSERVER := $(BUILD)/grypt-testserver
BINS       := $(TOOLS:%=$(BIN)/%) $(SERVICES:%=$(BIN)/%)
# The services speak TLS and keep their store in SQLite or PostgreSQL.
SERVICE_LIBS := -lssl -lcrypto -lsqlite3 -lpq
FLAGS_FILE := $(BUILD)/flags

.PHONY: all check demo bench fuzz fuzz-deps install uninstall deb clean deps vectors FORCE print-%
all: $(BINS)

# Rebuild everything when the flags change (a -Werror check build after a
# plain one, say). build-aux/deb --reuse writes FLAGS_LINE too.
FLAGS_LINE = $(CXX) $(ALL_CPPFLAGS) $(ALL_CXXFLAGS) $(ALL_LDFLAGS)
$(FLAGS_FILE): FORCE
	@mkdir -p $(@D)
	@echo '$(FLAGS_LINE)' | cmp -s - $@ || echo '$(FLAGS_LINE)' > $@

# GCC 12 warns that Asio's coroutine frames are freed by a mismatched
# operator delete (GCC bug 105529, a false positive): not in the
# directories that use Asio coroutines (by the first part of the path).
ASIO_WARN   := -Wno-mismatched-new-delete
DIR_FLAGS_net := $(ASIO_WARN)
DIR_FLAGS_gryptserver := $(ASIO_WARN)
DIR_FLAGS_gryptd := $(ASIO_WARN)
DIR_FLAGS_client := $(ASIO_WARN)
DIR_FLAGS_server := $(ASIO_WARN)
dir_flags = $(DIR_FLAGS_$(firstword $(subst /, ,$(1))))

$(BUILD)/%.o: src/%.cpp $(FLAGS_FILE)
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(ALL_CPPFLAGS) $(ALL_CXXFLAGS) $(call dir_flags,$*) -MMD -MP -c $< -o $@


$(BUILD)/test/%.o: test/%.cpp $(FLAGS_FILE)
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(ALL_CPPFLAGS) -Itest/vectors $(ALL_CXXFLAGS) $(call dir_flags,$*) -MMD -MP -c $< -o $@

$(LIBGRYPT): $(CORE_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBIPC): $(IPC_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBPROTO): $(PROTO_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBNET): $(NET_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/%: $(BUILD)/tools/%.o $(LIBIPC) $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(ALL_LDFLAGS) $(if $(LDSAN),,$(TOOL_LDFLAGS)) -o $@ $^ $(LDLIBS)

$(BIN)/gryptserver: $(BUILD)/gryptserver/main.o $(SERVER_OBJ) $(LIBNET) $(LIBIPC) $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(ALL_LDFLAGS) -o $@ $^ $(SERVICE_LIBS) $(LDLIBS)

$(BIN)/gryptd: $(BUILD)/gryptd/main.o $(DAEMON_OBJ) $(LIBNET) $(LIBIPC) $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(ALL_LDFLAGS) -o $@ $^ -lssl -lcrypto $(LDLIBS)

# A protocol client for the tests (not installed).
$(TESTCLIENT): $(BUILD)/test/client/testclient.o $(LIBNET) $(LIBIPC) $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ -lssl -lcrypto $(LDLIBS)

# A scripted server that breaks the protocol on request, for the tests.
$(TESTSERVER): $(BUILD)/test/server/testserver.o $(LIBNET) $(LIBIPC) $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(ALL_LDFLAGS) -o $@ $^ -lssl -lcrypto $(LDLIBS)

# The load program of bench/server (not installed).
LOAD := $(BUILD)/grypt-load
$(LOAD): $(BUILD)/bench/load.o $(BUILD)/gryptd/commits.o $(BUILD)/gryptd/ahead.o $(LIBNET) $(LIBIPC) $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(ALL_LDFLAGS) -o $@ $^ -lssl -lcrypto $(LDLIBS)

# The armor's codec speed, for bench/armor (not installed).
ARMOR_BENCH := $(BUILD)/grypt-armor-bench
$(ARMOR_BENCH): $(BUILD)/bench/armor_speed.o $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(ALL_LDFLAGS) -o $@ $^ -lcrypto $(LDLIBS)

$(BUILD)/bench/%.o: bench/%.cpp $(FLAGS_FILE)
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(ALL_CPPFLAGS) $(ALL_CXXFLAGS) $(ASIO_WARN) -MMD -MP -c $< -o $@

$(UNIT): $(TEST_OBJ) $(SERVER_OBJ) $(DAEMON_OBJ) $(LIBNET) $(LIBIPC) $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(ALL_LDFLAGS) -o $@ $^ -lgtest -lgtest_main $(SERVICE_LIBS) $(LDLIBS)

$(VEC_CHECK): $(BUILD)/test/vectors/check.o $(BUILD)/test/vectors/vector.o $(BUILD)/gryptserver/relay.o $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(VEC_GEN): $(BUILD)/test/vectors/generate.o $(BUILD)/test/vectors/vector.o $(BUILD)/gryptserver/relay.o $(LIBPROTO) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# Regenerates test/vectors/*.vec (deterministic: the same files every time).
vectors: $(VEC_GEN)
	@rm -f test/vectors/*.vec
	@$(VEC_GEN) test/vectors

deps:
	@build-aux/deps build test

# check, demo and bench build in parallel unless make was given -j.
JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))

# GRYPT_MAKE_VARS: the variables of this build, for tests that run make.
# grypt-load is built too: Bats makes thousands of identities with it.
check: deps
	@start=$$(date +%s); \
	  $(MAKE) --no-print-directory $(JOBS) WERROR=1 $(BINS) $(UNIT) $(VEC_CHECK) $(TESTCLIENT) $(TESTSERVER) $(LOAD) || exit 1; \
	  echo "== build: $$(($$(date +%s) - start)) s"
	@GRYPT_BIN=$(CURDIR)/$(BIN) GRYPT_TEST_BIN=$(CURDIR)/$(BUILD) UNIT=$(UNIT) \
	  GRYPT_SANITIZE=$(SANITIZE) GRYPT_MAKE_VARS='WERROR=1 SANITIZE=$(SANITIZE)' build-aux/run-checks

demo: deps
	@$(MAKE) --no-print-directory $(JOBS) $(BINS)
	@GRYPT_BIN=$(CURDIR)/$(BIN) build-aux/demo

bench: deps
	@build-aux/deps bench
	@$(MAKE) --no-print-directory $(JOBS) $(BINS) $(if $(wildcard bench/load.cpp),$(LOAD)) $(ARMOR_BENCH)
	@for b in bench/*; do [ -x "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done

MAN_PAGES  := $(wildcard man/*.[1-8])

# make install: the member's part (the tools, gryptd, their pages, the
# user unit, completion, the README and examples) and the server's part
# (gryptserver, its page, its unit and sysusers entry), each alone too for
# the Debian packages grypt and gryptserver. GNU directory names; set any
# of them on the command line. Binaries are stripped (INSTALL_PROGRAM).
bindir     = $(PREFIX)/bin
sbindir    = $(PREFIX)/sbin
mandir     = $(PREFIX)/share/man
docdir     = $(PREFIX)/share/doc/grypt
systemdsystemunitdir = $(PREFIX)/lib/systemd/system
systemduserunitdir = $(PREFIX)/lib/systemd/user
sysusersdir = $(PREFIX)/lib/sysusers.d
bashcompletiondir = $(PREFIX)/share/bash-completion/completions
INSTALL_PROGRAM = install -m 755 -s
INSTALL_DATA = install -m 644

MEMBER_PROGS := $(TOOLS) gryptd
SERVER_PROGS := gryptserver
SERVER_MAN := $(filter %.8,$(MAN_PAGES))
MEMBER_MAN := $(filter-out $(SERVER_MAN),$(MAN_PAGES))
MEMBER_EXAMPLES := share/grypt/examples/gryptd-passphrase.conf
# Templates (*.in) name the installed programs.
fill_in = sed -e 's|@bindir@|$(bindir)|g' -e 's|@sbindir@|$(sbindir)|g'
# install_man PAGES: each to man<section>/.
install_man = for p in $(1); do \
	  d=$(DESTDIR)$(mandir)/man$${p\#\#*.}; install -d $$d && $(INSTALL_DATA) $$p $$d/ || exit 1; \
	done
# man_paths PAGES: where install_man puts them.
man_paths = $(foreach p,$(1),$(DESTDIR)$(mandir)/man$(patsubst .%,%,$(suffix $(p)))/$(notdir $(p)))
# install_subst TEMPLATE DIR/FILE
install_subst = $(fill_in) $(1).in > $(DESTDIR)$(2).tmp && chmod 644 $(DESTDIR)$(2).tmp && \
	mv $(DESTDIR)$(2).tmp $(DESTDIR)$(2)

.PHONY: install-member install-server uninstall-member uninstall-server
install: install-member install-server
uninstall: uninstall-member uninstall-server

install-member: $(MEMBER_PROGS:%=$(BIN)/%)
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(systemduserunitdir) $(DESTDIR)$(bashcompletiondir) \
	  $(DESTDIR)$(docdir)/examples
	$(INSTALL_PROGRAM) $^ $(DESTDIR)$(bindir)/
	$(call install_man,$(MEMBER_MAN))
	$(call install_subst,share/grypt/gryptd.service,$(systemduserunitdir)/gryptd.service)
	$(INSTALL_DATA) share/grypt/gryptd.socket $(DESTDIR)$(systemduserunitdir)/gryptd.socket
	for t in $(MEMBER_PROGS); do $(INSTALL_DATA) share/bash-completion/completions/grypt $(DESTDIR)$(bashcompletiondir)/$$t || exit 1; done
	$(INSTALL_DATA) README.md $(DESTDIR)$(docdir)/
	$(foreach e,$(MEMBER_EXAMPLES),$(call install_subst,$(e),$(docdir)/examples/$(notdir $(e))) &&) true

install-server: $(SERVER_PROGS:%=$(BIN)/%)
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(systemdsystemunitdir) $(DESTDIR)$(sysusersdir) \
	  $(DESTDIR)$(bashcompletiondir)
	$(INSTALL_PROGRAM) $^ $(DESTDIR)$(sbindir)/
	$(call install_man,$(SERVER_MAN))
	$(call install_subst,share/grypt/gryptserver.service,$(systemdsystemunitdir)/gryptserver.service)
	$(INSTALL_DATA) share/grypt/gryptserver.sysusers $(DESTDIR)$(sysusersdir)/gryptserver.conf
	for t in $(SERVER_PROGS); do $(INSTALL_DATA) share/bash-completion/completions/grypt $(DESTDIR)$(bashcompletiondir)/$$t || exit 1; done

# Exactly what install wrote, and the documentation directory.
uninstall-member:
	rm -f $(MEMBER_PROGS:%=$(DESTDIR)$(bindir)/%) $(MEMBER_PROGS:%=$(DESTDIR)$(bashcompletiondir)/%)
	rm -f $(call man_paths,$(MEMBER_MAN))
	rm -f $(DESTDIR)$(systemduserunitdir)/gryptd.service $(DESTDIR)$(systemduserunitdir)/gryptd.socket \
	  $(DESTDIR)$(docdir)/README.md
	rm -f $(MEMBER_EXAMPLES:share/grypt/examples/%=$(DESTDIR)$(docdir)/examples/%)
	for d in $(DESTDIR)$(docdir)/examples $(DESTDIR)$(docdir); do [ ! -d $$d ] || rmdir $$d || exit 1; done

uninstall-server:
	rm -f $(SERVER_PROGS:%=$(DESTDIR)$(sbindir)/%) $(SERVER_PROGS:%=$(DESTDIR)$(bashcompletiondir)/%)
	rm -f $(call man_paths,$(SERVER_MAN))
	rm -f $(DESTDIR)$(systemdsystemunitdir)/gryptserver.service $(DESTDIR)$(sysusersdir)/gryptserver.conf

# make deb: the Debian packages grypt and gryptserver, and their -dbgsym,
# in build/deb/, built from a copy of the tree (build-aux/deb, debian/).
deb:
	@build-aux/deps build package
	@build-aux/deb build/deb
	@ls build/deb/*.deb

# make -s print-TOOLS: a variable's value, for the tests.
print-%:
	@echo '$($*)'

clean:
	rm -rf build bin

# make fuzz [FUZZ_SECONDS=60 | FUZZ_RUNS=N] [FUZZ_TARGETS=...]: libFuzzer, see fuzz/fuzz.mk.
fuzz-deps:
	@build-aux/deps build fuzz
fuzz: fuzz-deps
include fuzz/fuzz.mk

.SECONDARY:
-include $(CORE_OBJ:.o=.d) $(IPC_OBJ:.o=.d) $(PROTO_OBJ:.o=.d) $(NET_OBJ:.o=.d) $(SERVER_OBJ:.o=.d) $(TEST_OBJ:.o=.d) \
  $(DAEMON_OBJ:.o=.d) $(BUILD)/gryptd/main.d \
  $(TOOL_OBJ:.o=.d) $(BUILD)/gryptserver/main.d $(wildcard $(BUILD)/test/vectors/*.d) \
  $(wildcard $(BUILD)/test/client/*.d) $(wildcard $(BUILD)/test/server/*.d) $(wildcard $(BUILD)/bench/*.d)
