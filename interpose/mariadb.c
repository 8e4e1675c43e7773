/* The MySQL/MariaDB client hooks (libmariadb, Debian's libmysqlclient): a
 * connect or a database change that names a schema is redirected to this
 * test key's copy of it, made inside the server. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>

#include "bind.h"
#include "config.h"
#include "log.h"
#include "mariadb.h"
#include "refusal.h"
#include "registry.h"
#include "wire.h"

#define CR_UNKNOWN_ERROR_CODE 2000

static struct mysql_api real;
static int (*real_mysql_select_db)(MYSQL *, const char *);
static my_bool (*real_mysql_change_user)(MYSQL *, const char *, const char *,
					 const char *);
static unsigned int (*real_mysql_errno)(MYSQL *);
static int (*real_mysql_ping)(MYSQL *);
static pthread_once_t bound = PTHREAD_ONCE_INIT;
static bool bound_ok;

/* The client library may call its own exported functions: only the
 * outermost call is ours. */
static __thread int in_client;

static void bind_mariadb(void)
{
	static const struct real_symbol syms[] = {
		REAL_SYMBOL(real_mysql_select_db, "mysql_select_db"),
		REAL_SYMBOL(real_mysql_change_user, "mysql_change_user"),
		REAL_SYMBOL(real_mysql_errno, "mysql_errno"),
		REAL_SYMBOL(real_mysql_ping, "mysql_ping"),
		REAL_SYMBOL(real.init, "mysql_init"),
		REAL_SYMBOL(real.real_connect, "mysql_real_connect"),
		REAL_SYMBOL(real.real_query, "mysql_real_query"),
		REAL_SYMBOL(real.store_result, "mysql_store_result"),
		REAL_SYMBOL(real.next_result, "mysql_next_result"),
		REAL_SYMBOL(real.fetch_row, "mysql_fetch_row"),
		REAL_SYMBOL(real.data_seek, "mysql_data_seek"),
		REAL_SYMBOL(real.num_rows, "mysql_num_rows"),
		REAL_SYMBOL(real.num_fields, "mysql_num_fields"),
		REAL_SYMBOL(real.free_result, "mysql_free_result"),
		REAL_SYMBOL(real.error, "mysql_error"),
		REAL_SYMBOL(real.real_escape_string, "mysql_real_escape_string"),
		REAL_SYMBOL(real.close, "mysql_close"),
		{NULL, NULL},
	};

	bound_ok = bind_real_symbols(syms, "libmariadb");
	real.err_no = real_mysql_errno;
}

static bool bind_ok(void)
{
	pthread_once(&bound, bind_mariadb);
	return bound_ok;
}

/* ---- servers, handles -------------------------------------------------- */

struct my_server {
	char id[1024];
	struct mysql_target target;
	MYSQL *admin;
	pthread_mutex_t lock;
	struct my_server *next;
};

/* How each of the program's handles connected: a later mysql_select_db
 * needs it to clone on that server. Passwords stay in memory, never in a
 * log. */
struct handle {
	const MYSQL *mysql;
	struct mysql_target target;
	struct handle *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct my_server *servers;
static struct handle *handles;

static void target_of(struct mysql_target *t, const char *host, const char *user,
		      const char *passwd, unsigned int port, const char *sock)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->host, sizeof(t->host), "%s", host ? host : "");
	snprintf(t->user, sizeof(t->user), "%s", user ? user : "");
	snprintf(t->passwd, sizeof(t->passwd), "%s", passwd ? passwd : "");
	snprintf(t->socket, sizeof(t->socket), "%s", sock ? sock : "");
	t->port = port;
}

static void server_id(const struct mysql_target *t, char *out, size_t outlen)
{
	const char *env_sock = getenv("MYSQL_UNIX_PORT");

	snprintf(out, outlen, "host=%s port=%u socket=%s", t->host, t->port,
		 t->socket[0] ? t->socket : env_sock ? env_sock : "");
}

static struct my_server *server_for(const struct mysql_target *t)
{
	struct my_server *s;
	char id[1024];

	server_id(t, id, sizeof(id));
	snprintf(id + strlen(id), sizeof(id) - strlen(id), " user=%s", t->user);
	pthread_mutex_lock(&lock);
	for (s = servers; s; s = s->next)
		if (!strcmp(s->id, id))
			break;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		snprintf(s->id, sizeof(s->id), "%s", id);
		s->target = *t;
		pthread_mutex_init(&s->lock, NULL);
		s->next = servers;
		servers = s;
	}
	pthread_mutex_unlock(&lock);
	return s;
}

static void remember(const MYSQL *mysql, const struct mysql_target *t)
{
	struct handle *h;

	pthread_mutex_lock(&lock);
	for (h = handles; h && h->mysql != mysql; h = h->next)
		;
	if (!h && (h = calloc(1, sizeof(*h)))) {
		h->mysql = mysql;
		h->next = handles;
		handles = h;
	}
	if (h)
		h->target = *t;
	pthread_mutex_unlock(&lock);
}

static bool recall(const MYSQL *mysql, struct mysql_target *t)
{
	bool found = false;

	pthread_mutex_lock(&lock);
	for (struct handle *h = handles; h; h = h->next) {
		if (h->mysql == mysql) {
			*t = h->target;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

static void forget(const MYSQL *mysql)
{
	pthread_mutex_lock(&lock);
	for (struct handle **h = &handles; *h; h = &(*h)->next) {
		if ((*h)->mysql == mysql) {
			struct handle *gone = *h;

			*h = gone->next;
			free(gone);
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

/* Called with s->lock held. An admin connection idle past the server's
 * wait_timeout, or cut by a restart, is opened again. */
static MYSQL *admin_of(struct my_server *s, char *err, size_t errlen)
{
	if (s->admin && real_mysql_ping(s->admin) != 0) {
		real.close(s->admin);
		s->admin = NULL;
	}
	if (!s->admin)
		s->admin = mysql_admin_connect(&real, &s->target,
					       config_get()->mysql_admin, err,
					       errlen);
	return s->admin;
}

/* ---- the engine -------------------------------------------------------- */

static bool drop_mariadb(void *server, const char *clone, bool force, char *err,
			 size_t errlen)
{
	struct my_server *s = server;
	MYSQL *admin;
	bool ok = false;

	(void)force; /* DROP DATABASE does not wait for other sessions */
	in_client++;
	pthread_mutex_lock(&s->lock);
	if ((admin = admin_of(s, err, errlen)))
		ok = mysql_drop(&real, admin, clone, err, errlen);
	pthread_mutex_unlock(&s->lock);
	in_client--;
	return ok;
}

static void describe_mariadb(void *server, char *out, size_t outlen)
{
	const struct mysql_target *t = &((struct my_server *)server)->target;

	/* What the run's sweep needs to reach the server; no password. */
	snprintf(out, outlen, "host=%s port=%u socket=%s user=%s", t->host,
		 t->port, t->socket, t->user);
}

struct make_ctx {
	const struct mysql_target *target;
	const char *db;
};

/* host, port, socket, user, password, database */
static void spec_mariadb(void *vctx, char *out, size_t outlen)
{
	struct make_ctx *ctx = vctx;
	const struct mysql_target *t = ctx->target;
	const char *env_sock = getenv("MYSQL_UNIX_PORT");
	char port[16];

	snprintf(port, sizeof(port), "%u", t->port);
	wire_append(out, outlen, t->host);
	wire_append(out, outlen, port);
	wire_append(out, outlen, t->socket[0] || !env_sock ? t->socket : env_sock);
	wire_append(out, outlen, t->user);
	wire_append(out, outlen, t->passwd);
	wire_append(out, outlen, ctx->db);
}

static const struct engine mariadb_engine = {"mysql", drop_mariadb,
					     describe_mariadb, spec_mariadb,
					     true};

static bool make_mariadb(void *vctx, unsigned long seq, char *name,
			 size_t namelen, void **server, char *err, size_t errlen)
{
	struct make_ctx *ctx = vctx;
	struct my_server *s = server_for(ctx->target);
	struct marker m;
	MYSQL *admin;
	bool ok = false;

	if (!s || !clone_name(ctx->db, seq, MYSQL_NAME_MAX, name, namelen)) {
		snprintf(err, errlen, "dbclone: cannot name a clone of \"%s\"",
			 ctx->db);
		return false;
	}
	*server = s;
	marker_for_self(&m, ctx->db);
	pthread_mutex_lock(&s->lock);
	if ((admin = admin_of(s, err, errlen)))
		ok = mysql_clone(&real, admin, ctx->db, name, &m, err, errlen);
	/* An admin account cloned: the program's account must reach it. */
	if (ok && config_get()->mysql_admin && ctx->target->user[0] &&
	    !mysql_grant_clone(&real, admin, name, ctx->target->user, err, errlen)) {
		char why[300];

		mysql_drop(&real, admin, name, why, sizeof(why));
		ok = false;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* ---- the policy for one database name ---------------------------------- */

static bool intercepting(void)
{
	const struct config *cfg = config_get();

	return !in_client && !cfg->disable &&
	       (cfg->error || (cfg->engines & ENGINE_MYSQL));
}

/* The clone to use instead of db: NULL with *refused clear when db itself
 * is to be used, with *refused set (and the reason recorded on the
 * handle) when the call must fail. */
static struct clone *clone_for_db(MYSQL *mysql, const struct mysql_target *t,
				  const char *db, bool *refused)
{
	const struct config *cfg = config_get();
	struct make_ctx ctx = {t, db};
	char source[1400], err[1024];
	struct clone *c;

	*refused = false;
	refusal_forget(mysql);
	if (cfg->error) {
		*refused = true;
		snprintf(err, sizeof(err), "%s", cfg->error);
	} else if (db && mysql_is_system_schema(db) &&
		   config_includes_by_name(cfg, db)) {
		*refused = true;
		snprintf(err, sizeof(err), "dbclone: DBCLONE_INCLUDE names the "
			 "system schema \"%s\", which is never cloned; take it out "
			 "of DBCLONE_INCLUDE", db);
	} else if (!db || !*db || mysql_is_system_schema(db) || is_clone_name(db)) {
		return NULL;
	} else {
		server_id(t, source, sizeof(source));
		snprintf(source + strlen(source), sizeof(source) - strlen(source),
			 " db=%s", db);
		c = clone_for_source(&mariadb_engine, db, source, make_mariadb,
				     &ctx, refused, err, sizeof(err));
		if (c || !*refused)
			return c;
	}
	log_error("%s", err);
	refusal_add(mysql, CR_UNKNOWN_ERROR_CODE, err);
	/* The reason holds while the handle's own error state is the one it
	 * had when refused: the next call that succeeds or fails for itself
	 * ends it (see mysql_error). A connected handle is given a real error
	 * of its own first (a database name the server rejects), so that its
	 * next success clears it. */
	if (recall(mysql, &(struct mysql_target){0}))
		real_mysql_select_db(mysql, "");
	refusal_set_tag(mysql, (long)real_mysql_errno(mysql));
	return NULL;
}

/* ---- the hooks --------------------------------------------------------- */

HOOK MYSQL *mysql_real_connect(MYSQL *mysql, const char *host,
			       const char *user, const char *passwd,
			       const char *db, unsigned int port,
			       const char *unix_socket, unsigned long flags)
{
	struct mysql_target t;
	struct clone *c;
	bool refused;
	MYSQL *r;

	if (!bind_ok())
		return NULL;
	if (!intercepting())
		return real.real_connect(mysql, host, user, passwd, db, port,
					 unix_socket, flags);
	in_client++;
	target_of(&t, host, user, passwd, port, unix_socket);
	c = clone_for_db(mysql, &t, db, &refused);
	r = refused ? NULL :
		real.real_connect(mysql, host, user, passwd,
				  c ? clone_name_of(c) : db, port, unix_socket,
				  flags);
	if (r)
		remember(mysql, &t);
	if (c && r)
		clone_track(c, mysql);
	else if (c)
		clone_release(c);
	in_client--;
	return r;
}

/* Moves a handle from the clone it used (if any) to c. */
static void switch_clone(MYSQL *mysql, struct clone *c)
{
	struct clone *was = clone_detach(mysql);

	if (c)
		clone_track(c, mysql);
	if (was)
		clone_release(was);
}

HOOK int mysql_select_db(MYSQL *mysql, const char *db)
{
	struct mysql_target t;
	struct clone *c = NULL;
	bool refused = false;
	int rc;

	if (!bind_ok())
		return 1;
	if (!intercepting() || !recall(mysql, &t))
		return real_mysql_select_db(mysql, db);
	in_client++;
	c = clone_for_db(mysql, &t, db, &refused);
	rc = refused ? 1 : real_mysql_select_db(mysql, c ? clone_name_of(c) : db);
	if (rc == 0)
		switch_clone(mysql, c);
	else if (c)
		clone_release(c);
	in_client--;
	return rc;
}

HOOK my_bool mysql_change_user(MYSQL *mysql, const char *user,
			       const char *passwd, const char *db)
{
	struct mysql_target t;
	struct clone *c = NULL;
	bool refused = false;
	my_bool failed;

	if (!bind_ok())
		return 1;
	if (!intercepting() || !recall(mysql, &t))
		return real_mysql_change_user(mysql, user, passwd, db);
	in_client++;
	{
		struct mysql_target was = t; /* target_of clears t first */

		target_of(&t, was.host, user, passwd, was.port, was.socket);
	}
	c = clone_for_db(mysql, &t, db, &refused);
	failed = refused ? 1 :
		real_mysql_change_user(mysql, user, passwd,
				       c ? clone_name_of(c) : db);
	if (!failed) {
		remember(mysql, &t);
		switch_clone(mysql, c);
	} else if (c) {
		clone_release(c);
	}
	in_client--;
	return failed;
}

HOOK void mysql_close(MYSQL *mysql)
{
	struct clone *c = NULL;

	if (!bind_ok())
		return;
	if (!in_client && mysql) {
		refusal_forget(mysql);
		forget(mysql);
		c = clone_detach(mysql);
	}
	in_client++;
	real.close(mysql);
	in_client--;
	/* The last connection of an ended key is gone: its clone is dropped. */
	if (c)
		clone_release(c);
}

/* A refusal still stands if the handle has not been used since. */
static bool refused_now(MYSQL *mysql, int *code)
{
	long tag;

	if (!refusal_code(mysql, code))
		return false;
	if (refusal_tag(mysql, &tag) && tag == (long)real_mysql_errno(mysql))
		return true;
	refusal_forget(mysql);
	return false;
}

HOOK const char *mysql_error(MYSQL *mysql)
{
	int code;

	if (!bind_ok())
		return "dbclone: libmariadb is not loaded";
	return refused_now(mysql, &code) ? refusal_message(mysql, false)
					 : real.error(mysql);
}

HOOK unsigned int mysql_errno(MYSQL *mysql)
{
	int code;

	if (!bind_ok())
		return CR_UNKNOWN_ERROR_CODE;
	return refused_now(mysql, &code) ? (unsigned)code : real_mysql_errno(mysql);
}

const struct hook mariadb_hooks[] = {
	{"mysql_real_connect", (void *)mysql_real_connect},
	{"mysql_select_db", (void *)mysql_select_db},
	{"mysql_change_user", (void *)mysql_change_user},
	{"mysql_close", (void *)mysql_close},
	{"mysql_error", (void *)mysql_error},
	{"mysql_errno", (void *)mysql_errno},
	{NULL, NULL},
};

/* After fork the child must not speak on its parent's admin sockets. */
static void after_fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
	for (struct my_server *s = servers; s; s = s->next) {
		pthread_mutex_init(&s->lock, NULL);
		s->admin = NULL;
	}
}

__attribute__((constructor)) static void mariadb_init(void)
{
	pthread_atfork(NULL, NULL, after_fork_child);
}
