/* dbclone ls and dbclone gc: what clones exist, and dropping the ones whose
 * owner is gone. Only a database named dbclone_* that carries a marker, or
 * that an intent of a gone owner names, is ever dropped. */
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
#include "engine.h"
#include "intent.h"
#include "leftovers.h"

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

/* The servers asked: each engine's admin connection (NULL when the
 * engine needs none, or its server was not named and is not there). */
struct servers {
	void *admin[8];
	bool reached[8];
};

/* A server is asked when the user named it (--pg, or the engine's own
 * environment: DBCLONE_PG_ADMIN, PGHOST ...): then failing to reach it is
 * an error, and ends the inventory. Else the client library's default
 * server is tried and quietly left out if there is none. */
static bool open_servers(const struct options *o, struct servers *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; engines[i]; i++) {
		const struct engine_ops *ops = engines[i];
		bool given = o->pg && ops == &engine_pg;
		struct failure f = {0};
		struct spec sp;

		ops->from_description(&sp, given ? o->pg : NULL);
		s->reached[i] = !ops->admin_open ||
				ops->admin_open(&sp, &s->admin[i], &f);
		if (!s->reached[i] && (given || ops->server_named())) {
			fprintf(stderr, "%s\n", f.why);
			return false;
		}
	}
	return true;
}

static void close_servers(struct servers *s)
{
	for (int i = 0; engines[i]; i++)
		if (s->admin[i])
			engines[i]->admin_close(s->admin[i]);
}


static void show(const char *name, const char *text, void *ctx)
{
	const struct engine_ops *ops = ctx;
	struct marker m;
	char age[32];

	if (!marker_parse(text, &m)) {
		printf("%-6s %-40s %s\n", ops->name, name,
		       "(no dbclone marker: not made by dbclone, never dropped)");
		return;
	}
	format_age(m.created, age, sizeof(age));
	printf("%-6s %-40s %-20s %-16s %-8ld %-6s %s%s %s\n", ops->name, name,
	       m.source, m.host, (long)m.pid, age,
	       m.state == MARKER_KEPT ? "kept-" : "", m.run,
	       m.layer[0] ? m.layer : "-");
}

int cmd_ls(int argc, char **argv)
{
	struct options o;
	struct servers s;
	bool ok;

	if (!parse_options("ls", argc, argv, &o, false))
		return 2;
	if (!(ok = open_servers(&o, &s))) {
		close_servers(&s);
		return 1;
	}
	/* FROM: the layer (setup, base, snapshot) it was copied from; "-"
	 * for the source or the run's golden copy of it. */
	printf("%-6s %-40s %-20s %-16s %-8s %-6s %s %s\n", "ENGINE", "CLONE",
	       "SOURCE", "HOST", "PID", "AGE", "RUN", "FROM");
	for (int i = 0; engines[i]; i++) {
		struct failure f = {0};

		if (s.reached[i] &&
		    !engines[i]->list(s.admin[i], show, (void *)engines[i], &f)) {
			fprintf(stderr, "%s\n", f.why);
			ok = false;
		}
	}
	close_servers(&s);
	return ok ? 0 : 1;
}

struct collect {
	const struct options *o;
	const struct engine_ops *ops;
	int failed;
	char buf[64];
};

static const char *why_collect(const char *name, const struct marker *m,
			       void *ctx)
{
	struct collect *c = ctx;
	const char *why = NULL;

	if (marker_owner_gone(m)) {
		why = "its owner process is gone";
	} else if (c->o->older_than >= 0 &&
		   time(NULL) - m->created > c->o->older_than) {
		snprintf(c->buf, sizeof(c->buf), "older than %lds", c->o->older_than);
		why = c->buf;
	}
	if (why && c->o->dry_run) {
		printf("would drop %s %s (%s)\n", c->ops->name, name, why);
		return NULL;
	}
	return why;
}

/* An intent is another host's when its owner is: only its age counts,
 * as for that host's clones. */
static const char *why_intent(const struct intent *in, void *ctx)
{
	struct collect *c = ctx;
	const char *why = intent_owner_gone(in, NULL);

	if (!why && c->o->older_than >= 0 &&
	    time(NULL) - in->owner.created > c->o->older_than) {
		snprintf(c->buf, sizeof(c->buf), "older than %lds", c->o->older_than);
		why = c->buf;
	}
	if (why && c->o->dry_run) {
		printf("would drop %s %s, if it was made (%s)\n", in->ops->name,
		       in->name, why);
		return NULL;
	}
	return why;
}

static void report_drop(const struct engine_ops *ops, const char *name,
			const char *why, const char *err, void *ctx)
{
	struct collect *c = ctx;

	if (!err) {
		printf("dropped %s %s (%s)\n", ops->name, name, why);
	} else {
		fprintf(stderr, "%s\n", err);
		c->failed++;
	}
}

int cmd_gc(int argc, char **argv)
{
	struct options o;
	struct servers s;
	struct collect c = {.o = &o};
	bool ok;

	if (!parse_options("gc", argc, argv, &o, true))
		return 2;
	ok = open_servers(&o, &s);
	if (ok) {
		/* Dead supervisors' directories, then what dead owners meant
		 * to make (marked or not), then what is marked. */
		sweep_stale_runs(o.dry_run, true);
		intent_sweep(why_intent, report_drop, &c);
	}
	for (int i = 0; ok && engines[i]; i++) {
		struct failure f = {0};

		c.ops = engines[i];
		if (s.reached[i] && engine_sweep(engines[i], s.admin[i], why_collect,
						 report_drop, &c, &f) < 0) {
			fprintf(stderr, "%s\n", f.why);
			ok = false;
		}
	}
	close_servers(&s);
	return ok && !c.failed ? 0 : 1;
}
