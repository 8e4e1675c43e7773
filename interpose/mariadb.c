/* The MySQL/MariaDB client hooks (libmariadb, Debian's libmysqlclient):
 * a connect or a database change that names a schema goes through the one
 * policy (hook.c) to this test key's copy of it, made inside the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>

#include "bind.h"
#include "config.h"
#include "conns.h"
#include "hook.h"
#include "mariadb.h"
#include "servers.h"
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

/* ---- the calls --------------------------------------------------------- */

enum my_kind { REAL_CONNECT, SELECT_DB, CHANGE_USER };

/* A call that names a schema: its arguments, and the server and account
 * it reaches (kept with the handle: a later mysql_select_db clones on
 * that server; passwords stay in memory, never in a log). */
struct my_args {
	enum my_kind kind;
	MYSQL *mysql;
	const char *host, *user, *passwd, *db, *unix_socket;
	unsigned int port;
	unsigned long flags;
	struct mysql_target target;
	MYSQL *connected; /* what mysql_real_connect returned */
};

/* The program's call, to db (its own or the clone's): 0 on success. */
static int libmysql_call(struct my_args *a, const char *db)
{
	switch (a->kind) {
	case REAL_CONNECT:
		a->connected = real.real_connect(a->mysql, a->host, a->user,
						 a->passwd, db, a->port,
						 a->unix_socket, a->flags);
		return a->connected ? 0 : 1;
	case SELECT_DB:
		return real_mysql_select_db(a->mysql, db);
	case CHANGE_USER:
		return real_mysql_change_user(a->mysql, a->user, a->passwd, db);
	}
	return 1;
}

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

/* Where the call goes: a connect names it; a database change goes where
 * the handle connected (false for a handle the library never saw). */
static bool target_of_call(struct my_args *a)
{
	struct mysql_target was;

	if (a->kind == REAL_CONNECT) {
		target_of(&a->target, a->host, a->user, a->passwd, a->port,
			  a->unix_socket);
		return true;
	}
	if (!conns_state(a->mysql, &was, sizeof(was)))
		return false;
	if (a->kind == SELECT_DB)
		a->target = was;
	else
		target_of(&a->target, was.host, a->user, a->passwd, was.port,
			  was.socket);
	return true;
}

/* ---- servers ----------------------------------------------------------- */

static void server_id(const struct mysql_target *t, char *out, size_t outlen)
{
	const char *env_sock = getenv("MYSQL_UNIX_PORT");

	snprintf(out, outlen, "host=%s port=%u socket=%s", t->host, t->port,
		 t->socket[0] ? t->socket : env_sock ? env_sock : "");
}

static void fill_server(void *info, const void *arg)
{
	memcpy(info, arg, sizeof(struct mysql_target));
}

/* Called with s->lock held. An admin connection idle past the server's
 * wait_timeout, or cut by a restart, is opened again. */
static MYSQL *admin_of(struct server *s, char *err, size_t errlen)
{
	if (s->admin && real_mysql_ping(s->admin) != 0) {
		real.close(s->admin);
		s->admin = NULL;
	}
	if (!s->admin)
		s->admin = mysql_admin_connect(&real,
					       (struct mysql_target *)s->info,
					       config_get()->mysql_admin, err,
					       errlen);
	return s->admin;
}

/* ---- the engine -------------------------------------------------------- */

static const struct engine mariadb_engine;

static bool drop_mariadb(void *server, const char *clone, bool force, char *err,
			 size_t errlen)
{
	struct server *s = server;
	MYSQL *admin;
	bool ok = false;

	(void)force; /* DROP DATABASE does not wait for other sessions */
	hook_enter(&mariadb_engine);
	pthread_mutex_lock(&s->lock);
	if ((admin = admin_of(s, err, errlen)))
		ok = mysql_drop(&real, admin, clone, err, errlen);
	pthread_mutex_unlock(&s->lock);
	hook_leave(&mariadb_engine);
	return ok;
}

static void describe_mariadb(void *server, char *out, size_t outlen)
{
	const struct mysql_target *t =
		(const struct mysql_target *)((struct server *)server)->info;

	/* What the run's sweep needs to reach the server; no password. */
	snprintf(out, outlen, "host=%s port=%u socket=%s user=%s", t->host,
		 t->port, t->socket, t->user);
}

/* host, port, socket, user, password, database */
static void spec_mariadb(struct hook_call *call, char *out, size_t outlen)
{
	struct my_args *a = call->args;
	const struct mysql_target *t = &a->target;
	const char *env_sock = getenv("MYSQL_UNIX_PORT");
	char port[16];

	snprintf(port, sizeof(port), "%u", t->port);
	wire_append(out, outlen, t->host);
	wire_append(out, outlen, port);
	wire_append(out, outlen, t->socket[0] || !env_sock ? t->socket : env_sock);
	wire_append(out, outlen, t->user);
	wire_append(out, outlen, t->passwd);
	wire_append(out, outlen, a->db);
}

static bool make_mariadb(struct hook_call *call, unsigned long seq, char *name,
			 size_t namelen, void **server, char *err, size_t errlen)
{
	struct my_args *a = call->args;
	struct server *s;
	struct marker m;
	MYSQL *admin;
	char id[1200];
	bool ok = false;

	server_id(&a->target, id, sizeof(id));
	snprintf(id + strlen(id), sizeof(id) - strlen(id), " user=%s",
		 a->target.user);
	s = server_for(id, sizeof(a->target), fill_server, &a->target);
	if (!s || !clone_name(a->db, seq, MYSQL_NAME_MAX, name, namelen)) {
		snprintf(err, errlen, "dbclone: cannot name a clone of \"%s\"",
			 a->db);
		return false;
	}
	*server = s;
	marker_for_self(&m, a->db);
	pthread_mutex_lock(&s->lock);
	if ((admin = admin_of(s, err, errlen)))
		ok = mysql_clone(&real, admin, a->db, name, &m, err, errlen);
	/* An admin account cloned: the program's account must reach it. */
	if (ok && config_get()->mysql_admin && a->target.user[0] &&
	    !mysql_grant_clone(&real, admin, name, a->target.user, err, errlen)) {
		char why[300];

		mysql_drop(&real, admin, name, why, sizeof(why));
		ok = false;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static enum verdict resolve_mariadb(struct hook_call *call, struct source *src)
{
	struct my_args *a = call->args;
	const char *db = a->db;

	if (db && mysql_is_system_schema(db) &&
	    config_includes_by_name(config_get(), db)) {
		snprintf(call->why, sizeof(call->why), "dbclone: DBCLONE_INCLUDE "
			 "names the system schema \"%s\", which is never cloned; "
			 "take it out of DBCLONE_INCLUDE", db);
		return REFUSE;
	}
	if (!db || !*db || mysql_is_system_schema(db))
		return PASS_THROUGH;
	snprintf(src->name, sizeof(src->name), "%s", db);
	server_id(&a->target, src->id, sizeof(src->id));
	snprintf(src->id + strlen(src->id), sizeof(src->id) - strlen(src->id),
		 " db=%s", db);
	return USE_CLONE;
}

static const struct engine mariadb_engine = {
	.name = "mysql",
	.bit = ENGINE_MYSQL,
	.resolve = resolve_mariadb,
	.make = make_mariadb,
	.drop = drop_mariadb,
	.describe = describe_mariadb,
	.spec = spec_mariadb,
	.drop_in_background = true,
};

/* ---- the policy -------------------------------------------------------- */

/* The reason holds while the handle's own error state is the one it had
 * when refused: the next call that succeeds or fails for itself ends it
 * (see mysql_error). A connected handle is given a real error of its own
 * first (a database name the server rejects), so that its next success
 * clears it. */
static void refuse_handle(struct my_args *a, struct hook_call *call)
{
	hook_refused(call, a->mysql);
	if (a->kind != REAL_CONNECT)
		REAL_CALL(&mariadb_engine, real_mysql_select_db(a->mysql, ""));
	conns_set_refusal_tag(a->mysql, (long)real_mysql_errno(a->mysql));
}

/* The one path of the three hooks: 0 when the call succeeds. */
static int my_call(struct my_args *a)
{
	struct hook_call call = {.engine = &mariadb_engine, .args = a,
				 .handle = a->mysql,
				 .code = CR_UNKNOWN_ERROR_CODE};
	bool outer = !hook_inside(&mariadb_engine);
	int rc = 1;

	if (!target_of_call(a))
		return libmysql_call(a, a->db);
	switch (hook_decide(&call)) {
	case REFUSE:
		refuse_handle(a, &call);
		return 1;
	case PASS_THROUGH:
		rc = REAL_CALL(&mariadb_engine, libmysql_call(a, a->db));
		break;
	case USE_CLONE:
		rc = REAL_CALL(&mariadb_engine, libmysql_call(a,
			       clone_name_of(call.clone)));
		break;
	}
	if (outer && rc == 0 && a->kind != SELECT_DB)
		conns_set_state(a->mysql, &a->target, sizeof(a->target));
	if (outer)
		hook_track(&call, rc == 0 ? a->mysql : NULL, a->kind != REAL_CONNECT);
	return rc;
}

/* ---- the hooks --------------------------------------------------------- */

HOOK MYSQL *mysql_real_connect(MYSQL *mysql, const char *host,
			       const char *user, const char *passwd,
			       const char *db, unsigned int port,
			       const char *unix_socket, unsigned long flags)
{
	struct my_args a = {REAL_CONNECT, mysql, host, user, passwd, db,
			    unix_socket, port, flags, .connected = NULL};

	if (!bind_ok())
		return NULL;
	return my_call(&a) == 0 ? a.connected : NULL;
}

HOOK int mysql_select_db(MYSQL *mysql, const char *db)
{
	if (!bind_ok())
		return 1;
	return my_call(&(struct my_args){.kind = SELECT_DB, .mysql = mysql,
			 .db = db});
}

HOOK my_bool mysql_change_user(MYSQL *mysql, const char *user,
			       const char *passwd, const char *db)
{
	if (!bind_ok())
		return 1;
	return my_call(&(struct my_args){.kind = CHANGE_USER, .mysql = mysql,
			 .user = user, .passwd = passwd, .db = db}) != 0;
}

HOOK void mysql_close(MYSQL *mysql)
{
	struct clone *c;

	if (!bind_ok())
		return;
	c = hook_closing(&mariadb_engine, mysql);
	hook_enter(&mariadb_engine);
	real.close(mysql);
	hook_leave(&mariadb_engine);
	hook_closed(c, mysql, false);
}

/* A refusal still stands if the handle has not been used since. */
static bool refused_now(MYSQL *mysql, int *code)
{
	long tag;

	if (!conns_refusal_code(mysql, code, &tag))
		return false;
	if (tag == (long)real_mysql_errno(mysql))
		return true;
	conns_forget_refusal(mysql);
	return false;
}

HOOK const char *mysql_error(MYSQL *mysql)
{
	int code;

	if (!bind_ok())
		return "dbclone: libmariadb is not loaded";
	return refused_now(mysql, &code) ? conns_refusal(mysql, false)
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
