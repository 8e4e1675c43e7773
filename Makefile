# dbclone: build/libdbclone.so (preloaded into the program under test) and
# build/dbclone (the command).

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc

PG_INCLUDE := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
MARIADB_INCLUDE := $(shell mariadb_config --include 2>/dev/null || echo -I/usr/include/mariadb)
PG_SYSCONFDIR := $(shell pg_config --sysconfdir 2>/dev/null || echo /etc/postgresql-common)

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) -fPIC -fvisibility=hidden -D_GNU_SOURCE \
	-Ibackends -Ibackends/engine -I$(PG_INCLUDE) $(MARIADB_INCLUDE) -DPG_SYSCONFDIR='"$(PG_SYSCONFDIR)"' $(CFLAGS)

BACKEND_SRC := $(wildcard backends/*.c backends/engine/*.c)
LIB_SRC := $(wildcard interpose/*.c) $(BACKEND_SRC)
CLI_SRC := $(wildcard cli/*.c) $(BACKEND_SRC)
HEADERS := $(wildcard backends/*.h backends/engine/*.h interpose/*.h cli/*.h)

# The library links no client library (-z defs proves it calls none by
# name): it binds to the copies the program loaded.
LIB_LDFLAGS := -shared -Wl,-z,defs -Wl,--as-needed -ldl -lpthread

.PHONY: all clean check demo bench install asan test-clients unit fuzz fuzz-build tsan man deb
all: build/libdbclone.so build/dbclone man

VERSION := $(shell sed -n 's/^\#define DBCLONE_VERSION "\(.*\)"/\1/p' cli/dbclone.h)
LIBDIR ?= $(PREFIX)/lib/dbclone

# --help and the man pages come from one source, so that they cannot drift.
build/gen/usage.h: man/dbclone.txt scripts/gen-docs.sh
	@mkdir -p build/gen
	scripts/gen-docs.sh help < $< > $@
build/man/dbclone.1: man/dbclone.txt scripts/gen-docs.sh cli/dbclone.h
	@mkdir -p build/man
	scripts/gen-docs.sh man1 $(VERSION) $(LIBDIR) < $< > $@
build/man/libdbclone.7: man/dbclone.txt scripts/gen-docs.sh cli/dbclone.h
	@mkdir -p build/man
	scripts/gen-docs.sh man7 $(VERSION) $(LIBDIR) < $< > $@
man: build/man/dbclone.1 build/man/libdbclone.7

build/libdbclone.so: $(LIB_SRC) $(HEADERS)
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -Iinterpose -o $@ $(LIB_SRC) $(LIB_LDFLAGS)

build/dbclone: $(CLI_SRC) $(HEADERS) build/gen/usage.h
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -Icli -Ibuild/gen -o $@ $(CLI_SRC) -lpq -lsqlite3 -lmariadb

# The same library under AddressSanitizer and UBSan, for `make check`.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
build/asan/libdbclone.so: $(LIB_SRC) $(HEADERS)
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -Iinterpose -o $@ $(LIB_SRC) -shared -ldl -lpthread
# UBSan alone, for the hosts that cannot run under ASan (tests/sanitizer/bin).
build/ubsan/libdbclone.so: $(LIB_SRC) $(HEADERS)
	@mkdir -p build/ubsan
	$(CC) $(ALL_CFLAGS) -fsanitize=undefined -fno-sanitize-recover=undefined -Iinterpose -o $@ $(LIB_SRC) -shared -ldl -lpthread
asan: build/asan/libdbclone.so build/ubsan/libdbclone.so
# ThreadSanitizer, gcc's runtime (clang-14's crashes python3 here), for
# the thread, fork and boundary tests (scripts/tsan.sh). bind.c is left
# uninstrumented: the runtime calls the dlsym hook while it sets itself up,
# before instrumented code may run.
build/tsan/bind.o: interpose/bind.c $(HEADERS)
	@mkdir -p build/tsan
	$(CC) $(ALL_CFLAGS) -Iinterpose -c -o $@ $<
build/tsan/libdbclone.so: $(LIB_SRC) $(HEADERS) build/tsan/bind.o
	$(CC) $(ALL_CFLAGS) -fsanitize=thread -fno-omit-frame-pointer -Iinterpose -o $@ $(filter-out interpose/bind.c,$(LIB_SRC)) build/tsan/bind.o -shared -ldl -lpthread
tsan: build/tsan/libdbclone.so

# Small C programs the tests run under the library.
CLIENTS := $(patsubst tests/clients/%.c,build/tests/%,$(filter-out tests/clients/%_plugin.c,$(wildcard tests/clients/*.c)))
PLUGINS := $(patsubst tests/clients/%.c,build/tests/%.so,$(wildcard tests/clients/*_plugin.c))
CLIENT_LIBS = -lpq -ldl -lpthread
# pg_reach must not link libpq: it finds it the way drivers do.
build/tests/pg_reach: CLIENT_LIBS = -ldl
build/tests/sqlite_calls: CLIENT_LIBS = -lsqlite3
build/tests/mysql_calls: CLIENT_LIBS = -lmariadb
build/tests/mysql_fork_mid: CLIENT_LIBS = -lmariadb -lpthread
# ctor_host has ctor_plugin.so as a dependency, whose constructor runs
# before the preloaded library's.
build/tests/ctor_host: build/tests/ctor_plugin.so
build/tests/ctor_host: CLIENT_LIBS = -Lbuild/tests -l:ctor_plugin.so -Wl,-rpath,'$$ORIGIN'
build/tests/%: tests/clients/%.c
	@mkdir -p build/tests
	$(CC) -std=gnu11 $(WARN) -O2 -g -I$(PG_INCLUDE) $(MARIADB_INCLUDE) -o $@ $< $(CLIENT_LIBS)
PLUGIN_LIBS = -lpq
build/tests/ctor_plugin.so: PLUGIN_LIBS = -lpq -lsqlite3
build/tests/%.so: tests/clients/%.c
	@mkdir -p build/tests
	$(CC) -std=gnu11 $(WARN) -O2 -g -fPIC -shared -I$(PG_INCLUDE) -o $@ $< $(PLUGIN_LIBS)
test-clients: $(CLIENTS) $(PLUGINS)

UNIT := $(patsubst tests/unit/%.c,build/tests/unit_%,$(wildcard tests/unit/*.c))
build/tests/unit_%: tests/unit/%.c $(BACKEND_SRC) $(HEADERS)
	@mkdir -p build/tests
	$(CC) $(ALL_CFLAGS) $(SAN) -Itests/unit -o $@ $< $(BACKEND_SRC) -lpq -lsqlite3 -lmariadb
# Benchmark helpers, linked with the backends.
build/tests/mysql_clone_timer: tests/bench/mysql_clone_timer.c $(BACKEND_SRC) $(HEADERS)
	@mkdir -p build/tests
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BACKEND_SRC) -lpq -lsqlite3 -lmariadb
bench-tools: build/tests/mysql_clone_timer

unit: $(UNIT)
	@for t in $(UNIT); do ./$$t || exit 1; done

# check and demo install what they need first: a fresh machine has no
# libpq-dev to build with.
check:
	scripts/install-deps.sh
	$(MAKE) all
	scripts/check.sh

demo:
	scripts/install-deps.sh --demo
	$(MAKE) all
	scripts/demo.sh

bench:
	scripts/install-deps.sh
	$(MAKE) all bench-tools
	scripts/bench.sh

# The command, the library in a private directory the command finds
# (../lib/dbclone from its own), the man pages, bash completion.
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 build/dbclone $(DESTDIR)$(PREFIX)/bin/dbclone
	install -m 0644 build/libdbclone.so $(DESTDIR)$(LIBDIR)/libdbclone.so
	cd harness && find . -type f -not -path '*/__pycache__/*' -exec install -D -m 0644 {} $(DESTDIR)$(LIBDIR)/harness/{} \;
	install -m 0644 build/man/dbclone.1 $(DESTDIR)$(MANDIR)/man1/dbclone.1
	install -m 0644 build/man/libdbclone.7 $(DESTDIR)$(MANDIR)/man7/libdbclone.7
	install -m 0644 completion/dbclone.bash $(DESTDIR)$(COMPLETIONDIR)/dbclone

# A Debian package of the above (debian/build-deb.sh), built without
# debhelper and without running the tests inside itself.
deb: 
	$(MAKE) all PREFIX=/usr
	debian/build-deb.sh $(VERSION)

clean:
	rm -rf build

# libFuzzer targets for dbclone's parsers of outside input (tests/fuzz/):
# clang, with ASan and UBSan. `make fuzz` runs each FUZZ_SECONDS (60);
# scripts/check.sh runs each about 10 s. A crash found is fixed and its
# input kept in tests/fuzz/corpus/<target>/, which every run replays.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c))
FUZZ_FLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Ibackends -Ibackends/engine -Iinterpose \
	-I$(PG_INCLUDE) $(MARIADB_INCLUDE) -DPG_SYSCONFDIR='"$(PG_SYSCONFDIR)"'
# A target that includes an engine's file for its static helpers links
# every other backend file.
fuzz_backends = $(filter-out $(patsubst %,backends/engine/%.c,$(patsubst %_quote,%,$(patsubst %_path,%,$(1)))),$(BACKEND_SRC))
build/fuzz/config: FUZZ_EXTRA = interpose/config.c
build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(BACKEND_SRC) $(HEADERS)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_EXTRA) $(call fuzz_backends,$*) -lpq -lsqlite3 -lmariadb
fuzz-build: $(addprefix build/fuzz/,$(FUZZ_TARGETS))
fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_SECONDS)
