/* What this process did with its connects, sent to the run at exit
 * (report.h). Counting costs a lock and a few compares per connect; the
 * report itself is one line on the run's socket, sent only when there is
 * something to tell (or under `dbclone doctor`, which lists every
 * program). */
#include "report.h"

#include <dirent.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boundary.h"
#include "config.h"
#include "keys.h"
#include "supervised.h"
#include "wire.h"

#define TALLIES 48
#define OPEN_MAX 512

struct tally {
	char engine[8];
	char what[16];
	unsigned n;
};

/* A connection on a clone, and the key it was made under. */
struct open_conn {
	const void *handle;
	unsigned long key;
	bool stale; /* counted once as outliving its key */
	/* Made on the setup (no DBCLONE_TEST), under that many boundary
	 * signals: the setup lives on while test keys start from it. */
	bool setup;
	unsigned signals;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tally tallies[TALLIES];
static int ntallies;
static struct open_conn open_conns[OPEN_MAX];
static int nopen;
static unsigned stale; /* connections still open after their key ended */

unsigned long report_key(void)
{
	char key[KEY_MAX];
	unsigned long h = 1469598103934665603UL;

	boundary_key(key, sizeof(key));
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211UL;
	return h;
}

/* Connections made under an earlier key and still open: a pool or a
 * persistent connection carried from one test into the next. Under the
 * lock. */
static void count_stale(unsigned long key)
{
	for (int i = 0; i < nopen; i++)
		if (open_conns[i].key != key && !open_conns[i].stale &&
		    !(open_conns[i].setup &&
		      open_conns[i].signals == boundary_signals())) {
			open_conns[i].stale = true;
			stale++;
		}
}

void report_verdict(const char *engine, const char *what,
		    unsigned long key)
{
	int i;

	pthread_mutex_lock(&lock);
	if (key)
		count_stale(key);
	for (i = 0; i < ntallies; i++)
		if (!strcmp(tallies[i].engine, engine) && !strcmp(tallies[i].what, what))
			break;
	if (i == ntallies && ntallies < TALLIES) {
		snprintf(tallies[i].engine, sizeof(tallies[i].engine), "%s", engine);
		snprintf(tallies[i].what, sizeof(tallies[i].what), "%s", what);
		ntallies++;
	}
	if (i < ntallies)
		tallies[i].n++;
	pthread_mutex_unlock(&lock);
}

void report_connected(const void *handle, unsigned long key)
{
	const char *test = getenv("DBCLONE_TEST");
	bool setup = !test || !test[0];

	pthread_mutex_lock(&lock);
	if (nopen < OPEN_MAX)
		open_conns[nopen++] = (struct open_conn){handle, key, false, setup,
							 boundary_signals()};
	pthread_mutex_unlock(&lock);
}

void report_closed(const void *handle)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < nopen; i++)
		if (open_conns[i].handle == handle) {
			open_conns[i] = open_conns[--nopen];
			break;
		}
	pthread_mutex_unlock(&lock);
}

/* ---- at exit ------------------------------------------------------------ */

static void add_line(char *out, size_t outlen, const char *line)
{
	size_t n = strlen(out);

	if (n + strlen(line) + 2 < outlen)
		snprintf(out + n, outlen - n, "%s%s", n ? "\n" : "", line);
}

struct libs_seen {
	char text[2048];
	unsigned engines; /* ENGINE_* bits of the client libraries loaded */
};

static const char *version_of(unsigned engine)
{
	static char pg[16];
	void *fn;

	if (engine == ENGINE_PG && (fn = find_real_symbol("PQlibVersion"))) {
		int v = ((int (*)(void))fn)();

		snprintf(pg, sizeof(pg), "%d.%d", v / 10000, v % 10000);
		return pg;
	}
	if (engine == ENGINE_SQLITE && (fn = find_real_symbol("sqlite3_libversion")))
		return ((const char *(*)(void))fn)();
	if (engine == ENGINE_MYSQL && (fn = find_real_symbol("mysql_get_client_info")))
		return ((const char *(*)(void))fn)();
	return "?";
}

static int one_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
	static const struct {
		const char *name;
		unsigned engine;
	} clients[] = {{"/libpq.so", ENGINE_PG}, {"/libsqlite3.so", ENGINE_SQLITE},
		       {"/libmariadb.so", ENGINE_MYSQL},
		       {"/libmysqlclient.so", ENGINE_MYSQL}};
	struct libs_seen *seen = ctx;
	char line[PATH_MAX + 64];

	(void)size;
	for (size_t i = 0; info->dlpi_name && i < sizeof(clients) / sizeof(clients[0]); i++) {
		if (!strstr(info->dlpi_name, clients[i].name))
			continue;
		seen->engines |= clients[i].engine;
		snprintf(line, sizeof(line), "%s %s", version_of(clients[i].engine),
			 info->dlpi_name);
		add_line(seen->text, sizeof(seen->text), line);
	}
	return 0;
}

/* The socket inodes this process holds open. */
static int socket_inodes(unsigned long *inodes, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while (n < max && (e = readdir(d))) {
		char path[300], target[64];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (sscanf(target, "socket:[%lu]", &inodes[n]) == 1)
			n++;
	}
	closedir(d);
	return n;
}

/* The engine a server port belongs to: the usual ones, and PGPORT and
 * MYSQL_TCP_PORT. 0 for another port. */
static unsigned engine_of_port(unsigned port)
{
	const char *pg = getenv("PGPORT"), *my = getenv("MYSQL_TCP_PORT");

	if (port == 5432 || (pg && (unsigned)atoi(pg) == port))
		return ENGINE_PG;
	if (port == 3306 || (my && (unsigned)atoi(my) == port))
		return ENGINE_MYSQL;
	return 0;
}

/* TCP connections to a database port held by an inode of ours, from
 * /proc/self/net/tcp and tcp6 ("sl local remote st ... uid timeout inode"),
 * of engines whose client library is not loaded: a driver that speaks the
 * protocol itself. */
static void database_sockets(unsigned client_engines, char *out, size_t outlen)
{
	static const char *const tables[] = {"/proc/self/net/tcp", "/proc/self/net/tcp6"};
	unsigned long inodes[256];
	int n = socket_inodes(inodes, 256);

	for (size_t t = 0; n && t < 2; t++) {
		FILE *f = fopen(tables[t], "r");
		char row[512], remote[64], line[128];
		unsigned port, state, engine;
		unsigned long inode;

		while (f && fgets(row, sizeof(row), f)) {
			if (sscanf(row, " %*s %*s %63s %x %*s %*s %*s %*s %*s %lu",
				   remote, &state, &inode) != 3 ||
			    !strchr(remote, ':'))
				continue;
			port = (unsigned)strtoul(strchr(remote, ':') + 1, NULL, 16);
			engine = engine_of_port(port);
			if (!engine || (client_engines & engine))
				continue;
			for (int i = 0; i < n; i++)
				if (inodes[i] == inode) {
					snprintf(line, sizeof(line), "%s tcp %u",
						 engine == ENGINE_PG ? "pg" : "mysql", port);
					add_line(out, outlen, line);
				}
		}
		if (f)
			fclose(f);
	}
}

/* A password on a command line ("password=...", "--password=...", a
 * URI's "user:secret@") never reaches the run's report: its characters
 * are overwritten. */
static void scrub_passwords(char *s)
{
	for (char *p = s; (p = strstr(p, "password=")); ) {
		p += 9;
		memset(p, '*', strcspn(p, " '\""));
	}
	for (char *p = s; (p = strstr(p, "://")); ) {
		char *at, *colon;

		p += 3;
		at = p + strcspn(p, "@/ ");
		colon = memchr(p, ':', (size_t)(at - p));
		if (*at == '@' && colon)
			memset(colon + 1, '*', (size_t)(at - colon - 1));
	}
}

/* The program: its executable, and its command line (an interpreter's
 * script is its first argument). */
static void program_of(char *exe, size_t exelen, char *args, size_t argslen)
{
	ssize_t n = readlink("/proc/self/exe", exe, exelen - 1);
	FILE *f = fopen("/proc/self/cmdline", "r");
	size_t got = 0;

	exe[n > 0 ? n : 0] = '\0';
	args[0] = '\0';
	if (f) {
		got = fread(args, 1, argslen - 1, f);
		fclose(f);
	}
	for (size_t i = 0; i + 1 < got; i++)
		if (!args[i])
			args[i] = ' ';
	args[got] = '\0';
	scrub_passwords(args);
}

static void tallies_text(char *out, size_t outlen)
{
	char line[128];

	for (int i = 0; i < ntallies; i++) {
		snprintf(line, sizeof(line), "%.7s %.15s %u", tallies[i].engine,
			 tallies[i].what, tallies[i].n);
		add_line(out, outlen, line);
	}
}

/* After every atexit handler (the registry's teardown among them): one
 * "report" line to the run, when this process is in one. */
__attribute__((destructor)) static void report_at_exit(void)
{
	const struct config *cfg;
	struct libs_seen libs = {.text = ""};
	char exe[PATH_MAX], args[512], counts[2048] = "", sockets[1024] = "";
	char line[WIRE_MAX] = "", nstale[16];
	bool doctor = getenv("DBCLONE_DOCTOR") != NULL;

	if (!getenv("DBCLONE_SOCKET") || (cfg = config_get())->error || cfg->disable)
		return;
	pthread_mutex_lock(&lock);
	tallies_text(counts, sizeof(counts));
	snprintf(nstale, sizeof(nstale), "%u", stale);
	pthread_mutex_unlock(&lock);
	dl_iterate_phdr(one_object, &libs);
	database_sockets(libs.engines, sockets, sizeof(sockets));
	if (!doctor && !counts[0] && !sockets[0])
		return;
	program_of(exe, sizeof(exe), args, sizeof(args));
	wire_add(line, sizeof(line), "report");
	wire_add(line, sizeof(line), exe);
	wire_append(line, sizeof(line), args);
	wire_append(line, sizeof(line), counts);
	wire_append(line, sizeof(line), libs.text);
	wire_append(line, sizeof(line), sockets);
	wire_append(line, sizeof(line), nstale);
	supervisor_report(line);
}

/* A child's connects are its own to report. */
void report_at_fork(enum fork_phase phase)
{
	fork_one_lock(&lock, phase);
	if (phase == FORK_CHILD) {
		ntallies = 0;
		nopen = 0;
		stale = 0;
	}
}
