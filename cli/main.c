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

static const char usage[] =
"usage: dbclone COMMAND [ARGS]\n"
"\n"
"Gives every test a private clone of the database it connects to.\n"
"\n"
"Commands:\n"
"  run [--per-process] [--pool N] [--keep=failed|always] -- CMD [ARGS...]\n"
"        run CMD with libdbclone.so preloaded, as the run supervisor: every\n"
"        process of the run uses one clone per test key (DBCLONE_TEST, else\n"
"        the run's epoch); clones come from one golden copy per source and a\n"
"        pool of N ready clones (default: the number of cores, DBCLONE_POOL);\n"
"        a key's clone is dropped once it is over, and everything at the\n"
"        end; a one-line summary goes to stderr. --per-process: every\n"
"        process clones for itself instead, and what a process leaves\n"
"        (kill -9) is dropped when it ends. --keep=failed keeps the last\n"
"        key's clones when CMD fails (always: also when it passes) and\n"
"        prints how to connect to them; dbclone gc --older-than drops\n"
"        them later.\n"
"        Exits with CMD's status.\n"
"  next [--snapshot] [--run DIR]\n"
"        move the run (DBCLONE_SOCKET, or the run directory DIR) to its next\n"
"        epoch; returns once the old epoch's clones are dropped. With\n"
"        --snapshot, take a snapshot first (below).\n"
"  snapshot [--run DIR]\n"
"        the current epoch's state (its setup) becomes the base every later\n"
"        epoch of the run starts from, instead of the source; a later\n"
"        snapshot replaces it, so writes stack. Returns once it is taken.\n"
"  next --pid PID\n"
"        send the boundary signal (DBCLONE_SIGNAL) to PID: its next\n"
"        connect starts a new test key, on a new clone.\n"
"  ls [--pg CONNINFO]\n"
"        list clones: engine, name, source, owner host and pid, age, run;\n"
"        SQLite copies in DBCLONE_DIR, PostgreSQL and MariaDB clones on\n"
"        their servers.\n"
"  gc [--dry-run] [--older-than DURATION] [--pg CONNINFO]\n"
"        drop clones whose owner process is gone (same host) or older than\n"
"        DURATION (30s, 10m, 2h, 1d), and what such owners' intents name\n"
"        (DBCLONE_DIR/intents); remove dead runs' directories; never a\n"
"        database without dbclone's marker or a dead owner's intent.\n"
"  doctor [PROGRAM]\n"
"        check the library, and whether PROGRAM can be intercepted.\n"
"  version\n"
"        print the version.\n"
"\n"
"--pg defaults to DBCLONE_PG_ADMIN, else libpq's environment (PGHOST,\n"
"PGPORT, PGUSER ...); when none names a server and the default one is not\n"
"there, PostgreSQL is left out quietly. MariaDB likewise, with\n"
"DBCLONE_MYSQL_ADMIN, MYSQL_UNIX_PORT, MYSQL_TCP_PORT.\n"
"\n"
"Variables (read by the library in the program under test):\n"
"  DBCLONE_TEST        test key: a new value at a connect is a boundary\n"
"  DBCLONE_BASE        a test key whose clone, as it is at this key's first\n"
"                      connect, this key starts from instead of the setup\n"
"  DBCLONE_SIGNAL      boundary signal: USR2 (default), USR1, HUP, WINCH,\n"
"                      URG, a real-time signal number, or none\n"
"  DBCLONE_DISABLE     1 (yes, true, on): pass every connect through untouched\n"
"  DBCLONE_ENGINES     engines to intercept: pg, sqlite, mysql (default: all)\n"
"  DBCLONE_INCLUDE     comma-separated globs: clone only matching sources\n"
"  DBCLONE_EXCLUDE     comma-separated globs: never clone matching sources\n"
"  DBCLONE_PG_ADMIN    conninfo of the role that clones and drops, when the\n"
"                      program's role may not create databases\n"
"  DBCLONE_MYSQL_ADMIN the account that clones and drops on MariaDB/MySQL\n"
"                      (\"user=root password=x host=h port=p socket=s\"),\n"
"                      when the program's may not; it is granted its clones\n"
"  DBCLONE_DIR         where SQLite copies live (default\n"
"                      ${TMPDIR:-/tmp}/dbclone-<uid>, made with mode 0700)\n"
"  DBCLONE_STALE       wait (default): connections open at a boundary keep\n"
"                      their clone until they close; terminate: cut them\n"
"  DBCLONE_ON_ERROR    fail (default): a failed clone fails the connect;\n"
"                      passthrough: connect to the source instead, loudly\n"
"  DBCLONE_DEBUGLEVEL  0 errors, 1 warnings (default), 2 one line per\n"
"                      redirect, 3 trace\n"
"  DBCLONE_LOG         file to log to (default: standard error)\n"
"  DBCLONE_LIBRARY     the library `dbclone run` preloads (default: next to\n"
"                      the command)\n"
"  DBCLONE_POOL        ready clones per source in a shared run (default:\n"
"                      the number of cores)\n"
"  DBCLONE_KEEP        never (default), failed or always: as run --keep\n"
"Test-only, never outside tests: DBCLONE_TEST_PHASES (a file each process\n"
"logs its clones' phases to), DBCLONE_TEST_DELAY_AFTER_CREATE_MS (a sleep\n"
"between a clone's creation and its marker).\n"
"Set by `dbclone run` for its processes: DBCLONE_RUN, DBCLONE_RUN_DIR,\n"
"DBCLONE_SOCKET (the supervisor), DBCLONE_PER_PROCESS (--per-process).\n";

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
