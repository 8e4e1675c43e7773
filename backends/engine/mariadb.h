/* MySQL/MariaDB: clone a schema inside the server, drop a clone, list
 * clones. Shared by the library and the command; the client library is
 * reached only through struct mysql_api (see backends/pg.h for why). */
#ifndef DBCLONE_MARIADB_H
#define DBCLONE_MARIADB_H

#include <stdbool.h>
#include <stddef.h>
#include <mysql.h>

#include "failure.h"
#include "marker.h"

#define MYSQL_NAME_MAX 64

struct mysql_api {
	MYSQL *(*init)(MYSQL *mysql);
	MYSQL *(*real_connect)(MYSQL *mysql, const char *host, const char *user,
			       const char *passwd, const char *db,
			       unsigned int port, const char *unix_socket,
			       unsigned long flags);
	int (*real_query)(MYSQL *mysql, const char *q, unsigned long length);
	MYSQL_RES *(*store_result)(MYSQL *mysql);
	int (*next_result)(MYSQL *mysql);
	MYSQL_ROW (*fetch_row)(MYSQL_RES *res);
	void (*data_seek)(MYSQL_RES *res, unsigned long long offset);
	unsigned long long (*num_rows)(MYSQL_RES *res);
	unsigned int (*num_fields)(MYSQL_RES *res);
	void (*free_result)(MYSQL_RES *res);
	const char *(*error)(MYSQL *mysql);
	unsigned int (*err_no)(MYSQL *mysql);
	unsigned long (*real_escape_string)(MYSQL *mysql, char *to,
					    const char *from,
					    unsigned long length);
	void (*close)(MYSQL *mysql);
};

/* Where a program connects, and as whom: what an admin connection to the
 * same server needs. */
struct mysql_target {
	char host[256];
	char user[128];
	char passwd[256];
	char socket[512];
	unsigned int port;
};

/* The system schemas, never cloned. */
bool mysql_is_system_schema(const char *db);

/* An admin connection (multi-statement) to the target's server, as
 * DBCLONE_MYSQL_ADMIN says ("user=root password=x host=... port=...
 * socket=...", unset parts from the target) or as the target's account;
 * NULL with f filled (its kind from the error number). */
MYSQL *mysql_admin_open(const struct mysql_api *api,
			const struct mysql_target *t, const char *admin,
			struct failure *f);

/* The clone's comment becomes m. */
bool mysql_write_marker(const struct mysql_api *api, MYSQL *admin,
			const char *clone, const struct marker *m,
			struct failure *f);

/* Copies schema source into a new schema clone inside the server: same
 * character set and collation, a marker COMMENT; every table from SHOW
 * CREATE TABLE, its rows (generated columns left out) with checks off;
 * sequences with their values; views, triggers, routines and events with
 * references to the source rewritten. Nothing is left on failure (f). */
bool mysql_copy(const struct mysql_api *api, MYSQL *admin, const char *source,
		const char *clone, const struct marker *m, struct failure *f);

/* A base table of a copy, for the paths that move its rows another way
 * than mysql_copy's one batch. The strings live as long as the copy. */
struct mysql_table {
	const char *name;
	const char *cols;   /* the columns that take values, quoted, with commas */
	const char *create; /* SHOW CREATE TABLE, as in the source */
	bool done;          /* its rows are in the clone */
};

/* Moves the rows of the n tables (already created in the clone) from the
 * source; admin's session is in the clone, with foreign key and unique
 * checks off. False with f filled. */
typedef bool (*mysql_rows_fn)(MYSQL *admin, struct mysql_table *tables,
			      size_t n, void *ctx, struct failure *f);

/* mysql_copy, with the rows of the base tables moved by rows(ctx): the
 * tables and sequences first, views, triggers, routines and events after
 * the rows. Nothing is left on failure (f). */
bool mysql_copy_by(const struct mysql_api *api, MYSQL *admin,
		   const char *source, const char *clone,
		   const struct marker *m, mysql_rows_fn rows, void *ctx,
		   struct failure *f);

/* When an admin account cloned (DBCLONE_MYSQL_ADMIN), the program's
 * account (every host entry of user) gets all privileges on the clone. */
bool mysql_grant_clone(const struct mysql_api *api, MYSQL *admin,
		       const char *clone, const char *user, char *err,
		       size_t errlen);

/* DROP DATABASE, and the grants on it where the account may see them
 * (DROP DATABASE leaves them behind). */
/* mysql_copy of a live schema (the setup): its tables are read under one
 * READ lock, so that the copy is of one moment; writers wait meanwhile. */
bool mysql_copy_live(const struct mysql_api *api, MYSQL *admin,
		     const char *source, const char *clone,
		     const struct marker *m, struct failure *f);
/* No other session has name as its current schema. */
bool mysql_quiet(const struct mysql_api *api, MYSQL *admin, const char *name);
bool mysql_drop(const struct mysql_api *api, MYSQL *admin, const char *clone,
		char *err, size_t errlen);

/* Calls fn for every schema whose name starts with dbclone_, with its
 * comment. */
bool mysql_list(const struct mysql_api *api, MYSQL *admin, clone_list_fn fn,
		void *ctx, char *err, size_t errlen);

#endif
