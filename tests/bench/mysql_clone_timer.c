/* Times dbclone's in-server copy of a MariaDB schema, the operation itself:
 *   mysql_clone_timer SOURCE RUNS
 * prints one line per run: milliseconds. The clone is dropped after each
 * run (not timed). Server from MYSQL_UNIX_PORT, account root. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mariadb.h"

static const struct mysql_api api = {
	mysql_init, mysql_real_connect, mysql_real_query, mysql_store_result,
	mysql_next_result, mysql_fetch_row, mysql_data_seek, mysql_num_rows,
	mysql_num_fields, mysql_free_result, mysql_error, mysql_errno,
	mysql_real_escape_string, mysql_close,
};

int main(int argc, char **argv)
{
	struct mysql_target t = {.user = "root"};
	char err[1024], name[80];
	struct failure f = {0};
	struct marker m;
	MYSQL *admin;

	if (argc != 3)
		return 2;
	admin = mysql_admin_open(&api, &t, NULL, &f);
	if (!admin) {
		fprintf(stderr, "%s\n", f.why);
		return 1;
	}
	marker_for_self(&m, argv[1]);
	for (int i = 0; i < atoi(argv[2]); i++) {
		struct timespec a, b;

		clone_name(argv[1], (unsigned long)i, MYSQL_NAME_MAX, name, sizeof(name));
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (!mysql_copy(&api, admin, argv[1], name, &m, &f)) {
			fprintf(stderr, "%s\n", f.why);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%.1f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
		mysql_drop(&api, admin, name, err, sizeof(err));
	}
	mysql_close(admin);
	return 0;
}
