/* dbclone doctor --mysql: may the account clone its schema (CREATE on
 * dbclone_% or everywhere), who else uses it, what a clone copies. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct where {
	char host[256], user[128], password[256], socket[512], db[256];
	unsigned port;
};

static void parse_where(const char *text, struct where *w)
{
	char *copy = strdup(text ? text : ""), *tok, *save = NULL;

	memset(w, 0, sizeof(*w));
	for (tok = copy ? strtok_r(copy, " ", &save) : NULL; tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "host=", 5))
			snprintf(w->host, sizeof(w->host), "%s", tok + 5);
		else if (!strncmp(tok, "port=", 5))
			w->port = (unsigned)atoi(tok + 5);
		else if (!strncmp(tok, "socket=", 7))
			snprintf(w->socket, sizeof(w->socket), "%s", tok + 7);
		else if (!strncmp(tok, "user=", 5))
			snprintf(w->user, sizeof(w->user), "%s", tok + 5);
		else if (!strncmp(tok, "password=", 9))
			snprintf(w->password, sizeof(w->password), "%s", tok + 9);
		else if (!strncmp(tok, "db=", 3) || !strncmp(tok, "dbname=", 7))
			snprintf(w->db, sizeof(w->db), "%s", strchr(tok, '=') + 1);
	}
	free(copy);
}

/* Each row's first column, joined by "\n" into out. */
static bool rows(const struct mysql_api *api, MYSQL *m, const char *q,
		 char *out, size_t outlen)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	out[0] = '\0';
	if (api->real_query(m, q, (unsigned long)strlen(q)) ||
	    !(res = api->store_result(m)))
		return false;
	while ((row = api->fetch_row(res))) {
		size_t n = strlen(out);

		snprintf(out + n, outlen - n, "%s%s", n ? "\n" : "",
			 row[0] ? row[0] : "");
	}
	api->free_result(res);
	return true;
}

/* CREATE (and DROP) on every schema, or on dbclone\_%, lets it clone. */
static bool may_clone(const char *grants)
{
	for (const char *line = grants; line && *line;) {
		const char *end = strchr(line, '\n');
		char one[1024];

		snprintf(one, sizeof(one), "%.*s", end ? (int)(end - line) : 1023, line);
		if ((strstr(one, " ON *.* ") || strstr(one, " ON `dbclone\\_%`.*")) &&
		    (strstr(one, "ALL PRIVILEGES") ||
		     (strstr(one, "CREATE") && strstr(one, "DROP"))))
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

static void say_schema(const struct mysql_api *api, MYSQL *m, const char *db,
		       check_say_fn *say, void *ctx)
{
	char q[3072], esc[520], counts[256], sessions[2048], text[3000];

	api->real_escape_string(m, esc, db, (unsigned long)strlen(db));
	snprintf(q, sizeof(q), "SELECT CONCAT((SELECT COUNT(*) FROM "
		 "information_schema.TABLES WHERE TABLE_SCHEMA='%s'), ' table(s) "
		 "and view(s), ', (SELECT COUNT(*) FROM information_schema.TRIGGERS "
		 "WHERE TRIGGER_SCHEMA='%s'), ' trigger(s), ', (SELECT COUNT(*) FROM "
		 "information_schema.ROUTINES WHERE ROUTINE_SCHEMA='%s'), "
		 "' routine(s)')", esc, esc, esc);
	rows(api, m, q, counts, sizeof(counts));
	snprintf(text, sizeof(text), "copy path: an in-server copy of \"%s\" (%s): "
		 "CREATE TABLE from SHOW CREATE, INSERT ... SELECT, then views, "
		 "triggers, routines and events", db, counts);
	say("note", text, ctx);
	snprintf(q, sizeof(q), "SELECT CONCAT(ID, ' (', USER, ')') FROM "
		 "information_schema.PROCESSLIST WHERE DB='%s' AND ID <> "
		 "CONNECTION_ID()", esc);
	if (rows(api, m, q, sessions, sizeof(sessions)) && sessions[0]) {
		for (char *c = sessions; *c; c++)
			if (*c == '\n')
				*c = ',';
		snprintf(text, sizeof(text), "other sessions use \"%s\" (%s): a "
			 "copy does not wait for them, but rows they write while it "
			 "runs may or may not be in it", db, sessions);
		say("note", text, ctx);
	}
}

bool mysql_check(const struct mysql_api *api, const char *where_text,
		 check_say_fn *say, void *ctx)
{
	char grants[8192], user[256], text[1024];
	struct where w;
	MYSQL *m;
	bool ok;

	parse_where(where_text, &w);
	if (!(m = api->init(NULL)))
		return false;
	if (!api->real_connect(m, w.host[0] ? w.host : NULL, w.user[0] ? w.user : NULL,
			       w.password[0] ? w.password : NULL,
			       w.db[0] ? w.db : NULL, w.port,
			       w.socket[0] ? w.socket : NULL, 0)) {
		snprintf(text, sizeof(text), "cannot connect as the program would: "
			 "%s", api->error(m));
		say("no", text, ctx);
		api->close(m);
		return false;
	}
	if (!w.db[0] || mysql_is_system_schema(w.db)) {
		say("note", w.db[0] ? "a system schema: connects to it pass through, "
		    "never cloned" : "no schema named (db=...): connects without "
		    "one pass through; name the application's schema", ctx);
	}
	rows(api, m, "SELECT CURRENT_USER()", user, sizeof(user));
	rows(api, m, "SHOW GRANTS", grants, sizeof(grants));
	ok = may_clone(grants) || getenv("DBCLONE_MYSQL_ADMIN");
	snprintf(text, sizeof(text), may_clone(grants) ? "account %s may create "
		 "and drop dbclone_* schemas" : getenv("DBCLONE_MYSQL_ADMIN") ?
		 "account %s may not create dbclone_* schemas itself: "
		 "DBCLONE_MYSQL_ADMIN clones, and grants it each clone" :
		 "account %s may not create dbclone_* schemas; run GRANT ALL ON "
		 "`dbclone\\_%%`.* TO it, or set DBCLONE_MYSQL_ADMIN=user=root",
		 user);
	say(ok ? "ok" : "no", text, ctx);
	if (w.db[0] && !mysql_is_system_schema(w.db))
		say_schema(api, m, w.db, say, ctx);
	api->close(m);
	return ok;
}
