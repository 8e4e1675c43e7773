/* dbclone doctor --pg: may the program's role (or DBCLONE_PG_ADMIN)
 * clone its source, is the source busy, how a clone is copied. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row about the role, the source and its sessions, as the program's
 * own connection sees them. */
static const char role_query[] =
	"SELECT current_user, r.rolcreatedb, r.rolsuper, current_database(), "
	"pg_get_userbyid(d.datdba), pg_has_role(current_user, d.datdba, 'USAGE'), "
	"d.datistemplate, current_setting('server_version_num')::int, "
	"(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
	" AND pid <> pg_backend_pid()), "
	"(SELECT string_agg(pid || ' (' || coalesce(nullif(application_name, ''), "
	" 'no application_name') || ')', ', ') FROM pg_stat_activity "
	" WHERE datname = current_database() AND pid <> pg_backend_pid()), "
	"coalesce(array_length(d.datacl, 1), 0) "
	"FROM pg_roles r, pg_database d "
	"WHERE r.rolname = current_user AND d.datname = current_database()";

static PGconn *connect_to(const struct pg_api *api, const char *conninfo)
{
	const char *keys[] = {"dbname", NULL}, *values[] = {conninfo, NULL};

	return api->connectdbParams(keys, values, 1);
}

static bool is_true(const char *v)
{
	return v && v[0] == 't';
}

/* The admin role, when DBCLONE_PG_ADMIN names one: it clones instead. */
static bool check_admin(const struct pg_api *api, check_say_fn *say, void *ctx)
{
	const char *admin = getenv("DBCLONE_PG_ADMIN");
	char text[1024];
	PGresult *r;
	PGconn *c;
	bool ok;

	if (!admin || !*admin)
		return false;
	c = connect_to(api, admin);
	if (api->status(c) != CONNECTION_OK) {
		snprintf(text, sizeof(text), "DBCLONE_PG_ADMIN cannot connect: %s; "
			 "fix DBCLONE_PG_ADMIN", api->errorMessage(c));
		say("no", text, ctx);
		api->finish(c);
		return true;
	}
	r = api->exec(c, "SELECT current_user, rolcreatedb OR rolsuper FROM "
		      "pg_roles WHERE rolname = current_user");
	ok = api->resultStatus(r) == PGRES_TUPLES_OK && api->ntuples(r) == 1 &&
	     is_true(api->getvalue(r, 0, 1));
	snprintf(text, sizeof(text), ok ? "DBCLONE_PG_ADMIN role \"%s\" clones "
		 "(CREATEDB or superuser); the clones are owned by the program's "
		 "role" : "DBCLONE_PG_ADMIN role \"%s\" may not create databases; "
		 "run ALTER ROLE ... CREATEDB, or name a superuser",
		 api->resultStatus(r) == PGRES_TUPLES_OK && api->ntuples(r) ?
		 api->getvalue(r, 0, 0) : "?");
	say(ok ? "ok" : "no", text, ctx);
	api->clear(r);
	api->finish(c);
	return true;
}

/* The program's role clones itself: CREATEDB, and the source its own
 * (or a template). r is role_query's row. */
static bool check_role(const struct pg_api *api, PGresult *r,
		       check_say_fn *say, void *ctx)
{
	char text[2048];

#define V(i) api->getvalue(r, 0, i)
	bool may_create = is_true(V(1)) || is_true(V(2));
	bool may_copy = is_true(V(2)) || is_true(V(5)) || is_true(V(6));

	snprintf(text, sizeof(text), may_create ? "role \"%s\" may create "
		 "databases" : "role \"%s\" may not create databases; run "
		 "ALTER ROLE \"%s\" CREATEDB, or set DBCLONE_PG_ADMIN to a "
		 "role that may", V(0), V(0));
	say(may_create ? "ok" : "no", text, ctx);
	if (may_copy)
		snprintf(text, sizeof(text), "role \"%s\" may copy \"%s\" (%s)",
			 V(0), V(3), is_true(V(2)) ? "superuser" :
			 is_true(V(5)) ? "it owns the source" :
			 "the source is a template");
	else
		snprintf(text, sizeof(text), "role \"%s\" may not use \"%s\" "
			 "as a template: it is owned by \"%s\" and not marked "
			 "a template; run ALTER DATABASE \"%s\" IS_TEMPLATE "
			 "true, or set DBCLONE_PG_ADMIN", V(0), V(3), V(4), V(3));
	say(may_copy ? "ok" : "no", text, ctx);
	return may_create && may_copy;
#undef V
}

static void say_copy_path(int version, check_say_fn *say, void *ctx)
{
	char text[512];

	snprintf(text, sizeof(text), "copy path: CREATE DATABASE ... TEMPLATE "
		 "(server %d.%d, %s), then the source's database settings, "
		 "per-role settings and grants; under dbclone run once into a "
		 "golden copy, and every clone from it", version / 10000,
		 version % 10000 / 100 ? version % 10000 / 100 : version % 100,
		 version >= 150000 ? "strategy WAL_LOG, the default: block by "
		 "block through the WAL" : "a file-by-file copy");
	say("note", text, ctx);
}

bool pg_check(const struct pg_api *api, const char *conninfo,
	      check_say_fn *say, void *ctx)
{
	PGconn *c = connect_to(api, conninfo);
	bool ok = true;
	char text[2048];
	PGresult *r;

	if (api->status(c) != CONNECTION_OK) {
		snprintf(text, sizeof(text), "cannot connect to the source as the "
			 "program would: %s", api->errorMessage(c));
		say("no", text, ctx);
		api->finish(c);
		return false;
	}
	r = api->exec(c, role_query);
	if (api->resultStatus(r) != PGRES_TUPLES_OK || api->ntuples(r) != 1) {
		snprintf(text, sizeof(text), "cannot read the role and source: %s",
			 api->errorMessage(c));
		say("no", text, ctx);
		api->clear(r);
		api->finish(c);
		return false;
	}
#define V(i) api->getvalue(r, 0, i)
	if (pg_is_maintenance_db(V(3))) {
		snprintf(text, sizeof(text), "\"%s\" is a maintenance database: "
			 "connects to it pass through, never cloned; name the "
			 "application's database (dbname=...)", V(3));
		say("note", text, ctx);
	}
	if (!check_admin(api, say, ctx))
		ok = check_role(api, r, say, ctx);
	if (atoi(V(8)) > 0) {
		snprintf(text, sizeof(text), "the source \"%s\" is busy: %s other "
			 "session(s) connected (%s); a clone outside dbclone run fails "
			 "while they are; under dbclone run only the first copy (the "
			 "golden) needs them gone: close them, or exclude their program",
			 V(3), V(8), V(9));
		say("no", text, ctx);
		ok = false;
	} else {
		snprintf(text, sizeof(text), "the source \"%s\" has no other session",
			 V(3));
		say("ok", text, ctx);
	}
	snprintf(text, sizeof(text), "grants: %s database-level entr%s of \"%s\" "
		 "copied to each clone, which the program's role owns", V(10),
		 atoi(V(10)) == 1 ? "y" : "ies", V(3));
	say("note", text, ctx);
	say_copy_path(atoi(V(7)), say, ctx);
#undef V
	api->clear(r);
	api->finish(c);
	return ok;
}
