/* dbclone ls and dbclone gc: what clones exist, and dropping the ones whose
 * owner is gone. Only a database named dbclone_* that carries a marker is
 * ever dropped. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbclone.h"
#include "sqlite.h"

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

/* Every clone found, whatever its engine. */
struct found {
	char engine[8];
	char name[PATH_MAX];
	bool marked;
	struct marker m;
};

struct inventory {
	struct found *items;
	size_t n, cap;
	PGconn *admin; /* NULL when no PostgreSQL server was asked */
	MYSQL *my;     /* NULL when no MariaDB server was reached */
};

static void add(struct inventory *inv, const char *engine, const char *name,
		const char *comment)
{
	struct found *f;

	if (inv->n == inv->cap) {
		inv->cap = inv->cap ? inv->cap * 2 : 32;
		inv->items = realloc(inv->items, inv->cap * sizeof(*inv->items));
		if (!inv->items)
			abort();
	}
	f = &inv->items[inv->n++];
	snprintf(f->engine, sizeof(f->engine), "%s", engine);
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->marked = marker_parse(comment, &f->m);
}

static void add_pg(const struct pg_clone_info *info, void *ctx)
{
	add(ctx, "pg", info->name, info->comment);
}

static void add_mysql(const struct mysql_clone_info *info, void *ctx)
{
	add(ctx, "mysql", info->name, info->comment);
}

static void add_sqlite(const struct sqlite_clone_info *info, void *ctx)
{
	add(ctx, "sqlite", info->path, info->marker);
}

/* PostgreSQL is asked when the user named a server (--pg, DBCLONE_PG_ADMIN,
 * PGHOST, PGPORT, PGSERVICE): then failing to reach it is an error. Else
 * libpq's default server is tried and quietly left out if there is none. */
static bool pg_named(const struct options *o)
{
	return o->pg || getenv("DBCLONE_PG_ADMIN") || getenv("PGHOST") ||
	       getenv("PGPORT") || getenv("PGSERVICE");
}

static bool take_inventory(const struct options *o, struct inventory *inv)
{
	char dir[PATH_MAX], err[1024];
	bool ok = true;

	memset(inv, 0, sizeof(*inv));
	if (pg_named(o)) {
		if (!(inv->admin = cli_pg_admin(o->pg)))
			return false;
	} else {
		struct pg_params none = {0};

		inv->admin = pg_admin_connect(&cli_pg_api, &none, NULL, NULL, err,
					      sizeof(err));
	}
	if (inv->admin && !pg_list(&cli_pg_api, inv->admin, add_pg, inv, err,
				   sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		ok = false;
	}
	/* MariaDB as PostgreSQL: an error only when a server was named. */
	if (getenv("DBCLONE_MYSQL_ADMIN") || getenv("MYSQL_UNIX_PORT") ||
	    getenv("MYSQL_TCP_PORT")) {
		if (!(inv->my = cli_mysql_admin(NULL, false)))
			ok = false;
	} else {
		inv->my = cli_mysql_admin(NULL, true);
	}
	if (inv->my && !mysql_list(&cli_mysql_api, inv->my, add_mysql, inv, err,
				   sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		ok = false;
	}
	/* An unusable DBCLONE_DIR holds no clone of ours. */
	if (sqlite_clone_dir(false, dir, sizeof(dir), err, sizeof(err)) &&
	    !sqlite_list(dir, add_sqlite, inv, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		ok = false;
	}
	return ok;
}

static void close_inventory(struct inventory *inv)
{
	if (inv->admin)
		PQfinish(inv->admin);
	if (inv->my)
		mysql_close(inv->my);
	free(inv->items);
}

int cmd_ls(int argc, char **argv)
{
	struct options o;
	struct inventory inv;
	bool ok;

	if (!parse_options("ls", argc, argv, &o, false))
		return 2;
	ok = take_inventory(&o, &inv);
	if (ok || inv.n) {
		printf("%-6s %-40s %-20s %-16s %-8s %-6s %s\n", "ENGINE", "CLONE",
		       "SOURCE", "HOST", "PID", "AGE", "RUN");
	}
	for (size_t i = 0; i < inv.n; i++) {
		const struct found *f = &inv.items[i];
		char age[32];

		if (!f->marked) {
			printf("%-6s %-40s %s\n", f->engine, f->name,
			       "(no dbclone marker: not made by dbclone, never dropped)");
			continue;
		}
		format_age(f->m.created, age, sizeof(age));
		printf("%-6s %-40s %-20s %-16s %-8ld %-6s %s%s\n", f->engine, f->name,
		       f->m.source, f->m.host, (long)f->m.pid, age,
		       f->m.state == MARKER_KEPT ? "kept-" : "", f->m.run);
	}
	close_inventory(&inv);
	return ok ? 0 : 1;
}

static const char *why_collect(const struct marker *m, const struct options *o,
			       char *buf, size_t buflen)
{
	if (marker_owner_gone(m))
		return "its owner process is gone";
	if (o->older_than >= 0 && time(NULL) - m->created > o->older_than) {
		snprintf(buf, buflen, "older than %lds", o->older_than);
		return buf;
	}
	return NULL;
}

int cmd_gc(int argc, char **argv)
{
	struct options o;
	struct inventory inv;
	int failed = 0;
	bool ok;

	if (!parse_options("gc", argc, argv, &o, true))
		return 2;
	ok = take_inventory(&o, &inv);
	for (size_t i = 0; i < inv.n; i++) {
		const struct found *f = &inv.items[i];
		char buf[64], err[1024];
		const char *why;
		bool dropped;

		/* Never anything without dbclone's marker. */
		if (!f->marked || !(why = why_collect(&f->m, &o, buf, sizeof(buf))))
			continue;
		if (o.dry_run) {
			printf("would drop %s %s (%s)\n", f->engine, f->name, why);
			continue;
		}
		if (!strcmp(f->engine, "pg"))
			dropped = pg_drop(&cli_pg_api, inv.admin, f->name, true, err,
					  sizeof(err));
		else if (!strcmp(f->engine, "mysql"))
			dropped = mysql_drop(&cli_mysql_api, inv.my, f->name, err,
					     sizeof(err));
		else
			dropped = sqlite_drop(f->name, err, sizeof(err));
		if (dropped) {
			printf("dropped %s %s (%s)\n", f->engine, f->name, why);
		} else {
			fprintf(stderr, "%s\n", err);
			failed++;
		}
	}
	close_inventory(&inv);
	return ok && !failed ? 0 : 1;
}
