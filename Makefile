# grypt: a plain Makefile (STYLE.md). Targets: all (default), check, demo,
# bench, fuzz, install, uninstall, clean, deps. V=1 for loud builds,
# SANITIZE=1 for an ASan+UBSan build in build/san, PREFIX and DESTDIR for
# install.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
CXX        ?= g++
TOOLS      := pw-hash grypt-keygen vault-put vault-get

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
CPPFLAGS   := -Isrc -DGRYPT_VERSION='"$(VERSION)"' -DASIO_STANDALONE
CXXFLAGS   := -std=c++20 $(OPT) $(WARN) -pthread
LDLIBS     := -lsodium -largon2 -lcrypto -pthread

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif

CORE_SRC   := $(filter-out %_test.cpp,$(wildcard src/core/*.cpp))
CORE_OBJ   := $(CORE_SRC:src/%.cpp=$(BUILD)/%.o)
TEST_SRC   := $(wildcard src/*/*_test.cpp)
TEST_OBJ   := $(TEST_SRC:src/%.cpp=$(BUILD)/%.o)
TOOL_OBJ   := $(TOOLS:%=$(BUILD)/tools/%.o)
LIBGRYPT   := $(BUILD)/libgrypt.a
UNIT       := $(BUILD)/unit-tests
BINS       := $(TOOLS:%=$(BIN)/%)
FLAGS_FILE := $(BUILD)/flags

.PHONY: all check demo bench fuzz install uninstall clean deps FORCE
all: $(BINS)

# Rebuild everything when the flags change (a -Werror check build after a
# plain one, say).
$(FLAGS_FILE): FORCE
	@mkdir -p $(@D)
	@echo '$(CXX) $(CPPFLAGS) $(CXXFLAGS)' | cmp -s - $@ || echo '$(CXX) $(CPPFLAGS) $(CXXFLAGS)' > $@

$(BUILD)/%.o: src/%.cpp $(FLAGS_FILE)
	$(call say,CXX,$<)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(LIBGRYPT): $(CORE_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/%: $(BUILD)/tools/%.o $(LIBGRYPT)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ $(LDLIBS)

$(UNIT): $(TEST_OBJ) $(LIBGRYPT)
	$(call say,LINK,$@)
	$(Q)$(CXX) $(LDSAN) -o $@ $^ -lgtest -lgtest_main $(LDLIBS)

deps:
	@build-aux/deps build test

check: deps
	@$(MAKE) --no-print-directory WERROR=1 $(BINS) $(UNIT)
	@GRYPT_BIN=$(CURDIR)/$(BIN) UNIT=$(UNIT) build-aux/run-checks

demo: deps
	@$(MAKE) --no-print-directory $(BINS)
	@GRYPT_BIN=$(CURDIR)/$(BIN) build-aux/demo

bench: deps
	@build-aux/deps bench
	@$(MAKE) --no-print-directory $(BINS)
	@for b in bench/*; do [ -x "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(wildcard man/*.1))

clean:
	rm -rf build bin

.SECONDARY:
-include $(CORE_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(TOOL_OBJ:.o=.d)
