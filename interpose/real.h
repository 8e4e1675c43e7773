/* The real client-library functions behind the hooks: one typed table per
 * library, bound once (pthread_once) to the copy the program loaded. */
#ifndef DBCLONE_REAL_H
#define DBCLONE_REAL_H

#include <stdbool.h>

#include "bind.h"
#include "mariadb.h"
#include "pg.h"
#include "sqlite.h"

/* libpq; api is what backends/pg.c reaches libpq through. */
struct real_libpq {
	struct pg_api api;
	PGconn *(*connectdb)(const char *);
	PGconn *(*setdbLogin)(const char *, const char *, const char *,
			      const char *, const char *, const char *,
			      const char *);
	PGconn *(*connectStart)(const char *);
	PGconn *(*connectStartParams)(const char *const *, const char *const *,
				      int);
};

struct real_libsqlite3 {
	struct sqlite_api api;
	int (*open)(const char *, sqlite3 **);
	int (*open16)(const void *, sqlite3 **);
	int (*close_v2)(sqlite3 *);
	int (*compileoption_used)(const char *);
	int (*errcode)(sqlite3 *);
	int (*extended_errcode)(sqlite3 *);
	bool uri_by_default; /* built with SQLITE_USE_URI=1 */
};

/* libmariadb, or Debian's libmysqlclient. */
struct real_libmariadb {
	struct mysql_api api;
	int (*select_db)(MYSQL *, const char *);
	my_bool (*change_user)(MYSQL *, const char *, const char *,
			       const char *);
};

extern struct real_libpq libpq HIDDEN;
extern struct real_libsqlite3 libsqlite3 HIDDEN;
extern struct real_libmariadb libmariadb HIDDEN;

enum client_library { REAL_LIBPQ, REAL_LIBSQLITE3, REAL_LIBMARIADB, N_REAL_LIBRARIES };

/* Binds the library's table the first time; false (said once, in the
 * log) when a loaded copy lacks a symbol: the hooks then fail their calls
 * instead of crashing. */
bool real_bound(enum client_library lib) HIDDEN;

#endif
