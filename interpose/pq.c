/* The libpq hooks: resolve the source, ask the registry for its clone under
 * the current test key, connect there instead, track the connection. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "config.h"
#include "log.h"
#include "pg.h"
#include "refusal.h"
#include "registry.h"
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

/* libpq calls its own exported functions (PQconnectdbParams calls
 * PQconnectStartParams): only the outermost call is ours to handle. */
static __thread int in_libpq;

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

/* ---- servers and their admin connections ------------------------------- */

/* One admin connection per server and role, kept open: a boundary then
 * costs the CREATE DATABASE, not a connect as well. */
struct pg_server {
	char id[1024];
	char where[1024];
	struct pg_params params; /* the program's options, to reconnect */
	PGconn *admin;
	pthread_mutex_t lock;
	struct pg_server *next;
};

static pthread_mutex_t servers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pg_server *servers;

static struct pg_server *server_for(const struct pg_params *p,
				    const struct pg_source *src)
{
	struct pg_server *s;
	char id[1024];

	snprintf(id, sizeof(id), "%s user=%s", src->server, src->user);
	pthread_mutex_lock(&servers_lock);
	for (s = servers; s; s = s->next)
		if (!strcmp(s->id, id))
			break;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		snprintf(s->id, sizeof(s->id), "%s", id);
		pg_server_conninfo(src, s->where, sizeof(s->where));
		for (size_t i = 0; i < p->n; i++)
			pg_params_set(&s->params, p->keywords[i], p->values[i]);
		pthread_mutex_init(&s->lock, NULL);
		s->next = servers;
		servers = s;
	}
	pthread_mutex_unlock(&servers_lock);
	return s;
}

/* Called with s->lock held. */
static PGconn *admin_of(struct pg_server *s, bool *bad_options, char *err,
			size_t errlen)
{
	if (s->admin && real.status(s->admin) == CONNECTION_OK)
		return s->admin;
	if (s->admin)
		real.finish(s->admin);
	s->admin = pg_admin_connect(&real, &s->params, config_get()->pg_admin,
				    bad_options, err, errlen);
	return s->admin;
}

static bool drop_pg(void *server, const char *clone, bool force, char *err,
		    size_t errlen)
{
	struct pg_server *s = server;
	PGconn *admin;
	bool ok = false;

	in_libpq++;
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
	in_libpq--;
	return ok;
}

static void describe_pg(void *server, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", ((struct pg_server *)server)->where);
}

struct make_ctx {
	const struct pg_params *params;
	const struct pg_source *src;
	bool bad_options; /* libpq rejects the program's options itself */
};

/* conninfo (the program's options, the resolved server and user),
 * database, role: what the run supervisor clones with. */
static void spec_pg(void *vctx, char *out, size_t outlen)
{
	struct make_ctx *ctx = vctx;
	char conninfo[4096], server[1024];

	pg_params_conninfo(ctx->params, conninfo, sizeof(conninfo));
	pg_server_conninfo(ctx->src, server, sizeof(server));
	/* Later options win in a conninfo: the resolved server and user. */
	if (strlen(conninfo) + strlen(server) + 2 < sizeof(conninfo)) {
		strcat(conninfo, " ");
		strcat(conninfo, server);
	}
	wire_append(out, outlen, conninfo);
	wire_append(out, outlen, ctx->src->dbname);
	wire_append(out, outlen, ctx->src->user);
}

static const struct engine pg_engine = {"pg", drop_pg, describe_pg, spec_pg,
					true};

static bool make_pg(void *vctx, unsigned long seq, char *name, size_t namelen,
		    void **server, char *err, size_t errlen)
{
	struct make_ctx *ctx = vctx;
	struct pg_server *s = server_for(ctx->params, ctx->src);
	struct marker m;
	PGconn *admin;
	bool ok = false;

	if (!s) {
		snprintf(err, errlen, "dbclone: out of memory");
		return false;
	}
	if (!clone_name(ctx->src->dbname, seq, PG_NAME_MAX, name, namelen)) {
		snprintf(err, errlen, "dbclone: cannot name a clone of \"%s\"",
			 ctx->src->dbname);
		return false;
	}
	marker_for_self(&m, ctx->src->dbname);
	pthread_mutex_lock(&s->lock);
	for (int tries = 0; tries < 2; tries++) { /* as in drop_pg */
		if (!(admin = admin_of(s, &ctx->bad_options, err, errlen)))
			break;
		ok = pg_clone(&real, admin, ctx->src->dbname, name,
			      ctx->src->user, &m, err, errlen);
		if (ok || real.status(admin) == CONNECTION_OK)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	*server = s;
	return ok;
}

/* After fork the child shares the parent's admin sockets: it must never
 * speak on them, not even to close them. It opens its own when needed. */
static void pq_after_fork_child(void)
{
	pthread_mutex_init(&servers_lock, NULL);
	for (struct pg_server *s = servers; s; s = s->next) {
		pthread_mutex_init(&s->lock, NULL);
		s->admin = NULL;
	}
}

/* ---- failed connections ------------------------------------------------ */

/* A connection dbclone refused: libpq makes it (so PQstatus, PQfinish and
 * the rest behave), PQerrorMessage tells our reason. */
static PGconn *refuse(bool start, const char *why)
{
	static const char *const kw[] = {"dbclone_refused", NULL};
	static const char *const val[] = {"1", NULL};
	PGconn *conn;

	log_error("%s", why);
	/* An unknown option: libpq returns a CONNECTION_BAD connection
	 * without touching the network. */
	conn = start ? real_PQconnectStartParams(kw, val, 0)
		     : real.connectdbParams(kw, val, 0);
	if (conn)
		refusal_add(conn, 0, why);
	return conn;
}

/* ---- the connect path -------------------------------------------------- */

static PGconn *connect_params(bool start, const char *const *kw,
			      const char *const *val, int expand)
{
	return start ? real_PQconnectStartParams(kw, val, expand)
		     : real.connectdbParams(kw, val, expand);
}

/* p holds the program's options, flattened. Returns the connection, or
 * NULL with *passthrough set when the program's own call should run. */
static PGconn *connect_to_clone(bool start, struct pg_params *p,
				bool *passthrough)
{
	const struct config *cfg = config_get();
	struct pg_source src;
	struct make_ctx ctx = {p, &src, false};
	struct clone *c;
	char source[1024], err[1024];
	bool refused;
	PGconn *conn;

	if (cfg->error)
		return refuse(start, cfg->error);
	pg_resolve(&real, p, &src);
	/* A clone is never cloned again (a kept clone, say). */
	if (pg_is_maintenance_db(src.dbname) || is_clone_name(src.dbname)) {
		log_trace("%s passes through", src.dbname);
		*passthrough = true;
		return NULL;
	}
	snprintf(source, sizeof(source), "%s dbname=%s", src.server, src.dbname);
	c = clone_for_source(&pg_engine, src.dbname, source, make_pg, &ctx,
			     &refused, err, sizeof(err));
	/* Options libpq rejects fail the program's own call the same way,
	 * before it reaches any server: let libpq say so in its words. */
	if (!c && (!refused || ctx.bad_options)) {
		*passthrough = true;
		return NULL;
	}
	if (!c)
		return refuse(start, err);
	pg_params_set(p, "dbname", clone_name_of(c));
	conn = connect_params(start, pg_params_keywords(p), pg_params_values(p), 0);
	if (conn)
		clone_track(c, conn);
	else
		clone_release(c);
	return conn;
}

static bool intercepting(void)
{
	const struct config *cfg = config_get();

	/* An invalid DBCLONE_* value refuses every connect, whatever engines
	 * it leaves on. */
	return !in_libpq && !cfg->disable &&
	       (cfg->error || (cfg->engines & ENGINE_PG));
}

/* Calls into libpq from a hook, with the guard up. */
#define REAL(call)                                                          \
	({                                                                  \
		__typeof__(call) result_;                                   \
		in_libpq++;                                                 \
		result_ = (call);                                           \
		in_libpq--;                                                 \
		result_;                                                    \
	})

/* The options of a connect call, flattened; false when libpq would
 * reject them, so that the program gets libpq's own error. */
static bool parse_options(struct pg_params *p, const char *conninfo,
			  const char *const *kw, const char *const *val,
			  int expand)
{
	if (conninfo)
		return pg_params_from_conninfo(&real, p, conninfo);
	return pg_params_from_arrays(&real, p, kw, val, expand);
}

/* The one path of every connect hook: NULL with *passthrough set when the
 * program's own call should run unchanged. */
static PGconn *hooked_connect(bool start, const char *conninfo,
			      const char *const *kw, const char *const *val,
			      int expand, bool *passthrough)
{
	struct pg_params p = {0};
	PGconn *conn = NULL;
	int saved = errno;

	*passthrough = true;
	if (!intercepting())
		return NULL;
	in_libpq++;
	*passthrough = false;
	if (parse_options(&p, conninfo, kw, val, expand))
		conn = connect_to_clone(start, &p, passthrough);
	else
		*passthrough = true;
	pg_params_free(&p);
	in_libpq--;
	if (*passthrough)
		errno = saved;
	return conn;
}

/* ---- the hooks --------------------------------------------------------- */

HOOK PGconn *PQconnectdbParams(const char *const *keywords,
			       const char *const *values, int expand_dbname)
{
	bool pass;
	PGconn *conn;

	if (!bind_ok())
		return NULL;
	conn = hooked_connect(false, NULL, keywords, values, expand_dbname, &pass);
	return pass ? REAL(real.connectdbParams(keywords, values, expand_dbname))
		    : conn;
}

HOOK PGconn *PQconnectStartParams(const char *const *keywords,
				  const char *const *values, int expand_dbname)
{
	bool pass;
	PGconn *conn;

	if (!bind_ok())
		return NULL;
	conn = hooked_connect(true, NULL, keywords, values, expand_dbname, &pass);
	return pass ? REAL(real_PQconnectStartParams(keywords, values,
						     expand_dbname))
		    : conn;
}

HOOK PGconn *PQconnectdb(const char *conninfo)
{
	bool pass;
	PGconn *conn;

	if (!bind_ok())
		return NULL;
	conn = hooked_connect(false, conninfo ? conninfo : "", NULL, NULL, 0,
			      &pass);
	return pass ? REAL(real_PQconnectdb(conninfo)) : conn;
}

HOOK PGconn *PQconnectStart(const char *conninfo)
{
	bool pass;
	PGconn *conn;

	if (!bind_ok())
		return NULL;
	conn = hooked_connect(true, conninfo ? conninfo : "", NULL, NULL, 0,
			      &pass);
	return pass ? REAL(real_PQconnectStart(conninfo)) : conn;
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
	bool pass;
	PGconn *conn;

	if (!bind_ok())
		return NULL;
	conn = hooked_connect(false, NULL, kw, val, 1, &pass);
	return pass ? REAL(real_PQsetdbLogin(host, port, options, tty, dbname,
					     login, password))
		    : conn;
}

HOOK void PQfinish(PGconn *conn)
{
	struct clone *c = NULL;

	if (!bind_ok())
		return;
	if (!in_libpq && conn) {
		refusal_forget(conn);
		c = clone_detach(conn);
	}
	REAL((real.finish(conn), 0));
	/* The last connection of an ended key is gone: its clone is dropped. */
	if (c)
		clone_release(c);
}

HOOK char *PQerrorMessage(const PGconn *conn)
{
	const char *msg;

	if (!bind_ok())
		return "dbclone: libpq is not loaded\n";
	msg = refusal_message(conn, true);
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

__attribute__((constructor)) static void pq_init(void)
{
	pthread_atfork(NULL, NULL, pq_after_fork_child);
}
