/* PostgreSQL: resolve a source, clone it, drop a clone, list clones.
 *
 * Shared by the library and the command. It reaches libpq only through
 * struct pg_api, which the library fills with the real functions behind its
 * hooks and the command with the ones it links, so an admin connection made
 * here is never intercepted.
 */
#ifndef DBCLONE_PG_H
#define DBCLONE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "failure.h"
#include "marker.h"

#define PG_NAME_MAX 63 /* NAMEDATALEN - 1 */

struct pg_api {
	PGconn *(*connectdbParams)(const char *const *keywords,
				   const char *const *values, int expand_dbname);
	void (*finish)(PGconn *conn);
	ConnStatusType (*status)(const PGconn *conn);
	char *(*errorMessage)(const PGconn *conn);
	PGresult *(*exec)(PGconn *conn, const char *command);
	PGresult *(*execParams)(PGconn *conn, const char *command, int nParams,
				const Oid *paramTypes,
				const char *const *paramValues,
				const int *paramLengths,
				const int *paramFormats, int resultFormat);
	ExecStatusType (*resultStatus)(const PGresult *res);
	char *(*resultErrorField)(const PGresult *res, int fieldcode);
	int (*ntuples)(const PGresult *res);
	char *(*getvalue)(const PGresult *res, int row, int col);
	int (*getisnull)(const PGresult *res, int row, int col);
	void (*clear)(PGresult *res);
	char *(*escapeIdentifier)(PGconn *conn, const char *str, size_t len);
	char *(*escapeLiteral)(PGconn *conn, const char *str, size_t len);
	void (*freemem)(void *ptr);
	int (*serverVersion)(const PGconn *conn);
	PQconninfoOption *(*conninfoParse)(const char *conninfo, char **errmsg);
	PQconninfoOption *(*conndefaults)(void);
	void (*conninfoFree)(PQconninfoOption *opts);
};

/* Connection options in the order libpq processes them. */
struct pg_params {
	size_t n, cap;
	char **keywords;
	char **values;
};

/* What the program would really connect to. */
struct pg_source {
	char dbname[256];
	char user[256];
	char server[512]; /* host=... hostaddr=... port=...: one server */
};

/* Flattens keyword/value arrays (expanding the first dbname that is a
 * connection string when expand_dbname is set) into p. False if libpq
 * would reject the options: the caller then leaves them to libpq. */
bool pg_params_from_arrays(const struct pg_api *api, struct pg_params *p,
			   const char *const *keywords,
			   const char *const *values, int expand_dbname);
bool pg_params_from_conninfo(const struct pg_api *api, struct pg_params *p,
			     const char *conninfo);
void pg_params_set(struct pg_params *p, const char *keyword, const char *value);
const char *pg_params_get(const struct pg_params *p, const char *keyword);
void pg_params_free(struct pg_params *p);
/* NULL-terminated views for PQconnectdbParams; valid until p changes. */
const char *const *pg_params_keywords(struct pg_params *p);
const char *const *pg_params_values(struct pg_params *p);

/* Applies service file entries and libpq's defaults (PGDATABASE, PGUSER,
 * PGHOST, the OS user name ...) the way libpq would. */
void pg_resolve(const struct pg_api *api, const struct pg_params *p,
		struct pg_source *src);

/* postgres, template0, template1: never cloned. */
bool pg_is_maintenance_db(const char *dbname);

/* Opens a connection to the maintenance database of the program's server:
 * with admin_conninfo (DBCLONE_PG_ADMIN) when given, else with the
 * program's own options. NULL and err filled on failure; *bad_options
 * (if given) tells that libpq rejected an option value before reaching any
 * server, so the program's own connect fails the same way. */
PGconn *pg_admin_connect(const struct pg_api *api, const struct pg_params *p,
			 const char *admin_conninfo, bool *bad_options,
			 char *err, size_t errlen);

/* CREATE DATABASE clone TEMPLATE source OWNER owner, then the settings,
 * grants and the marker comment that CREATE DATABASE does not copy. On any
 * failure nothing is left behind and f holds a one-line "dbclone:" text
 * and the kind (from its SQLSTATE). */
bool pg_copy(const struct pg_api *api, PGconn *admin, const char *source,
	     const char *clone, const char *owner, const struct marker *m,
	     struct failure *f);

/* A golden copy: a template nobody may connect to never blocks a clone,
 * and any role with CREATEDB may copy it. */
/* A live clone closed to sessions: no new ones, those on it (after a
 * moment for closing ones to leave) ended, waited for and named in cut
 * (""). pg_reopen lets sessions in again. */
bool pg_close_sessions(const struct pg_api *api, PGconn *admin,
		       const char *name, char *cut, size_t cutlen,
		       struct failure *f);
bool pg_reopen(const struct pg_api *api, PGconn *admin, const char *name);
/* Freezes a live clone in place as a layer: closed to sessions (named in
 * cut), then a template. */
bool pg_take_in_place(const struct pg_api *api, PGconn *admin,
		      const char *name, char *cut, size_t cutlen,
		      struct failure *f);
bool pg_freeze(const struct pg_api *api, PGconn *admin, const char *name,
	       struct failure *f);

/* The clone's comment becomes m. */
bool pg_write_marker(const struct pg_api *api, PGconn *admin, const char *name,
		     const struct marker *m, struct failure *f);

/* One connection to a fresh clone builds its catalog caches
 * (pg_internal.init) and reads its catalogs: made ahead, a test's own
 * first connect is as fast as any. Returns once that session's server
 * process is gone (admin watches it). */
void pg_warm(const struct pg_api *api, PGconn *admin, const char *conninfo,
	     const char *name);

/* psql "options of conninfo but password and dbname, dbname='name'" */
void pg_connect_command(const struct pg_api *api, const char *conninfo,
			const char *name, char *out, size_t outlen);

/* DROP DATABASE IF EXISTS, its sessions cut first (WITH (FORCE), or
 * pg_terminate_backend before PostgreSQL 13). */
/* Ends (and waits for) the server's sessions still running a statement
 * that names clone: a killed owner's CREATE DATABASE goes on without it. */
void pg_end_creators(const struct pg_api *api, PGconn *admin,
		     const char *clone);

bool pg_drop(const struct pg_api *api, PGconn *admin, const char *clone,
	     char *err, size_t errlen);

/* Calls fn for every database whose name starts with dbclone_, with its
 * comment. */
bool pg_list(const struct pg_api *api, PGconn *admin, clone_list_fn fn,
	     void *ctx, char *err, size_t errlen);

/* A conninfo that reaches the server of src as user, without password:
 * what the run journal records. */
void pg_server_conninfo(const struct pg_source *src, char *out, size_t outlen);

/* Every option of p as one conninfo string (passwords included: for the
 * run supervisor's private socket only, never a log). */
void pg_params_conninfo(const struct pg_params *p, char *out, size_t outlen);

#endif
