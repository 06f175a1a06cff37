# alliance: build, test, demo, install.
#
#   make            build allianced and alliancectl into build/
#   make test       unit and integration tests; ends with "N passed, N failed"
#   make demo       partners on loopback, start to finish (a fourth joins)
#   make install    PREFIX=/usr/local DESTDIR= : binaries, man pages, allianced@.service
#                   (SYSTEMDUNITDIR=$(PREFIX)/lib/systemd/system), sysusers.d and
#                   tmpfiles.d entries, bash completion, README and docs/*.md
#   make uninstall  removes what make install put there (same PREFIX, DESTDIR)
#   make SANITIZE=address,undefined test     the same under sanitizers (build-san/)
#   make bench      3 daemons on loopback, a near-empty log against BENCH_SCALE
#                   messages (100000; 1000000 on request), against raw libsodium,
#                   fdatasync and ZeroMQ: a table and bench/results.json
#                   (BENCH_GROWTH=1: 10k/100k/1M messages, 3/10/20 members,
#                   into bench/growth.json; docs/performance.md)
#   make fuzz       libFuzzer on every parser of untrusted input (FUZZ_SECONDS=60 each)
#   make soak       partners under a random workload with crashes (SOAK_SECONDS=600),
#                   and a power loss at every sync point of a workload (crash_points)
#   make V=1        show the commands
#
# The first build installs the Debian packages it lacks (tools/install-deps).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/alliance
# Debian packaging sets SYSTEMDUNITDIR=/lib/systemd/system.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=
PKG_CONFIG ?= pkg-config
PROTOC_C ?= protoc-c

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -Wstrict-prototypes -Wvla -Wwrite-strings -MMD -MP -pthread
LDFLAGS += -pthread
VERSION := 0.1.0
CPPFLAGS += -D_GNU_SOURCE -DALLIANCE_VERSION='"$(VERSION)"' -Ilib
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
BUILD ?= build-san
else
BUILD ?= build
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

DEB_PACKAGES := libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libsodium-dev \
	libjansson-dev libinih-dev libcmocka-dev pkg-config nftables
PKGS := libzmq libprotobuf-c libsodium jansson inih
# What make test needs beyond the build: a browser renders the report
# (cli_report), pdftotext reads its printed page.
TEST_DEB_PACKAGES := chromium poppler-utils

GEN := $(BUILD)/gen
LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o) $(GEN)/alliance.pb-c.o
LIBA := $(BUILD)/liballiance.a
BINS := $(BUILD)/allianced $(BUILD)/alliancectl
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BINS := $(BUILD)/tests/mklog $(BUILD)/tests/peerprobe $(BUILD)/tests/oldctl $(BUILD)/tests/crashshim.so
FUZZ_TARGETS := envelope charter text log peer checkpoint ledger_load
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz_%)
FUZZ_SECONDS ?= 60
SOAK_SECONDS ?= 600
LEDGER_PROP_RUNS ?= 500

all: $(BINS)

# Package flags come from pkg-config after the packages are there; config.mk
# is made once (re-made when this Makefile changes) and read on a restart.
NO_CONFIG_GOALS := clean distclean uninstall
ifeq ($(filter-out $(NO_CONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
else
-include $(BUILD)/config.mk
endif

$(BUILD)/config.mk: Makefile tools/install-deps
	$(Q)mkdir -p $(@D)
	$(Q)tools/install-deps $(DEB_PACKAGES)
	$(Q){ echo "DEP_CFLAGS := $$($(PKG_CONFIG) --cflags $(PKGS))"; \
	      echo "DEP_LIBS := $$($(PKG_CONFIG) --libs $(PKGS)) -lm"; \
	      echo "CMOCKA_LIBS := $$($(PKG_CONFIG) --libs cmocka)"; } > $@.tmp
	$(Q)mv $@.tmp $@

$(GEN)/alliance.pb-c.c $(GEN)/alliance.pb-c.h: proto/alliance.proto $(BUILD)/config.mk
	@echo "  PROTOC  $<"
	$(Q)mkdir -p $(GEN)
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=$(GEN) $<

$(GEN)/alliance.pb-c.o: $(GEN)/alliance.pb-c.c
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(DEP_CFLAGS) $(filter-out -W%,$(CFLAGS)) -c -o $@ $<

# Only wire.c sees the generated code: it alone gets the include path.
$(BUILD)/lib/wire.o: CPPFLAGS += -I$(GEN)
$(BUILD)/lib/wire.o: $(GEN)/alliance.pb-c.h

$(BUILD)/lib/%.o: lib/%.c $(BUILD)/config.mk
	@echo "  CC      $<"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(DEP_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c $(BUILD)/config.mk
	@echo "  CC      $<"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(DEP_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

DAEMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard daemon/*.c))
$(BUILD)/allianced: $(DAEMON_OBJ) $(LIBA)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

CTL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard clients/*.c))
$(BUILD)/alliancectl: $(CTL_OBJ) $(LIBA)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/tests/unit/testutil.o $(LIBA)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) $(CMOCKA_LIBS)

# alliancectl's text table is in clients/, not the library: its test links it.
$(BUILD)/tests/test_table: $(BUILD)/tests/unit/test_table.o $(BUILD)/tests/unit/testutil.o \
		$(BUILD)/clients/table.o $(LIBA)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/unit/test_table.o: CPPFLAGS += -Iclients

# The report's numbers (clients/report.c) likewise.
$(BUILD)/tests/test_report: $(BUILD)/tests/unit/test_report.o $(BUILD)/tests/unit/testutil.o \
		$(BUILD)/clients/report.o $(LIBA)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/unit/test_report.o: CPPFLAGS += -Iclients

$(BUILD)/tests/%: $(BUILD)/tests/tools/%.o $(LIBA)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# The crash test's LD_PRELOAD recorder (tests/tools/crashshim.c): a shared
# object on its own, never sanitized (preloaded into any program; under
# SANITIZE the test lets it come before the sanitizer's runtime).
$(BUILD)/tests/crashshim.so: tests/tools/crashshim.c $(BUILD)/config.mk
	@echo "  CC      $<"
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) \
		-fPIC -shared -o $@ $< -ldl -lpthread

# The fuzz targets with the standalone driver: the smoke that make test runs.
$(BUILD)/tests/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/common.o \
		$(BUILD)/tests/fuzz/driver.o $(LIBA)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(BUILD)/bench/bench: $(BUILD)/bench/bench.o $(LIBA)
	@echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# Speed against the machine's own limits, measured in the same run: the
# library's pipeline (bench/bench), then the daemons through the CLI at
# scale (bench/scale.sh), then the table and the JSON (bench/report.py).
BENCH_SCALE ?= 100000
BENCH_GROWTH ?= 0
BENCH_JSON := $(if $(filter 1,$(BENCH_GROWTH)),bench/growth.json,bench/results.json)
bench: $(BINS) $(BUILD)/bench/bench $(BUILD)/tests/mklog
	$(Q)BENCH_RAW=$(BUILD)/bench/raw.txt $(BUILD)/bench/bench $(BENCH_N)
	$(Q)BUILD=$(BUILD) BENCH_SCALE=$(BENCH_SCALE) BENCH_GROWTH=$(BENCH_GROWTH) \
		BENCH_MEASURES=$(BUILD)/bench/measures.txt bench/scale.sh
	$(Q)bench/report.py $(BUILD)/bench/measures.txt $(BUILD)/bench/raw.txt $(BENCH_JSON)

# Real coverage-guided fuzzing with libFuzzer (clang), FUZZ_SECONDS per target.
fuzz: $(GEN)/alliance.pb-c.c $(BUILD)/tests/fuzz_envelope
	$(Q)tools/install-deps clang libclang-rt-14-dev
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-libfuzzer $(FUZZ_TARGETS)

# Run everything, or only the tests named: make test T="log charter cli_charter"
test: $(BINS) $(UNIT_BINS) $(TOOL_BINS) $(FUZZ_BINS) $(BUILD)/bench/bench
	$(Q)tools/install-deps $(TEST_DEB_PACKAGES)
	$(Q)BUILD=$(BUILD) tests/run $(T)

# The soak test for longer than make test's 25 s smoke (SOAK_SEED=N repeats a
# run), a power loss at every sync point (make test tries 6 of them), and
# the incremental ledger against a full replay over LEDGER_PROP_RUNS random
# histories (make test: 40; LEDGER_PROP_SEED=N repeats one).
soak: $(BINS) $(BUILD)/tests/crashshim.so $(BUILD)/tests/test_ledger_inc
	$(Q)BUILD=$(BUILD) SOAK_SECONDS=$(SOAK_SECONDS) CRASH_POINTS=all \
		LEDGER_PROP_RUNS=$(LEDGER_PROP_RUNS) tests/run soak crash_points ledger_inc

unit: $(UNIT_BINS)
	$(Q)BUILD=$(BUILD) tests/run --unit $(T)

# DEMO_SCREENSHOT=docs/report.png: also a screenshot of the report (chromium).
demo: $(BINS) $(TOOL_BINS)
	$(Q)BUILD=$(BUILD) DEMO_SCREENSHOT=$(DEMO_SCREENSHOT) demo/demo.sh

# What an operator needs to run allianced under systemd. The unit is made
# from dist/allianced@.service.in with the installed paths, straight into
# DESTDIR (nothing in $(BUILD) depends on PREFIX). Afterwards, on the target
# machine: systemd-sysusers; systemd-tmpfiles --create allianced.conf;
# systemctl daemon-reload (a package's maintainer scripts do this).
DOCS := README.md $(wildcard docs/*.md)
COMPLETIONS := dist/bash-completion/allianced dist/bash-completion/alliancectl
UNIT := allianced@.service

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 docs/man/alliancectl.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 docs/man/allianced.8 $(DESTDIR)$(MANDIR)/man8
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' dist/$(UNIT).in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/$(UNIT)
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$(UNIT)
	install -m 644 dist/sysusers.d/allianced.conf $(DESTDIR)$(SYSUSERSDIR)
	install -m 644 dist/tmpfiles.d/allianced.conf $(DESTDIR)$(TMPFILESDIR)
	install -m 644 $(COMPLETIONS) $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)

# Exactly what install put there; of the directories, only DOCDIR (when empty).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/allianced $(DESTDIR)$(BINDIR)/alliancectl \
		$(DESTDIR)$(MANDIR)/man1/alliancectl.1 $(DESTDIR)$(MANDIR)/man8/allianced.8 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/$(UNIT) \
		$(DESTDIR)$(SYSUSERSDIR)/allianced.conf $(DESTDIR)$(TMPFILESDIR)/allianced.conf \
		$(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(notdir $(COMPLETIONS))) \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build build-san build-fuzz

.PHONY: all test unit demo fuzz bench soak install uninstall clean
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
