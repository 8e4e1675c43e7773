/* dbclone ls and dbclone gc: what clones exist, and dropping the ones whose
 * owner is gone. Only a database named dbclone_* that carries a marker is
 * ever dropped. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbclone.h"

static bool owner_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

static bool on_this_host(const char *host)
{
	char name[256] = "";

	gethostname(name, sizeof(name) - 1);
	return strcmp(host, name) == 0;
}

static void format_age(time_t created, char *out, size_t outlen)
{
	long s = (long)(time(NULL) - created);

	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, outlen, "%lds", s);
	else if (s < 7200)
		snprintf(out, outlen, "%ldm", s / 60);
	else if (s < 172800)
		snprintf(out, outlen, "%ldh", s / 3600);
	else
		snprintf(out, outlen, "%ldd", s / 86400);
}

/* Parses --pg, --dry-run and --older-than; false on a bad argument. */
struct options {
	const char *pg;
	bool dry_run;
	long older_than; /* seconds, or -1 */
};

static bool parse_options(const char *cmd, int argc, char **argv,
			  struct options *o, bool gc)
{
	o->pg = NULL;
	o->dry_run = false;
	o->older_than = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--pg") && i + 1 < argc) {
			o->pg = argv[++i];
		} else if (!strncmp(a, "--pg=", 5)) {
			o->pg = a + 5;
		} else if (gc && !strcmp(a, "--dry-run")) {
			o->dry_run = true;
		} else if (gc && (!strcmp(a, "--older-than") ||
				  !strncmp(a, "--older-than=", 13))) {
			const char *v = a[12] == '=' ? a + 13 :
					i + 1 < argc ? argv[++i] : "";

			if (!parse_duration(v, &o->older_than)) {
				fprintf(stderr, "dbclone: --older-than \"%s\" is "
					"not a duration; use e.g. 30s, 10m, 2h "
					"or 1d\n", v);
				return false;
			}
		} else {
			fprintf(stderr, "dbclone: %s does not take \"%s\"; see "
				"dbclone --help\n", cmd, a);
			return false;
		}
	}
	return true;
}

static void print_clone(const struct pg_clone_info *info, void *ctx)
{
	struct marker m;
	char age[32];

	(void)ctx;
	if (!marker_parse(info->comment, &m)) {
		printf("%-6s %-40s %s\n", "pg", info->name,
		       "(no dbclone marker: not made by dbclone, never dropped)");
		return;
	}
	format_age(m.created, age, sizeof(age));
	printf("%-6s %-40s %-20s %-16s %-8ld %-6s %s\n", "pg", info->name,
	       m.source, m.host, (long)m.pid, age, m.run);
}

int cmd_ls(int argc, char **argv)
{
	struct options o;
	char err[512];
	PGconn *admin;
	bool ok;

	if (!parse_options("ls", argc, argv, &o, false))
		return 2;
	if (!(admin = cli_pg_admin(o.pg)))
		return 1;
	printf("%-6s %-40s %-20s %-16s %-8s %-6s %s\n", "ENGINE", "CLONE",
	       "SOURCE", "HOST", "PID", "AGE", "RUN");
	ok = pg_list(&cli_pg_api, admin, print_clone, NULL, err, sizeof(err));
	if (!ok)
		fprintf(stderr, "%s\n", err);
	PQfinish(admin);
	return ok ? 0 : 1;
}

struct gc_state {
	const struct options *o;
	PGconn *admin;
	int dropped, failed;
};

static const char *why_collect(const struct marker *m, const struct options *o,
			       char *buf, size_t buflen)
{
	if (on_this_host(m->host) && !owner_alive(m->pid))
		return "its owner process is gone";
	if (o->older_than >= 0 && time(NULL) - m->created > o->older_than) {
		snprintf(buf, buflen, "older than %lds", o->older_than);
		return buf;
	}
	return NULL;
}

static void collect(const struct pg_clone_info *info, void *ctx)
{
	struct gc_state *st = ctx;
	struct marker m;
	char buf[64], err[512];
	const char *why;

	if (!marker_parse(info->comment, &m))
		return;
	if (!(why = why_collect(&m, st->o, buf, sizeof(buf))))
		return;
	if (st->o->dry_run) {
		printf("would drop pg %s (%s)\n", info->name, why);
		return;
	}
	if (pg_drop(&cli_pg_api, st->admin, info->name, true, err, sizeof(err))) {
		printf("dropped pg %s (%s)\n", info->name, why);
		st->dropped++;
	} else {
		fprintf(stderr, "%s\n", err);
		st->failed++;
	}
}

int cmd_gc(int argc, char **argv)
{
	struct options o;
	struct gc_state st = {&o, NULL, 0, 0};
	char err[512];
	bool ok;

	if (!parse_options("gc", argc, argv, &o, true))
		return 2;
	if (!(st.admin = cli_pg_admin(o.pg)))
		return 1;
	ok = pg_list(&cli_pg_api, st.admin, collect, &st, err, sizeof(err));
	if (!ok)
		fprintf(stderr, "%s\n", err);
	PQfinish(st.admin);
	return ok && !st.failed ? 0 : 1;
}
