# grypt: a plain Makefile (STYLE.md). Targets: all (default), check, demo,
# bench, fuzz, install, uninstall, clean, deps. V=1 for loud builds,
# SANITIZE=1 for an ASan+UBSan build in build/san, PREFIX and DESTDIR for
# install.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
CXX        ?= g++
TOOLS      := pw-hash grypt-keygen vault-put vault-get grypt-seal grypt-open
SERVICES   := gryptserver gryptd  # gryptd is a user's agent: installed to bin, the server to sbin

ifeq ($(SANITIZE),1)
BUILD      := build/san
BIN        := build/san/bin
# GCC 12 reports false maybe-uninitialized warnings in <regex> (used by
# cxxopts) under sanitizer instrumentation.
OPT        := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wno-maybe-uninitialized
LDSAN      := -fsanitize=address,undefined
else
BUILD      := build/release
BIN        := bin
OPT        := -O2 -g
LDSAN      :=
endif

WARN       := -Wall -Wextra $(if $(WERROR),-Werror)
# ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio picks aligned_alloc or operator new by
# whether a libstdc++ header came first; files that include Asio first and
# files that do not would free each other's coroutine frames with the wrong
# function (ASan: alloc-dealloc-mismatch). One choice for every file.
CPPFLAGS   := -Isrc -DGRYPT_VERSION='"$(VERSION)"' -DASIO_STANDALONE -DASIO_DISABLE_STD_ALIGNED_ALLOC \
              -DCXXOPTS_NO_REGEX
CXXFLAGS   := -std=c++20 $(OPT) $(WARN) -pthread
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
LIBNET     := $(BUILD)/libgrypt-net.a
UNIT       := $(BUILD)/unit-tests
TESTCLIENT := $(BUILD)/grypt-testclient
BINS       := $(TOOLS:%=$(BIN)/%) $(SERVICES:%=$(BIN)/%)
# The services speak TLS and keep their store in SQLite.
SERVICE_LIBS := -lssl -lcrypto -lsqlite3
FLAGS_FILE := $(BUILD)/flags

.PHONY: all check demo bench fuzz fuzz-deps install uninstall clean deps vectors FORCE
all: $(BINS)

# Rebuild everything when the flags change (a -Werror check build after a
# plain one, say).
$(FLAGS_FILE): FORCE
	@mkdir -p $(@D)
	@echo '$(CXX) $(CPPFLAGS) $(CXXFLAGS)' | cmp -s - $@ || echo '$(CXX) $(CPPFLAGS) $(CXXFLAGS)' > $@

# GCC 12 warns that Asio's coroutine frames are freed by a mismatched
# operator delete (GCC bug 105529, a false positive): not in the
# directories that use Asio coroutines (by the first part of the path).
ASIO_WARN   := -Wno-mismatched-new-delete
DIR_FLAGS_net := $(ASIO_WARN)
DIR_FLAGS_gryptserver := $(ASIO_WARN)
DIR_FLAGS_gryptd := $(ASIO_WARN)
DIR_FLAGS_client := $(ASIO_WARN)
dir_flags = $(DIR_FLAGS_$(firstword $(subst /, ,$(1))))

$(BUILD)/%.o: src/%.cpp $(FLAGS_FILE)
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(call dir_flags,$*) -MMD -MP -c $< -o $@


$(BUILD)/test/%.o: test/%.cpp $(FLAGS_FILE)
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(CPPFLAGS) -Itest/vectors $(CXXFLAGS) $(call dir_flags,$*) -MMD -MP -c $< -o $@

$(LIBGRYPT): $(CORE_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBIPC): $(IPC_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBNET): $(NET_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/%: $(BUILD)/tools/%.o $(LIBIPC) $(LIBGRYPT)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(LDSAN) $(if $(LDSAN),,$(TOOL_LDFLAGS)) -o $@ $^ $(LDLIBS)

$(BIN)/gryptserver: $(BUILD)/gryptserver/main.o $(SERVER_OBJ) $(LIBNET) $(LIBIPC) $(LIBGRYPT)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ $(SERVICE_LIBS) $(LDLIBS)

$(BIN)/gryptd: $(BUILD)/gryptd/main.o $(DAEMON_OBJ) $(LIBNET) $(LIBIPC) $(LIBGRYPT)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ -lssl -lcrypto $(LDLIBS)

# A protocol client for the tests (not installed).
$(TESTCLIENT): $(BUILD)/test/client/testclient.o $(LIBNET) $(LIBIPC) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ -lssl -lcrypto $(LDLIBS)

# The load program of bench/server (not installed).
LOAD := $(BUILD)/grypt-load
$(LOAD): $(BUILD)/bench/load.o $(LIBNET) $(LIBIPC) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ -lssl -lcrypto $(LDLIBS)

# The armor's codec speed, for bench/armor (not installed).
ARMOR_BENCH := $(BUILD)/grypt-armor-bench
$(ARMOR_BENCH): $(BUILD)/bench/armor_speed.o $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%.o: bench/%.cpp $(FLAGS_FILE)
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) $(ASIO_WARN) -MMD -MP -c $< -o $@

$(UNIT): $(TEST_OBJ) $(SERVER_OBJ) $(DAEMON_OBJ) $(LIBNET) $(LIBIPC) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ -lgtest -lgtest_main $(SERVICE_LIBS) $(LDLIBS)

$(VEC_CHECK): $(BUILD)/test/vectors/check.o $(BUILD)/test/vectors/vector.o $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ $(LDLIBS)

$(VEC_GEN): $(BUILD)/test/vectors/generate.o $(BUILD)/test/vectors/vector.o $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ $(LDLIBS)

# Regenerates test/vectors/*.vec (deterministic: the same files every time).
vectors: $(VEC_GEN)
	@rm -f test/vectors/*.vec
	@$(VEC_GEN) test/vectors

deps:
	@build-aux/deps build test

check: deps
	@$(MAKE) --no-print-directory WERROR=1 $(BINS) $(UNIT) $(VEC_CHECK) $(TESTCLIENT)
	@GRYPT_BIN=$(CURDIR)/$(BIN) GRYPT_TEST_BIN=$(CURDIR)/$(BUILD) UNIT=$(UNIT) \
	  GRYPT_SANITIZE=$(SANITIZE) build-aux/run-checks

demo: deps
	@$(MAKE) --no-print-directory $(BINS)
	@GRYPT_BIN=$(CURDIR)/$(BIN) build-aux/demo

bench: deps
	@build-aux/deps bench
	@$(MAKE) --no-print-directory $(BINS) $(if $(wildcard bench/load.cpp),$(LOAD)) $(ARMOR_BENCH)
	@for b in bench/*; do [ -x "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done

MAN_PAGES  := $(wildcard man/*.[1-8])

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(TOOLS:%=$(BIN)/%) $(BIN)/gryptd $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 755 $(BIN)/gryptserver $(DESTDIR)$(PREFIX)/sbin/
	install -d $(DESTDIR)$(PREFIX)/share/grypt
	install -m 644 share/grypt/gryptserver.service $(DESTDIR)$(PREFIX)/share/grypt/
	for p in $(MAN_PAGES); do \
	  d=$(DESTDIR)$(PREFIX)/share/man/man$${p##*.}; install -d $$d && install -m 644 $$p $$d/ || exit 1; \
	done

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) $(DESTDIR)$(PREFIX)/bin/gryptd
	rm -f $(DESTDIR)$(PREFIX)/sbin/gryptserver $(DESTDIR)$(PREFIX)/share/grypt/gryptserver.service
	for p in $(MAN_PAGES); do rm -f $(DESTDIR)$(PREFIX)/share/man/man$${p##*.}/$${p#man/}; done

clean:
	rm -rf build bin

# make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS=...]: libFuzzer, see fuzz/fuzz.mk.
fuzz-deps:
	@build-aux/deps build fuzz
fuzz: fuzz-deps
include fuzz/fuzz.mk

.SECONDARY:
-include $(CORE_OBJ:.o=.d) $(IPC_OBJ:.o=.d) $(NET_OBJ:.o=.d) $(SERVER_OBJ:.o=.d) $(TEST_OBJ:.o=.d) \
  $(DAEMON_OBJ:.o=.d) $(BUILD)/gryptd/main.d \
  $(TOOL_OBJ:.o=.d) $(BUILD)/gryptserver/main.d $(wildcard $(BUILD)/test/vectors/*.d) \
  $(wildcard $(BUILD)/test/client/*.d) $(wildcard $(BUILD)/bench/*.d)
