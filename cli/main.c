/* The command's entry: the client libraries it links, for the engines,
 * and the subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbclone.h"
#include "engine.h"

const struct pg_api cli_pg_api = {
	.connectdbParams = PQconnectdbParams,
	.finish = PQfinish,
	.status = PQstatus,
	.errorMessage = PQerrorMessage,
	.exec = PQexec,
	.execParams = PQexecParams,
	.resultStatus = PQresultStatus,
	.resultErrorField = PQresultErrorField,
	.ntuples = PQntuples,
	.getvalue = PQgetvalue,
	.getisnull = PQgetisnull,
	.clear = PQclear,
	.escapeIdentifier = PQescapeIdentifier,
	.escapeLiteral = PQescapeLiteral,
	.freemem = PQfreemem,
	.serverVersion = PQserverVersion,
	.conninfoParse = PQconninfoParse,
	.conndefaults = PQconndefaults,
	.conninfoFree = PQconninfoFree,
};

const struct mysql_api cli_mysql_api = {
	.init = mysql_init,
	.real_connect = mysql_real_connect,
	.real_query = mysql_real_query,
	.store_result = mysql_store_result,
	.next_result = mysql_next_result,
	.fetch_row = mysql_fetch_row,
	.data_seek = mysql_data_seek,
	.num_rows = mysql_num_rows,
	.num_fields = mysql_num_fields,
	.free_result = mysql_free_result,
	.error = mysql_error,
	.err_no = mysql_errno,
	.real_escape_string = mysql_real_escape_string,
	.close = mysql_close,
};

const struct sqlite_api cli_sqlite_api = {
	.open_v2 = sqlite3_open_v2,
	.close = sqlite3_close,
	.exec = sqlite3_exec,
	.errmsg = sqlite3_errmsg,
	.backup_init = sqlite3_backup_init,
	.backup_step = sqlite3_backup_step,
	.backup_finish = sqlite3_backup_finish,
	.free = sqlite3_free,
};

/* --help: made from man/dbclone.txt, the source of the man pages too. */
#include "usage.h"

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	engine_bind(&cli_pg_api, &cli_mysql_api, &cli_sqlite_api);

	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		fputs(usage, cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("dbclone %s\n", DBCLONE_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "ls"))
		return cmd_ls(argc - 1, argv + 1);
	if (!strcmp(cmd, "gc"))
		return cmd_gc(argc - 1, argv + 1);
	if (!strcmp(cmd, "next"))
		return cmd_next(argc - 1, argv + 1);
	if (!strcmp(cmd, "snapshot"))
		return cmd_snapshot(argc - 1, argv + 1);
	if (!strcmp(cmd, "doctor"))
		return cmd_doctor(argc - 1, argv + 1);
	fprintf(stderr, "dbclone: unknown command \"%s\"; see dbclone --help\n",
		cmd);
	return 2;
}
