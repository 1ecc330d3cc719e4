# libFuzzer targets for the parsers of untrusted input (fuzz/<target>.cpp),
# linked with src/core, src/proto and src/ipc (not the Asio code), built with clang,
# ASan and UBSan into build/fuzz/. Included by the top-level Makefile
# (run from the repository root), or used alone:
#
#   make -f fuzz/fuzz.mk fuzz-build      targets and seed corpora
#   make -f fuzz/fuzz.mk fuzz            each target for FUZZ_SECONDS (60)
#   make -f fuzz/fuzz.mk fuzz FUZZ_TARGETS=phc FUZZ_SECONDS=600
#   make -f fuzz/fuzz.mk fuzz FUZZ_TARGETS=group_state FUZZ_RUNS=10000000
#                                        a number of executions instead of a time
#
# The armor targets and server_frames take inputs of up to 8 KiB
# (-max_len): a token's grammar, and a stream's framing, show in a few
# hundred bytes, and the test vectors among the seeds, up to 180 KB, would
# slow every run (server_frames feeds a stream a byte at a time).
#
# fuzz runs the targets one after another on build/fuzz/corpus/<target>
# (new inputs are kept there; build/fuzz/seeds/<target> and the past
# findings in fuzz/regressions/<target> are read too), writes
# crash, timeout, leak and out-of-memory inputs to build/fuzz/findings/<target>/
# and the libFuzzer output to build/fuzz/logs/<target>.log, prints one line
# per target and fails if any target found something. Reproduce a finding
# with: build/fuzz/<target> build/fuzz/findings/<target>/crash-...
#
# Every name defined here starts with FUZZ_ or fuzz-, except the fuzz goal.
# Needs clang and libclang-rt-14-dev (build-aux/deps fuzz), and
# nlohmann-json3-dev for src/proto (build-aux/deps build).

FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)
FUZZ_STANDALONE := $(if $(filter 1,$(words $(MAKEFILE_LIST))),1)

FUZZ_CXX      ?= clang++
FUZZ_SECONDS  ?= 60
FUZZ_DIR      := build/fuzz
FUZZ_TARGETS  := armor_read armor_roundtrip message_open identity_file vault_entry public_key phc stream_open \
                 daemon_request daemon_reply server_frames server_message group_cache group_state

# UBSan findings must stop the run like ASan's do: -fno-sanitize-recover.
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CPPFLAGS := -Isrc -Ifuzz -DGRYPT_VERSION='"fuzz"'
FUZZ_CXXFLAGS := -std=c++20 -g -O1 -fsanitize=fuzzer $(FUZZ_SAN)
# The seed generator: the same without libFuzzer (it has its own main).
FUZZ_GEN_CXXFLAGS := -std=c++20 -g -O1 $(FUZZ_SAN)
FUZZ_LDLIBS   := -lsodium -largon2 -lcrypto -pthread
FUZZ_RUNS     ?=
FUZZ_RUN_FLAGS = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) \
                 -rss_limit_mb=2048 -timeout=10

FUZZ_Q        := $(if $(filter 1,$(V)),,@)
FUZZ_LIB_SRC  := $(filter-out %_test.cpp,$(wildcard src/core/*.cpp src/proto/*.cpp src/ipc/*.cpp))
FUZZ_LIB_OBJ  := $(FUZZ_LIB_SRC:src/%.cpp=$(FUZZ_DIR)/obj/%.o)
FUZZ_MAIN_OBJ := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/obj/fuzz/%.o)
FUZZ_GEN_OBJ  := $(FUZZ_DIR)/obj/fuzz/seeds.o
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
FUZZ_GEN      := $(FUZZ_DIR)/seeds-gen
FUZZ_SEEDS    := $(FUZZ_DIR)/seeds/.stamp
FUZZ_VECTORS  := $(wildcard test/vectors)
FUZZ_FLAGS    := $(FUZZ_DIR)/flags

.PHONY: fuzz fuzz-build fuzz-clean fuzz-flags-check

fuzz-build: $(FUZZ_BINS) $(FUZZ_SEEDS)

# Rebuild everything when the compiler or flags change.
$(FUZZ_FLAGS): fuzz-flags-check
	@mkdir -p $(@D)
	@echo '$(FUZZ_CXX) $(FUZZ_CPPFLAGS) $(FUZZ_CXXFLAGS) $(FUZZ_GEN_CXXFLAGS)' | cmp -s - $@ || \
	  echo '$(FUZZ_CXX) $(FUZZ_CPPFLAGS) $(FUZZ_CXXFLAGS) $(FUZZ_GEN_CXXFLAGS)' > $@
fuzz-flags-check: ;

$(FUZZ_LIB_OBJ): $(FUZZ_DIR)/obj/%.o: src/%.cpp $(FUZZ_FLAGS)
	@mkdir -p $(@D)
	$(FUZZ_Q)$(FUZZ_CXX) $(FUZZ_CPPFLAGS) $(FUZZ_CXXFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_MAIN_OBJ): $(FUZZ_DIR)/obj/fuzz/%.o: fuzz/%.cpp $(FUZZ_FLAGS)
	@mkdir -p $(@D)
	$(FUZZ_Q)$(FUZZ_CXX) $(FUZZ_CPPFLAGS) $(FUZZ_CXXFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_GEN_OBJ): fuzz/seeds.cpp $(FUZZ_FLAGS)
	@mkdir -p $(@D)
	$(FUZZ_Q)$(FUZZ_CXX) $(FUZZ_CPPFLAGS) $(FUZZ_GEN_CXXFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BINS): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/fuzz/%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_Q)$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -o $@ $^ $(FUZZ_LDLIBS)

# The library objects carry libFuzzer's coverage instrumentation; the sanitizer
# runtime provides its callbacks, so the generator links without libFuzzer.
$(FUZZ_GEN): $(FUZZ_GEN_OBJ) $(FUZZ_LIB_OBJ)
	$(FUZZ_Q)$(FUZZ_CXX) $(FUZZ_GEN_CXXFLAGS) -o $@ $^ $(FUZZ_LDLIBS)

$(FUZZ_SEEDS): $(FUZZ_GEN) $(wildcard test/vectors/*.vec)
	$(FUZZ_Q)rm -rf $(@D)
	$(FUZZ_Q)$(FUZZ_GEN) $(@D) $(FUZZ_VECTORS)
	$(FUZZ_Q)touch $@

fuzz: fuzz-build
	@failed=; \
	for t in $(FUZZ_TARGETS); do \
	  findings=$(FUZZ_DIR)/findings/$$t; log=$(FUZZ_DIR)/logs/$$t.log; \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $$findings $(FUZZ_DIR)/logs; \
	  regress=; [ -d fuzz/regressions/$$t ] && regress=fuzz/regressions/$$t; \
	  extra=; case $$t in armor_*|server_frames) extra=-max_len=8192;; esac; \
	  $(FUZZ_DIR)/$$t $(FUZZ_RUN_FLAGS) $$extra -artifact_prefix=$$findings/ \
	    $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/seeds/$$t $$regress >$$log 2>&1; rc=$$?; \
	  runs=$$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $$log | tail -n 1); \
	  [ -n "$$runs" ] || runs=$$(sed -n 's/^#\([0-9]*\).*/\1/p' $$log | tail -n 1); \
	  found=$$(sed -n 's/.*Test unit written to \(.*\)$$/\1/p' $$log | tr '\n' ' '); \
	  if [ -n "$$found" ]; then status="FINDING: $$found(log: $$log)"; failed="$$failed $$t"; \
	  elif [ $$rc -ne 0 ]; then status="FAILED: exit $$rc (log: $$log)"; failed="$$failed $$t"; \
	  else status="no crash"; fi; \
	  printf '  %-14s %12s runs  %s\n' "$$t" "$${runs:-?}" "$$status"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in:$$failed" >&2; exit 1; fi

fuzz-clean:
	rm -rf $(FUZZ_DIR)

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_MAIN_OBJ:.o=.d) $(FUZZ_GEN_OBJ:.o=.d)

# Including this file must not change the including Makefile's default goal.
.DEFAULT_GOAL := $(if $(FUZZ_STANDALONE),fuzz-build,$(FUZZ_SAVED_GOAL))
