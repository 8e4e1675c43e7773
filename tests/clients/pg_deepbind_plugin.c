/* A plugin linked with libpq, for pg_reach deepbind: loaded with
 * RTLD_DEEPBIND its PQconnectdb binds to libpq itself unless dbclone takes
 * that flag off. */
#include <libpq-fe.h>
#include <stdio.h>

const char *plugin_current_database(const char *conninfo);

const char *plugin_current_database(const char *conninfo)
{
	static char db[128];
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	r = PQexec(c, "SELECT current_database()");
	snprintf(db, sizeof(db), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return db;
}
