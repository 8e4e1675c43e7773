/* The tables of real client-library functions (real.h), and their
 * binding, once per library: each table is handed to the engine table
 * (backends/engine.h) as it is bound. */
#include <pthread.h>

#include "config.h"
#include "engine.h"
#include "real.h"

struct real_libpq libpq;
struct real_libsqlite3 libsqlite3;
struct real_libmariadb libmariadb;

static bool bound_ok[N_REAL_LIBRARIES];

static void bind_libpq(void)
{
	static const struct real_symbol syms[] = {
		REAL_SYMBOL(libpq.connectdb, "PQconnectdb"),
		REAL_SYMBOL(libpq.setdbLogin, "PQsetdbLogin"),
		REAL_SYMBOL(libpq.connectStart, "PQconnectStart"),
		REAL_SYMBOL(libpq.connectStartParams, "PQconnectStartParams"),
		REAL_SYMBOL(libpq.api.connectdbParams, "PQconnectdbParams"),
		REAL_SYMBOL(libpq.api.finish, "PQfinish"),
		REAL_SYMBOL(libpq.api.status, "PQstatus"),
		REAL_SYMBOL(libpq.api.errorMessage, "PQerrorMessage"),
		REAL_SYMBOL(libpq.api.exec, "PQexec"),
		REAL_SYMBOL(libpq.api.execParams, "PQexecParams"),
		REAL_SYMBOL(libpq.api.resultStatus, "PQresultStatus"),
		REAL_SYMBOL(libpq.api.resultErrorField, "PQresultErrorField"),
		REAL_SYMBOL(libpq.api.ntuples, "PQntuples"),
		REAL_SYMBOL(libpq.api.getvalue, "PQgetvalue"),
		REAL_SYMBOL(libpq.api.getisnull, "PQgetisnull"),
		REAL_SYMBOL(libpq.api.clear, "PQclear"),
		REAL_SYMBOL(libpq.api.escapeIdentifier, "PQescapeIdentifier"),
		REAL_SYMBOL(libpq.api.escapeLiteral, "PQescapeLiteral"),
		REAL_SYMBOL(libpq.api.freemem, "PQfreemem"),
		REAL_SYMBOL(libpq.api.serverVersion, "PQserverVersion"),
		REAL_SYMBOL(libpq.api.conninfoParse, "PQconninfoParse"),
		REAL_SYMBOL(libpq.api.conndefaults, "PQconndefaults"),
		REAL_SYMBOL(libpq.api.conninfoFree, "PQconninfoFree"),
		{NULL, NULL},
	};

	bound_ok[REAL_LIBPQ] = bind_real_symbols(syms, "libpq");
	if (bound_ok[REAL_LIBPQ])
		engine_bind_pg(&libpq.api, config_get()->pg_admin);
}

static void bind_libsqlite3(void)
{
	static const struct real_symbol syms[] = {
		REAL_SYMBOL(libsqlite3.open, "sqlite3_open"),
		REAL_SYMBOL(libsqlite3.open16, "sqlite3_open16"),
		REAL_SYMBOL(libsqlite3.close_v2, "sqlite3_close_v2"),
		REAL_SYMBOL(libsqlite3.compileoption_used, "sqlite3_compileoption_used"),
		REAL_SYMBOL(libsqlite3.errcode, "sqlite3_errcode"),
		REAL_SYMBOL(libsqlite3.extended_errcode, "sqlite3_extended_errcode"),
		REAL_SYMBOL(libsqlite3.api.open_v2, "sqlite3_open_v2"),
		REAL_SYMBOL(libsqlite3.api.close, "sqlite3_close"),
		REAL_SYMBOL(libsqlite3.api.exec, "sqlite3_exec"),
		REAL_SYMBOL(libsqlite3.api.errmsg, "sqlite3_errmsg"),
		REAL_SYMBOL(libsqlite3.api.backup_init, "sqlite3_backup_init"),
		REAL_SYMBOL(libsqlite3.api.backup_step, "sqlite3_backup_step"),
		REAL_SYMBOL(libsqlite3.api.backup_finish, "sqlite3_backup_finish"),
		REAL_SYMBOL(libsqlite3.api.free, "sqlite3_free"),
		{NULL, NULL},
	};

	bound_ok[REAL_LIBSQLITE3] = bind_real_symbols(syms, "libsqlite3");
	if (!bound_ok[REAL_LIBSQLITE3])
		return;
	libsqlite3.uri_by_default = libsqlite3.compileoption_used("USE_URI=1");
	engine_bind_sqlite(&libsqlite3.api);
}

static void bind_libmariadb(void)
{
	static const struct real_symbol syms[] = {
		REAL_SYMBOL(libmariadb.select_db, "mysql_select_db"),
		REAL_SYMBOL(libmariadb.change_user, "mysql_change_user"),
		REAL_SYMBOL(libmariadb.api.err_no, "mysql_errno"),
		REAL_SYMBOL(libmariadb.api.init, "mysql_init"),
		REAL_SYMBOL(libmariadb.api.real_connect, "mysql_real_connect"),
		REAL_SYMBOL(libmariadb.api.real_query, "mysql_real_query"),
		REAL_SYMBOL(libmariadb.api.store_result, "mysql_store_result"),
		REAL_SYMBOL(libmariadb.api.next_result, "mysql_next_result"),
		REAL_SYMBOL(libmariadb.api.fetch_row, "mysql_fetch_row"),
		REAL_SYMBOL(libmariadb.api.data_seek, "mysql_data_seek"),
		REAL_SYMBOL(libmariadb.api.num_rows, "mysql_num_rows"),
		REAL_SYMBOL(libmariadb.api.num_fields, "mysql_num_fields"),
		REAL_SYMBOL(libmariadb.api.free_result, "mysql_free_result"),
		REAL_SYMBOL(libmariadb.api.error, "mysql_error"),
		REAL_SYMBOL(libmariadb.api.real_escape_string, "mysql_real_escape_string"),
		REAL_SYMBOL(libmariadb.api.close, "mysql_close"),
		{NULL, NULL},
	};

	bound_ok[REAL_LIBMARIADB] = bind_real_symbols(syms, "libmariadb");
	if (bound_ok[REAL_LIBMARIADB])
		engine_bind_mysql(&libmariadb.api, config_get()->mysql_admin);
}

bool real_bound(enum client_library lib)
{
	static pthread_once_t once[N_REAL_LIBRARIES] = {
		PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};
	static void (*const binders[N_REAL_LIBRARIES])(void) = {
		bind_libpq, bind_libsqlite3, bind_libmariadb};

	pthread_once(&once[lib], binders[lib]);
	return bound_ok[lib];
}
