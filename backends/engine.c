/* The engine table: engines by name, and the sweep built on list and
 * marker. */
#include "engine.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct engine_ops *const engines[] = {&engine_pg, &engine_mysql,
					    &engine_sqlite, NULL};

const struct pg_api *engine_pg_api;
const struct mysql_api *engine_mysql_api;
const struct sqlite_api *engine_sqlite_api;
const char *engine_pg_admin, *engine_mysql_admin;

const struct engine_ops *engine_by_name(const char *name)
{
	for (int i = 0; name && engines[i]; i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}

void engine_bind_pg(const struct pg_api *api, const char *admin)
{
	engine_pg_api = api;
	engine_pg_admin = admin;
}

void engine_bind_mysql(const struct mysql_api *api, const char *admin)
{
	engine_mysql_api = api;
	engine_mysql_admin = admin;
}

void engine_bind_sqlite(const struct sqlite_api *api)
{
	engine_sqlite_api = api;
}

void engine_bind(const struct pg_api *pg, const struct mysql_api *mysql,
		 const struct sqlite_api *sqlite)
{
	engine_bind_pg(pg, getenv("DBCLONE_PG_ADMIN"));
	engine_bind_mysql(mysql, getenv("DBCLONE_MYSQL_ADMIN"));
	engine_bind_sqlite(sqlite);
}

struct marker_of {
	const char *name;
	char *out;
	size_t outlen;
	bool found;
};

static void find_marker(const char *name, const char *marker, void *vctx)
{
	struct marker_of *m = vctx;

	if (!strcmp(name, m->name) && marker) {
		snprintf(m->out, m->outlen, "%s", marker);
		m->found = true;
	}
}

bool engine_read_marker(const struct engine_ops *ops, void *admin,
			const char *name, char *out, size_t outlen)
{
	struct marker_of m = {name, out, outlen, false};
	struct failure f;

	if (ops->read_marker)
		return ops->read_marker(admin, name, out, outlen);
	return ops->list(admin, find_marker, &m, &f) && m.found;
}

/* Clones a sweep will drop, collected while listing (a drop while the
 * list is read would change what is read). */
struct picked {
	engine_sweep_pick pick;
	void *ctx;
	struct {
		char name[PATH_MAX];
		char why[64];
	} *items;
	size_t n, cap;
};

static void pick_one(const char *name, const char *marker, void *vctx)
{
	struct picked *p = vctx;
	struct marker m;
	const char *why;

	/* Never anything without dbclone's marker. */
	if (!marker_parse(marker, &m) || !(why = p->pick(name, &m, p->ctx)))
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->items = realloc(p->items, p->cap * sizeof(*p->items));
		if (!p->items)
			abort();
	}
	snprintf(p->items[p->n].name, sizeof(p->items[p->n].name), "%s", name);
	snprintf(p->items[p->n].why, sizeof(p->items[p->n].why), "%s", why);
	p->n++;
}

int engine_sweep(const struct engine_ops *ops, void *admin,
		 engine_sweep_pick pick, engine_sweep_done done, void *ctx,
		 struct failure *f)
{
	struct picked p = {.pick = pick, .ctx = ctx};
	int dropped = 0;

	if (!ops->list(admin, pick_one, &p, f)) {
		free(p.items);
		return -1;
	}
	for (size_t i = 0; i < p.n; i++) {
		struct failure why = {0};
		bool ok = ops->drop(admin, p.items[i].name, &why);

		dropped += ok;
		if (done)
			done(ops, p.items[i].name, p.items[i].why,
			     ok ? NULL : why.why, ctx);
	}
	free(p.items);
	return dropped;
}

const char *engine_owner_gone(const char *name, const struct marker *m,
			      void *ctx)
{
	(void)name;
	(void)ctx;
	return marker_owner_gone(m) ? "its owner process is gone" : NULL;
}
