/* Forks while another thread of the process is in the middle of making a
 * clone ("clone") or the library's dropper is in the middle of dropping
 * one ("drop"), both held there by a LOCK TABLES ... WRITE of another
 * session, released by a thread 300 ms after the fork is called. The child
 * connects under the key it inherited, then under a key of its own, and
 * exits; the parent finishes. Server: MYSQL_UNIX_PORT, as root.
 *
 * Prints "parent DB" (the clone the parent's thread got), "child DB ROWS",
 * "child-own DB", and "after DB 0|1 OLD 0|1": whether the parent's clone
 * and the clone whose drop was held ("-" in clone mode) still exist. */
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *source;
static MYSQL *holder;
static char thread_db[128];

static MYSQL *must_connect(const char *db)
{
	MYSQL *m = mysql_init(NULL);

	if (!mysql_real_connect(m, NULL, "root", NULL, db, 0, NULL, 0)) {
		fprintf(stderr, "connect %s: %s\n", db ? db : "", mysql_error(m));
		exit(1);
	}
	return m;
}

static void must_query(MYSQL *m, const char *sql)
{
	if (mysql_query(m, sql)) {
		fprintf(stderr, "%s: %s\n", sql, mysql_error(m));
		exit(1);
	}
}

/* The first column of the first row of sql, into out. */
static char *one(MYSQL *m, const char *sql, char *out, size_t outlen)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	must_query(m, sql);
	res = mysql_store_result(m);
	row = mysql_fetch_row(res);
	snprintf(out, outlen, "%s", row && row[0] ? row[0] : "");
	mysql_free_result(res);
	return out;
}

/* Waits until a session of the server waits for a table lock. */
static void wait_blocked(MYSQL *watcher)
{
	char n[32];

	for (int i = 0; i < 1000; i++) {
		one(watcher, "SELECT count(*) FROM information_schema.PROCESSLIST "
		    "WHERE STATE LIKE 'Waiting for%lock'", n, sizeof(n));
		if (atoi(n) > 0)
			return;
		usleep(20000);
	}
	fprintf(stderr, "nothing ever waited for the lock\n");
	exit(1);
}

static void *connect_in_thread(void *arg)
{
	MYSQL *m = must_connect(source);

	(void)arg;
	one(m, "SELECT DATABASE()", thread_db, sizeof(thread_db));
	mysql_close(m);
	return NULL;
}

static void *release_soon(void *arg)
{
	(void)arg;
	usleep(300000);
	must_query(holder, "UNLOCK TABLES");
	return NULL;
}

static void child(void)
{
	char db[128], rows[32];
	MYSQL *m = must_connect(source);

	one(m, "SELECT DATABASE()", db, sizeof(db));
	printf("child %s %s\n", db, one(m, "SELECT count(*) FROM t", rows,
					 sizeof(rows)));
	mysql_close(m);
	/* A key of the child's own: its clone is made with an admin
	 * connection of its own and dropped at its exit. */
	setenv("DBCLONE_TEST", "child-own", 1);
	m = must_connect(source);
	printf("child-own %s\n", one(m, "SELECT DATABASE()", db, sizeof(db)));
	mysql_close(m);
	exit(0);
}

static int exists(MYSQL *watcher, const char *db)
{
	char sql[512], n[32];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM information_schema."
		 "SCHEMATA WHERE SCHEMA_NAME = '%s'", db);
	return atoi(one(watcher, sql, n, sizeof(n)));
}

/* Under key "before", a clone whose drop will be held; the key "held"
 * ends it. Returns the held clone's name in old. */
static void start_held_drop(MYSQL *watcher, char *old, size_t oldlen)
{
	char sql[256];
	MYSQL *m;

	setenv("DBCLONE_TEST", "before", 1);
	m = must_connect(source);
	one(m, "SELECT DATABASE()", old, oldlen);
	mysql_close(m);
	snprintf(sql, sizeof(sql), "LOCK TABLES `%s`.t WRITE", old);
	must_query(holder, sql);
	setenv("DBCLONE_TEST", "held", 1);
	connect_in_thread(NULL); /* the boundary hands "before" to the dropper */
	printf("parent %s\n", thread_db);
	wait_blocked(watcher);
}

int main(int argc, char **argv)
{
	pthread_t maker, releaser;
	char old[128] = "", sql[256];
	MYSQL *watcher;
	int status;
	pid_t pid;

	if (argc != 3 || (strcmp(argv[1], "clone") && strcmp(argv[1], "drop"))) {
		fprintf(stderr, "usage: %s clone|drop DB\n", argv[0]);
		return 2;
	}
	source = argv[2];
	setvbuf(stdout, NULL, _IONBF, 0);
	/* No schema named: these two pass through, never cloned. */
	holder = must_connect(NULL);
	watcher = must_connect(NULL);
	if (!strcmp(argv[1], "clone")) {
		snprintf(sql, sizeof(sql), "LOCK TABLES `%s`.t WRITE", source);
		must_query(holder, sql);
		pthread_create(&maker, NULL, connect_in_thread, NULL);
		wait_blocked(watcher);
	} else {
		start_held_drop(watcher, old, sizeof(old));
	}
	pthread_create(&releaser, NULL, release_soon, NULL);
	pid = fork();
	if (pid == 0)
		child();
	waitpid(pid, &status, 0);
	pthread_join(releaser, NULL);
	if (!strcmp(argv[1], "clone")) {
		pthread_join(maker, NULL);
		printf("parent %s\n", thread_db);
	}
	printf("after %s %d %s %d\n", thread_db, exists(watcher, thread_db),
	       old[0] ? old : "-", old[0] ? exists(watcher, old) : 0);
	mysql_close(watcher);
	mysql_close(holder);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
