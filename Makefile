# tlsrpt: one non-recursive GNU Makefile (see ../shared/STYLE.md §3.9).
#
#   make            build the `tlsrpt` program and libtlsrpt (client library)
#   make demo       install missing packages, build, ingest the bundled
#                   sample reports into SQLite and print a summary
#   make check      the same set-up, then every test (ASan+UBSan build)
#   make bench      run the benchmarks under bench/ (prints figures)
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS (clang)
#
# Variants are variables: O=dir (output directory), SANITIZE=address,undefined.
# Source lists are wildcards: a new file under src/, lib/, tests/unit/ or
# fuzz/ is picked up without touching this file.

O        ?= build
SANITIZE ?=
CC       ?= cc
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
FUZZ_SECONDS ?= 10

# The pkg-config names of the libraries, one a line, in one file that
# scripts/fuzz.sh, tests/integration/test_send.sh and test_lint.sh and
# bench/bench_reporter.sh read too (their Debian packages: scripts/deps.txt).
PKGS := $(shell cat scripts/pkgs.txt)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla
STD  := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
OPT  ?= -O2 -g
SAN  := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer)

# Library headers are -isystem so that their own warnings are not ours.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lopendkim -lcrypt -lresolv -lpthread -lm

CFLAGS_ALL := $(STD) $(WARN) $(OPT) $(SAN) -MMD -MP -Iinclude -Isrc -I$(O)/gen
LDFLAGS_ALL := $(SAN)

# ---- sources -------------------------------------------------------------
CORE_SRC := $(shell find src -name '*.c' ! -path 'src/cmd/*' | sort)
CMD_SRC  := $(sort $(wildcard src/cmd/*.c))
LIB_SRC  := $(sort $(wildcard lib/*.c))
UNIT_SRC := $(shell find tests/unit -name 'test_*.c' | sort)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

CORE_OBJ := $(CORE_SRC:%.c=$(O)/obj/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(O)/obj/%.o)
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:%.c=$(O)/%)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(O)/fuzz/%-replay)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(O)/bench/%)

CORE_A   := $(O)/libtlsrpt-core.a
LIB_A    := $(O)/libtlsrpt.a
LIB_SO   := $(O)/libtlsrpt.so.0
PROGRAM  := $(O)/tlsrpt
CMD_NAMES := $(patsubst src/cmd/cmd_%.c,%,$(filter src/cmd/cmd_%.c,$(CMD_SRC)))

SHELL := /bin/sh
.PHONY: FORCE all deps demo check test test-progs bench fuzz clean install golden-update lint deb
all: $(PROGRAM) $(if $(LIB_SRC),$(LIB_SO)) $(LIB_A)

deps:
	@sh scripts/install-deps.sh

# ---- the command ---------------------------------------------------------
# Each src/cmd/cmd_NAME.c defines cmd_NAME() and cmd_NAME_summary[]; the
# dispatch table is generated from the file names.
# Rewritten only when the list of commands changes.
$(O)/gen/cmd_table.h: FORCE
	@mkdir -p $(@D)
	@{ for n in $(CMD_NAMES); do echo "CMD($$n)"; done; } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

FORCE:

$(O)/obj/src/cmd/main.o: $(O)/gen/cmd_table.h

$(O)/obj/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PKG_CFLAGS) -c $< -o $@

$(CORE_A): $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# libtlsrpt too: `tlsrpt policyd` reports to the collector through it
$(PROGRAM): $(CMD_OBJ) $(CORE_A) $(LIB_A)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CMD_OBJ) $(CORE_A) $(LIB_A) $(PKG_LIBS)

# ---- the client library: libc only, hidden symbols, versioned -----------
LIB_CFLAGS := $(STD) $(WARN) $(OPT) $(SAN) -MMD -MP -Iinclude -fPIC -fvisibility=hidden

$(O)/obj/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(LIB_OBJ) lib/libtlsrpt.map
	$(CC) $(LDFLAGS_ALL) -shared -Wl,-soname,libtlsrpt.so.0 \
	  -Wl,--version-script=lib/libtlsrpt.map -o $@ $(LIB_OBJ)
	ln -sf libtlsrpt.so.0 $(O)/libtlsrpt.so

# ---- unit tests (cmocka), fuzz replays, benchmarks -----------------------
$(O)/tests/%: tests/%.c $(CORE_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PKG_CFLAGS) -Itests -o $@ $< $(CORE_A) $(LIB_A) \
	  $(PKG_LIBS) -lcmocka $(LDFLAGS_ALL)

$(O)/fuzz/%-replay: fuzz/%.c fuzz/replay_main.c $(CORE_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PKG_CFLAGS) -o $@ $< fuzz/replay_main.c $(CORE_A) \
	  $(PKG_LIBS) $(LDFLAGS_ALL)

$(O)/bench/%: bench/%.c $(CORE_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(PKG_CFLAGS) -o $@ $< $(CORE_A) $(LIB_A) $(PKG_LIBS) $(LDFLAGS_ALL)

test-progs: all $(UNIT_BIN) $(FUZZ_REPLAY) $(BENCH_BIN)

test: test-progs
	@O=$(O) sh scripts/run-tests.sh

# make check: dependencies, then the whole suite on an ASan+UBSan build
# (built with -j2 first: CI has 2 cores; the tests then run one at a time,
# with FUZZ_SECONDS=3 per libFuzzer target; `make fuzz` fuzzes longer).
CHECK_VARS := O=build/asan SANITIZE=address,undefined OPT="-O1 -g"
check: deps
	$(MAKE) -j2 $(CHECK_VARS) test-progs
	FUZZ_SECONDS=$${FUZZ_SECONDS:-3} $(MAKE) $(CHECK_VARS) test

demo: deps
	@mkdir -p $(O)
	@echo "== building (quietly; the compiler's lines are in $(O)/demo-build.log)"
	@$(MAKE) --no-print-directory all > $(O)/demo-build.log 2>&1 || \
	  { tail -n 40 $(O)/demo-build.log; echo "build failed: see $(O)/demo-build.log"; exit 1; }
	@sh scripts/demo.sh $(PROGRAM)

bench: all $(BENCH_BIN)
	@O=$(O) sh bench/run.sh

# libFuzzer (clang), each target for FUZZ_SECONDS on its seed corpus.
fuzz:
	@O=$(O) FUZZ_SECONDS=$(FUZZ_SECONDS) sh scripts/fuzz.sh

golden-update: all
	@sh scripts/golden-update.sh $(PROGRAM)

# the source hygiene checks alone (tests/integration/test_lint.sh)
lint: all
	@O=$(O) TESTS=integration/test_lint sh scripts/run-tests.sh

# libtlsrpt's version (pkg-config) and functions (one man link each).
LIBTLSRPT_VERSION = $(shell awk '/define TLSRPT_VERSION_(MAJOR|MINOR|PATCH) /{v = v (v == "" ? "" : ".") $$3} END {print v}' include/tlsrpt_version.h)
LIBTLSRPT_FUNCS = $(shell sed -n 's/^[[:space:]]*\(tlsrpt_[a-z_]*\);$$/\1/p' lib/libtlsrpt.map)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/include
	install -m 755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/tlsrpt
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libtlsrpt.so.0 $(DESTDIR)$(LIBDIR)/libtlsrpt.so
	install -m 644 include/tlsrpt.h include/tlsrpt_version.h $(DESTDIR)$(PREFIX)/include/
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man3
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	  -e 's|@VERSION@|$(LIBTLSRPT_VERSION)|' lib/libtlsrpt.pc.in \
	  > $(DESTDIR)$(LIBDIR)/pkgconfig/libtlsrpt.pc
	install -m 644 man/tlsrpt.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	for f in $(LIBTLSRPT_FUNCS); do echo '.so man3/tlsrpt.3' > $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; done
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(PREFIX)/share/man/man7/
	install -m 644 $(wildcard man/*.8) $(DESTDIR)$(PREFIX)/share/man/man8/

# The Debian packages (debian/), built by dpkg-buildpackage into
# $(O)/deb/ (without running the test suite: DEB_BUILD_OPTIONS=nocheck).
# The source tree is copied first so that nothing is written into it.
deb:
	@sh scripts/build-deb.sh $(O)/deb

clean:
	rm -rf build

-include $(shell find $(O) -name '*.d' 2>/dev/null)
