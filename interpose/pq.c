/* The libpq hooks: each connect, parsed, goes through the one policy
 * (hook.c) to its clone; closes and error messages are tracked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "config.h"
#include "conns.h"
#include "hook.h"
#include "pg.h"
#include "servers.h"
#include "wire.h"

/* The real libpq behind the hooks; backends/pg.c reaches libpq only
 * through this table. */
static struct pg_api real;
static PGconn *(*real_PQconnectdb)(const char *);
static PGconn *(*real_PQsetdbLogin)(const char *, const char *, const char *,
				    const char *, const char *, const char *,
				    const char *);
static PGconn *(*real_PQconnectStart)(const char *);
static PGconn *(*real_PQconnectStartParams)(const char *const *,
					    const char *const *, int);
static pthread_once_t bound = PTHREAD_ONCE_INIT;
static bool bound_ok;

static void bind_libpq(void)
{
	static const struct real_symbol syms[] = {
		REAL_SYMBOL(real_PQconnectdb, "PQconnectdb"),
		REAL_SYMBOL(real_PQsetdbLogin, "PQsetdbLogin"),
		REAL_SYMBOL(real_PQconnectStart, "PQconnectStart"),
		REAL_SYMBOL(real_PQconnectStartParams, "PQconnectStartParams"),
		REAL_SYMBOL(real.connectdbParams, "PQconnectdbParams"),
		REAL_SYMBOL(real.finish, "PQfinish"),
		REAL_SYMBOL(real.status, "PQstatus"),
		REAL_SYMBOL(real.errorMessage, "PQerrorMessage"),
		REAL_SYMBOL(real.exec, "PQexec"),
		REAL_SYMBOL(real.execParams, "PQexecParams"),
		REAL_SYMBOL(real.resultStatus, "PQresultStatus"),
		REAL_SYMBOL(real.resultErrorField, "PQresultErrorField"),
		REAL_SYMBOL(real.ntuples, "PQntuples"),
		REAL_SYMBOL(real.getvalue, "PQgetvalue"),
		REAL_SYMBOL(real.getisnull, "PQgetisnull"),
		REAL_SYMBOL(real.clear, "PQclear"),
		REAL_SYMBOL(real.escapeIdentifier, "PQescapeIdentifier"),
		REAL_SYMBOL(real.escapeLiteral, "PQescapeLiteral"),
		REAL_SYMBOL(real.freemem, "PQfreemem"),
		REAL_SYMBOL(real.serverVersion, "PQserverVersion"),
		REAL_SYMBOL(real.conninfoParse, "PQconninfoParse"),
		REAL_SYMBOL(real.conndefaults, "PQconndefaults"),
		REAL_SYMBOL(real.conninfoFree, "PQconninfoFree"),
		{NULL, NULL},
	};

	bound_ok = bind_real_symbols(syms, "libpq");
}

static bool bind_ok(void)
{
	pthread_once(&bound, bind_libpq);
	return bound_ok;
}

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
		return real_PQconnectdb(a->conninfo);
	case CONNECT_START:
		return real_PQconnectStart(a->conninfo);
	case CONNECTDB_PARAMS:
		return real.connectdbParams(a->keywords, v, a->expand);
	case CONNECT_START_PARAMS:
		return real_PQconnectStartParams(a->keywords, v, a->expand);
	case SETDB_LOGIN: /* the order of setdb_login() below */
		return real_PQsetdbLogin(v[1], v[2], v[3], a->tty, v[0], v[4], v[5]);
	}
	return NULL;
}

/* The call with other options (the clone's, or none that libpq knows). */
static PGconn *libpq_connect_with(const struct pq_args *a,
				  const char *const *kw, const char *const *val)
{
	return starts(a) ? real_PQconnectStartParams(kw, val, 0)
			 : real.connectdbParams(kw, val, 0);
}

/* ---- servers and their admin connections ------------------------------- */

/* What a server's admin connection is opened with. */
struct pg_server {
	char where[1024];
	struct pg_params params; /* the program's options, to reconnect */
};

static void fill_server(void *info, const void *arg)
{
	struct pg_server *ps = info;
	const struct pq_args *a = arg;

	pg_server_conninfo(&a->src, ps->where, sizeof(ps->where));
	for (size_t i = 0; i < a->params.n; i++)
		pg_params_set(&ps->params, a->params.keywords[i],
			      a->params.values[i]);
}

/* Called with s->lock held. */
static PGconn *admin_of(struct server *s, bool *bad_options, char *err,
			size_t errlen)
{
	struct pg_server *ps = (struct pg_server *)s->info;

	if (s->admin && real.status(s->admin) == CONNECTION_OK)
		return s->admin;
	if (s->admin)
		real.finish(s->admin);
	s->admin = pg_admin_connect(&real, &ps->params, config_get()->pg_admin,
				    bad_options, err, errlen);
	return s->admin;
}

/* ---- the engine -------------------------------------------------------- */

static const struct engine pg_engine;

static bool drop_pg(void *server, const char *clone, bool force, char *err,
		    size_t errlen)
{
	struct server *s = server;
	PGconn *admin;
	bool ok = false;

	hook_enter(&pg_engine);
	pthread_mutex_lock(&s->lock);
	/* An admin connection that broke while idle (server restart, idle
	 * timeout) fails once, then is opened again: one retry. */
	for (int tries = 0; tries < 2; tries++) {
		if (!(admin = admin_of(s, NULL, err, errlen)))
			break;
		ok = pg_drop(&real, admin, clone, force, err, errlen);
		if (ok || real.status(admin) == CONNECTION_OK)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	hook_leave(&pg_engine);
	return ok;
}

static void describe_pg(void *server, char *out, size_t outlen)
{
	struct server *s = server;

	snprintf(out, outlen, "%s", ((struct pg_server *)s->info)->where);
}

/* conninfo (the program's options, the resolved server and user),
 * database, role: what the run supervisor clones with. */
static void spec_pg(struct hook_call *call, char *out, size_t outlen)
{
	struct pq_args *a = call->args;
	char conninfo[4096], server[1024];

	pg_params_conninfo(&a->params, conninfo, sizeof(conninfo));
	pg_server_conninfo(&a->src, server, sizeof(server));
	/* Later options win in a conninfo: the resolved server and user. */
	if (strlen(conninfo) + strlen(server) + 2 < sizeof(conninfo)) {
		strcat(conninfo, " ");
		strcat(conninfo, server);
	}
	wire_append(out, outlen, conninfo);
	wire_append(out, outlen, a->src.dbname);
	wire_append(out, outlen, a->src.user);
}

static bool make_pg(struct hook_call *call, unsigned long seq, char *name,
		    size_t namelen, void **server, char *err, size_t errlen)
{
	struct pq_args *a = call->args;
	struct server *s;
	struct marker m;
	PGconn *admin;
	char id[1024];
	bool ok = false;

	snprintf(id, sizeof(id), "%s user=%s", a->src.server, a->src.user);
	if (!(s = server_for(id, sizeof(struct pg_server), fill_server, a))) {
		snprintf(err, errlen, "dbclone: out of memory");
		return false;
	}
	if (!clone_name(a->src.dbname, seq, PG_NAME_MAX, name, namelen)) {
		snprintf(err, errlen, "dbclone: cannot name a clone of \"%s\"",
			 a->src.dbname);
		return false;
	}
	marker_for_self(&m, a->src.dbname);
	pthread_mutex_lock(&s->lock);
	for (int tries = 0; tries < 2; tries++) { /* as in drop_pg */
		if (!(admin = admin_of(s, &call->library_rejects, err, errlen)))
			break;
		ok = pg_clone(&real, admin, a->src.dbname, name, a->src.user, &m,
			      err, errlen);
		if (ok || real.status(admin) == CONNECTION_OK)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	*server = s;
	return ok;
}

/* The options flattened and resolved the way libpq would (PGDATABASE,
 * the OS user ...). Options libpq rejects are left to libpq. */
static enum verdict resolve_pg(struct hook_call *call, struct source *src)
{
	struct pq_args *a = call->args;
	bool parsed = a->keywords ?
		pg_params_from_arrays(&real, &a->params, a->keywords, a->values,
				      a->expand) :
		pg_params_from_conninfo(&real, &a->params,
					a->conninfo ? a->conninfo : "");

	if (!parsed)
		return PASS_THROUGH;
	pg_resolve(&real, &a->params, &a->src);
	if (pg_is_maintenance_db(a->src.dbname))
		return PASS_THROUGH;
	snprintf(src->name, sizeof(src->name), "%s", a->src.dbname);
	snprintf(src->id, sizeof(src->id), "%s dbname=%s", a->src.server,
		 a->src.dbname);
	return USE_CLONE;
}

static const struct engine pg_engine = {
	.name = "pg",
	.bit = ENGINE_PG,
	.resolve = resolve_pg,
	.make = make_pg,
	.drop = drop_pg,
	.describe = describe_pg,
	.spec = spec_pg,
	.drop_in_background = true,
};

/* ---- the policy -------------------------------------------------------- */

/* A connection dbclone refused: libpq makes it (so PQstatus, PQfinish and
 * the rest behave) from an option it does not know, without touching the
 * network; PQerrorMessage tells our reason. */
static PGconn *refused_connection(const struct pq_args *a,
				  struct hook_call *call)
{
	static const char *const kw[] = {"dbclone_refused", NULL};
	static const char *const val[] = {"1", NULL};
	PGconn *conn = REAL_CALL(&pg_engine, libpq_connect_with(a, kw, val));

	hook_refused(call, conn);
	return conn;
}

static PGconn *pq_connect(struct pq_args *a)
{
	struct hook_call call = {.engine = &pg_engine, .args = a};
	PGconn *conn = NULL;

	if (!bind_ok())
		return NULL;
	switch (hook_decide(&call)) {
	case PASS_THROUGH:
		conn = REAL_CALL(&pg_engine, libpq_connect(a));
		break;
	case REFUSE:
		conn = refused_connection(a, &call);
		break;
	case USE_CLONE:
		pg_params_set(&a->params, "dbname", clone_name_of(call.clone));
		conn = REAL_CALL(&pg_engine, libpq_connect_with(a,
				 pg_params_keywords(&a->params),
				 pg_params_values(&a->params)));
		hook_track(&call, conn, false);
		break;
	}
	pg_params_free(&a->params);
	return conn;
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
	struct clone *c;

	if (!bind_ok())
		return;
	c = hook_closing(&pg_engine, conn);
	hook_enter(&pg_engine);
	real.finish(conn);
	hook_leave(&pg_engine);
	hook_closed(c, conn, false);
}

HOOK char *PQerrorMessage(const PGconn *conn)
{
	const char *msg;

	if (!bind_ok())
		return "dbclone: libpq is not loaded\n";
	msg = conns_refusal(conn, true);
	return msg ? (char *)msg : real.errorMessage(conn);
}

const struct hook pq_hooks[] = {
	{"PQconnectdb", (void *)PQconnectdb},
	{"PQconnectdbParams", (void *)PQconnectdbParams},
	{"PQsetdbLogin", (void *)PQsetdbLogin},
	{"PQconnectStart", (void *)PQconnectStart},
	{"PQconnectStartParams", (void *)PQconnectStartParams},
	{"PQfinish", (void *)PQfinish},
	{"PQerrorMessage", (void *)PQerrorMessage},
	{NULL, NULL},
};
