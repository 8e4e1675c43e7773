/* dbclone run -- CMD: run CMD with the library preloaded, then drop what
 * its processes left behind. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dbclone.h"
#include "journal.h"
#include "sqlite.h"

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* The library next to the command (build/), or in PREFIX/lib/dbclone
 * when installed; DBCLONE_LIBRARY overrides both. */
bool cli_find_library(char *out, size_t outlen)
{
	static const char *const places[] = {"%s/libdbclone.so",
					     "%s/../lib/dbclone/libdbclone.so"};
	const char *env = getenv("DBCLONE_LIBRARY");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, outlen, "%s", env);
		return true;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')))
		*slash = '\0';
	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), places[i], exe);
		if (access(path, R_OK) == 0 && realpath(path, out))
			return true;
	}
	(void)outlen;
	return false;
}

struct sweep {
	const char *run;
	int dropped;
};

/* Only a clone whose marker names this run is this run's to drop. */
static bool of_this_run(const char *marker_text, const char *run)
{
	struct marker m;

	return marker_parse(marker_text, &m) && !strcmp(m.run, run);
}

static void sweep_pg(struct sweep *sw, const char *clone, const char *where)
{
	const char *params[] = {clone};
	char err[512];
	PGconn *admin;
	PGresult *res;

	if (!(admin = cli_pg_admin(where)))
		return;
	res = PQexecParams(admin,
			   "SELECT pg_catalog.shobj_description(oid, 'pg_database') "
			   "FROM pg_catalog.pg_database WHERE datname = $1",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    of_this_run(PQgetvalue(res, 0, 0), sw->run)) {
		if (pg_drop(&cli_pg_api, admin, clone, true, err, sizeof(err)))
			sw->dropped++;
		else
			fprintf(stderr, "%s\n", err);
	}
	PQclear(res);
	PQfinish(admin);
}

static void sweep_sqlite(struct sweep *sw, const char *clone)
{
	char marker[MARKER_MAX], err[512];

	if (!sqlite_read_marker(clone, marker, sizeof(marker)) ||
	    !of_this_run(marker, sw->run))
		return;
	if (sqlite_drop(clone, err, sizeof(err)))
		sw->dropped++;
	else
		fprintf(stderr, "%s\n", err);
}

static void sweep_mysql(struct sweep *sw, const char *clone, const char *where)
{
	MYSQL *admin = cli_mysql_admin(where, false);
	char err[512], *q;
	MYSQL_RES *res;
	MYSQL_ROW row;
	size_t n = strlen(clone);

	if (!admin)
		return;
	q = malloc(n * 2 + 128);
	if (!q)
		abort();
	strcpy(q, "SELECT SCHEMA_COMMENT FROM information_schema.SCHEMATA "
		  "WHERE SCHEMA_NAME = '");
	mysql_real_escape_string(admin, q + strlen(q), clone, (unsigned long)n);
	strcat(q, "'");
	if (mysql_query(admin, q) == 0 && (res = mysql_store_result(admin))) {
		if ((row = mysql_fetch_row(res)) && of_this_run(row[0], sw->run)) {
			if (mysql_drop(&cli_mysql_api, admin, clone, err, sizeof(err)))
				sw->dropped++;
			else
				fprintf(stderr, "%s\n", err);
		}
		mysql_free_result(res);
	}
	free(q);
	mysql_close(admin);
}

/* A clone recorded in the journal that still exists belongs to a process
 * that never reached its exit handler. Its marker must name this run. */
static void sweep_one(const char *engine, const char *clone, const char *where,
		      void *ctx)
{
	if (!strcmp(engine, "pg"))
		sweep_pg(ctx, clone, where);
	else if (!strcmp(engine, "sqlite"))
		sweep_sqlite(ctx, clone);
	else if (!strcmp(engine, "mysql"))
		sweep_mysql(ctx, clone, where);
}

static void sweep_run(const char *dir, const char *run)
{
	struct sweep sw = {run, 0};
	char path[PATH_MAX + 16];

	journal_read(dir, sweep_one, &sw);
	if (sw.dropped)
		fprintf(stderr, "dbclone: dropped %d clone(s) that processes of "
			"this run left behind (killed before their exit)\n",
			sw.dropped);
	snprintf(path, sizeof(path), "%s/journal", dir);
	unlink(path);
	rmdir(dir);
}

int cmd_run(int argc, char **argv)
{
	char lib[PATH_MAX], run[256], host[128] = "", dir[PATH_MAX];
	const char *tmp = getenv("TMPDIR"), *old;
	struct sigaction sa = {0};
	char *preload;
	int i, status = 0;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--per-process") != 0) {
			fprintf(stderr, "dbclone: run does not take \"%s\"; use "
				"dbclone run [--per-process] -- CMD ...\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "dbclone: run needs a command; use dbclone run "
			"-- CMD ...\n");
		return 2;
	}
	if (!cli_find_library(lib, sizeof(lib))) {
		fprintf(stderr, "dbclone: cannot find libdbclone.so next to the "
			"command or in ../lib/dbclone; reinstall, or set "
			"DBCLONE_LIBRARY to its path\n");
		return 2;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(run, sizeof(run), "%s-%ld-%ld", host, (long)getpid(),
		 (long)time(NULL));
	snprintf(dir, sizeof(dir), "%s/dbclone-run-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "dbclone: cannot make a run directory in %s: %s; "
			"set TMPDIR to a writable directory\n",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return 2;
	}
	/* Prepend, never overwrite: the program may preload its own. */
	old = getenv("LD_PRELOAD");
	if (asprintf(&preload, "%s%s%s", lib, old && *old ? ":" : "",
		     old ? old : "") < 0)
		return 2;
	setenv("LD_PRELOAD", preload, 1);
	setenv("DBCLONE_RUN", run, 1);
	setenv("DBCLONE_RUN_DIR", dir, 1);
	free(preload);

	/* A parent that ignores SIGCHLD would make waitpid fail. */
	signal(SIGCHLD, SIG_DFL);
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	child = fork();
	if (child < 0) {
		fprintf(stderr, "dbclone: cannot start %s: %s\n", argv[i + 1],
			strerror(errno));
		return 2;
	}
	if (child == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "dbclone: cannot run %s: %s; check the command\n",
			argv[i + 1], strerror(errno));
		_exit(127);
	}
	/* The run's own commands must not be intercepted. */
	unsetenv("LD_PRELOAD");
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 255 << 8; /* lost the child: a failure */
			break;
		}
	}
	sweep_run(dir, run);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
