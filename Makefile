# tend - process supervisor and mini init.
#
#   make            build build/tend and build/tendctl (static, musl)
#   make LIBC=glibc the same linked dynamically against glibc (NSS accounts),
#                   in build/glibc
#   make check      build and run every test (check library)
#   make check SANITIZE=1   the same under AddressSanitizer + UBSan (build/san)
#   make run        start the demo (examples/demo.ini) in the foreground
#   make bench      measure tend against its peers (bench/)
#   make torture    randomized stateful torture test (TORTURE_SECS=600, TORTURE_SEED)
#   make install    PREFIX=/usr/local DESTDIR=
#
# The Debian packages libinih-dev, check, pkg-config and musl-tools are
# installed when missing and we are root (`make deps`); otherwise we say
# what to install.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc

# tend and tendctl are static musl binaries by default: they start in a
# fifth of the time of a glibc program here (glibc's start-up probes the CPU
# with cpuid, which traps in a VM), need nothing from the image they run in,
# and look accounts up in /etc/passwd and /etc/group (and nscd). LIBC=glibc
# links them dynamically against glibc, for accounts served by NSS modules
# (LDAP, sssd). Tests, helpers and sanitizer builds always use glibc.
LIBC ?= musl
MUSL_CC ?= musl-gcc

# Each kind of build has its own folder, so switching never mixes objects.
ifeq ($(SANITIZE),1)
BUILD ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
override LIBC = glibc
else ifeq ($(LIBC),glibc)
BUILD ?= build/glibc
SANFLAGS =
else
BUILD ?= build
SANFLAGS =
endif
ifneq ($(LIBC),musl)
ifneq ($(LIBC),glibc)
$(error LIBC must be musl or glibc, not $(LIBC))
endif
endif

# Recursively expanded on purpose: pkg-config runs when a recipe needs the
# flags, i.e. after `deps` had its chance to install the packages.
INIH_CFLAGS = $(shell pkg-config --cflags inih)
# inih is linked statically: one shared object less to map at every start
# (tend -- CMD is timed against catatonit, which is fully static).
INIH_LIBS = $(shell pkg-config --libs-only-L inih) -Wl,-Bstatic -linih -Wl,-Bdynamic
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)
# libexpat parses XML-RPC requests (supervisor/xmlrpc.c); static, like inih.
EXPAT_CFLAGS = $(shell pkg-config --cflags expat)
EXPAT_LIBS = $(shell pkg-config --libs-only-L expat) -Wl,-Bstatic -lexpat -Wl,-Bdynamic

CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -D_GNU_SOURCE -I. -MMD -MP
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) $(INIH_CFLAGS) $(EXPAT_CFLAGS)
LDFLAGS_ALL = $(LDFLAGS) $(SANFLAGS)

CONF_SRC = $(sort $(wildcard conf/*.c))
SUP_SRC = $(filter-out supervisor/main.c supervisor/tendctl.c,$(sort $(wildcard supervisor/*.c)))
CONF_OBJ = $(CONF_SRC:%.c=$(BUILD)/obj/%.o)
SUP_OBJ = $(SUP_SRC:%.c=$(BUILD)/obj/%.o)
MUSL_OBJ = $(CONF_SRC:%.c=$(BUILD)/musl/obj/%.o) $(SUP_SRC:%.c=$(BUILD)/musl/obj/%.o)

UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_SRC = $(sort $(wildcard tests/integration/test_*.c))
INTEG_BIN = $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
INTEG_LIB_SRC = $(filter-out $(INTEG_SRC),$(wildcard tests/integration/*.c))
INTEG_LIB_OBJ = $(INTEG_LIB_SRC:%.c=$(BUILD)/obj/%.o)
HELPER_SRC = $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN = $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/helpers/%)

ABS_BUILD = $(abspath $(BUILD))
TEST_ENV = TEND_BIN=$(ABS_BUILD)/tend TENDCTL_BIN=$(ABS_BUILD)/tendctl \
	TEND_HELPERS=$(ABS_BUILD)/helpers TEND_SRCDIR=$(abspath .) \
	ASAN_OPTIONS=log_path=$(ABS_BUILD)/sanitizer/asan:detect_leaks=1 \
	UBSAN_OPTIONS=log_path=$(ABS_BUILD)/sanitizer/ubsan:print_stacktrace=1:halt_on_error=1

.SECONDARY:

.PHONY: FORCE all deps check check-unit check-integration check-valgrind soak torture run bench install uninstall clean fuzz

all: $(BUILD)/tend $(BUILD)/tendctl

# supervisor and python3: the XML-RPC tests drive the real supervisorctl.
DEPS_PKGS = libinih-dev check pkg-config libexpat1-dev supervisor python3 \
	$(if $(filter musl,$(LIBC)),musl-tools)
deps:
	@if pkg-config --exists inih check expat 2>/dev/null && command -v supervisorctl >/dev/null && \
		{ [ "$(LIBC)" != musl ] || command -v $(MUSL_CC) >/dev/null; }; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(DEPS_PKGS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS_PKGS) >/dev/null \
			|| { echo "apt-get install failed" >&2; exit 1; }; \
	else \
		echo "missing build dependencies: run as root: apt-get install $(DEPS_PKGS)" >&2; \
		[ "$(LIBC)" != musl ] || echo "(or build against glibc: make LIBC=glibc)" >&2; exit 1; \
	fi

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(CHECK_CFLAGS_IF) -c $< -o $@

$(BUILD)/obj/tests/%.o: CHECK_CFLAGS_IF = $(CHECK_CFLAGS)

$(BUILD)/libconf.a: $(CONF_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libsup.a: $(SUP_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

ifeq ($(LIBC),musl)
# Debian ships inih only as a glibc build; its few libc references
# (stdio, malloc, string, ctype, stack protector) all exist in musl.
# The musl compiler must not see glibc's headers, so ini.h is copied.
INIH_A = $(shell pkg-config --variable=libdir inih)/libinih.a
$(BUILD)/musl/include/ini.h: | deps
	@mkdir -p $(dir $@)
	cp "$$(pkg-config --variable=includedir inih)/ini.h" $@

# libexpat likewise: its glibc build needs only __fprintf_chk and
# arc4random_buf beyond musl, both in supervisor/expat_musl.c.
EXPAT_A = $(shell pkg-config --variable=libdir expat)/libexpat.a
$(BUILD)/musl/include/expat.h: | deps
	@mkdir -p $(dir $@)
	d="$$(pkg-config --variable=includedir expat)"; cp "$$d/expat.h" "$$d/expat_external.h" $(dir $@)

$(BUILD)/musl/obj/%.o: %.c $(BUILD)/musl/include/ini.h $(BUILD)/musl/include/expat.h
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(CPPFLAGS) -I$(BUILD)/musl/include -std=c11 $(WARN) $(CFLAGS) -c $< -o $@

$(BUILD)/musl/libtend.a: $(MUSL_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tend: $(BUILD)/musl/obj/supervisor/main.o $(BUILD)/musl/obj/supervisor/expat_musl.o \
		$(BUILD)/musl/libtend.a
	$(MUSL_CC) -static $(LDFLAGS) -o $@ $^ $(INIH_A) $(EXPAT_A)

$(BUILD)/tendctl: $(BUILD)/musl/obj/supervisor/tendctl.o $(BUILD)/musl/libtend.a
	$(MUSL_CC) -static $(LDFLAGS) -o $@ $^ $(INIH_A)
else
$(BUILD)/tend: $(BUILD)/obj/supervisor/main.o $(BUILD)/libsup.a $(BUILD)/libconf.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(INIH_LIBS) $(EXPAT_LIBS)

# tendctl is linked statically (but for sanitizer builds): most of a short
# command's time is the dynamic loader, and `tendctl status` is timed
# against /bin/true. It references no NSS function (see conf_accounts).
ifeq ($(SANITIZE),1)
TENDCTL_LINK = $(INIH_LIBS)
else
TENDCTL_LINK = -static $(shell pkg-config --libs-only-L inih) -linih
endif
$(BUILD)/tendctl: $(BUILD)/obj/supervisor/tendctl.o $(BUILD)/libsup.a $(BUILD)/libconf.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(TENDCTL_LINK)
endif

# conf/ unit tests need only the configuration library.
$(BUILD)/tests/unit/test_conf%: $(BUILD)/obj/tests/unit/test_conf%.o $(BUILD)/libconf.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(INIH_LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libsup.a $(BUILD)/libconf.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(INIH_LIBS) $(EXPAT_LIBS)

$(BUILD)/tests/integration/%: $(BUILD)/obj/tests/integration/%.o $(INTEG_LIB_OBJ) $(BUILD)/libsup.a $(BUILD)/libconf.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(INIH_LIBS) $(EXPAT_LIBS)

# Helpers are tiny programs the tests exec; no sanitizer (they must behave
# exactly like ordinary children, and some of them exec or fork-bomb).
$(BUILD)/helpers/bench_%: tests/helpers/bench_common.h
$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o $@ $<

check: all $(UNIT_BIN) $(INTEG_BIN) $(HELPER_BIN)
	@rm -rf $(BUILD)/sanitizer; mkdir -p $(BUILD)/sanitizer
	@$(TEST_ENV) sh tests/run-all.sh $(UNIT_BIN) $(INTEG_BIN)
	@if [ -n "$$(ls -A $(BUILD)/sanitizer 2>/dev/null)" ]; then \
		echo "sanitizer reports:" >&2; cat $(BUILD)/sanitizer/* >&2; exit 1; fi

check-unit: all $(UNIT_BIN)
	@$(TEST_ENV) sh tests/run-all.sh $(UNIT_BIN)

check-integration: all $(INTEG_BIN) $(HELPER_BIN)
	@$(TEST_ENV) sh tests/run-all.sh $(INTEG_BIN)

run: all
	./$(BUILD)/tend -c examples/demo.ini

bench: all $(HELPER_BIN)
	@$(TEST_ENV) sh bench/run

# Fuzzing (clang + libFuzzer) and valgrind: see fuzz/fuzz.mk and tests/valgrind.
fuzz:
	$(MAKE) -f fuzz/fuzz.mk FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60)

# Long run of a crash loop and a chatty program: tend's RSS and fds must stay flat.
soak: all $(BUILD)/helpers/bench_proc
	@$(TEST_ENV) sh bench/soak $(or $(SECS),600)

# The randomized, stateful torture test (tests/torture/torture.c): random
# reloads, requests from several clients, kills and signals, with invariants
# checked after every step. TORTURE_SECS (default 600), TORTURE_SEED,
# TORTURE_STEPS, TORTURE_SKIP; it prints its seed first. `make check` runs it
# for 40 s with a fixed seed (tests/integration/test_torture.c).
TORTURE_BIN = $(BUILD)/tests/torture/torture
$(TORTURE_BIN): $(BUILD)/obj/tests/torture/torture.o $(INTEG_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS)

torture: all $(TORTURE_BIN) $(HELPER_BIN)
	@rm -rf $(BUILD)/sanitizer; mkdir -p $(BUILD)/sanitizer
	@$(TEST_ENV) TORTURE_SECS=$(or $(TORTURE_SECS),600) $(TORTURE_BIN); rc=$$?; \
	if [ -n "$$(ls -A $(BUILD)/sanitizer 2>/dev/null)" ]; then \
		echo "sanitizer reports:" >&2; cat $(BUILD)/sanitizer/* >&2; rc=1; fi; exit $$rc

# Every integration test with tend under valgrind; any report fails the run.
# valgrind cannot follow malloc inside a static binary, so the tend it runs
# is always the dynamic glibc one (built in $(BUILD)/glibc when LIBC=musl).
ifeq ($(LIBC),musl)
VG_TEND = $(BUILD)/glibc/tend
$(VG_TEND): FORCE
	$(MAKE) LIBC=glibc BUILD=$(BUILD)/glibc $(BUILD)/glibc/tend
FORCE:
else
VG_TEND = $(BUILD)/tend
endif
check-valgrind: all $(VG_TEND) $(INTEG_BIN) $(HELPER_BIN)
	@rm -rf $(BUILD)/valgrind; mkdir -p $(BUILD)/valgrind; \
	$(TEST_ENV) TEND_BIN=$(abspath tests/valgrind-tend) TEND_REAL_BIN=$(abspath $(VG_TEND)) \
		TEND_VALGRIND_DIR=$(ABS_BUILD)/valgrind sh tests/run-all.sh $(INTEG_BIN); rc=$$?; \
	if [ -n "$$(find $(BUILD)/valgrind -type f -size +0)" ]; then echo "valgrind reports:" >&2; \
		find $(BUILD)/valgrind -type f -size +0 -exec cat {} + >&2; rc=1; fi; exit $$rc

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(BUILD)/tend $(BUILD)/tendctl $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 man/tend.8 man/tendctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 man/tend.ini.5 $(DESTDIR)$(PREFIX)/share/man/man5/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tend $(DESTDIR)$(PREFIX)/bin/tendctl \
		$(DESTDIR)$(PREFIX)/share/man/man8/tend.8 $(DESTDIR)$(PREFIX)/share/man/man8/tendctl.8 \
		$(DESTDIR)$(PREFIX)/share/man/man5/tend.ini.5

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/musl/obj -name '*.d' 2>/dev/null)
