/* MySQL/MariaDB: an in-server copy of a schema, drop, list, mark. */
#include "mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mariadb_files.h"
#include "strbuf.h"
#include "testhook.h"

bool mysql_is_system_schema(const char *db)
{
	static const char *const system[] = {"mysql", "information_schema",
					     "performance_schema", "sys", NULL};

	for (int i = 0; system[i]; i++)
		if (!strcmp(db, system[i]))
			return true;
	return false;
}

/* ---- SQL text ---------------------------------------------------------- */

static void add_ident(struct strbuf *b, const char *name)
{
	strbuf_add(b, "`");
	for (const char *p = name; *p; p++)
		strbuf_add(b, *p == '`' ? "``" : (char[]){*p, '\0'});
	strbuf_add(b, "`");
}

static void add_literal(const struct mysql_api *api, MYSQL *conn,
			struct strbuf *b, const char *text)
{
	size_t n = strlen(text);
	char *esc = malloc(n * 2 + 1);

	if (!esc)
		abort();
	api->real_escape_string(conn, esc, text, (unsigned long)n);
	strbuf_add(b, "'");
	strbuf_add(b, esc);
	strbuf_add(b, "'");
	free(esc);
}

/* Runs a multi-statement batch to its end, results thrown away. */
static bool run_batch(const struct mysql_api *api, MYSQL *conn, const char *sql)
{
	int more;

	if (api->real_query(conn, sql, (unsigned long)strlen(sql)) != 0)
		return false;
	do {
		MYSQL_RES *res = api->store_result(conn);

		if (res)
			api->free_result(res);
		else if (api->err_no(conn))
			return false;
		more = api->next_result(conn);
		if (more > 0)
			return false;
	} while (more == 0);
	return true;
}

/* The results of a multi-statement query, one after the other. */
struct results {
	MYSQL_RES **sets;
	size_t n;
};

static bool fetch_all(const struct mysql_api *api, MYSQL *conn, const char *sql,
		      struct results *r)
{
	int more;

	memset(r, 0, sizeof(*r));
	if (api->real_query(conn, sql, (unsigned long)strlen(sql)) != 0)
		return false;
	do {
		MYSQL_RES *res = api->store_result(conn);

		if (!res && api->err_no(conn))
			return false;
		r->sets = realloc(r->sets, (r->n + 1) * sizeof(*r->sets));
		if (!r->sets)
			abort();
		r->sets[r->n++] = res;
		more = api->next_result(conn);
		if (more > 0)
			return false;
	} while (more == 0);
	return true;
}

static void free_results(const struct mysql_api *api, struct results *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->sets[i])
			api->free_result(r->sets[i]);
	free(r->sets);
	memset(r, 0, sizeof(*r));
}

/* ---- admin connection -------------------------------------------------- */

/* DBCLONE_MYSQL_ADMIN: "user=root password=secret host=h port=3306 socket=/p" */
static bool parse_admin(const char *admin, struct mysql_target *t)
{
	char *copy = strdup(admin), *tok, *save = NULL;
	bool ok = true;

	if (!copy)
		return false;
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq) {
			ok = false;
			break;
		}
		*eq++ = '\0';
		if (!strcmp(tok, "user"))
			snprintf(t->user, sizeof(t->user), "%s", eq);
		else if (!strcmp(tok, "password"))
			snprintf(t->passwd, sizeof(t->passwd), "%s", eq);
		else if (!strcmp(tok, "host"))
			snprintf(t->host, sizeof(t->host), "%s", eq);
		else if (!strcmp(tok, "socket"))
			snprintf(t->socket, sizeof(t->socket), "%s", eq);
		else if (!strcmp(tok, "port"))
			t->port = (unsigned)atoi(eq);
		else
			ok = false;
	}
	free(copy);
	return ok;
}

MYSQL *mysql_admin_open(const struct mysql_api *api,
			const struct mysql_target *t, const char *admin,
			struct failure *f)
{
	struct mysql_target a = *t;
	MYSQL *conn;
	char why[400];

	if (admin && *admin && !parse_admin(admin, &a)) {
		fail(f, FAIL_INVALID, "dbclone: DBCLONE_MYSQL_ADMIN=\"%s\" is not "
		     "valid; use e.g. \"user=root password=secret\"", admin);
		return NULL;
	}
	if (!(conn = api->init(NULL))) {
		fail(f, FAIL_BUSY, "dbclone: out of memory");
		return NULL;
	}
	if (!api->real_connect(conn, a.host[0] ? a.host : NULL,
			       a.user[0] ? a.user : NULL,
			       a.passwd[0] ? a.passwd : NULL, NULL, a.port,
			       a.socket[0] ? a.socket : NULL,
			       CLIENT_MULTI_STATEMENTS)) {
		enum fail_kind kind = fail_kind_mysql(api->err_no(conn));

		one_line(why, sizeof(why), api->error(conn));
		fail(f, kind ? kind : FAIL_GONE, "dbclone: cannot reach the MariaDB "
		     "server to clone (%s); start the server or fix the connection "
		     "options%s", why, admin && *admin ? " in DBCLONE_MYSQL_ADMIN" : "");
		api->close(conn);
		return NULL;
	}
	return conn;
}

bool mysql_write_marker(const struct mysql_api *api, MYSQL *admin,
			const char *clone, const struct marker *m,
			struct failure *f)
{
	char text[MARKER_MAX], why[400];
	struct strbuf q = {0};
	bool ok;

	marker_format(m, text, sizeof(text));
	strbuf_add(&q, "ALTER DATABASE ");
	add_ident(&q, clone);
	strbuf_add(&q, " COMMENT ");
	add_literal(api, admin, &q, text);
	if (!(ok = run_batch(api, admin, q.s))) {
		one_line(why, sizeof(why), api->error(admin));
		fail(f, fail_kind_mysql(api->err_no(admin)), "dbclone: cannot mark "
		     "clone \"%s\": %s", clone, why);
	}
	strbuf_free(&q);
	return ok;
}

/* ---- the clone --------------------------------------------------------- */

/* What the source holds, read in one round trip. */
enum { R_SCHEMA, R_USER, R_TABLES, R_COLUMNS, R_TRIGGERS, R_ROUTINES, R_EVENTS,
       R_COUNT };

static void inventory_sql(const struct mysql_api *api, MYSQL *admin,
			  const char *source, struct strbuf *q)
{
	static const char *const parts[] = {
		"SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
		"FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ",
		"SELECT CURRENT_USER() FROM DUAL WHERE 1 OR ",
		"SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
		"WHERE TABLE_SCHEMA = ",
		"SELECT TABLE_NAME, GROUP_CONCAT(CONCAT('`', REPLACE(COLUMN_NAME, "
		"'`', '``'), '`') ORDER BY ORDINAL_POSITION) FROM "
		"information_schema.COLUMNS WHERE IS_GENERATED = 'NEVER' AND "
		"TABLE_SCHEMA = ",
		"SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE "
		"TRIGGER_SCHEMA = ",
		"SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
		"WHERE ROUTINE_SCHEMA = ",
		"SELECT EVENT_NAME FROM information_schema.EVENTS WHERE "
		"EVENT_SCHEMA = ",
	};
	static const char *const tails[] = {
		"", "", " ORDER BY TABLE_NAME", " GROUP BY TABLE_NAME",
		" ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER", "", "",
	};

	for (int i = 0; i < R_COUNT; i++) {
		strbuf_add(q, parts[i]);
		add_literal(api, admin, q, source);
		strbuf_add(q, tails[i]);
		strbuf_add(q, ";");
	}
}

/* The value of column col in the row of set whose first column is key. */
static const char *lookup(const struct mysql_api *api, MYSQL_RES *set,
			  const char *key, unsigned col)
{
	MYSQL_ROW row;

	api->data_seek(set, 0);
	while ((row = api->fetch_row(set)))
		if (row[0] && !strcmp(row[0], key))
			return row[col];
	return NULL;
}

/* Removes "DEFINER=`u`@`h` ": the clone's objects belong to the account
 * that clones, which may not name another definer. */
static void strip_definer(char *stmt)
{
	char *d = strstr(stmt, "DEFINER=");
	char *end;

	if (!d)
		return;
	end = d + 8;
	for (int part = 0; part < 2; part++) {
		if (*end == '`') {
			for (end++; *end && !(*end == '`' && end[1] != '`'); end++)
				if (*end == '`')
					end++;
			if (*end)
				end++;
		} else {
			end += strcspn(end, "@ ");
		}
		if (part == 0 && *end == '@')
			end++;
	}
	while (*end == ' ')
		end++;
	memmove(d, end, strlen(end) + 1);
}

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '`' ||
	       (unsigned char)c >= 0x80;
}

/* Adds stmt with every reference to the source schema, "`source`." or a
 * bare "source." as bodies are stored as written, turned into "`clone`.":
 * a trigger or routine of the clone must never write to the source. */
static void add_rewritten(struct strbuf *b, const char *stmt, const char *source,
			  const char *clone)
{
	struct strbuf quoted = {0}, to = {0};
	size_t n = strlen(source);

	add_ident(&quoted, source);
	strbuf_add(&quoted, ".");
	add_ident(&to, clone);
	strbuf_add(&to, ".");
	for (const char *p = stmt; *p;) {
		if (!strncmp(p, quoted.s, quoted.len)) {
			strbuf_add(b, to.s);
			p += quoted.len;
		} else if (!strncmp(p, source, n) && p[n] == '.' &&
			   (p == stmt || !is_ident_char(p[-1]))) {
			strbuf_add(b, to.s);
			p += n + 1;
		} else {
			strbuf_addn(b, p++, 1);
		}
	}
	strbuf_free(&quoted);
	strbuf_free(&to);
}

static void add_object(const struct mysql_api *api, MYSQL *admin,
		       struct strbuf *b, const char *sql_mode,
		       const char *time_zone, char *stmt, const char *source,
		       const char *clone)
{
	if (sql_mode) {
		strbuf_add(b, "SET SESSION sql_mode = ");
		add_literal(api, admin, b, sql_mode);
		strbuf_add(b, ";");
	}
	if (time_zone) {
		strbuf_add(b, "SET SESSION time_zone = ");
		add_literal(api, admin, b, time_zone);
		strbuf_add(b, ";");
	}
	strip_definer(stmt);
	add_rewritten(b, stmt, source, clone);
	strbuf_add(b, ";\n");
}

static void say(struct failure *f, const struct mysql_api *api, MYSQL *admin,
		const char *what, const char *source, const char *account)
{
	char why[400];
	unsigned code = api->err_no(admin);
	enum fail_kind kind = fail_kind_mysql(code);

	one_line(why, sizeof(why), api->error(admin));
	if (kind == FAIL_REFUSED)
		fail(f, kind, "dbclone: account %s may not %s, so \"%s\" "
		     "cannot be cloned (%s); run GRANT ALL ON `dbclone\\_%%`.* "
		     "TO %s, or set DBCLONE_MYSQL_ADMIN to an account that may",
		     account, what, source, why, account);
	else
		fail(f, kind ? kind : FAIL_INVALID, "dbclone: cannot %s to clone "
		     "\"%s\": %s", what, source, why);
}

/* "VERB `schema`.`name`;" */
static void add_on_object(struct strbuf *b, const char *verb,
			  const char *schema, const char *name)
{
	strbuf_add(b, verb);
	strbuf_add(b, " ");
	add_ident(b, schema);
	strbuf_add(b, ".");
	add_ident(b, name);
	strbuf_add(b, ";");
}

/* One clone being made: what the source holds, and the batches built
 * from it; list holds the base tables one by one, and setvals the
 * sequences' values, for the paths that move rows another way. */
struct copy {
	const struct mysql_api *api;
	MYSQL *admin;
	const char *source, *clone;
	char account[200];
	struct results inv, shown;
	struct strbuf tables, rows, late, setvals;
	/* A live source (the setup, which sessions may be writing): its
	 * tables are read under one lock, so the copy is of one moment. */
	bool live;
	struct strbuf locks;
	struct strbuf *views;
	size_t nviews;
	struct mysql_table *list;
	size_t nlist;
	struct failure *f;
};

/* SHOW CREATE for every object, in one round trip, in the order they are
 * read back. */
static bool ask_definitions(struct copy *c)
{
	const struct mysql_api *api = c->api;
	struct strbuf q = {0};
	MYSQL_ROW row;
	bool ok;

	api->data_seek(c->inv.sets[R_TABLES], 0);
	while ((row = api->fetch_row(c->inv.sets[R_TABLES]))) {
		bool seq = !strcmp(row[1], "SEQUENCE"), view = !strcmp(row[1], "VIEW");

		add_on_object(&q, view ? "SHOW CREATE VIEW" :
			      seq ? "SHOW CREATE SEQUENCE" : "SHOW CREATE TABLE",
			      c->source, row[0]);
		if (seq)
			add_on_object(&q, "SELECT next_not_cached_value FROM",
				      c->source, row[0]);
	}
	api->data_seek(c->inv.sets[R_TRIGGERS], 0);
	while ((row = api->fetch_row(c->inv.sets[R_TRIGGERS])))
		add_on_object(&q, "SHOW CREATE TRIGGER", c->source, row[0]);
	api->data_seek(c->inv.sets[R_ROUTINES], 0);
	while ((row = api->fetch_row(c->inv.sets[R_ROUTINES]))) {
		char verb[64];

		snprintf(verb, sizeof(verb), "SHOW CREATE %s", row[0]);
		add_on_object(&q, verb, c->source, row[1]);
	}
	api->data_seek(c->inv.sets[R_EVENTS], 0);
	while ((row = api->fetch_row(c->inv.sets[R_EVENTS])))
		add_on_object(&q, "SHOW CREATE EVENT", c->source, row[0]);
	if (!q.len)
		return true; /* an empty schema */
	ok = fetch_all(api, c->admin, q.s, &c->shown);
	strbuf_free(&q);
	if (!ok)
		say(c->f, api, c->admin, "read the source's definitions",
		    c->source, c->account);
	return ok;
}

/* The table (or view, or sequence) of row, from its answers at *k. */
static bool add_table(struct copy *c, MYSQL_ROW row, size_t *k)
{
	const struct mysql_api *api = c->api;
	bool seq = !strcmp(row[1], "SEQUENCE"), view = !strcmp(row[1], "VIEW");
	MYSQL_ROW def = api->fetch_row(c->shown.sets[(*k)++]), next;

	if (!def || !def[1])
		return false;
	if (view) {
		/* Views go one by one: one may use another. */
		add_object(api, c->admin, &c->views[c->nviews++], NULL, NULL,
			   def[1], c->source, c->clone);
		return true;
	}
	strbuf_add(&c->tables, def[1]);
	strbuf_add(&c->tables, ";\n");
	strbuf_add(&c->locks, c->locks.len ? ", " : "LOCK TABLES ");
	if (!seq) {
		add_ident(&c->locks, c->source);
		strbuf_add(&c->locks, ".");
		add_ident(&c->locks, row[0]);
		strbuf_add(&c->locks, " READ, ");
	}
	add_ident(&c->locks, c->clone);
	strbuf_add(&c->locks, ".");
	add_ident(&c->locks, row[0]);
	strbuf_add(&c->locks, " WRITE");
	if (seq) {
		struct strbuf setval = {0};

		next = api->fetch_row(c->shown.sets[(*k)++]);
		if (!next || !next[0])
			return false;
		strbuf_add(&setval, "SELECT SETVAL(");
		add_ident(&setval, row[0]);
		strbuf_addf(&setval, ", %s, 0);\n", next[0]);
		strbuf_add(&c->rows, setval.s);
		strbuf_add(&c->setvals, setval.s);
		strbuf_free(&setval);
	} else {
		const char *cols = lookup(api, c->inv.sets[R_COLUMNS], row[0], 1);
		struct mysql_table *t = &c->list[c->nlist++];

		t->name = row[0];
		t->cols = cols;
		t->create = def[1];
		strbuf_add(&c->rows, "INSERT INTO ");
		add_ident(&c->rows, row[0]);
		strbuf_addf(&c->rows, " (%s) SELECT %s FROM ", cols, cols);
		add_ident(&c->rows, c->source);
		strbuf_add(&c->rows, ".");
		add_ident(&c->rows, row[0]);
		strbuf_add(&c->rows, ";\n");
	}
	return true;
}

/* The create batches, from the answers to ask_definitions. */
static bool build_creates(struct copy *c)
{
	const struct mysql_api *api = c->api;
	MYSQL_ROW row, def;
	size_t k = 0;

	api->data_seek(c->inv.sets[R_TABLES], 0);
	while ((row = api->fetch_row(c->inv.sets[R_TABLES])))
		if (!add_table(c, row, &k))
			goto hidden;
	/* Triggers after the rows, so that copying fires none of them; then
	 * routines and events, in the order they were asked for. */
	for (unsigned long long i = 0; i < api->num_rows(c->inv.sets[R_TRIGGERS]) +
				   api->num_rows(c->inv.sets[R_ROUTINES]); i++) {
		if (!(def = api->fetch_row(c->shown.sets[k++])) || !def[2])
			goto hidden;
		add_object(api, c->admin, &c->late, def[1], NULL, def[2],
			   c->source, c->clone);
	}
	for (; k < c->shown.n; k++) {
		if (!(def = api->fetch_row(c->shown.sets[k])) || !def[3])
			goto hidden;
		add_object(api, c->admin, &c->late, def[1], def[2], def[3],
			   c->source, c->clone);
	}
	return true;
hidden:
	/* SHOW CREATE hides a routine's body from an account that is not its
	 * definer: copying without it would change the schema. */
	return fail(c->f, FAIL_REFUSED, "dbclone: account %s may not read every "
		    "definition in \"%s\" (SHOW CREATE returned none), so it cannot "
		    "be cloned faithfully; set DBCLONE_MYSQL_ADMIN to an account "
		    "that may (one with SELECT on mysql.proc, or the definer)",
		    c->account, c->source);
}

/* Reads the source's catalog; names the account for the messages. */
static bool read_catalog(struct copy *c)
{
	const struct mysql_api *api = c->api;
	struct strbuf q = {0};
	MYSQL_ROW row;
	bool ok;

	inventory_sql(api, c->admin, c->source, &q);
	ok = fetch_all(api, c->admin, q.s, &c->inv) && c->inv.n >= R_COUNT;
	strbuf_free(&q);
	if (!ok) {
		say(c->f, api, c->admin, "read the source's catalog", c->source,
		    c->account);
		return false;
	}
	if ((row = api->fetch_row(c->inv.sets[R_USER])) && row[0]) {
		char *at = strchr(row[0], '@');

		if (at)
			snprintf(c->account, sizeof(c->account), "'%.*s'@'%s'",
				 (int)(at - row[0]), row[0], at + 1);
	}
	return true;
}

static bool create_schema(struct copy *c, const struct marker *m)
{
	MYSQL_ROW row = c->api->fetch_row(c->inv.sets[R_SCHEMA]);
	char marker[MARKER_MAX];
	struct strbuf q = {0};
	bool ok;

	if (!row)
		return fail(c->f, FAIL_INVALID, "dbclone: source database \"%s\" "
			    "does not exist on the server; create it, or point the "
			    "program at an existing database", c->source);
	marker_format(m, marker, sizeof(marker));
	strbuf_add(&q, "CREATE DATABASE ");
	add_ident(&q, c->clone);
	strbuf_addf(&q, " CHARACTER SET %s COLLATE %s COMMENT ", row[0], row[1]);
	add_literal(c->api, c->admin, &q, marker);
	/* The marker is made with the schema: no window without it. */
	test_phase("create", c->clone);
	ok = run_batch(c->api, c->admin, q.s);
	strbuf_free(&q);
	if (!ok)
		say(c->f, c->api, c->admin, "create databases", c->source, c->account);
	else
		test_phase("created", c->clone);
	return ok;
}

/* Views in rounds (a view may use one later in the list): each round
 * creates what it can, until none is left; a round that creates none is
 * an error. */
static bool create_views(struct copy *c)
{
	for (size_t left = c->nviews; left;) {
		size_t before = left;

		for (size_t i = 0; i < c->nviews; i++) {
			if (!c->views[i].s || !run_batch(c->api, c->admin, c->views[i].s))
				continue;
			strbuf_free(&c->views[i]);
			left--;
		}
		if (left == before) {
			say(c->f, c->api, c->admin, "create a view", c->source,
			    c->account);
			return false;
		}
	}
	return true;
}

/* "USE clone" with checks off while copying, so that foreign keys hold
 * whatever the order; the settings before are kept for finish_clone. */
static void add_session_start(struct copy *c, struct strbuf *batch)
{
	strbuf_add(batch, "USE ");
	add_ident(batch, c->clone);
	strbuf_add(batch, ";SET @dbclone_fk = @@foreign_key_checks, "
		   "@dbclone_uc = @@unique_checks, @dbclone_mode = @@sql_mode, "
		   "@dbclone_tz = @@time_zone; SET SESSION foreign_key_checks = 0, "
		   "unique_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO';\n");
}

/* After the rows: views, triggers, routines and events; then the admin
 * session leaves the clone as it came. */
static bool finish_clone(struct copy *c, bool ok)
{
	if (ok && !create_views(c))
		ok = false;
	else if (ok && c->late.len && !run_batch(c->api, c->admin, c->late.s)) {
		say(c->f, c->api, c->admin, "create triggers, routines and events",
		    c->source, c->account);
		ok = false;
	}
	/* The admin session leaves the clone: a drop of it by another admin
	 * session (the run supervisor has one per thread) cuts the sessions
	 * in it, and must not cut this one. */
	run_batch(c->api, c->admin, "UNLOCK TABLES; USE information_schema; "
		  "SET SESSION foreign_key_checks = @dbclone_fk, unique_checks = "
		  "@dbclone_uc, sql_mode = @dbclone_mode, time_zone = @dbclone_tz, "
		  "lock_wait_timeout = IFNULL(@dbclone_lwt, @@lock_wait_timeout)");
	return ok;
}

/* One round trip for the schema and the data; then views, triggers,
 * routines and events. */
static bool fill_clone(struct copy *c)
{
	struct strbuf batch = {0};
	bool ok;

	add_session_start(c, &batch);
	strbuf_add(&batch, c->tables.s);
	if (c->live && c->locks.len) {
		/* Writers wait for the copy; a session that holds the setup's
		 * tables in an open transaction fails it after 30 s, rather
		 * than stalling the run. */
		strbuf_add(&batch, "SET @dbclone_lwt = @@lock_wait_timeout; SET "
			   "SESSION lock_wait_timeout = 30;\n");
		strbuf_add(&batch, c->locks.s);
		strbuf_add(&batch, ";\n");
	}
	strbuf_add(&batch, c->rows.s);
	if (c->live && c->locks.len)
		strbuf_add(&batch, "UNLOCK TABLES;\n");
	ok = run_batch(c->api, c->admin, batch.s);
	strbuf_free(&batch);
	if (!ok)
		say(c->f, c->api, c->admin, "copy tables and rows", c->source,
		    c->account);
	return finish_clone(c, ok);
}

/* For a frozen source only (never written: no lock is needed): the
 * tables and sequences in one round trip, the rows of the tables as
 * rows() moves them, then what comes after the rows. */
static bool fill_clone_by(struct copy *c, mysql_rows_fn rows, void *ctx)
{
	struct strbuf batch = {0};
	bool ok;

	add_session_start(c, &batch);
	strbuf_add(&batch, c->tables.s);
	strbuf_add(&batch, c->setvals.s);
	ok = run_batch(c->api, c->admin, batch.s);
	strbuf_free(&batch);
	if (!ok)
		say(c->f, c->api, c->admin, "create tables", c->source, c->account);
	else
		ok = rows(c->admin, c->list, c->nlist, ctx, c->f);
	return finish_clone(c, ok);
}

static void free_copy(struct copy *c)
{
	for (size_t i = 0; i < c->nviews; i++)
		strbuf_free(&c->views[i]);
	free(c->views);
	free(c->list);
	free_results(c->api, &c->inv);
	free_results(c->api, &c->shown);
	strbuf_free(&c->tables);
	strbuf_free(&c->rows);
	strbuf_free(&c->late);
	strbuf_free(&c->setvals);
	strbuf_free(&c->locks);
}

/* The copy itself, with rows moved by rows(ctx), or (NULL) in one batch,
 * for mysql_copy, mysql_copy_live and mysql_copy_by. */
static bool copy_whole(struct copy *c, const struct marker *m,
		       mysql_rows_fn rows, void *ctx)
{
	const struct mysql_api *api = c->api;
	unsigned long long total;
	bool ok = false;

	c->f->kind = FAIL_NONE;
	if (!read_catalog(c) || !create_schema(c, m)) {
		free_copy(c);
		return false;
	}
	total = api->num_rows(c->inv.sets[R_TABLES]);
	if (!(c->views = calloc(total ? total : 1, sizeof(*c->views))) ||
	    !(c->list = calloc(total ? total : 1, sizeof(*c->list))))
		abort();
	ok = ask_definitions(c) && build_creates(c) &&
	     (rows ? fill_clone_by(c, rows, ctx) : fill_clone(c));
	if (!ok) {
		char why[300];

		/* No half-made clone is ever left. */
		mysql_drop(api, c->admin, c->clone, why, sizeof(why));
	}
	free_copy(c);
	return ok;
}

bool mysql_copy(const struct mysql_api *api, MYSQL *admin, const char *source,
		const char *clone, const struct marker *m, struct failure *f)
{
	struct copy c = {.api = api, .admin = admin, .source = source,
			 .clone = clone, .account = "this account", .f = f};

	return copy_whole(&c, m, NULL, NULL);
}

bool mysql_copy_live(const struct mysql_api *api, MYSQL *admin,
		     const char *source, const char *clone,
		     const struct marker *m, struct failure *f)
{
	struct copy c = {.api = api, .admin = admin, .source = source,
			 .clone = clone, .account = "this account", .f = f,
			 .live = true};

	return copy_whole(&c, m, NULL, NULL);
}

bool mysql_copy_by(const struct mysql_api *api, MYSQL *admin,
		   const char *source, const char *clone,
		   const struct marker *m, mysql_rows_fn rows, void *ctx,
		   struct failure *f)
{
	struct copy c = {.api = api, .admin = admin, .source = source,
			 .clone = clone, .account = "this account", .f = f};

	return copy_whole(&c, m, rows, ctx);
}

bool mysql_quiet(const struct mysql_api *api, MYSQL *admin, const char *name)
{
	struct strbuf q = {0};
	struct results r;
	MYSQL_ROW row;
	bool quiet;

	strbuf_add(&q, "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
		   "WHERE ID <> CONNECTION_ID() AND DB = ");
	add_literal(api, admin, &q, name);
	quiet = fetch_all(api, admin, q.s, &r) && r.n == 1 && r.sets[0] &&
		(row = api->fetch_row(r.sets[0])) && row[0] && !strcmp(row[0], "0");
	free_results(api, &r);
	strbuf_free(&q);
	return quiet;
}

/* Runs, for every account with a row in table (mysql.user or mysql.db)
 * matching column = value, "verb ... ON `clone`.* to/from that account". */
static bool for_accounts(const struct mysql_api *api, MYSQL *admin,
			 const char *table, const char *column,
			 const char *value, const char *verb, const char *clone,
			 const char *direction)
{
	struct strbuf q = {0}, batch = {0};
	struct results r;
	MYSQL_ROW row;
	bool ok;

	strbuf_addf(&q, "SELECT User, Host FROM mysql.%s WHERE %s = ", table, column);
	add_literal(api, admin, &q, value);
	ok = fetch_all(api, admin, q.s, &r) && r.n == 1;
	while (ok && (row = api->fetch_row(r.sets[0]))) {
		strbuf_addf(&batch, "%s ALL PRIVILEGES ON ", verb);
		add_ident(&batch, clone);
		strbuf_addf(&batch, ".* %s ", direction);
		add_literal(api, admin, &batch, row[0]);
		strbuf_add(&batch, "@");
		add_literal(api, admin, &batch, row[1]);
		strbuf_add(&batch, ";");
	}
	free_results(api, &r);
	if (ok && batch.len)
		ok = run_batch(api, admin, batch.s);
	strbuf_free(&q);
	strbuf_free(&batch);
	return ok;
}

/* DROP DATABASE waits for the metadata lock of every session in the
 * schema (an idle open transaction holds it for good): the sessions on the
 * clone are cut first, and the wait is bounded. */
static void cut_sessions(const struct mysql_api *api, MYSQL *admin,
			 const char *clone)
{
	struct strbuf q = {0}, kill = {0};
	struct results r;
	MYSQL_ROW row;

	strbuf_add(&q, "SET SESSION lock_wait_timeout = 30;"
		   "SELECT ID FROM information_schema.PROCESSLIST WHERE "
		   "ID <> CONNECTION_ID() AND DB = ");
	add_literal(api, admin, &q, clone);
	if (fetch_all(api, admin, q.s, &r) && r.n == 2 && r.sets[1])
		while ((row = api->fetch_row(r.sets[1])))
			strbuf_addf(&kill, "KILL CONNECTION %s;", row[0]);
	free_results(api, &r);
	if (kill.len)
		run_batch(api, admin, kill.s);
	strbuf_free(&q);
	strbuf_free(&kill);
}

bool mysql_grant_clone(const struct mysql_api *api, MYSQL *admin,
		       const char *clone, const char *user, char *err,
		       size_t errlen)
{
	struct failure f = {0};

	if (for_accounts(api, admin, "user", "User", user, "GRANT", clone, "TO"))
		return true;
	say(&f, api, admin, "grant the program's account its clone", clone,
	    "DBCLONE_MYSQL_ADMIN's account");
	snprintf(err, errlen, "%s", f.why);
	return false;
}

bool mysql_drop(const struct mysql_api *api, MYSQL *admin, const char *clone,
		char *err, size_t errlen)
{
	struct strbuf q = {0};
	bool ok;

	/* A frozen copy's export files go first (mariadb_files.h). */
	mysql_files_forget(clone);
	/* Only an account that can read mysql.db can have granted: others
	 * fail this quietly and drop. */
	for_accounts(api, admin, "db", "Db", clone, "REVOKE", clone, "FROM");
	cut_sessions(api, admin, clone);
	strbuf_add(&q, "DROP DATABASE IF EXISTS ");
	add_ident(&q, clone);
	ok = run_batch(api, admin, q.s);
	if (!ok) {
		char why[300];

		one_line(why, sizeof(why), api->error(admin));
		snprintf(err, errlen, "dbclone: cannot drop clone \"%s\": %s", clone,
			 why);
	}
	strbuf_free(&q);
	return ok;
}

bool mysql_list(const struct mysql_api *api, MYSQL *admin, clone_list_fn fn,
		void *ctx, char *err, size_t errlen)
{
	struct results r;
	MYSQL_ROW row;
	bool ok = fetch_all(api, admin,
			    "SELECT SCHEMA_NAME, SCHEMA_COMMENT FROM "
			    "information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE "
			    "'dbclone\\\\_%' ORDER BY 1", &r) && r.n == 1;

	if (!ok) {
		char why[300];

		one_line(why, sizeof(why), api->error(admin));
		snprintf(err, errlen, "dbclone: cannot list clones: %s", why);
		free_results(api, &r);
		return false;
	}
	while ((row = api->fetch_row(r.sets[0])))
		fn(row[0], row[1], ctx);
	free_results(api, &r);
	return true;
}

/* ---- for the other ways of moving rows (mariadb_sql.h) ----------------- */

bool mysql_batch(const struct mysql_api *api, MYSQL *conn, const char *sql)
{
	return run_batch(api, conn, sql);
}

void mysql_add_ident(struct strbuf *b, const char *name)
{
	add_ident(b, name);
}

void mysql_add_literal(const struct mysql_api *api, MYSQL *conn,
		       struct strbuf *b, const char *text)
{
	add_literal(api, conn, b, text);
}

/* The first row of the one result of sql, as NUL-separated copies in
 * out (values joined by '\0'), for the few single-row questions asked
 * outside the copy; false when it has none. */
bool mysql_one_row(const struct mysql_api *api, MYSQL *conn, const char *sql,
		   char *out, size_t outlen, unsigned *ncols)
{
	struct results r;
	MYSQL_ROW row;
	size_t at = 0;
	bool ok = fetch_all(api, conn, sql, &r) && r.n == 1 && r.sets[0] &&
		  (row = api->fetch_row(r.sets[0]));

	if (ok) {
		*ncols = api->num_fields(r.sets[0]);
		for (unsigned i = 0; i < *ncols && ok; i++) {
			const char *v = row[i] ? row[i] : "";
			size_t n = strlen(v) + 1;

			if (at + n > outlen)
				ok = false;
			else
				memcpy(out + at, v, n);
			at += n;
		}
	}
	free_results(api, &r);
	return ok;
}

bool mysql_each_row(const struct mysql_api *api, MYSQL *conn, const char *sql,
		    void (*fn)(MYSQL_ROW row, void *ctx), void *ctx)
{
	struct results r;
	MYSQL_ROW row;
	bool ok = fetch_all(api, conn, sql, &r) && r.n == 1 && r.sets[0];

	while (ok && (row = api->fetch_row(r.sets[0])))
		fn(row, ctx);
	free_results(api, &r);
	return ok;
}
