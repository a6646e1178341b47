# cqlgate: one hand-written Makefile.
#
#   make            build proto/libproto.a, build/cqlgate and build/tests/it/cqlc
#   make deps       install what the build and the tests need (Debian packages, Cassandra jars)
#   make test       check-proto, unit tests plain and under ASan+UBSan, integration tests (ASan)
#   make unit       unit tests only (SANITIZE=address,undefined to run them sanitized)
#   make it         integration tests against a local Cassandra (tests/cassandra/start)
#   make run        set up everything, start the local Cassandra, run cqlgate in the foreground
#
# Knobs: SANITIZE=address,undefined   DEBUG=1   O=<build dir>

CC       ?= cc
SANITIZE ?=
DEBUG    ?=
PYTHON   ?= /usr/bin/python3

ifeq ($(SANITIZE),)
O        ?= build
else
O        ?= build-san
endif

PKGS     := libuv liblz4 libcjson openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wformat=2
CSTD     := -std=c11 -D_GNU_SOURCE
ifeq ($(DEBUG),1)
OPT      := -O0 -g3
else
OPT      := -O2 -g
endif
ifneq ($(SANITIZE),)
OPT      += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN    := -fsanitize=$(SANITIZE)
endif

CFLAGS_ALL := $(CSTD) $(OPT) $(WARN) -MMD -MP -I. -Iproto -Isrc $(CFLAGS)
LDFLAGS_ALL := $(LDSAN) $(LDFLAGS)

LLHTTP_SRC := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp

PROTO_SRCS := $(wildcard proto/*.c)
CORE_SRCS  := $(wildcard src/core/*.c)
CASS_SRCS  := $(wildcard src/cass/*.c)
HTTP_SRCS  := $(wildcard src/http/*.c)
API_SRCS   := $(wildcard src/api/*.c)
DOCS_SRCS  := $(wildcard src/docs/*.c)
UNIT_SRCS  := $(wildcard tests/unit/*.c)

PROTO_OBJS := $(PROTO_SRCS:%.c=$(O)/%.o)
CORE_OBJS  := $(CORE_SRCS:%.c=$(O)/%.o)
CASS_OBJS  := $(CASS_SRCS:%.c=$(O)/%.o)
HTTP_OBJS  := $(HTTP_SRCS:%.c=$(O)/%.o)
API_OBJS   := $(API_SRCS:%.c=$(O)/%.o)
DOCS_OBJS  := $(DOCS_SRCS:%.c=$(O)/%.o)
UNIT_OBJS  := $(UNIT_SRCS:%.c=$(O)/%.o)
LLHTTP_OBJS := $(if $(HTTP_SRCS),$(addprefix $(O)/llhttp/,api.o http.o llhttp.o))

LIBPROTO   := $(O)/proto/libproto.a
LIBGATE    := $(O)/libcqlgate.a

.PHONY: all deps test unit unit-san it check-proto run clean format

all: $(O)/cqlgate $(O)/tests/it/cqlc

deps:
	scripts/deps.sh

# ---- libraries and binaries -------------------------------------------------------------------

$(LIBPROTO): $(PROTO_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(LIBGATE): $(CORE_OBJS) $(CASS_OBJS) $(HTTP_OBJS) $(API_OBJS) $(DOCS_OBJS) $(LLHTTP_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The gateway. main.c references api_register_routes (src/api) weakly, and a weak reference does
# not pull a member out of an archive, so the API objects are linked directly as well.
$(O)/cqlgate: $(O)/src/main.o $(API_OBJS) $(LIBGATE) $(LIBPROTO)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lm

$(O)/tests/it/cqlc: $(O)/tests/it/cqlc.o $(LIBGATE) $(LIBPROTO)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lm

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(PKG_CFLAGS) -I$(LLHTTP_INC) -c -o $@ $<

# llhttp ships as C sources; it is compiled into the build with its own (quieter) flags.
$(O)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(OPT) -MMD -MP -I$(LLHTTP_INC) -c -o $@ $<

# ---- tests ------------------------------------------------------------------------------------

# The unit test list is generated from the TEST(name) lines of tests/unit/*.c.
$(O)/tests/unit/test_list.h: $(UNIT_SRCS)
	@mkdir -p $(dir $@)
	grep -h '^TEST(' $(UNIT_SRCS) | sed 's/^TEST(\([a-z0-9_]*\)).*/XX(\1)/' > $@.tmp
	mv $@.tmp $@

$(UNIT_OBJS): $(O)/tests/unit/test_list.h
$(UNIT_OBJS): CFLAGS_ALL += -I$(O)/tests/unit

$(O)/tests/unit/run_unit: $(UNIT_OBJS) $(LIBGATE) $(LIBPROTO)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lm

unit: $(O)/tests/unit/run_unit
	$(O)/tests/unit/run_unit

unit-san:
	$(MAKE) --no-print-directory unit SANITIZE=address,undefined

# proto/ is a pure codec: no I/O, no libuv, no logging, no mutable globals.
check-proto:
	@! grep -nE '#include *[<"](uv|log|llhttp|cJSON|openssl/[a-z]+|stdio|unistd|pthread)\.h[>"]' proto/*.[ch] \
	  || { echo "check-proto: proto/ must not include I/O, libuv or logging headers"; exit 1; }
	@! grep -nE '\b(printf|fprintf|malloc|calloc|realloc|free|fopen|socket|read|write)\s*\(' proto/*.c \
	  || { echo "check-proto: proto/ must not allocate or do I/O"; exit 1; }
	@! grep -nE '^static +[a-z_ ]*[a-z_]+ +[a-z_0-9]+(\[[^]]*\])* *(=|;)' proto/*.c | grep -v 'static const' \
	  || { echo "check-proto: proto/ must not hold mutable globals"; exit 1; }
	@echo "check-proto: ok"

it: $(O)/cqlgate $(O)/tests/it/cqlc
	tests/cassandra/start
	CQLGATE_BUILD=$(O) $(PYTHON) -m pytest -q -p no:cacheprovider tests/it

# The integration tests drive the sanitized client, so the connection layer runs under ASan and
# UBSan against the real server too.
test: check-proto
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory unit-san
	$(MAKE) --no-print-directory it SANITIZE=address,undefined

run: deps all
	tests/cassandra/start
	@echo "cqlgate: auth on :8081, REST on :8082, documents on :8180, health on :8084 (every route"
	@echo "answers on each). Ctrl-C stops it; tests/cassandra/stop stops Cassandra. First call:"
	@echo "  curl -s -X POST localhost:8081/v1/auth -H 'Content-Type: application/json' \\"
	@echo "       -d '{\"username\":\"cassandra\",\"password\":\"cassandra\"}'"
	$(O)/cqlgate --username cassandra --password cassandra

# ---- fuzzing ----------------------------------------------------------------------------------

# make fuzz: the libFuzzer drivers of tests/fuzz/ built with clang into build-fuzz/ (proto/ too,
# under the same fuzzer, ASan and UBSan flags), each run for FUZZ_SECONDS over a scratch copy of
# its committed seed corpus (tests/fuzz/corpus/<target>/, which stays untouched). Crash inputs land
# in build-fuzz/artifacts/<target>/; the run fails if any driver fails. Not part of `make test`.
# Knobs: FUZZ_SECONDS=60  FUZZ_TIMEOUT=25 (seconds per input)  FUZZ_TARGETS  FUZZ_ARGS (libFuzzer)
#        FUZZ_UBSAN_SUPP=<file> (UBSan suppressions, to fuzz past a report while it is being fixed).
# UBSan checks are compiled recoverable only so that such suppressions can apply; halt_on_error=1
# still stops at the first report, as -fno-sanitize-recover would.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 25
FUZZ_ARGS    ?=
FUZZ_UBSAN_SUPP ?=
FUZZ_O       := build-fuzz
FUZZ_TARGETS ?= fuzz_frame fuzz_seg fuzz_value
FUZZ_SAN     := -fsanitize=address,undefined -fsanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_ENV     := UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1$(if $(FUZZ_UBSAN_SUPP),:suppressions=$(abspath $(FUZZ_UBSAN_SUPP)))
FUZZ_COV     := -fsanitize=fuzzer-no-link
FUZZ_CFLAGS  := $(CSTD) -O1 -g $(FUZZ_SAN) $(filter-out -Werror,$(WARN)) -MMD -MP -Iproto -Itests/fuzz \
                $(shell pkg-config --cflags liblz4 2>/dev/null)
FUZZ_LIBS    := $(shell pkg-config --libs liblz4 2>/dev/null || echo -llz4) -lm
FUZZ_PROTO   := $(PROTO_SRCS:%.c=$(FUZZ_O)/%.o)
FUZZ_COMMON  := $(addprefix $(FUZZ_O)/tests/fuzz/,fuzz_common.o fuzz_json.o)
FUZZ_BINS    := $(addprefix $(FUZZ_O)/,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build fuzz-seeds fuzz-clean

fuzz: fuzz-build
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
	    rm -rf $(FUZZ_O)/corpus/$$t; \
	    mkdir -p $(FUZZ_O)/corpus/$$t $(FUZZ_O)/artifacts/$$t; \
	    cp tests/fuzz/corpus/$$t/* $(FUZZ_O)/corpus/$$t/; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS)s (log: $(FUZZ_O)/$$t.log)"; \
	    { $(FUZZ_ENV) $(FUZZ_O)/$$t -max_len=65536 -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) \
	          -print_final_stats=1 -artifact_prefix=$(FUZZ_O)/artifacts/$$t/ $(FUZZ_ARGS) \
	          $(FUZZ_O)/corpus/$$t 2>&1; echo $$? > $(FUZZ_O)/$$t.rc; } | tee $(FUZZ_O)/$$t.log; \
	    [ "$$(cat $(FUZZ_O)/$$t.rc)" = 0 ] || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed (inputs in $(FUZZ_O)/artifacts/)"; exit 1; fi; \
	echo "fuzz: ok ($(FUZZ_TARGETS))"

fuzz-build: $(FUZZ_BINS)

# Regenerates the seed corpora (frames and segments from tests/vectors/*.hex).
fuzz-seeds:
	$(PYTHON) tests/fuzz/seed.py

fuzz-clean:
	rm -rf $(FUZZ_O)

$(FUZZ_BINS): $(FUZZ_O)/%: $(FUZZ_O)/tests/fuzz/%.o $(FUZZ_COMMON) $(FUZZ_PROTO)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

# The checksums and the drivers' JSON checker are sanitized but not coverage-guided: their
# branches say nothing about the input and their comparisons would dominate the run time.
$(FUZZ_O)/proto/cql_crc.o $(FUZZ_O)/tests/fuzz/fuzz_json.o: FUZZ_COV :=

$(FUZZ_O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_COV) -c -o $@ $<

-include $(shell find $(FUZZ_O) -name '*.d' 2>/dev/null)

format:
	@command -v clang-format >/dev/null && clang-format -i $(wildcard proto/*.[ch] src/*/*.[ch] src/*.c tests/unit/*.[ch]) || echo "clang-format not installed"

clean:
	rm -rf build build-san

-include $(shell find $(O) -name '*.d' 2>/dev/null)
