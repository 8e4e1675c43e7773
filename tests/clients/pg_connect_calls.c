/* Connects once through each libpq connect call and prints the database
 * each landed in: "CALL DB" per line. Arguments: a database name. */
#include <libpq-fe.h>
#include <stdio.h>
#include <sys/select.h>

static void report(const char *call, PGconn *c)
{
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK) {
		printf("%s failed: %s", call, PQerrorMessage(c));
		PQfinish(c);
		return;
	}
	r = PQexec(c, "SELECT current_database()");
	printf("%s %s\n", call, PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
}

/* Drives a non-blocking connect to the end, as event loops do. */
static PGconn *finish_async(PGconn *c)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		fd_set fds;
		int fd = PQsocket(c);

		if (fd < 0)
			break;
		FD_ZERO(&fds);
		FD_SET(fd, &fds);
		if (st == PGRES_POLLING_READING)
			select(fd + 1, &fds, NULL, NULL, NULL);
		else
			select(fd + 1, NULL, &fds, NULL, NULL);
		st = PQconnectPoll(c);
	}
	return c;
}

int main(int argc, char **argv)
{
	char conninfo[512];
	const char *kw[] = {"application_name", "dbname", NULL};
	const char *val[] = {"calls", conninfo, NULL};
	const char *plain_kw[] = {"dbname", NULL};
	const char *plain_val[] = {argv[1], NULL};

	if (argc != 2) {
		fprintf(stderr, "usage: %s DBNAME\n", argv[0]);
		return 2;
	}
	snprintf(conninfo, sizeof(conninfo), "dbname='%s' connect_timeout=10", argv[1]);
	report("PQconnectdb", PQconnectdb(conninfo));
	report("PQconnectdbParams", PQconnectdbParams(plain_kw, plain_val, 0));
	report("PQconnectdbParams(expand)", PQconnectdbParams(kw, val, 1));
	report("PQsetdbLogin", PQsetdbLogin(NULL, NULL, NULL, NULL, argv[1], NULL, NULL));
	report("PQconnectStart", finish_async(PQconnectStart(conninfo)));
	report("PQconnectStartParams", finish_async(PQconnectStartParams(plain_kw, plain_val, 0)));
	return 0;
}
