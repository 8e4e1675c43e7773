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
#include "real.h"
#include "servers.h"
#include "wire.h"

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

static void *open_admin(struct server *s, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	return mysql_admin_connect(&libmariadb.api, (struct mysql_target *)s->info,
				   config_get()->mysql_admin, err, errlen);
}

/* An admin connection idle past the server's wait_timeout, or cut by a
 * restart, is opened again. */
static bool admin_usable(void *admin)
{
	return libmariadb.ping(admin) == 0;
}

static void close_admin(void *admin)
{
	libmariadb.api.close(admin);
}

static const struct admin_ops mysql_admin = {open_admin, admin_usable,
					     close_admin, false};

/* ---- the engine -------------------------------------------------------- */

static bool drop_on(void *admin, void *clone, char *err, size_t errlen)
{
	return mysql_drop(&libmariadb.api, admin, clone, err, errlen);
}

/* DROP DATABASE does not wait for other sessions: force changes nothing. */
static bool drop_mariadb(void *server, const char *clone, bool force, char *err,
			 size_t errlen)
{
	(void)force;
	return server_run(server, &mysql_admin, NULL, drop_on, (void *)clone,
			  err, errlen);
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

static bool clone_on(void *admin, void *arg, char *err, size_t errlen)
{
	struct clone_job *job = arg;
	const struct my_args *a = job->args;
	char why[300];

	if (!mysql_clone(&libmariadb.api, admin, a->db, job->clone, &job->marker,
			 err, errlen))
		return false;
	/* An admin account cloned: the program's account must reach it. */
	if (!config_get()->mysql_admin || !a->target.user[0] ||
	    mysql_grant_clone(&libmariadb.api, admin, job->clone, a->target.user,
			      err, errlen))
		return true;
	mysql_drop(&libmariadb.api, admin, job->clone, why, sizeof(why));
	return false;
}

static bool make_mariadb(struct hook_call *call, unsigned long seq, char *name,
			 size_t namelen, void **server, char *err, size_t errlen)
{
	struct my_args *a = call->args;
	struct clone_job job = {.args = a, .clone = name};
	char id[1200];

	server_id(&a->target, id, sizeof(id));
	snprintf(id + strlen(id), sizeof(id) - strlen(id), " user=%s",
		 a->target.user);
	*server = server_for(id, sizeof(a->target), fill_server, &a->target);
	if (!*server || !clone_name(a->db, seq, MYSQL_NAME_MAX, name, namelen)) {
		snprintf(err, errlen, "dbclone: cannot name a clone of \"%s\"",
			 a->db);
		return false;
	}
	marker_for_self(&job.marker, a->db);
	return server_run(*server, &mysql_admin, call, clone_on, &job, err, errlen);
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
	"mysql", ENGINE_MYSQL, resolve_mariadb, make_mariadb, drop_mariadb,
	describe_mariadb, spec_mariadb, call_mariadb, refuse_mariadb, true,
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
