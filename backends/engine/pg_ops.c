/* PostgreSQL behind the engine table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "pg.h"

static const char *pg_source_of(const struct spec *sp)
{
	return sp->pg.dbname;
}

/* The run journal's "where": the options, without password. */
static void pg_describe(const struct spec *sp, char *out, size_t outlen)
{
	PQconninfoOption *opts = engine_pg_api->conninfoParse(sp->pg.conninfo, NULL);
	size_t n = 0;

	out[0] = '\0';
	for (PQconninfoOption *o = opts; o && o->keyword && n < outlen; o++)
		if (o->val && o->val[0] && strcmp(o->keyword, "password") &&
		    !strchr(o->val, '\''))
			n += (size_t)snprintf(out + n, outlen - n, "%s%s='%s'",
					      n ? " " : "", o->keyword, o->val);
	if (opts)
		engine_pg_api->conninfoFree(opts);
}

static bool pg_from_description(struct spec *sp, const char *where)
{
	memset(sp, 0, sizeof(*sp));
	sp->ops = &engine_pg;
	return (size_t)snprintf(sp->pg.conninfo, sizeof(sp->pg.conninfo), "%s",
				where ? where : "") < sizeof(sp->pg.conninfo);
}

static bool pg_server_named(void)
{
	return getenv("DBCLONE_PG_ADMIN") || getenv("PGHOST") ||
	       getenv("PGPORT") || getenv("PGSERVICE");
}

static bool pg_open(const struct spec *sp, void **admin, struct failure *f)
{
	struct pg_params p = {0};
	bool bad = false;

	if (!pg_params_from_conninfo(engine_pg_api, &p, sp->pg.conninfo))
		/* The options may hold a password: never repeated here. */
		return fail(f, FAIL_INVALID, "dbclone: the connection options "
			    "cannot be parsed; give a conninfo such as "
			    "\"host=/run/postgresql port=5432\"");
	*admin = pg_admin_connect(engine_pg_api, &p, engine_pg_admin, &bad,
				  f->why, sizeof(f->why));
	/* libpq keeps no SQLSTATE for a failed connect: gone, unless libpq
	 * itself rejected an option value. */
	f->kind = bad ? FAIL_OPTIONS : FAIL_GONE;
	pg_params_free(&p);
	return *admin != NULL;
}

static bool pg_alive(void *admin)
{
	return engine_pg_api->status(admin) == CONNECTION_OK;
}

static void pg_close(void *admin)
{
	engine_pg_api->finish(admin);
}

/* One admin connection per server and role, whatever else the program's
 * options say (dbname, application_name ...): a program that names many
 * databases, or a new application_name per test, must not open an admin
 * session for each. */
static void pg_key(const struct spec *sp, char *out, size_t outlen)
{
	static const char *const keep[] = {"host", "hostaddr", "port", "user"};
	PQconninfoOption *opts = engine_pg_api->conninfoParse(sp->pg.conninfo, NULL);
	size_t n = 0;

	out[0] = '\0';
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (o->val && !strcmp(o->keyword, keep[i]) && n < outlen)
				n += (size_t)snprintf(out + n, outlen - n, "%s=%s ",
						      keep[i], o->val);
	if (!opts)
		snprintf(out, outlen, "%s", sp->pg.conninfo);
	engine_pg_api->conninfoFree(opts);
}

static bool pg_clone_name(const struct spec *sp, unsigned long seq,
			  char *name, size_t namelen)
{
	return clone_name(sp->pg.dbname, seq, PG_NAME_MAX, name, namelen);
}

static bool pg_clone_op(void *admin, const struct spec *sp, const char *from,
			unsigned long seq, unsigned flags, const struct marker *m,
			char *name, size_t namelen, struct failure *f)
{
	char why[sizeof(f->why)], cut[sizeof(f->why)] = "";
	bool copied;

	if (!pg_clone_name(sp, seq, name, namelen))
		return fail(f, FAIL_INVALID, "dbclone: no room for a clone name");
	/* A live template must have no session while it is copied: they are
	 * cut (and named back in f->why), and let in again after. */
	if (flags & CLONE_LIVE &&
	    !pg_close_sessions(engine_pg_api, admin, from, cut, sizeof(cut), f))
		return false;
	copied = pg_copy(engine_pg_api, admin, from ? from : sp->pg.dbname, name,
			 sp->pg.role, m, f);
	if (flags & CLONE_LIVE)
		pg_reopen(engine_pg_api, admin, from);
	if (!copied)
		return false;
	if (!(flags & CLONE_FREEZE) || pg_freeze(engine_pg_api, admin, name, f)) {
		snprintf(f->why, sizeof(f->why), "%s", cut);
		return true;
	}
	snprintf(why, sizeof(why), "%s", f->why);
	fail(f, f->kind, "dbclone: cannot make golden copy %s a template: %.900s",
	     name, why);
	pg_drop(engine_pg_api, admin, name, why, sizeof(why));
	return false;
}

static bool pg_take_op(void *admin, const char *name, char *cut,
		       size_t cutlen, struct failure *f)
{
	return pg_take_in_place(engine_pg_api, admin, name, cut, cutlen, f);
}

static void pg_warm_op(void *admin, const struct spec *sp, const char *name)
{
	pg_warm(engine_pg_api, admin, sp->pg.conninfo, name);
}

static bool pg_drop_op(void *admin, const char *name, struct failure *f)
{
	f->kind = FAIL_INVALID;
	return pg_drop(engine_pg_api, admin, name, f->why, sizeof(f->why));
}

static void pg_end_creators_op(void *admin, const char *name)
{
	pg_end_creators(engine_pg_api, admin, name);
}

static bool pg_list_op(void *admin, engine_list_fn fn, void *ctx,
		       struct failure *f)
{
	f->kind = FAIL_INVALID;
	return pg_list(engine_pg_api, admin, fn, ctx, f->why, sizeof(f->why));
}

static bool pg_mark(void *admin, const char *name, const struct marker *m)
{
	struct failure f;

	return pg_write_marker(engine_pg_api, admin, name, m, &f);
}

static void pg_command(const struct spec *sp, const char *name, char *out,
		       size_t outlen)
{
	pg_connect_command(engine_pg_api, sp->pg.conninfo, name, out, outlen);
}

const struct engine_ops engine_pg = {
	.name = "pg",
	.layout = &spec_layout_pg,
	.source = pg_source_of,
	.describe = pg_describe,
	.from_description = pg_from_description,
	.server_named = pg_server_named,
	.admin_open = pg_open,
	.admin_alive = pg_alive,
	.admin_close = pg_close,
	.admin_key = pg_key,
	.clone_name = pg_clone_name,
	.clone = pg_clone_op,
	.take_in_place = pg_take_op,
	.warm = pg_warm_op,
	.drop = pg_drop_op,
	.end_creators = pg_end_creators_op,
	.list = pg_list_op,
	.write_marker = pg_mark,
	.connect_command = pg_command,
};
