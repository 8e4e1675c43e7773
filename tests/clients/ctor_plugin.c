/* A library whose constructor reaches a database: libpq's PQconnectdb
 * (CTOR_PG, a conninfo) and sqlite3_open (CTOR_SQLITE, a path). Linked
 * into ctor_host as a dependency, its constructor runs before dbclone's
 * own: the hooks must work before the library's constructor has run. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

const char *ctor_pg_database(void);
const char *ctor_sqlite_file(void);

static char pg_database[256] = "(none)";
static char sqlite_file[4096] = "(none)";

static void reach_pg(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(pg_database, sizeof(pg_database), "failed: %s",
			 PQerrorMessage(c));
	} else {
		r = PQexec(c, "SELECT current_database()");
		snprintf(pg_database, sizeof(pg_database), "%s",
			 PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
}

static int first_file(void *arg, int n, char **values, char **names)
{
	(void)arg;
	(void)names;
	if (n >= 3 && values[2])
		snprintf(sqlite_file, sizeof(sqlite_file), "%s", values[2]);
	return 1; /* the main database is the first row */
}

static void reach_sqlite(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		snprintf(sqlite_file, sizeof(sqlite_file), "failed: %s",
			 sqlite3_errmsg(db));
	else
		sqlite3_exec(db, "PRAGMA database_list", first_file, NULL, NULL);
	sqlite3_close(db);
}

__attribute__((constructor)) static void reach_databases(void)
{
	if (getenv("CTOR_PG"))
		reach_pg(getenv("CTOR_PG"));
	if (getenv("CTOR_SQLITE"))
		reach_sqlite(getenv("CTOR_SQLITE"));
}

const char *ctor_pg_database(void)
{
	return pg_database;
}

const char *ctor_sqlite_file(void)
{
	return sqlite_file;
}
