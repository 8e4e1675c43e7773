/* The libpq hooks: each connect, parsed, goes through the one policy
 * (hook.c) to its clone; closes and error messages are tracked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "config.h"
#include "conns.h"
#include "hook.h"
#include "report.h"
#include "pg.h"
#include "real.h"

/* ---- the calls --------------------------------------------------------- */

enum pq_kind { CONNECTDB, CONNECTDB_PARAMS, CONNECT_START,
	       CONNECT_START_PARAMS, SETDB_LOGIN };

/* A connect call: its arguments as the program gave them, and what the
 * policy makes of them. */
struct pq_args {
	enum pq_kind kind;
	const char *conninfo;
	const char *const *keywords;
	const char *const *values;
	int expand;
	const char *tty; /* PQsetdbLogin's, which no option carries */
	struct pg_params params; /* the options, flattened */
	struct pg_source src;
	PGconn *conn; /* what the program gets */
};

static bool starts(const struct pq_args *a)
{
	return a->kind == CONNECT_START || a->kind == CONNECT_START_PARAMS;
}

/* The program's own call, unchanged. */
static PGconn *libpq_connect(const struct pq_args *a)
{
	const char *const *v = a->values;

	switch (a->kind) {
	case CONNECTDB:
		return libpq.connectdb(a->conninfo);
	case CONNECT_START:
		return libpq.connectStart(a->conninfo);
	case CONNECTDB_PARAMS:
		return libpq.api.connectdbParams(a->keywords, v, a->expand);
	case CONNECT_START_PARAMS:
		return libpq.connectStartParams(a->keywords, v, a->expand);
	case SETDB_LOGIN: /* the order of setdb_login() below */
		return libpq.setdbLogin(v[1], v[2], v[3], a->tty, v[0], v[4], v[5]);
	}
	return NULL;
}

/* The call with other options (the clone's, or none that libpq knows). */
static PGconn *libpq_connect_with(const struct pq_args *a,
				  const char *const *kw, const char *const *val)
{
	return starts(a) ? libpq.connectStartParams(kw, val, 0)
			 : libpq.api.connectdbParams(kw, val, 0);
}

/* PQfinish, as hook_close() calls a close. */
static int finish(void *conn)
{
	libpq.api.finish(conn);
	return 0;
}

/* ---- the engine -------------------------------------------------------- */

/* The spec: the program's options, then the resolved server and user
 * (later options win in a conninfo); the source; the role. */
static void spec_of(const struct pq_args *a, struct spec *sp)
{
	char server[1024];
	size_t n;

	sp->ops = &engine_pg;
	pg_params_conninfo(&a->params, sp->pg.conninfo, sizeof(sp->pg.conninfo));
	pg_server_conninfo(&a->src, server, sizeof(server));
	n = strlen(sp->pg.conninfo);
	if (n + strlen(server) + 2 < sizeof(sp->pg.conninfo))
		snprintf(sp->pg.conninfo + n, sizeof(sp->pg.conninfo) - n, " %s",
			 server);
	snprintf(sp->pg.dbname, sizeof(sp->pg.dbname), "%s", a->src.dbname);
	snprintf(sp->pg.role, sizeof(sp->pg.role), "%s", a->src.user);
}

/* The options flattened and resolved the way libpq would (PGDATABASE,
 * the OS user ...). Options libpq rejects are left to libpq. */
static enum verdict resolve_pg(struct hook_call *call, struct source *src)
{
	struct pq_args *a = call->args;
	bool parsed = a->keywords ?
		pg_params_from_arrays(&libpq.api, &a->params, a->keywords, a->values,
				      a->expand) :
		pg_params_from_conninfo(&libpq.api, &a->params,
					a->conninfo ? a->conninfo : "");

	if (!parsed) {
		call->passed = PASSED_REJECTED;
		return PASS_THROUGH;
	}
	pg_resolve(&libpq.api, &a->params, &a->src);
	if (pg_is_maintenance_db(a->src.dbname)) {
		call->passed = PASSED_MAINTENANCE;
		return PASS_THROUGH;
	}
	snprintf(src->name, sizeof(src->name), "%s", a->src.dbname);
	snprintf(src->id, sizeof(src->id), "%s dbname=%s", a->src.server,
		 a->src.dbname);
	spec_of(a, &call->spec);
	return USE_CLONE;
}

/* The program's call, or the same call on the clone. */
static void call_pq(struct hook_call *call, const char *clone)
{
	struct pq_args *a = call->args;

	if (clone) {
		pg_params_set(&a->params, "dbname", clone);
		a->conn = libpq_connect_with(a, pg_params_keywords(&a->params),
					     pg_params_values(&a->params));
		/* libpq keeps no SQLSTATE (3D000) of a failed connect: any
		 * failure of a blocking connect may be a clone gone. */
		if (a->conn && call->may_ask_again && !starts(a) &&
		    libpq.api.status(a->conn) == CONNECTION_BAD) {
			libpq.api.finish(a->conn);
			a->conn = NULL;
			call->clone_gone = true;
		}
	} else {
		a->conn = libpq_connect(a);
	}
	call->result = a->conn;
}

/* A connection dbclone refused: libpq makes it (so PQstatus, PQfinish and
 * the rest behave) from an option it does not know, without touching the
 * network; PQerrorMessage tells our reason. */
static void refuse_pq(struct hook_call *call)
{
	static const char *const kw[] = {"dbclone_refused", NULL};
	static const char *const val[] = {"1", NULL};
	struct pq_args *a = call->args;

	a->conn = libpq_connect_with(a, kw, val);
	call->result = a->conn;
}

static const struct engine pg_engine = {
	&engine_pg, ENGINE_PG, resolve_pg, call_pq, refuse_pq,
};

static PGconn *pq_connect(struct pq_args *a)
{
	if (!real_bound(REAL_LIBPQ))
		return NULL;
	hook_run(&(struct hook_call){.engine = &pg_engine, .args = a});
	pg_params_free(&a->params);
	return a->conn;
}

/* ---- the hooks --------------------------------------------------------- */

HOOK PGconn *PQconnectdbParams(const char *const *keywords,
			       const char *const *values, int expand_dbname)
{
	return pq_connect(&(struct pq_args){.kind = CONNECTDB_PARAMS,
			  .keywords = keywords, .values = values,
			  .expand = expand_dbname});
}

HOOK PGconn *PQconnectStartParams(const char *const *keywords,
				  const char *const *values, int expand_dbname)
{
	return pq_connect(&(struct pq_args){.kind = CONNECT_START_PARAMS,
			  .keywords = keywords, .values = values,
			  .expand = expand_dbname});
}

HOOK PGconn *PQconnectdb(const char *conninfo)
{
	return pq_connect(&(struct pq_args){.kind = CONNECTDB,
			  .conninfo = conninfo});
}

HOOK PGconn *PQconnectStart(const char *conninfo)
{
	return pq_connect(&(struct pq_args){.kind = CONNECT_START,
			  .conninfo = conninfo});
}

HOOK PGconn *PQsetdbLogin(const char *host, const char *port,
			  const char *options, const char *tty,
			  const char *dbname, const char *login,
			  const char *password)
{
	/* As in libpq: dbname may be a conninfo string, and the other
	 * arguments override what it says. */
	const char *kw[] = {"dbname", "host", "port", "options", "user",
			    "password", NULL};
	const char *val[] = {dbname, host, port, options, login, password, NULL};

	return pq_connect(&(struct pq_args){.kind = SETDB_LOGIN,
			  .keywords = kw, .values = val, .expand = 1,
			  .tty = tty});
}

HOOK void PQfinish(PGconn *conn)
{
	if (real_bound(REAL_LIBPQ))
		hook_close(&pg_engine, conn, finish, false);
}

HOOK char *PQerrorMessage(const PGconn *conn)
{
	const char *msg;

	if (!real_bound(REAL_LIBPQ))
		return "dbclone: libpq is not loaded\n";
	msg = conns_refusal(conn, true);
	return msg ? (char *)msg : libpq.api.errorMessage(conn);
}

const struct hook pq_hooks[] = {
	HOOKED(PQconnectdb), HOOKED(PQconnectdbParams), HOOKED(PQsetdbLogin),
	HOOKED(PQconnectStart), HOOKED(PQconnectStartParams),
	HOOKED(PQfinish), HOOKED(PQerrorMessage), {NULL, NULL},
};
