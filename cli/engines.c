#include "engines.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbclone.h"
#include "sqlite.h"

const char *spec_source(const struct spec *sp)
{
	if (!strcmp(sp->engine, "pg"))
		return sp->f[1];
	if (!strcmp(sp->engine, "mysql"))
		return sp->f[5];
	return sp->f[0];
}

/* Admin connections, one set per thread (the supervisor's main thread and
 * its pool thread), kept for the run. */
#define CACHED 8
static __thread struct {
	char key[4200];
	void *conn;
} cache[CACHED];

static void *cached(const char *key)
{
	for (int i = 0; i < CACHED; i++)
		if (cache[i].conn && !strcmp(cache[i].key, key))
			return cache[i].conn;
	return NULL;
}

/* When every slot is taken, the oldest connection is closed for it. */
static void keep(const char *key, void *conn)
{
	static __thread int oldest;
	int slot = -1;

	for (int i = 0; i < CACHED && slot < 0; i++)
		if (!cache[i].conn)
			slot = i;
	if (slot < 0) {
		slot = oldest;
		oldest = (oldest + 1) % CACHED;
		if (!strncmp(cache[slot].key, "pg ", 3))
			PQfinish(cache[slot].conn);
		else
			mysql_close(cache[slot].conn);
	}
	snprintf(cache[slot].key, sizeof(cache[slot].key), "%s", key);
	cache[slot].conn = conn;
}

static void forget_conn(void *conn)
{
	for (int i = 0; i < CACHED; i++)
		if (cache[i].conn == conn)
			cache[i].conn = NULL;
}

static PGconn *pg_admin(const struct spec *sp, char *err, size_t errlen)
{
	char key[4200];
	PGconn *c;
	struct pg_params p = {0};

	snprintf(key, sizeof(key), "pg %s", sp->f[0]);
	if ((c = cached(key)) && PQstatus(c) == CONNECTION_OK)
		return c;
	if (c) {
		forget_conn(c);
		PQfinish(c);
	}
	if (!pg_params_from_conninfo(&cli_pg_api, &p, sp->f[0])) {
		snprintf(err, errlen, "dbclone: the program's connection options "
			 "cannot be parsed by the supervisor");
		return NULL;
	}
	c = pg_admin_connect(&cli_pg_api, &p, getenv("DBCLONE_PG_ADMIN"), NULL,
			     err, errlen);
	pg_params_free(&p);
	if (c)
		keep(key, c);
	return c;
}

static MYSQL *mysql_admin(const struct spec *sp, char *err, size_t errlen)
{
	struct mysql_target t = {0};
	char key[4200];
	MYSQL *c;

	snprintf(key, sizeof(key), "mysql %s %s %s %s", sp->f[0], sp->f[1],
		 sp->f[2], sp->f[3]);
	if ((c = cached(key)) && mysql_ping(c) == 0)
		return c;
	if (c) {
		forget_conn(c);
		mysql_close(c);
	}
	snprintf(t.host, sizeof(t.host), "%.255s", sp->f[0]);
	t.port = (unsigned)atoi(sp->f[1]);
	snprintf(t.socket, sizeof(t.socket), "%.511s", sp->f[2]);
	snprintf(t.user, sizeof(t.user), "%.127s", sp->f[3]);
	snprintf(t.passwd, sizeof(t.passwd), "%.255s", sp->f[4]);
	c = mysql_admin_connect(&cli_mysql_api, &t, getenv("DBCLONE_MYSQL_ADMIN"),
				err, errlen);
	if (c)
		keep(key, c);
	return c;
}

/* ALTER DATABASE name WITH <what>, for goldens. */
static bool pg_alter(PGconn *admin, const char *name, const char *what)
{
	char *q = PQescapeIdentifier(admin, name, strlen(name)), sql[700];
	PGresult *res;
	bool ok;

	if (!q)
		return false;
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s WITH %s", q, what);
	PQfreemem(q);
	res = PQexec(admin, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok;
}

/* One connection to a fresh PostgreSQL clone builds its catalog caches
 * (pg_internal.init): made here, in the pool, the test's own first connect
 * is as fast as any. */
static void pg_warm(const struct spec *sp, const char *name)
{
	struct pg_params p = {0};
	PGconn *c;

	if (!pg_params_from_conninfo(&cli_pg_api, &p, sp->f[0]))
		return;
	pg_params_set(&p, "dbname", name);
	pg_params_set(&p, "application_name", "dbclone");
	c = PQconnectdbParams(pg_params_keywords(&p), pg_params_values(&p), 0);
	PQclear(PQexec(c, "SELECT 1"));
	PQfinish(c);
	pg_params_free(&p);
}

bool engine_copy(const struct spec *sp, const char *from, unsigned long seq,
		 bool golden, char *name, size_t namelen, char *err,
		 size_t errlen)
{
	const char *source = spec_source(sp);
	struct marker m;

	marker_for_self(&m, source);
	if (!strcmp(sp->engine, "pg")) {
		PGconn *admin = pg_admin(sp, err, errlen);

		if (!admin)
			return false;
		clone_name(source, seq, PG_NAME_MAX, name, namelen);
		if (!pg_clone(&cli_pg_api, admin, from ? from : source, name,
			      sp->f[2], &m, err, errlen))
			return false;
		/* A golden nobody may connect to never blocks a clone, and
		 * any role with CREATEDB may copy a template. */
		if (golden && !pg_alter(admin, name,
					"ALLOW_CONNECTIONS false IS_TEMPLATE true")) {
			snprintf(err, errlen, "dbclone: cannot make golden copy %s a "
				 "template: %s", name, PQerrorMessage(admin));
			pg_drop(&cli_pg_api, admin, name, true, err, errlen);
			return false;
		}
		if (!golden)
			pg_warm(sp, name);
		return true;
	}
	if (!strcmp(sp->engine, "sqlite")) {
		struct sqlite_source src;
		char dir[PATH_MAX];
		int code;

		if (!sqlite_resolve(from ? from : source, false, &src)) {
			snprintf(err, errlen, "dbclone: %s is gone", from ? from : source);
			return false;
		}
		return sqlite_clone_dir(true, dir, sizeof(dir), err, errlen) &&
		       sqlite_clone(&cli_sqlite_api, &src, dir, seq, &m, name,
				    namelen, &code, err, errlen);
	}
	if (!strcmp(sp->engine, "mysql")) {
		MYSQL *admin = mysql_admin(sp, err, errlen);

		if (!admin)
			return false;
		clone_name(source, seq, MYSQL_NAME_MAX, name, namelen);
		if (!mysql_clone(&cli_mysql_api, admin, from ? from : source, name,
				 &m, err, errlen))
			return false;
		/* The server reads a schema's options at its first use: the
		 * copy's USE did that, here in the pool, not at the test's
		 * first connect. */
		if (!golden && getenv("DBCLONE_MYSQL_ADMIN") && sp->f[3][0] &&
		    !mysql_grant_clone(&cli_mysql_api, admin, name, sp->f[3], err,
				       errlen)) {
			char why[300];

			mysql_drop(&cli_mysql_api, admin, name, why, sizeof(why));
			return false;
		}
		return true;
	}
	snprintf(err, errlen, "dbclone: unknown engine \"%s\"", sp->engine);
	return false;
}

bool engine_drop(const struct spec *sp, const char *name, char *err,
		 size_t errlen)
{
	if (!strcmp(sp->engine, "pg")) {
		PGconn *admin = pg_admin(sp, err, errlen);

		return admin && pg_drop(&cli_pg_api, admin, name, true, err, errlen);
	}
	if (!strcmp(sp->engine, "sqlite"))
		return sqlite_drop(name, err, errlen);
	if (!strcmp(sp->engine, "mysql")) {
		MYSQL *admin = mysql_admin(sp, err, errlen);

		return admin && mysql_drop(&cli_mysql_api, admin, name, err, errlen);
	}
	return false;
}

/* Names of dead owners' clones, collected while listing. */
struct dead {
	char names[64][PATH_MAX];
	int n;
};

static void note_dead(struct dead *d, const char *name, const char *marker_text)
{
	struct marker m;

	if (d->n < 64 && marker_parse(marker_text, &m) && marker_owner_gone(&m))
		snprintf(d->names[d->n++], PATH_MAX, "%s", name);
}

static void dead_pg(const struct pg_clone_info *info, void *ctx)
{
	note_dead(ctx, info->name, info->comment);
}

static void dead_sqlite(const struct sqlite_clone_info *info, void *ctx)
{
	note_dead(ctx, info->path, info->marker);
}

static void dead_mysql(const struct mysql_clone_info *info, void *ctx)
{
	note_dead(ctx, info->name, info->comment);
}

int engine_sweep_dead(const struct spec *sp)
{
	struct dead *d = calloc(1, sizeof(*d)); /* 64 paths: not on a stack */
	char err[1024], dir[PATH_MAX];
	int dropped = 0;

	if (!d)
		return 0;
	if (!strcmp(sp->engine, "pg")) {
		PGconn *admin = pg_admin(sp, err, sizeof(err));

		if (admin)
			pg_list(&cli_pg_api, admin, dead_pg, d, err, sizeof(err));
	} else if (!strcmp(sp->engine, "sqlite")) {
		if (sqlite_clone_dir(false, dir, sizeof(dir), err, sizeof(err)))
			sqlite_list(dir, dead_sqlite, d, err, sizeof(err));
	} else {
		MYSQL *admin = mysql_admin(sp, err, sizeof(err));

		if (admin)
			mysql_list(&cli_mysql_api, admin, dead_mysql, d, err,
				   sizeof(err));
	}
	for (int i = 0; i < d->n; i++)
		dropped += engine_drop(sp, d->names[i], err, sizeof(err));
	free(d);
	return dropped;
}

void engine_connect_command(const struct spec *sp, const char *name, char *out,
			    size_t outlen)
{
	if (!strcmp(sp->engine, "pg")) {
		PQconninfoOption *opts = PQconninfoParse(sp->f[0], NULL);
		size_t n = (size_t)snprintf(out, outlen, "psql \"");

		for (PQconninfoOption *o = opts; o && o->keyword && n < outlen; o++)
			if (o->val && o->val[0] && strcmp(o->keyword, "password") &&
			    strcmp(o->keyword, "dbname"))
				n += (size_t)snprintf(out + n, outlen - n, "%s='%s' ",
						      o->keyword, o->val);
		if (n < outlen)
			snprintf(out + n, outlen - n, "dbname='%s'\"", name);
		PQconninfoFree(opts);
	} else if (!strcmp(sp->engine, "sqlite")) {
		snprintf(out, outlen, "sqlite3 '%s'", name);
	} else {
		snprintf(out, outlen, "mariadb%s%s%s%s%s%s -u '%s' '%s'",
			 sp->f[0][0] ? " -h " : "", sp->f[0],
			 sp->f[2][0] ? " -S " : "", sp->f[2],
			 atoi(sp->f[1]) ? " -P " : "", atoi(sp->f[1]) ? sp->f[1] : "",
			 sp->f[3], name);
	}
}

void engine_mark_kept(const struct spec *sp, const char *name)
{
	char text[MARKER_MAX], err[1024];
	struct marker m;

	marker_for_self(&m, spec_source(sp));
	m.state = MARKER_KEPT;
	marker_format(&m, text, sizeof(text));
	if (!strcmp(sp->engine, "pg")) {
		PGconn *admin = pg_admin(sp, err, sizeof(err));
		char *q, *lit, sql[MARKER_MAX * 2 + 600];

		if (!admin)
			return;
		q = PQescapeIdentifier(admin, name, strlen(name));
		lit = PQescapeLiteral(admin, text, strlen(text));
		if (q && lit) {
			snprintf(sql, sizeof(sql), "COMMENT ON DATABASE %s IS %s", q, lit);
			PQclear(PQexec(admin, sql));
		}
		PQfreemem(q);
		PQfreemem(lit);
	} else if (!strcmp(sp->engine, "sqlite")) {
		char path[PATH_MAX + 16];
		FILE *f;

		snprintf(path, sizeof(path), "%s.dbclone", name);
		if ((f = fopen(path, "w"))) {
			fputs(text, f);
			fclose(f);
		}
	} else {
		MYSQL *admin = mysql_admin(sp, err, sizeof(err));
		char esc[MARKER_MAX * 2 + 1], sql[MARKER_MAX * 2 + 600];

		if (!admin || strchr(name, '`'))
			return;
		mysql_real_escape_string(admin, esc, text, (unsigned long)strlen(text));
		snprintf(sql, sizeof(sql), "ALTER DATABASE `%s` COMMENT '%s'", name, esc);
		mysql_query(admin, sql);
	}
}
