/* The run's findings from its processes' reports, its end-of-run warnings
 * and its JSON summary (run_report.h). */
#include "run_report.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "json.h"
#include "supervisor_state.h"

#define WARNINGS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct program_report *programs;
const char *run_summary_json;

void run_report_add(long pid, char **f, int n)
{
	struct program_report *p = calloc(1, sizeof(*p));

	if (!p)
		return;
	p->pid = pid;
	snprintf(p->exe, sizeof(p->exe), "%s", n > 1 ? f[1] : "");
	snprintf(p->args, sizeof(p->args), "%s", n > 2 ? f[2] : "");
	snprintf(p->counts, sizeof(p->counts), "%s", n > 3 ? f[3] : "");
	snprintf(p->libs, sizeof(p->libs), "%s", n > 4 ? f[4] : "");
	snprintf(p->sockets, sizeof(p->sockets), "%s", n > 5 ? f[5] : "");
	p->stale = n > 6 ? (unsigned)strtoul(f[6], NULL, 10) : 0;
	pthread_mutex_lock(&lock);
	p->next = programs;
	programs = p;
	pthread_mutex_unlock(&lock);
}

const struct program_report *run_report_programs(void)
{
	return programs;
}

unsigned run_report_count(const struct program_report *p, const char *engine,
			  const char *what)
{
	char e[16], w[32];
	unsigned total = 0, n;

	for (const char *line = p->counts; *line;) {
		if (sscanf(line, "%15s %31s %u", e, w, &n) == 3 &&
		    (!*engine || !strcmp(e, engine)) && !strcmp(w, what))
			total += n;
		if (!(line = strchr(line, '\n')))
			break;
		line++;
	}
	return total;
}

const char *run_report_reason(const char *what)
{
	static const char *const reasons[][2] = {
		{"clone", "intercepted: sent to a clone"},
		{"refused", "refused (the dbclone: error said why)"},
		{"maintenance", "a maintenance database or system schema (postgres, "
				"template1, mysql ...), never cloned"},
		{"no-database", "a MariaDB connect naming no database"},
		{"memory", "an in-memory SQLite database: nothing to copy"},
		{"missing", "an SQLite file that did not exist yet: nothing to copy"},
		{"rejected", "options the client library itself rejects"},
		{"excluded", "excluded by DBCLONE_INCLUDE/DBCLONE_EXCLUDE"},
		{"disabled", "DBCLONE_DISABLE is set"},
		{"engine-off", "its engine is not in DBCLONE_ENGINES"},
		{"own-clone", "a clone of dbclone's own (a kept clone)"},
		{"on-error", "DBCLONE_ON_ERROR=passthrough after a failed clone"},
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (!strcmp(reasons[i][0], what))
			return reasons[i][1];
	return "passed through";
}

/* Which programs: "python3 (pid 42), sh (pid 43)", at most three. */
static void name_programs(char *out, size_t outlen,
			  bool (*pick)(const struct program_report *))
{
	int named = 0, more = 0;

	out[0] = '\0';
	for (const struct program_report *p = programs; p; p = p->next) {
		const char *base = strrchr(p->exe, '/');
		size_t n = strlen(out);

		if (!pick(p))
			continue;
		if (named++ == 3) {
			more++;
			continue;
		}
		snprintf(out + n, outlen - n, "%s%s (pid %ld)", n ? ", " : "",
			 base ? base + 1 : p->exe, p->pid);
	}
	if (more) {
		size_t n = strlen(out);

		snprintf(out + n, outlen - n, " and %d more", more);
	}
}

static bool uses_memory(const struct program_report *p)
{
	return run_report_count(p, "sqlite", "memory") > 0;
}

static bool kept_stale(const struct program_report *p)
{
	return p->stale > 0;
}

static bool raw_sockets(const struct program_report *p)
{
	return p->sockets[0] != '\0';
}

static bool intercepted(void)
{
	if (sv.nlatency || sv.made[0] || sv.made[1] || sv.made[2])
		return true;
	for (const struct program_report *p = programs; p; p = p->next)
		/* A refused connect was intercepted: it said why, loudly. */
		if (run_report_count(p, "", "clone") ||
		    run_report_count(p, "", "refused"))
			return true;
	return false;
}

/* The connects that passed through, in a few words: "sqlite memory 2". */
static void passed_through(char *out, size_t outlen)
{
	out[0] = '\0';
	for (const struct program_report *p = programs; p; p = p->next) {
		size_t n = strlen(out);

		if (p->counts[0] && n + strlen(p->counts) + 3 < outlen)
			snprintf(out + n, outlen - n, "%s%s", n ? "; " : "", p->counts);
	}
	for (char *c = out; *c; c++)
		if (*c == '\n')
			*c = ',';
}

/* The warnings of the run, each one "dbclone:" line with what to do. */
static int warnings(char w[][1024], bool per_process)
{
	char who[512], passed[512];
	int n = 0;

	(void)per_process;
	if (!intercepted()) {
		passed_through(passed, sizeof(passed));
		snprintf(w[n++], 1024, "dbclone: nothing was intercepted in this run: "
			 "%s%s%s; run dbclone doctor -- CMD to see which programs ran, "
			 "what they loaded and why", passed[0] ?
			 "every connect passed through (" : "no program connected "
			 "through libpq, libsqlite3 or libmariadb/libmysqlclient (a "
			 "driver that speaks the protocol itself, or a statically "
			 "linked client, is never intercepted", passed,
			 passed[0] ? ")" : ")");
	}
	name_programs(who, sizeof(who), uses_memory);
	if (who[0])
		snprintf(w[n++], 1024, "dbclone: %s opened an in-memory SQLite "
			 "database, which dbclone leaves alone (it starts empty on "
			 "every open: nothing to clone); point the tests at a "
			 "database file to have it cloned per test", who);
	name_programs(who, sizeof(who), kept_stale);
	if (who[0])
		snprintf(w[n++], 1024, "dbclone: connections kept using clones "
			 "whose test keys had ended, in %s: a connection pool or "
			 "persistent connection carried across tests; close "
			 "connections at the end of each test (Django: "
			 "CONN_MAX_AGE=0), or set DBCLONE_STALE=terminate so that "
			 "pools reconnect into the new clone", who);
	name_programs(who, sizeof(who), raw_sockets);
	if (who[0])
		snprintf(w[n++], 1024, "dbclone: %s connected to a database port "
			 "without a client library dbclone intercepts: a driver that "
			 "speaks the protocol itself (node-postgres, JDBC, asyncpg, "
			 "Go's pq) is never cloned for; use a libpq or libmariadb "
			 "based driver (pg-native, psycopg2, mysqlclient)", who);
	return n;
}

/* Lines of "a b c..." as a JSON array of objects with the given keys
 * (the last key takes the rest of the line). */
static void json_lines(FILE *f, const char *text, const char *const *keys,
		       int nkeys, int numeric)
{
	bool first = true;

	fputc('[', f);
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n'), *p = line;
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[PATH_MAX + 64];

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		fprintf(f, "%s{", first ? "" : ",");
		first = false;
		p = buf;
		for (int k = 0; k < nkeys; k++) {
			char *sp = k + 1 < nkeys ? strchr(p, ' ') : NULL;

			if (sp)
				*sp = '\0';
			fprintf(f, "%s\"%s\":", k ? "," : "", keys[k]);
			if (k == numeric)
				fprintf(f, "%ld", strtol(p, NULL, 10));
			else
				json_string(f, p);
			p = sp ? sp + 1 : p + strlen(p);
		}
		fputc('}', f);
		if (!end)
			break;
		line = end + 1;
	}
	fputc(']', f);
}

static void json_program(FILE *f, const struct program_report *p)
{
	static const char *const count_keys[] = {"engine", "what", "count"};
	static const char *const lib_keys[] = {"version", "path"};
	static const char *const sock_keys[] = {"engine", "transport", "port"};

	fprintf(f, "{\"pid\":%ld,\"exe\":", p->pid);
	json_string(f, p->exe);
	fputs(",\"args\":", f);
	json_string(f, p->args);
	fputs(",\"connects\":", f);
	json_lines(f, p->counts, count_keys, 3, 2);
	fputs(",\"libraries\":", f);
	json_lines(f, p->libs, lib_keys, 2, -1);
	fputs(",\"database_sockets\":", f);
	json_lines(f, p->sockets, sock_keys, 3, 2);
	fprintf(f, ",\"stale_connections\":%u}", p->stale);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void write_json(const char *path, int status, char w[][1024], int nw)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	double p50 = 0, p95 = 0;
	int n = sv.nlatency;

	if (!f) {
		fprintf(stderr, "dbclone: cannot write the JSON summary to %s; "
			"give a writable path\n", path);
		return;
	}
	if (n) {
		qsort(sv.latency, (size_t)n, sizeof(double), cmp_double);
		p50 = sv.latency[n / 2];
		p95 = sv.latency[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1];
	}
	fprintf(f, "{\"clones_made\":{\"pg\":%d,\"sqlite\":%d,\"mysql\":%d},"
		"\"clone_seconds\":%.3f,\"hidden_seconds\":%.3f,\"handouts\":%d,"
		"\"claims\":%lu,"
		"\"handout_ms\":{\"p50\":%.1f,\"p95\":%.1f},\"per_process\":%s,"
		"\"exit_status\":%d,\"intercepted\":%s,\"warnings\":[",
		sv.made[0], sv.made[1], sv.made[2], sv.clone_ms / 1e3,
		sv.hidden_ms / 1e3, n, sv.claims, p50, p95,
		sv.per_process ? "true" : "false",
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		intercepted() ? "true" : "false");
	for (int i = 0; i < nw; i++) {
		fputs(i ? "," : "", f);
		json_string(f, w[i]);
	}
	fputs("],\"programs\":[", f);
	for (const struct program_report *p = programs; p; p = p->next) {
		json_program(f, p);
		fputs(p->next ? "," : "", f);
	}
	fputs("]}\n", f);
	if (f != stdout)
		fclose(f);
	else
		fflush(f);
}

void run_report_end(int status, const char *json_path)
{
	char w[WARNINGS][1024];
	int n = warnings(w, sv.per_process);

	for (int i = 0; i < n; i++)
		fprintf(stderr, "%s\n", w[i]);
	if (json_path && *json_path)
		write_json(json_path, status, w, n);
}
