/* Times dbclone's clone of a MariaDB schema, the operation itself:
 *   mysql_clone_timer SOURCE RUNS [HOW]
 * prints one line per run: milliseconds. HOW: source (default: the
 * in-server copy of the source, on one connection), or, from a frozen copy
 * of the source made first (a golden, untimed): copy (the same
 * one-connection copy), files (the file path), connections (several
 * connections, no file path). The clone is dropped after each run (not
 * timed). Server from MYSQL_UNIX_PORT, account root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mariadb.h"
#include "mariadb_paths.h"
#include "mariadb_sql.h"

static const struct mysql_api api = {
	mysql_init, mysql_real_connect, mysql_real_query, mysql_store_result,
	mysql_next_result, mysql_fetch_row, mysql_data_seek, mysql_num_rows,
	mysql_num_fields, mysql_free_result, mysql_error, mysql_errno,
	mysql_real_escape_string, mysql_close,
};

static bool clone_once(MYSQL *admin, const struct mysql_target *t,
		       const char *how, const char *source, const char *golden,
		       const char *name, const struct marker *m, struct failure *f)
{
	if (!strcmp(how, "source"))
		return mysql_copy(&api, admin, source, name, m, f);
	if (!strcmp(how, "copy"))
		return mysql_copy(&api, admin, golden, name, m, f);
	setenv("DBCLONE_TEST_MYSQL_FILES", strcmp(how, "files") ? "off" : "", 1);
	return mysql_clone_by_path(&api, admin, t, NULL, source, golden, false, name,
				   m, f);
}

/* Before each timed clone: InnoDB has written out what the last one (or
 * the golden) dirtied, for at most 10 s, so that no run pays for the one
 * before it (the buffer pool of the throwaway server is 256 MB). */
static void settle(MYSQL *admin)
{
	for (int i = 0; i < 100; i++) {
		struct timespec pause = {0, 100 * 1000 * 1000};
		char val[64];
		unsigned n;

		if (!mysql_one_row(&api, admin, "SELECT VARIABLE_VALUE FROM "
				   "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME "
				   "= 'INNODB_BUFFER_POOL_PAGES_DIRTY'", val, sizeof(val),
				   &n) || atol(val) < 1000)
			return;
		nanosleep(&pause, NULL);
	}
}

int main(int argc, char **argv)
{
	struct mysql_target t = {.user = "root"};
	const char *how = argc > 3 ? argv[3] : "source";
	char err[1024], name[80], golden[80];
	struct failure f = {0};
	struct marker m;
	MYSQL *admin;

	if (argc < 3 || argc > 4)
		return 2;
	admin = mysql_admin_open(&api, &t, NULL, &f);
	if (!admin) {
		fprintf(stderr, "%s\n", f.why);
		return 1;
	}
	marker_for_self(&m, argv[1]);
	clone_name(argv[1], 999999, MYSQL_NAME_MAX, golden, sizeof(golden));
	if (strcmp(how, "source") && !mysql_copy(&api, admin, argv[1], golden, &m, &f)) {
		fprintf(stderr, "%s\n", f.why);
		return 1;
	}
	for (int i = 0; i < atoi(argv[2]); i++) {
		struct timespec a, b;

		clone_name(argv[1], (unsigned long)i, MYSQL_NAME_MAX, name, sizeof(name));
		settle(admin);
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (!clone_once(admin, &t, how, argv[1], golden, name, &m, &f)) {
			fprintf(stderr, "%s\n", f.why);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%.1f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
		fflush(stdout);
		mysql_drop(&api, admin, name, err, sizeof(err));
	}
	if (strcmp(how, "source"))
		mysql_drop(&api, admin, golden, err, sizeof(err));
	mysql_close(admin);
	return 0;
}
