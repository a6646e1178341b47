# cqlgate: one hand-written Makefile.
#
#   make            build proto/libproto.a, the client library and build/tests/it/cqlc
#   make deps       install what the build and the tests need (Debian packages, Cassandra jars)
#   make test       check-proto, unit tests plain and under ASan+UBSan, integration tests (ASan)
#   make unit       unit tests only (SANITIZE=address,undefined to run them sanitized)
#   make it         integration tests against a local Cassandra (tests/cassandra/start)
#   make run        set up everything and start the local Cassandra (see README.md)
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
UNIT_SRCS  := $(wildcard tests/unit/*.c)

PROTO_OBJS := $(PROTO_SRCS:%.c=$(O)/%.o)
CORE_OBJS  := $(CORE_SRCS:%.c=$(O)/%.o)
CASS_OBJS  := $(CASS_SRCS:%.c=$(O)/%.o)
HTTP_OBJS  := $(HTTP_SRCS:%.c=$(O)/%.o)
API_OBJS   := $(API_SRCS:%.c=$(O)/%.o)
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

$(LIBGATE): $(CORE_OBJS) $(CASS_OBJS) $(HTTP_OBJS) $(API_OBJS) $(LLHTTP_OBJS)
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
	@echo "Cassandra 5.0 is up on 127.0.0.1:9042 (user cassandra, password cassandra)."
	@echo "The HTTP APIs are not served yet; try: $(O)/tests/it/cqlc -u cassandra -p cassandra -e 'SELECT release_version FROM system.local'"
	@echo "Stop it with: tests/cassandra/stop"

format:
	@command -v clang-format >/dev/null && clang-format -i $(wildcard proto/*.[ch] src/*/*.[ch] src/*.c tests/unit/*.[ch]) || echo "clang-format not installed"

clean:
	rm -rf build build-san

-include $(shell find $(O) -name '*.d' 2>/dev/null)
