/* A parent, a forked child and 8 threads connecting at the same moment:
 * under one test key they must all land in one clone; a child that starts
 * a new key owns (and drops) its own clone.
 *
 * Prints "parent DB", "child DB ROWS", "thread DB" (x8), "newkey DB",
 * "after DB EXISTS-PARENT-CLONE EXISTS-CHILD-CLONE". */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *conninfo;
static pthread_barrier_t start;

static PGconn *must_connect(void)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s", PQerrorMessage(c));
		exit(1);
	}
	return c;
}

static char *one(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	static __thread char out[256];

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

static void *thread_main(void *arg)
{
	PGconn *c;

	(void)arg;
	pthread_barrier_wait(&start);
	c = must_connect();
	printf("thread %s\n", one(c, "SELECT current_database()"));
	PQfinish(c);
	return NULL;
}

static int exists(PGconn *admin, const char *db)
{
	const char *params[] = {db};
	PGresult *r = PQexecParams(admin, "SELECT count(*) FROM pg_database WHERE datname = $1",
				   1, NULL, params, NULL, NULL, 0);
	int n = atoi(PQgetvalue(r, 0, 0));

	PQclear(r);
	return n;
}

int main(int argc, char **argv)
{
	pthread_t threads[8];
	char parent_db[128], child_db[128] = "";
	int pipefd[2], status;
	PGconn *c, *admin;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CONNINFO\n", argv[0]);
		return 2;
	}
	conninfo = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);
	c = must_connect();
	snprintf(parent_db, sizeof(parent_db), "%s", one(c, "SELECT current_database()"));
	PQclear(PQexec(c, "INSERT INTO t VALUES (100, 'parent')"));
	printf("parent %s\n", parent_db);

	if (pipe(pipefd) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		PGconn *cc = must_connect();
		char db[128];

		snprintf(db, sizeof(db), "%s", one(cc, "SELECT current_database()"));
		printf("child %s %s\n", db, one(cc, "SELECT count(*) FROM t"));
		PQfinish(cc);
		/* A new key in the child: its own clone, dropped at its exit. */
		setenv("DBCLONE_TEST", "child-own-key", 1);
		cc = must_connect();
		snprintf(child_db, sizeof(child_db), "%s", one(cc, "SELECT current_database()"));
		printf("newkey %s\n", child_db);
		PQfinish(cc);
		if (write(pipefd[1], child_db, strlen(child_db) + 1) < 0)
			_exit(1);
		exit(0);
	}
	close(pipefd[1]);
	waitpid(pid, &status, 0);
	if (read(pipefd[0], child_db, sizeof(child_db)) <= 0)
		return 1;

	pthread_barrier_init(&start, NULL, 8);
	for (int i = 0; i < 8; i++)
		pthread_create(&threads[i], NULL, thread_main, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(threads[i], NULL);

	admin = PQconnectdb("dbname=postgres");
	/* A child's new key takes the parent's setup, which cuts the
	 * parent's session on it (issue 14): it connects again. */
	if (PQresultStatus(PQexec(c, "SELECT 1")) != PGRES_TUPLES_OK)
		PQreset(c);
	printf("after %s %d %d\n", one(c, "SELECT current_database()"),
	       exists(admin, parent_db), exists(admin, child_db));
	PQfinish(admin);
	PQfinish(c);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
