# fuzz.mk - libFuzzer targets (clang, ASan + UBSan), run by `make fuzz`.
#
#   make -f fuzz/fuzz.mk [FUZZ_SECONDS=60] [BUILD=build]
#
# fuzz_conf     a whole INI file through conf_load() (includes kept inside an
#               empty folder, see fuzz_conf.c)
# fuzz_request  a control request line through request_parse() and friends
# fuzz_xmlrpc   an HTTP request head (http_parse_head, Basic credentials) or
#               an XML-RPC document (xmlrpc_decode_call with libexpat, and an
#               encode/decode round trip of its strings)
#
# Each target runs for FUZZ_SECONDS from a working corpus in
# $(BUILD)/fuzz/corpus-NAME seeded from fuzz/corpus/NAME (the seeds are never
# modified). A crash leaves its input in $(BUILD)/fuzz/crashes/ and fails the
# run; both targets run even when the first one fails. Reproduce with
#   $(BUILD)/fuzz/fuzz_NAME /absolute/path/to/FILE
# (fuzz_conf moves into an empty folder before it reads its arguments, so
# every path given to it, here too, is absolute.)
# clang and libclang-rt-14-dev are installed with apt-get when missing and
# we are root.

FUZZ_SECONDS ?= 60
BUILD ?= build
FUZZ_CC ?= clang
FD = $(abspath $(BUILD))/fuzz
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -I. -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Wno-unused-parameter
INIH_CFLAGS = $(shell pkg-config --cflags inih)
INIH_LIBS = $(shell pkg-config --libs-only-L inih) -Wl,-Bstatic -linih -Wl,-Bdynamic
CONF_SRC = $(sort $(wildcard conf/*.c))
TARGETS = conf request xmlrpc
# leaks are errors; a stuck input (e.g. a loop) is a failure after 10 s
RUN_OPTS = -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
conf_OPTS = -max_len=16384 -dict=$(abspath fuzz/conf.dict)
request_OPTS = -max_len=4200 -dict=$(abspath fuzz/request.dict)
xmlrpc_OPTS = -max_len=16384 -dict=$(abspath fuzz/xmlrpc.dict)
EXPAT_LIBS = $(shell pkg-config --libs expat)
export ASAN_OPTIONS = detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1

.PHONY: all run build fuzz-deps

all: run

fuzz-deps:
	@if command -v $(FUZZ_CC) >/dev/null && echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' \
		| $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing clang libclang-rt-14-dev"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null \
			|| { echo "apt-get install failed" >&2; exit 1; }; \
	else \
		echo "fuzzing needs clang with libFuzzer: run as root: apt-get install clang libclang-rt-14-dev" >&2; exit 1; \
	fi

build: $(TARGETS:%=$(FD)/fuzz_%)

$(FD)/fuzz_conf: fuzz/fuzz_conf.c $(CONF_SRC) $(wildcard conf/*.h) | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(INIH_CFLAGS) -o $@ fuzz/fuzz_conf.c $(CONF_SRC) $(INIH_LIBS)

$(FD)/fuzz_request: fuzz/fuzz_request.c supervisor/request.c supervisor/request.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_request.c supervisor/request.c

$(FD)/fuzz_xmlrpc: fuzz/fuzz_xmlrpc.c supervisor/httpparse.c supervisor/xmlrpc.c supervisor/http.h \
		supervisor/xmlrpc.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_xmlrpc.c supervisor/httpparse.c supervisor/xmlrpc.c \
		$(EXPAT_LIBS)

# One target after the other (each gets the whole machine for its time);
# -fork is not used so that the time bound is exact.
run: build
	@mkdir -p $(FD)/crashes; fail=0; \
	for t in $(TARGETS); do \
		mkdir -p $(FD)/corpus-$$t; \
		echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
		opts="$(conf_OPTS)"; [ $$t = request ] && opts="$(request_OPTS)"; \
		[ $$t = xmlrpc ] && opts="$(xmlrpc_OPTS)"; \
		if ! $(FD)/fuzz_$$t $(RUN_OPTS) $$opts -artifact_prefix=$(FD)/crashes/$$t- \
			$(FD)/corpus-$$t $(abspath fuzz/corpus)/$$t > $(FD)/fuzz_$$t.log 2>&1; then \
			fail=1; echo "fuzz_$$t FAILED: see $(FD)/fuzz_$$t.log and $(FD)/crashes/" >&2; \
			tail -n 40 $(FD)/fuzz_$$t.log >&2; \
		fi; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' $(FD)/fuzz_$$t.log \
			| sed "s/^/fuzz_$$t /"; \
		grep -E '^#[0-9]+.*DONE' $(FD)/fuzz_$$t.log | tail -n 1 | sed "s/^/fuzz_$$t /"; \
	done; exit $$fail
