/* PostgreSQL: resolve a source, clone, freeze, warm, drop, list, mark. */
#include "pg.h"
#include "strbuf.h"
#include "testhook.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PG_SYSCONFDIR
#define PG_SYSCONFDIR "/etc/postgresql-common"
#endif

/* ---- connection options ------------------------------------------------ */

static char *dup_or_die(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		abort();
	return d;
}

void pg_params_set(struct pg_params *p, const char *keyword, const char *value)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->keywords[i], keyword) == 0) {
			free(p->values[i]);
			p->values[i] = dup_or_die(value);
			return;
		}
	}
	if (p->n + 2 > p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->keywords = realloc(p->keywords, p->cap * sizeof(char *));
		p->values = realloc(p->values, p->cap * sizeof(char *));
		if (!p->keywords || !p->values)
			abort();
	}
	p->keywords[p->n] = dup_or_die(keyword);
	p->values[p->n] = dup_or_die(value);
	p->n++;
	p->keywords[p->n] = NULL;
	p->values[p->n] = NULL;
}

const char *pg_params_get(const struct pg_params *p, const char *keyword)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->keywords[i], keyword) == 0)
			return p->values[i][0] ? p->values[i] : NULL;
	return NULL;
}

void pg_params_free(struct pg_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->keywords[i]);
		free(p->values[i]);
	}
	free(p->keywords);
	free(p->values);
	memset(p, 0, sizeof(*p));
}

const char *const *pg_params_keywords(struct pg_params *p)
{
	if (!p->n)
		pg_params_set(p, "dbname", "");
	return (const char *const *)p->keywords;
}

const char *const *pg_params_values(struct pg_params *p)
{
	return (const char *const *)p->values;
}

/* Like libpq, an empty value means "not given". */
static void merge_options(struct pg_params *p, const PQconninfoOption *opts)
{
	for (; opts && opts->keyword; opts++)
		if (opts->val && opts->val[0])
			pg_params_set(p, opts->keyword, opts->val);
}

static bool is_conninfo_string(const char *s)
{
	return strchr(s, '=') || strncmp(s, "postgresql://", 13) == 0 ||
	       strncmp(s, "postgres://", 11) == 0;
}

bool pg_params_from_conninfo(const struct pg_api *api, struct pg_params *p,
			     const char *conninfo)
{
	PQconninfoOption *opts;
	char *errmsg = NULL;

	opts = api->conninfoParse(conninfo ? conninfo : "", &errmsg);
	if (!opts) {
		if (errmsg)
			api->freemem(errmsg);
		return false;
	}
	merge_options(p, opts);
	api->conninfoFree(opts);
	return true;
}

bool pg_params_from_arrays(const struct pg_api *api, struct pg_params *p,
			   const char *const *keywords,
			   const char *const *values, int expand_dbname)
{
	bool expanded = false;

	/* Keywords are processed in order and the last value wins, so the
	 * placement of an expanded dbname decides what it may override. */
	for (size_t i = 0; keywords && keywords[i]; i++) {
		const char *v = values[i];

		if (!v || !v[0])
			continue;
		if (strcmp(keywords[i], "dbname") == 0 && expand_dbname &&
		    !expanded && is_conninfo_string(v)) {
			expanded = true;
			if (!pg_params_from_conninfo(api, p, v))
				return false;
			continue;
		}
		pg_params_set(p, keywords[i], v);
	}
	return true;
}

/* ---- resolving the source ---------------------------------------------- */

/* Reads section [service] of a pg_service.conf into p for keywords p does
 * not have yet. Returns true if the section was found. */
static bool read_service_file(const char *path, const char *service,
			      struct pg_params *p)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	bool in = false, found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *eq, *end;

		while (isspace((unsigned char)*s))
			s++;
		end = s + strlen(s);
		while (end > s && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (close)
				*close = '\0';
			in = strcmp(s + 1, service) == 0;
			found |= in;
			continue;
		}
		eq = strchr(s, '=');
		if (!in || !eq)
			continue;
		*eq = '\0';
		for (end = eq; end > s && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		for (eq++; isspace((unsigned char)*eq);)
			eq++;
		if (!pg_params_get(p, s))
			pg_params_set(p, s, eq);
	}
	fclose(f);
	return found;
}

static void apply_service(const struct pg_params *given, struct pg_params *p)
{
	const char *service = pg_params_get(given, "service");
	const char *file = getenv("PGSERVICEFILE");
	const char *sysconf = getenv("PGSYSCONFDIR");
	char path[4096];

	if (!service)
		return;
	if (file) {
		if (read_service_file(file, service, p))
			return;
	} else if (getenv("HOME")) {
		snprintf(path, sizeof(path), "%s/.pg_service.conf", getenv("HOME"));
		if (read_service_file(path, service, p))
			return;
	}
	snprintf(path, sizeof(path), "%s/pg_service.conf",
		 sysconf ? sysconf : PG_SYSCONFDIR);
	read_service_file(path, service, p);
}

static void append_option(char *out, size_t outlen, const char *keyword,
			  const char *value)
{
	size_t n = strlen(out);

	if (!value || !value[0] || n + 1 >= outlen)
		return;
	n += snprintf(out + n, outlen - n, "%s%s='", n ? " " : "", keyword);
	for (; *value && n + 3 < outlen; value++) {
		if (*value == '\'' || *value == '\\')
			out[n++] = '\\';
		out[n++] = *value;
	}
	if (n + 2 < outlen) {
		out[n++] = '\'';
		out[n] = '\0';
	}
}

void pg_resolve(const struct pg_api *api, const struct pg_params *p,
		struct pg_source *src)
{
	struct pg_params all = {0};
	PQconninfoOption *defaults;
	const char *user, *db;

	/* Order of precedence, as in libpq: the program's options, then the
	 * service file entry they name, then the environment and built-in
	 * defaults (PQconndefaults covers PGSERVICE too). */
	for (size_t i = 0; i < p->n; i++)
		pg_params_set(&all, p->keywords[i], p->values[i]);
	apply_service(p, &all);
	defaults = api->conndefaults();
	for (PQconninfoOption *o = defaults; o && o->keyword; o++)
		if (o->val && o->val[0] && !pg_params_get(&all, o->keyword))
			pg_params_set(&all, o->keyword, o->val);
	if (defaults)
		api->conninfoFree(defaults);

	user = pg_params_get(&all, "user");
	db = pg_params_get(&all, "dbname");
	snprintf(src->user, sizeof(src->user), "%s", user ? user : "");
	snprintf(src->dbname, sizeof(src->dbname), "%s", db ? db : src->user);
	src->server[0] = '\0';
	append_option(src->server, sizeof(src->server), "host",
		      pg_params_get(&all, "host"));
	append_option(src->server, sizeof(src->server), "hostaddr",
		      pg_params_get(&all, "hostaddr"));
	append_option(src->server, sizeof(src->server), "port",
		      pg_params_get(&all, "port"));
	pg_params_free(&all);
}

bool pg_is_maintenance_db(const char *dbname)
{
	return strcmp(dbname, "postgres") == 0 ||
	       strcmp(dbname, "template0") == 0 ||
	       strcmp(dbname, "template1") == 0;
}

void pg_params_conninfo(const struct pg_params *p, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; i < p->n; i++)
		append_option(out, outlen, p->keywords[i], p->values[i]);
}

void pg_server_conninfo(const struct pg_source *src, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", src->server);
	append_option(out, outlen, "user", src->user);
}

/* ---- admin connection -------------------------------------------------- */

/* Option values libpq checks only when it connects ("port=x"): it says
 * so before any network traffic, in words like these. */
static bool is_option_error(const char *msg)
{
	return strncmp(msg, "invalid ", 8) == 0 ||
	       strncmp(msg, "could not match ", 16) == 0 ||
	       strstr(msg, "for connection option") != NULL;
}

PGconn *pg_admin_connect(const struct pg_api *api, const struct pg_params *p,
			 const char *admin_conninfo, bool *bad_options,
			 char *err, size_t errlen)
{
	static const char *const maintenance[] = {"postgres", "template1"};
	struct pg_params a = {0};
	PGconn *conn = NULL;
	const char *named;
	char why[400];

	if (admin_conninfo && *admin_conninfo) {
		/* The admin role reaches the program's server unless it says
		 * otherwise. */
		for (size_t i = 0; i < p->n; i++)
			if (!strcmp(p->keywords[i], "host") ||
			    !strcmp(p->keywords[i], "hostaddr") ||
			    !strcmp(p->keywords[i], "port"))
				pg_params_set(&a, p->keywords[i], p->values[i]);
		if (!pg_params_from_conninfo(api, &a, admin_conninfo)) {
			snprintf(err, errlen,
				 "dbclone: DBCLONE_PG_ADMIN is not a valid conninfo; "
				 "set it to e.g. \"user=postgres\"");
			pg_params_free(&a);
			return NULL;
		}
	} else {
		for (size_t i = 0; i < p->n; i++)
			pg_params_set(&a, p->keywords[i], p->values[i]);
	}
	pg_params_set(&a, "application_name", "dbclone");
	pg_params_set(&a, "replication", "");

	/* The program's own database name is not used: CREATE DATABASE
	 * ... TEMPLATE needs the source free of sessions, ours included. */
	named = admin_conninfo && *admin_conninfo ? pg_params_get(&a, "dbname") : NULL;
	for (size_t i = 0; i < 2; i++) {
		if (!named)
			pg_params_set(&a, "dbname", maintenance[i]);
		conn = api->connectdbParams(pg_params_keywords(&a),
					    pg_params_values(&a), 0);
		if (conn && api->status(conn) == CONNECTION_OK)
			break;
		one_line(why, sizeof(why),
			 conn ? api->errorMessage(conn) : "out of memory");
		if (conn)
			api->finish(conn);
		conn = NULL;
		/* Only a refused maintenance database is worth a second try. */
		if (named || !strstr(why, "database"))
			break;
	}
	/* Only the program's own options fail its own call the same way. */
	if (!conn && bad_options)
		*bad_options = !(admin_conninfo && *admin_conninfo) &&
			       is_option_error(why);
	if (!conn)
		snprintf(err, errlen,
			 "dbclone: cannot reach the PostgreSQL server to clone "
			 "(%s); start the server or fix the connection options%s",
			 why, admin_conninfo && *admin_conninfo ?
				" in DBCLONE_PG_ADMIN" : "");
	pg_params_free(&a);
	return conn;
}

/* ---- queries ----------------------------------------------------------- */

static PGresult *run(const struct pg_api *api, PGconn *conn, const char *sql,
		     int nparams, const char *const *params)
{
	/* Only the simple protocol takes several statements in one string. */
	if (!nparams)
		return api->exec(conn, sql);
	return api->execParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
}

static bool ok(const struct pg_api *api, const PGresult *res)
{
	ExecStatusType st = res ? api->resultStatus(res) : PGRES_FATAL_ERROR;

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static const char *sqlstate(const struct pg_api *api, const PGresult *res)
{
	const char *s = res ? api->resultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

static void server_error(const struct pg_api *api, PGconn *conn,
			 const PGresult *res, char *out, size_t outlen)
{
	const char *msg = res ? api->resultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			      : NULL;

	one_line(out, outlen, msg ? msg : api->errorMessage(conn));
}

/* Appends up to three pieces to a batch. */
static void sql_add(struct strbuf *b, const char *x, const char *y,
		    const char *z)
{
	strbuf_add(b, x);
	strbuf_add(b, y);
	strbuf_add(b, z);
}

/* Settings whose value is a list; the catalog stores them as one string
 * with double-quoted elements, SET wants one literal per element. */
static bool is_list_setting(const char *name)
{
	static const char *const lists[] = {
		"search_path", "temp_tablespaces", "session_preload_libraries",
		"local_preload_libraries", "shared_preload_libraries",
		"unix_socket_directories", NULL};

	for (int i = 0; lists[i]; i++)
		if (strcmp(name, lists[i]) == 0)
			return true;
	return false;
}

static void add_literal(const struct pg_api *api, PGconn *conn,
			struct strbuf *b, const char *text, size_t len,
			const char *sep)
{
	char *lit = api->escapeLiteral(conn, text, len);

	sql_add(b, sep, lit ? lit : "''", NULL);
	if (lit)
		api->freemem(lit);
}

static void add_setting_value(const struct pg_api *api, PGconn *conn,
			      struct strbuf *b, const char *name,
			      const char *value)
{
	const char *sep = "";

	if (!is_list_setting(name)) {
		add_literal(api, conn, b, value, strlen(value), "");
		return;
	}
	while (*value) {
		char elem[1024];
		size_t n = 0;

		while (*value == ' ' || *value == ',')
			value++;
		if (!*value)
			break;
		if (*value == '"') {
			for (value++; *value && n + 1 < sizeof(elem); value++) {
				if (*value == '"' && value[1] == '"')
					elem[n++] = *value++;
				else if (*value == '"')
					break;
				else
					elem[n++] = *value;
			}
			if (*value == '"')
				value++;
		} else {
			while (*value && *value != ',' && n + 1 < sizeof(elem))
				elem[n++] = *value++;
			while (n && elem[n - 1] == ' ')
				n--;
		}
		elem[n] = '\0';
		add_literal(api, conn, b, elem, n, sep);
		sep = ", ";
	}
	if (!*sep)
		sql_add(b, "''", NULL, NULL);
}

/* Builds ALTER DATABASE ... SET, GRANT ... ON DATABASE and COMMENT ON
 * DATABASE for the clone from what the catalog says of the source. */
static bool build_followup(const struct pg_api *api, PGconn *admin,
			   const char *src_oid, const char *qclone,
			   const char *marker, struct strbuf *b, char *err,
			   size_t errlen)
{
	/* The REVOKE from PUBLIC comes first: the grants after it (PUBLIC's
	 * own among them) rebuild the source's list. */
	static const char *sql =
		"SELECT * FROM ("
		"SELECT 'r' AS kind, '' AS role, '' AS name, '' AS value, "
		"false AS grantable FROM pg_catalog.pg_database d "
		"WHERE d.oid = $1::oid AND d.datacl IS NOT NULL "
		"UNION ALL "
		"SELECT 's', CASE WHEN s.setrole = 0 THEN '' ELSE "
		"pg_catalog.pg_get_userbyid(s.setrole) END, "
		"split_part(c, '=', 1), substr(c, strpos(c, '=') + 1), false "
		"FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) c "
		"WHERE s.setdatabase = $1::oid "
		"UNION ALL "
		"SELECT 'g', CASE WHEN a.grantee = 0 THEN '' ELSE "
		"pg_catalog.pg_get_userbyid(a.grantee) END, a.privilege_type, "
		"'', a.is_grantable "
		"FROM pg_catalog.pg_database d, pg_catalog.aclexplode(d.datacl) a "
		"WHERE d.oid = $1::oid AND a.grantee <> d.datdba"
		") x ORDER BY kind <> 'r'";
	const char *params[] = {src_oid};
	PGresult *res = run(api, admin, sql, 1, params);
	char *lit;

	if (!ok(api, res)) {
		char why[300];

		server_error(api, admin, res, why, sizeof(why));
		snprintf(err, errlen,
			 "dbclone: cannot read the settings and grants of the "
			 "source: %s", why);
		api->clear(res);
		return false;
	}
	for (int i = 0; i < api->ntuples(res); i++) {
		const char *kind = api->getvalue(res, i, 0);
		const char *role = api->getvalue(res, i, 1);
		const char *name = api->getvalue(res, i, 2);
		char *qrole = role[0] ? api->escapeIdentifier(admin, role, strlen(role)) : NULL;
		char *qname = api->escapeIdentifier(admin, name, strlen(name));

		if (kind[0] == 'r') {
			/* The source has explicit grants: start the clone from
			 * none, as the source did, not from the defaults. */
			sql_add(b, "REVOKE ALL ON DATABASE ", qclone, " FROM PUBLIC;");
		} else if (kind[0] == 's') {
			if (qrole)
				sql_add(b, "ALTER ROLE ", qrole, " IN DATABASE ");
			else
				sql_add(b, "ALTER DATABASE ", NULL, NULL);
			sql_add(b, qclone, " SET ", qname);
			sql_add(b, " TO ", NULL, NULL);
			add_setting_value(api, admin, b, name, api->getvalue(res, i, 3));
			sql_add(b, ";", NULL, NULL);
		} else {
			sql_add(b, "GRANT ", name, " ON DATABASE ");
			sql_add(b, qclone, " TO ", qrole ? qrole : "PUBLIC");
			sql_add(b, api->getvalue(res, i, 4)[0] == 't' ?
				" WITH GRANT OPTION" : "", ";", NULL);
		}
		if (qrole)
			api->freemem(qrole);
		if (qname)
			api->freemem(qname);
	}
	api->clear(res);
	lit = api->escapeLiteral(admin, marker, strlen(marker));
	sql_add(b, "COMMENT ON DATABASE ", qclone, " IS ");
	sql_add(b, lit ? lit : "''", ";", NULL);
	if (lit)
		api->freemem(lit);
	return true;
}

/* Names the sessions that keep CREATE DATABASE ... TEMPLATE from running:
 * clients only (the server ends an autovacuum worker on the template
 * itself, and one may pass by just then). */
static void describe_busy(const struct pg_api *api, PGconn *admin,
			  const char *source, char *out, size_t outlen)
{
	const char *params[] = {source};
	PGresult *res = run(api, admin,
			    "SELECT pid, coalesce(application_name, ''), "
			    "coalesce(usename, '') FROM pg_catalog.pg_stat_activity "
			    "WHERE datname = $1 AND pid <> pg_backend_pid() "
			    "AND backend_type = 'client backend' "
			    "ORDER BY backend_start LIMIT 3", 1, params);
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; ok(api, res) && i < api->ntuples(res) && n < outlen; i++)
		n += snprintf(out + n, outlen - n,
			      "%spid %s (application_name \"%s\", user \"%s\")",
			      i ? ", " : "", api->getvalue(res, i, 0),
			      api->getvalue(res, i, 1), api->getvalue(res, i, 2));
	if (!out[0])
		snprintf(out, outlen, "another session");
	api->clear(res);
}

/* The source's oid, or f filled. */
static bool source_oid(const struct pg_api *api, PGconn *admin,
		       const char *source, char *oid, size_t oidlen,
		       struct failure *f)
{
	const char *params[] = {source};
	PGresult *res = run(api, admin,
			    "SELECT oid FROM pg_catalog.pg_database WHERE datname = $1",
			    1, params);
	char why[400];
	bool found = false;

	if (!ok(api, res)) {
		server_error(api, admin, res, why, sizeof(why));
		fail(f, fail_kind_sqlstate(sqlstate(api, res)),
		     "dbclone: cannot look up source \"%s\": %s", source, why);
	} else if (api->ntuples(res) != 1) {
		fail(f, FAIL_INVALID,
		     "dbclone: source database \"%s\" does not exist on the "
		     "server; create it, or point the program at an existing "
		     "database", source);
	} else {
		snprintf(oid, oidlen, "%s", api->getvalue(res, 0, 0));
		found = true;
	}
	api->clear(res);
	return found;
}

/* Names, quoted, for the statements of one clone. */
struct quoted {
	char *clone, *source, *owner;
};

/* Why CREATE DATABASE ... TEMPLATE failed, and what to do, into f. */
static void say_create_failed(const struct pg_api *api, PGconn *admin,
			      const PGresult *res, const char *source,
			      const char *clone, const char *owner,
			      const struct quoted *q, struct failure *f)
{
	const char *state = sqlstate(api, res);
	enum fail_kind kind = fail_kind_sqlstate(state);
	char why[400], who[300];

	server_error(api, admin, res, why, sizeof(why));
	if (strcmp(state, "42501") == 0 && strstr(why, "copy database"))
		/* CREATEDB is not enough: only the owner of a database (or a
		 * superuser) may use it as a template. */
		fail(f, kind,
		     "dbclone: role \"%s\" may not copy \"%s\" (%s); make it "
		     "the owner (ALTER DATABASE %s OWNER TO %s), mark the "
		     "source a template (ALTER DATABASE %s IS_TEMPLATE true), "
		     "or set DBCLONE_PG_ADMIN to a superuser",
		     owner, source, why, q->source, q->owner, q->source);
	else if (strcmp(state, "42501") == 0)
		fail(f, kind,
		     "dbclone: role \"%s\" may not create databases, so "
		     "\"%s\" cannot be cloned (%s); run ALTER ROLE %s "
		     "CREATEDB, or set DBCLONE_PG_ADMIN to a role that may",
		     owner, source, why, q->owner);
	else if (strcmp(state, "55006") == 0) {
		describe_busy(api, admin, source, who, sizeof(who));
		fail(f, kind,
		     "dbclone: source \"%s\" is busy: %s is connected to "
		     "it, and a template must have no other session; close "
		     "that session or exclude its program from dbclone",
		     source, who);
	} else
		fail(f, kind, "dbclone: cannot clone \"%s\" into \"%s\": %s",
		     source, clone, why);
}

/* Runs one batch; f filled with its error, prefixed by what. */
static bool run_batch(const struct pg_api *api, PGconn *admin,
		      const char *sql, struct failure *f, const char *what,
		      const char *source)
{
	PGresult *res = run(api, admin, sql, 0, NULL);
	bool done = ok(api, res);
	char why[400];

	if (!done) {
		server_error(api, admin, res, why, sizeof(why));
		fail(f, fail_kind_sqlstate(sqlstate(api, res)), what, source, why);
	}
	api->clear(res);
	return done;
}

/* CREATE DATABASE's STRATEGY (PostgreSQL 15 and later), chosen per
 * template by what this server does faster for its size: WAL_LOG writes
 * the copy through the WAL, FILE_COPY checkpoints and copies the files.
 * A copy timed beside another of this process measures the other too
 * (a run's pool threads copy side by side, and FILE_COPY's checkpoint
 * writes out the pages an overlapping WAL_LOG copy left dirty), so each
 * strategy is judged by its best copy that ran alone: FILE_COPY first
 * (it leaves nothing dirty for the WAL_LOG trial to pay), up to TRIALS
 * copies each until one runs alone; a strategy with no lone copy by then
 * is judged by its best overlapped one. A handful of templates per
 * process (goldens, layers, sources). */
#define STRATEGIES 32
#define TRIALS 3
enum { WAL_LOG, FILE_COPY };
static pthread_mutex_t strategy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct strategy {
	char template[64];
	double alone[2], any[2]; /* best ms per strategy; 0: none yet */
	int tries[2];
} strategies[STRATEGIES];
static int nstrategies;
/* Copies of this process under way, and how many were ever started: a
 * copy ran alone when none was under way as it started and none started
 * before it ended. */
static int copies_running;
static unsigned long copies_started;

static double clock_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* template's entry, made if new and there is room; NULL if not. Under
 * strategy_lock. */
static struct strategy *strategy_entry(const char *template)
{
	int i;

	for (i = 0; i < nstrategies; i++)
		if (!strcmp(strategies[i].template, template))
			return &strategies[i];
	if (nstrategies == STRATEGIES ||
	    strlen(template) >= sizeof(strategies[0].template))
		return NULL;
	snprintf(strategies[nstrategies].template,
		 sizeof(strategies[0].template), "%s", template);
	return &strategies[nstrategies++];
}

static double judged(const struct strategy *s, int which)
{
	return s->alone[which] ? s->alone[which] : s->any[which];
}

/* Which strategy to time or use for template. */
static int strategy_for(const char *template)
{
	int pick = WAL_LOG;
	struct strategy *s;

	pthread_mutex_lock(&strategy_lock);
	if ((s = strategy_entry(template))) {
		if (!s->alone[FILE_COPY] && s->tries[FILE_COPY] < TRIALS)
			pick = FILE_COPY;
		else if (!s->alone[WAL_LOG] && s->tries[WAL_LOG] < TRIALS)
			pick = WAL_LOG;
		else if (judged(s, FILE_COPY) && judged(s, WAL_LOG))
			pick = judged(s, FILE_COPY) < judged(s, WAL_LOG) ?
				       FILE_COPY : WAL_LOG;
		else /* one of them always failed: the other */
			pick = judged(s, FILE_COPY) ? FILE_COPY : WAL_LOG;
	}
	pthread_mutex_unlock(&strategy_lock);
	return pick;
}

/* Before a copy: a token for strategy_took, 0 when others run. */
static unsigned long copy_starts(void)
{
	unsigned long token;

	pthread_mutex_lock(&strategy_lock);
	token = ++copies_started;
	if (copies_running++)
		token = 0;
	pthread_mutex_unlock(&strategy_lock);
	return token;
}

/* After it; ms < 0: it failed (a try all the same). */
static void strategy_took(const char *template, int which, double ms,
			  unsigned long token)
{
	struct strategy *s;

	pthread_mutex_lock(&strategy_lock);
	copies_running--;
	if ((s = strategy_entry(template))) {
		bool alone = token && token == copies_started;

		s->tries[which]++;
		if (ms >= 0 && (!s->any[which] || ms < s->any[which]))
			s->any[which] = ms;
		if (ms >= 0 && alone && (!s->alone[which] || ms < s->alone[which]))
			s->alone[which] = ms;
	}
	pthread_mutex_unlock(&strategy_lock);
}

static bool create_and_follow(const struct pg_api *api, PGconn *admin,
			      const char *source, const char *clone,
			      const char *owner, const struct marker *m,
			      const char *oid, const struct quoted *q,
			      struct failure *f)
{
	struct strbuf create = {0}, follow = {0};
	char marker[MARKER_MAX], why[400];
	bool strategies_known = api->serverVersion(admin) >= 150000;
	int strategy = strategies_known ? strategy_for(source) : WAL_LOG;
	unsigned long token = copy_starts();
	PGresult *res;
	bool done = false;
	double t0;

	sql_add(&create, "CREATE DATABASE ", q->clone, " TEMPLATE ");
	sql_add(&create, q->source, " OWNER ", q->owner);
	if (strategies_known)
		strbuf_add(&create, strategy == FILE_COPY ?
			   " STRATEGY FILE_COPY" : " STRATEGY WAL_LOG");
	test_phase("create", clone);
	t0 = clock_ms();
	res = run(api, admin, create.s, 0, NULL);
	if (!ok(api, res))
		say_create_failed(api, admin, res, source, clone, owner, q, f);
	strategy_took(source, strategy, strategies_known && !f->kind ?
				clock_ms() - t0 : -1, token);
	api->clear(res);
	strbuf_free(&create);
	if (f->kind)
		return false;
	/* Made, not yet marked: only its intent says it is dbclone's. */
	test_phase("created", clone);
	marker_format(m, marker, sizeof(marker));
	if (build_followup(api, admin, oid, q->clone, marker, &follow, f->why,
			   sizeof(f->why)))
		done = run_batch(api, admin, follow.s, f,
				 "dbclone: cannot copy the settings and grants of "
				 "\"%s\" to its clone (%s); clone as a role that "
				 "may (DBCLONE_PG_ADMIN)", source);
	else
		f->kind = FAIL_INVALID;
	strbuf_free(&follow);
	/* No half-made clone is ever left. */
	if (!done)
		pg_drop(api, admin, clone, why, sizeof(why));
	return done;
}

bool pg_copy(const struct pg_api *api, PGconn *admin, const char *source,
	     const char *clone, const char *owner, const struct marker *m,
	     struct failure *f)
{
	struct quoted q;
	char oid[32];
	bool done = false;

	f->kind = FAIL_NONE;
	if (!source_oid(api, admin, source, oid, sizeof(oid), f))
		return false;
	q.clone = api->escapeIdentifier(admin, clone, strlen(clone));
	q.source = api->escapeIdentifier(admin, source, strlen(source));
	q.owner = api->escapeIdentifier(admin, owner, strlen(owner));
	if (!q.clone || !q.source || !q.owner)
		fail(f, FAIL_INVALID, "dbclone: cannot quote names for \"%s\": %s",
		     source, api->errorMessage(admin));
	else
		done = create_and_follow(api, admin, source, clone, owner, m,
					 oid, &q, f);
	if (q.clone)
		api->freemem(q.clone);
	if (q.source)
		api->freemem(q.source);
	if (q.owner)
		api->freemem(q.owner);
	return done;
}

/* "ALTER DATABASE name WITH|SET ... what" or "COMMENT ON DATABASE name IS
 * 'what'": one statement on one database. */
static bool on_database(const struct pg_api *api, PGconn *admin,
			const char *head, const char *name, const char *mid,
			const char *literal, struct failure *f)
{
	char *q = api->escapeIdentifier(admin, name, strlen(name));
	char *lit = literal ? api->escapeLiteral(admin, literal, strlen(literal))
			    : NULL;
	struct strbuf sql = {0};
	bool done = false;

	if (q && (lit || !literal)) {
		sql_add(&sql, head, q, mid);
		strbuf_add(&sql, lit ? lit : "");
		done = run_batch(api, admin, sql.s, f, "dbclone: cannot change "
				 "\"%s\": %s", name);
	} else {
		fail(f, FAIL_INVALID, "dbclone: cannot quote \"%s\"", name);
	}
	strbuf_free(&sql);
	if (q)
		api->freemem(q);
	if (lit)
		api->freemem(lit);
	return done;
}

bool pg_freeze(const struct pg_api *api, PGconn *admin, const char *name,
	       struct failure *f)
{
	return on_database(api, admin, "ALTER DATABASE ", name,
			   " WITH ALLOW_CONNECTIONS false IS_TEMPLATE true", NULL, f);
}

/* How many other sessions are connected to name (-1: cannot be told). */
static int sessions_on(const struct pg_api *api, PGconn *admin,
		       const char *name)
{
	const char *params[] = {name};
	PGresult *res = run(api, admin, "SELECT count(*) FROM "
			    "pg_catalog.pg_stat_activity WHERE datname = $1 AND "
			    "pid <> pg_backend_pid()", 1, params);
	int n = ok(api, res) && api->ntuples(res) == 1 ?
		atoi(api->getvalue(res, 0, 0)) : -1;

	api->clear(res);
	return n;
}

bool pg_close_sessions(const struct pg_api *api, PGconn *admin,
		       const char *name, char *cut, size_t cutlen,
		       struct failure *f)
{
	const char *params[] = {name};
	PGresult *res;
	size_t n = 0;

	cut[0] = '\0';
	/* No session may come in while the others are ended. */
	if (!on_database(api, admin, "ALTER DATABASE ", name,
			 " WITH ALLOW_CONNECTIONS false", NULL, f))
		return false;
	/* A client that has just closed leaves its server process for a few
	 * milliseconds more: only the sessions still there after that are
	 * cut, and named. */
	for (int i = 0; i < 40 && sessions_on(api, admin, name) > 0; i++)
		usleep(5000);
	res = run(api, admin, api->serverVersion(admin) >= 140000 ?
		  "SELECT pid, application_name, usename, "
		  "pg_catalog.pg_terminate_backend(pid, 10000) FROM "
		  "pg_catalog.pg_stat_activity WHERE datname = $1 AND "
		  "pid <> pg_backend_pid()" :
		  "SELECT pid, application_name, usename, "
		  "pg_catalog.pg_terminate_backend(pid) FROM "
		  "pg_catalog.pg_stat_activity WHERE datname = $1 AND "
		  "pid <> pg_backend_pid()", 1, params);
	for (int i = 0; ok(api, res) && i < api->ntuples(res) && n < cutlen; i++)
		n += (size_t)snprintf(cut + n, cutlen - n, "%spid %s (application "
				      "'%s', role %s)", i ? ", " : "",
				      api->getvalue(res, i, 0),
				      api->getvalue(res, i, 1),
				      api->getvalue(res, i, 2));
	api->clear(res);
	return true;
}

bool pg_take_in_place(const struct pg_api *api, PGconn *admin,
		      const char *name, char *cut, size_t cutlen,
		      struct failure *f)
{
	return pg_close_sessions(api, admin, name, cut, cutlen, f) &&
	       pg_freeze(api, admin, name, f);
}

bool pg_reopen(const struct pg_api *api, PGconn *admin, const char *name)
{
	struct failure f;

	return on_database(api, admin, "ALTER DATABASE ", name,
			   " WITH ALLOW_CONNECTIONS true", NULL, &f);
}

bool pg_write_marker(const struct pg_api *api, PGconn *admin, const char *name,
		     const struct marker *m, struct failure *f)
{
	char text[MARKER_MAX];

	marker_format(m, text, sizeof(text));
	return on_database(api, admin, "COMMENT ON DATABASE ", name, " IS ", text, f);
}

/* Until the server process of session pid is gone (libpq's finish does
 * not wait for it): at most about a second, 1 ms apart. */
static void wait_session_gone(const struct pg_api *api, PGconn *admin,
			      const char *pid)
{
	const char *params[] = {pid};
	struct timespec ms = {0, 1000000L};

	for (int i = 0; i < 1000; i++) {
		PGresult *res = run(api, admin, "SELECT 1 FROM pg_stat_activity "
				    "WHERE pid = $1::int", 1, params);
		bool gone = !ok(api, res) || api->ntuples(res) == 0;

		api->clear(res);
		if (gone)
			return;
		nanosleep(&ms, NULL);
	}
}

void pg_warm(const struct pg_api *api, PGconn *admin, const char *conninfo,
	     const char *name)
{
	struct pg_params p = {0};
	char pid[16] = "";
	PGconn *c;

	if (!pg_params_from_conninfo(api, &p, conninfo))
		return;
	pg_params_set(&p, "dbname", name);
	pg_params_set(&p, "application_name", "dbclone");
	c = api->connectdbParams(pg_params_keywords(&p), pg_params_values(&p), 0);
	if (c && api->status(c) == CONNECTION_OK) {
		PGresult *res = api->exec(c, "SELECT pg_backend_pid()");

		test_phase("warm", name);
		if (ok(api, res) && api->ntuples(res) == 1)
			snprintf(pid, sizeof(pid), "%s", api->getvalue(res, 0, 0));
		api->clear(res);
	}
	if (c)
		api->finish(c);
	/* A session left on the clone would be cut by the take of a setup
	 * or make DROP DATABASE wait: none is left when the clone is ready. */
	if (pid[0] && admin)
		wait_session_gone(api, admin, pid);
	test_phase("warmed", name);
	pg_params_free(&p);
}

void pg_connect_command(const struct pg_api *api, const char *conninfo,
			const char *name, char *out, size_t outlen)
{
	PQconninfoOption *opts = api->conninfoParse(conninfo, NULL);
	size_t n = (size_t)snprintf(out, outlen, "psql \"");

	for (PQconninfoOption *o = opts; o && o->keyword && n < outlen; o++)
		if (o->val && o->val[0] && strcmp(o->keyword, "password") &&
		    strcmp(o->keyword, "dbname"))
			n += (size_t)snprintf(out + n, outlen - n, "%s='%s' ",
					      o->keyword, o->val);
	if (n < outlen)
		snprintf(out + n, outlen - n, "dbname='%s'\"", name);
	if (opts)
		api->conninfoFree(opts);
}

bool pg_drop(const struct pg_api *api, PGconn *admin, const char *clone,
	     char *err, size_t errlen)
{
	bool with_force;
	char *q = api->escapeIdentifier(admin, clone, strlen(clone));
	struct strbuf sql = {0};
	PGresult *res;
	bool done;

	if (!q) {
		snprintf(err, errlen, "dbclone: cannot quote \"%s\"", clone);
		return false;
	}
	/* Before PostgreSQL 13, DROP DATABASE has no FORCE. */
	if (!(with_force = api->serverVersion(admin) >= 130000)) {
		const char *params[] = {clone};

		api->clear(run(api, admin,
			       "SELECT pg_terminate_backend(pid) FROM "
			       "pg_catalog.pg_stat_activity WHERE datname = $1 "
			       "AND pid <> pg_backend_pid()", 1, params));
	}
	sql_add(&sql, "DROP DATABASE IF EXISTS ", q,
		with_force ? " WITH (FORCE)" : "");
	res = run(api, admin, sql.s, 0, NULL);
	/* A golden copy is a template, which DROP DATABASE refuses (42809):
	 * only then is it made an ordinary database, and dropped again. */
	if (!ok(api, res) && !strcmp(sqlstate(api, res), "42809")) {
		struct strbuf alter = {0};

		api->clear(res);
		sql_add(&alter, "ALTER DATABASE ", q, " IS_TEMPLATE false");
		api->clear(run(api, admin, alter.s, 0, NULL));
		strbuf_free(&alter);
		res = run(api, admin, sql.s, 0, NULL);
	}
	done = ok(api, res);
	if (!done) {
		char why[300];

		server_error(api, admin, res, why, sizeof(why));
		snprintf(err, errlen, "dbclone: cannot drop clone \"%s\": %s",
			 clone, why);
	}
	api->clear(res);
	api->freemem(q);
	strbuf_free(&sql);
	return done;
}

void pg_end_creators(const struct pg_api *api, PGconn *admin,
		     const char *clone)
{
	char *q = api->escapeIdentifier(admin, clone, strlen(clone));
	const char *params[1];

	if (!q)
		return;
	/* Sessions whose statement names it (a killed owner's CREATE
	 * DATABASE, its settings): ended, and waited for (PostgreSQL 14 and
	 * later wait inside pg_terminate_backend). Needs the role that
	 * created it, or a superuser, to see and end them. */
	params[0] = q;
	api->clear(run(api, admin, api->serverVersion(admin) >= 140000 ?
		"SELECT pg_catalog.pg_terminate_backend(pid, 10000) FROM "
		"pg_catalog.pg_stat_activity WHERE pid <> pg_backend_pid() AND "
		"state <> 'idle' AND strpos(query, $1) > 0" :
		"SELECT pg_catalog.pg_terminate_backend(pid) FROM "
		"pg_catalog.pg_stat_activity WHERE pid <> pg_backend_pid() AND "
		"state <> 'idle' AND strpos(query, $1) > 0", 1, params));
	api->freemem(q);
}

bool pg_list(const struct pg_api *api, PGconn *admin, clone_list_fn fn,
	     void *ctx, char *err, size_t errlen)
{
	PGresult *res = run(api, admin,
			    "SELECT d.datname, "
			    "pg_catalog.shobj_description(d.oid, 'pg_database') "
			    "FROM pg_catalog.pg_database d "
			    "WHERE d.datname LIKE 'dbclone\\_%' ORDER BY 1", 0, NULL);

	if (!ok(api, res)) {
		char why[300];

		server_error(api, admin, res, why, sizeof(why));
		snprintf(err, errlen, "dbclone: cannot list clones: %s", why);
		api->clear(res);
		return false;
	}
	for (int i = 0; i < api->ntuples(res); i++)
		fn(api->getvalue(res, i, 0),
		   api->getisnull(res, i, 1) ? NULL : api->getvalue(res, i, 1), ctx);
	api->clear(res);
	return true;
}
