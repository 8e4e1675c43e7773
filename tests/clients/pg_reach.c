/* Reaches libpq the ways drivers do, without linking it:
 *   pg_reach dlsym CONNINFO     dlopen(libpq, RTLD_LOCAL) and dlsym, as
 *                               ctypes-based drivers (psycopg 3) do
 *   pg_reach deepbind CONNINFO  a plugin linked with libpq, loaded with
 *                               RTLD_DEEPBIND, as PHP 8 loads pgsql.so
 * Prints the database the connection landed in. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void *(*connect_fn)(const char *);
typedef int (*status_fn)(const void *);
typedef char *(*error_fn)(const void *);
typedef char *(*db_fn)(const void *);
typedef void (*finish_fn)(void *);
typedef const char *(*plugin_fn)(const char *);

static int via_dlsym(const char *conninfo)
{
	void *lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
	connect_fn connect;
	status_fn status;
	error_fn error;
	finish_fn finish;
	db_fn db;
	void *conn;

	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	connect = (connect_fn)dlsym(lib, "PQconnectdb");
	status = (status_fn)dlsym(lib, "PQstatus");
	error = (error_fn)dlsym(lib, "PQerrorMessage");
	finish = (finish_fn)dlsym(lib, "PQfinish");
	db = (db_fn)dlsym(lib, "PQdb");
	conn = connect(conninfo);
	if (status(conn) != 0) {
		fprintf(stderr, "%s", error(conn));
		finish(conn);
		return 1;
	}
	printf("%s\n", db(conn));
	finish(conn);
	return 0;
}

static int via_deepbind(const char *plugin, const char *conninfo)
{
	void *lib = dlopen(plugin, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	plugin_fn current;
	const char *db;

	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	current = (plugin_fn)dlsym(lib, "plugin_current_database");
	db = current(conninfo);
	printf("%s\n", db ? db : "(failed)");
	return db ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "dlsym"))
		return via_dlsym(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "deepbind"))
		return via_deepbind(argv[2], argv[3]);
	fprintf(stderr, "usage: %s dlsym CONNINFO | deepbind PLUGIN CONNINFO\n", argv[0]);
	return 2;
}
