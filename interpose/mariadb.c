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
#include "report.h"
#include "mariadb.h"
#include "real.h"

#define CR_UNKNOWN_ERROR_CODE 2000

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
	int rc;           /* 0: the call succeeded */
};

/* The program's call, to db (its own or the clone's): 0 on success. */
static int libmysql_call(struct my_args *a, const char *db)
{
	switch (a->kind) {
	case REAL_CONNECT:
		a->connected = libmariadb.api.real_connect(a->mysql, a->host, a->user,
						 a->passwd, db, a->port,
						 a->unix_socket, a->flags);
		return a->connected ? 0 : 1;
	case SELECT_DB:
		return libmariadb.select_db(a->mysql, db);
	case CHANGE_USER:
		return libmariadb.change_user(a->mysql, a->user, a->passwd, db);
	}
	return 1;
}

/* mysql_close, as hook_close() calls a close. */
static int close_handle(void *mysql)
{
	libmariadb.api.close(mysql);
	return 0;
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

/* ---- the engine -------------------------------------------------------- */

/* The socket the client library would use: the call's, else
 * MYSQL_UNIX_PORT's. */
static const char *socket_of(const struct mysql_target *t)
{
	const char *env_sock = getenv("MYSQL_UNIX_PORT");

	return t->socket[0] || !env_sock ? t->socket : env_sock;
}

/* The server (its socket as the client library resolves it), the
 * account, the source. */
static void spec_of(const struct my_args *a, struct spec *sp)
{
	const struct mysql_target *t = &a->target;

	sp->ops = &engine_mysql;
	snprintf(sp->mysql.host, sizeof(sp->mysql.host), "%s", t->host);
	sp->mysql.port = t->port;
	snprintf(sp->mysql.socket, sizeof(sp->mysql.socket), "%s", socket_of(t));
	snprintf(sp->mysql.user, sizeof(sp->mysql.user), "%s", t->user);
	snprintf(sp->mysql.password, sizeof(sp->mysql.password), "%s",
		 t->passwd);
	snprintf(sp->mysql.database, sizeof(sp->mysql.database), "%s", a->db);
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
	if (!db || !*db || mysql_is_system_schema(db)) {
		call->passed = !db || !*db ? PASSED_NO_DATABASE : PASSED_MAINTENANCE;
		return PASS_THROUGH;
	}
	snprintf(src->name, sizeof(src->name), "%s", db);
	snprintf(src->id, sizeof(src->id), "host=%s port=%u socket=%s db=%s",
		 a->target.host, a->target.port, socket_of(&a->target), db);
	spec_of(a, &call->spec);
	return USE_CLONE;
}

/* The program's call, or the same call on the clone. */
static void call_mariadb(struct hook_call *call, const char *clone)
{
	struct my_args *a = call->args;

	a->rc = libmysql_call(a, clone ? clone : a->db);
	call->result = a->rc == 0 ? a->mysql : NULL;
	/* ER_BAD_DB_ERROR: the clone is gone; the handle may be used again. */
	call->clone_gone = clone && call->may_ask_again && a->rc != 0 &&
			   libmariadb.api.err_no(a->mysql) == 1049;
}

/* The reason holds while the handle's own error state is the one it had
 * when refused: the next call that succeeds or fails for itself ends it
 * (see mysql_error). A connected handle is given a real error of its own
 * first (a database name the server rejects), so that its next success
 * clears it. */
static void refuse_mariadb(struct hook_call *call)
{
	struct my_args *a = call->args;

	if (a->kind != REAL_CONNECT)
		libmariadb.select_db(a->mysql, "");
	call->tag = (long)libmariadb.api.err_no(a->mysql);
	call->result = a->mysql;
	a->rc = 1;
}

static const struct engine mariadb_engine = {
	&engine_mysql, ENGINE_MYSQL, resolve_mariadb, call_mariadb,
	refuse_mariadb,
};

/* The one path of the three hooks: 0 when the call succeeds. A database
 * change on a handle the library never saw connect is not its to change. */
static int my_call(struct my_args *a)
{
	if (!target_of_call(a))
		return libmysql_call(a, a->db);
	hook_run(&(struct hook_call){.engine = &mariadb_engine, .args = a,
		 .handle = a->mysql, .replace = a->kind != REAL_CONNECT,
		 .state = a->kind != SELECT_DB ? &a->target : NULL,
		 .statelen = sizeof(a->target), .code = CR_UNKNOWN_ERROR_CODE});
	return a->rc;
}

/* ---- the hooks --------------------------------------------------------- */

HOOK MYSQL *mysql_real_connect(MYSQL *mysql, const char *host,
			       const char *user, const char *passwd,
			       const char *db, unsigned int port,
			       const char *unix_socket, unsigned long flags)
{
	struct my_args a = {REAL_CONNECT, mysql, host, user, passwd, db,
			    unix_socket, port, flags, .connected = NULL};

	if (!real_bound(REAL_LIBMARIADB))
		return NULL;
	return my_call(&a) == 0 ? a.connected : NULL;
}

HOOK int mysql_select_db(MYSQL *mysql, const char *db)
{
	if (!real_bound(REAL_LIBMARIADB))
		return 1;
	return my_call(&(struct my_args){.kind = SELECT_DB, .mysql = mysql,
			 .db = db});
}

HOOK my_bool mysql_change_user(MYSQL *mysql, const char *user,
			       const char *passwd, const char *db)
{
	if (!real_bound(REAL_LIBMARIADB))
		return 1;
	return my_call(&(struct my_args){.kind = CHANGE_USER, .mysql = mysql,
			 .user = user, .passwd = passwd, .db = db}) != 0;
}

HOOK void mysql_close(MYSQL *mysql)
{
	if (real_bound(REAL_LIBMARIADB))
		hook_close(&mariadb_engine, mysql, close_handle, false);
}

/* A refusal still stands if the handle has not been used since. */
static bool refused_now(MYSQL *mysql, int *code)
{
	long tag;

	if (!conns_refusal_code(mysql, code, &tag))
		return false;
	if (tag == (long)libmariadb.api.err_no(mysql))
		return true;
	conns_forget_refusal(mysql);
	return false;
}

HOOK const char *mysql_error(MYSQL *mysql)
{
	int code;

	if (!real_bound(REAL_LIBMARIADB))
		return "dbclone: libmariadb is not loaded";
	return refused_now(mysql, &code) ? conns_refusal(mysql, false)
					 : libmariadb.api.error(mysql);
}

HOOK unsigned int mysql_errno(MYSQL *mysql)
{
	int code;

	if (!real_bound(REAL_LIBMARIADB))
		return CR_UNKNOWN_ERROR_CODE;
	return refused_now(mysql, &code) ? (unsigned)code : libmariadb.api.err_no(mysql);
}

const struct hook mariadb_hooks[] = {
	HOOKED(mysql_real_connect), HOOKED(mysql_select_db),
	HOOKED(mysql_change_user), HOOKED(mysql_close), HOOKED(mysql_error),
	HOOKED(mysql_errno), {NULL, NULL},
};
