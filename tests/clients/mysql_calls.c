/* Reaches one schema through each client call dbclone hooks and prints the
 * database each landed in: "CALL DB" per line. Argument: a database name.
 * The server comes from MYSQL_UNIX_PORT; the account is root. */
#include <mysql.h>
#include <stdio.h>

static void report(const char *call, MYSQL *m, int failed)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (failed || mysql_query(m, "SELECT DATABASE()")) {
		printf("%s failed %u: %s\n", call, mysql_errno(m), mysql_error(m));
		return;
	}
	res = mysql_store_result(m);
	row = mysql_fetch_row(res);
	printf("%s %s\n", call, row && row[0] ? row[0] : "(none)");
	mysql_free_result(res);
}

int main(int argc, char **argv)
{
	MYSQL *m;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DB\n", argv[0]);
		return 2;
	}
	m = mysql_init(NULL);
	report("mysql_real_connect", m,
	       !mysql_real_connect(m, NULL, "root", NULL, argv[1], 0, NULL, 0));
	mysql_close(m);

	m = mysql_init(NULL);
	if (!mysql_real_connect(m, NULL, "root", NULL, NULL, 0, NULL, 0)) {
		printf("connect without a database failed: %s\n", mysql_error(m));
		return 1;
	}
	report("no database", m, 0);
	report("mysql_select_db", m, mysql_select_db(m, argv[1]) != 0);
	report("mysql_change_user", m, mysql_change_user(m, "root", NULL, argv[1]) != 0);
	mysql_close(m);
	return 0;
}
