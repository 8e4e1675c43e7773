/* MySQL/MariaDB behind the engine table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "mariadb.h"
#include "mariadb_paths.h"

static const char *my_source_of(const struct spec *sp)
{
	return sp->mysql.database;
}

/* What the run's sweep needs to reach the server; no password. */
static void my_describe(const struct spec *sp, char *out, size_t outlen)
{
	snprintf(out, outlen, "host=%s port=%u socket=%s user=%s", sp->mysql.host,
		 sp->mysql.port, sp->mysql.socket, sp->mysql.user);
}

static bool my_from_description(struct spec *sp, const char *where)
{
	char *copy = where ? strdup(where) : NULL, *tok, *save = NULL;

	memset(sp, 0, sizeof(*sp));
	sp->ops = &engine_mysql;
	for (tok = copy ? strtok_r(copy, " ", &save) : NULL; tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "host=", 5))
			snprintf(sp->mysql.host, sizeof(sp->mysql.host), "%s", tok + 5);
		else if (!strncmp(tok, "port=", 5))
			sp->mysql.port = (unsigned)atoi(tok + 5);
		else if (!strncmp(tok, "socket=", 7))
			snprintf(sp->mysql.socket, sizeof(sp->mysql.socket), "%s",
				 tok + 7);
		else if (!strncmp(tok, "user=", 5))
			snprintf(sp->mysql.user, sizeof(sp->mysql.user), "%s", tok + 5);
	}
	free(copy);
	return true;
}

static bool my_server_named(void)
{
	return getenv("DBCLONE_MYSQL_ADMIN") || getenv("MYSQL_UNIX_PORT") ||
	       getenv("MYSQL_TCP_PORT");
}

static void target_of(const struct spec *sp, struct mysql_target *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->host, sizeof(t->host), "%s", sp->mysql.host);
	t->port = sp->mysql.port;
	snprintf(t->socket, sizeof(t->socket), "%s", sp->mysql.socket);
	snprintf(t->user, sizeof(t->user), "%s", sp->mysql.user);
	snprintf(t->passwd, sizeof(t->passwd), "%s", sp->mysql.password);
}

static bool my_open(const struct spec *sp, void **admin, struct failure *f)
{
	struct mysql_target t;

	target_of(sp, &t);
	*admin = mysql_admin_open(engine_mysql_api, &t, engine_mysql_admin, f);
	return *admin != NULL;
}

/* A round trip, as mysql_ping would (which the api table has not). */
static bool my_alive(void *admin)
{
	return engine_mysql_api->real_query(admin, "DO 0", 4) == 0;
}

static void my_close(void *admin)
{
	engine_mysql_api->close(admin);
}

static void my_key(const struct spec *sp, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s %u %s %s", sp->mysql.host, sp->mysql.port,
		 sp->mysql.socket, sp->mysql.user);
}

static bool my_clone_name(const struct spec *sp, unsigned long seq,
			  char *name, size_t namelen)
{
	return clone_name(sp->mysql.database, seq, MYSQL_NAME_MAX, name, namelen);
}

static bool my_clone(void *admin, const struct spec *sp, const char *from,
		     unsigned long seq, unsigned flags, const struct marker *m,
		     char *name, size_t namelen, struct failure *f)
{
	const struct mysql_api *api = engine_mysql_api;
	struct mysql_target t;
	char why[300];

	if (!my_clone_name(sp, seq, name, namelen))
		return fail(f, FAIL_INVALID, "dbclone: no room for a clone name");
	/* A live from (the setup) is copied under one lock; a frozen one (a
	 * golden, a layer) may go by files or over several connections. */
	target_of(sp, &t);
	if (!mysql_clone_by_path(api, admin, &t, engine_mysql_admin,
				 sp->mysql.database, from, flags & CLONE_LIVE,
				 name, m, f))
		return false;
	/* The server reads a schema's options at its first use: the copy's
	 * USE did that, ahead of the test's first connect. */
	/* A golden or layer is only copied from, by the admin account. */
	if (flags & CLONE_FREEZE || !engine_mysql_admin || !sp->mysql.user[0] ||
	    mysql_grant_clone(api, admin, name, sp->mysql.user, f->why,
			      sizeof(f->why)))
		return true;
	f->kind = FAIL_REFUSED;
	mysql_drop(api, admin, name, why, sizeof(why));
	return false;
}

/* A stamp that only says "nobody is on it": a copy taken while no
 * session was on it is of its state until the next connect under its key
 * (which the caller counts). */
static bool my_stamp(void *admin, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "quiet");
	return mysql_quiet(engine_mysql_api, admin, name);
}

static bool my_drop(void *admin, const char *name, struct failure *f)
{
	f->kind = FAIL_INVALID;
	return mysql_drop(engine_mysql_api, admin, name, f->why, sizeof(f->why));
}

static bool my_list(void *admin, engine_list_fn fn, void *ctx,
		    struct failure *f)
{
	f->kind = FAIL_INVALID;
	return mysql_list(engine_mysql_api, admin, fn, ctx, f->why,
			  sizeof(f->why));
}

static bool my_mark(void *admin, const char *name, const struct marker *m)
{
	struct failure f;

	return mysql_write_marker(engine_mysql_api, admin, name, m, &f);
}

static void my_command(const struct spec *sp, const char *name, char *out,
		       size_t outlen)
{
	char port[16] = "";

	if (sp->mysql.port)
		snprintf(port, sizeof(port), "%u", sp->mysql.port);
	snprintf(out, outlen, "mariadb%s%s%s%s%s%s -u '%s' '%s'",
		 sp->mysql.host[0] ? " -h " : "", sp->mysql.host,
		 sp->mysql.socket[0] ? " -S " : "", sp->mysql.socket,
		 port[0] ? " -P " : "", port, sp->mysql.user, name);
}

const struct engine_ops engine_mysql = {
	.name = "mysql",
	.layout = &spec_layout_mysql,
	.source = my_source_of,
	.describe = my_describe,
	.from_description = my_from_description,
	.server_named = my_server_named,
	.admin_open = my_open,
	.admin_alive = my_alive,
	.admin_close = my_close,
	.admin_key = my_key,
	.clone_name = my_clone_name,
	.clone = my_clone,
	.stamp = my_stamp,
	.freeze_layers = true,
	.stamp_at_take_only = true,
	.drop = my_drop,
	.list = my_list,
	.write_marker = my_mark,
	.connect_command = my_command,
};
