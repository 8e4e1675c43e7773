/* MySQL/MariaDB: a clone's rows over several connections at once, a
 * table per connection at a time. */
#include "mariadb_parallel.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mariadb_sql.h"

/* Below this many rows in all, the tables are copied sooner than another
 * connection is made. */
#define FEW_ROWS 50000
#define MAX_CONNECTIONS 8

/* One INSERT ... SELECT of a whole table. A table is never split over
 * connections: InnoDB inserts into an empty table in bulk (sorted, no
 * undo log), twice as fast as row by row, and holds the table for it, so
 * ranges of one table on several connections wait for each other and
 * then go row by row (measured: twice the time of one connection). */
struct job {
	const struct mysql_table *t;
	unsigned long long rows; /* estimated, biggest first */
};

struct jobs {
	const struct parallel_way *w;
	struct job *v;
	size_t n, next;
	pthread_mutex_t lock;
	bool failed;
	struct failure *f; /* the first failure */
};

/* The estimated rows of the source's tables, from the catalog. */
struct table_rows {
	char name[MYSQL_NAME_MAX * 4 + 1];
	unsigned long long rows;
};

struct facts {
	struct table_rows *v;
	size_t n;
};

static void add_fact(MYSQL_ROW row, void *ctx)
{
	struct facts *fs = ctx;
	struct table_rows *t;

	if (!row[0])
		return;
	if (!(fs->v = realloc(fs->v, (fs->n + 1) * sizeof(*fs->v))))
		abort();
	t = &fs->v[fs->n++];
	snprintf(t->name, sizeof(t->name), "%s", row[0]);
	t->rows = row[1] ? strtoull(row[1], NULL, 10) : 0;
}

static void read_facts(const struct parallel_way *w, MYSQL *admin,
		       struct facts *fs)
{
	struct strbuf q = {0};

	strbuf_add(&q, "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
		   "WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA = ");
	mysql_add_literal(w->api, admin, &q, w->source);
	/* Without the facts every table is one job: slower, still right. */
	mysql_each_row(w->api, admin, q.s, add_fact, fs);
	strbuf_free(&q);
}

static unsigned long long rows_of(const struct facts *fs, const char *name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].name, name))
			return fs->v[i].rows;
	return 0;
}

static void add_job(struct jobs *js, const struct mysql_table *t,
		    unsigned long long rows)
{
	if (!(js->v = realloc(js->v, (js->n + 1) * sizeof(*js->v))))
		abort();
	js->v[js->n++] = (struct job){.t = t, .rows = rows};
}

static unsigned long long planned_rows(const struct jobs *js)
{
	unsigned long long sum = 0;

	for (size_t i = 0; i < js->n; i++)
		sum += js->v[i].rows;
	return sum;
}

static int by_rows_desc(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	return x->rows < y->rows ? 1 : x->rows > y->rows ? -1 : 0;
}

static void plan(struct jobs *js, MYSQL *admin, struct mysql_table *tables,
		 size_t n)
{
	struct facts fs = {0};

	read_facts(js->w, admin, &fs);
	for (size_t i = 0; i < n; i++)
		if (!tables[i].done)
			add_job(js, &tables[i], rows_of(&fs, tables[i].name));
	free(fs.v);
	qsort(js->v, js->n, sizeof(*js->v), by_rows_desc);
}

static void add_copy_sql(struct strbuf *q, const struct parallel_way *w,
			 const struct job *j)
{
	strbuf_add(q, "INSERT INTO ");
	mysql_add_ident(q, w->clone);
	strbuf_add(q, ".");
	mysql_add_ident(q, j->t->name);
	strbuf_addf(q, " (%s) SELECT %s FROM ", j->t->cols, j->t->cols);
	mysql_add_ident(q, w->source);
	strbuf_add(q, ".");
	mysql_add_ident(q, j->t->name);
}

/* Takes jobs until none is left or one failed; false when this
 * connection's failed (recorded as the first, if it was). */
static bool work(struct jobs *js, MYSQL *conn)
{
	const struct mysql_api *api = js->w->api;

	for (;;) {
		struct strbuf q = {0};
		struct job *j = NULL;
		bool ok;

		pthread_mutex_lock(&js->lock);
		if (!js->failed && js->next < js->n)
			j = &js->v[js->next++];
		pthread_mutex_unlock(&js->lock);
		if (!j)
			return true;
		add_copy_sql(&q, js->w, j);
		ok = mysql_batch(api, conn, q.s);
		strbuf_free(&q);
		if (ok)
			continue;
		pthread_mutex_lock(&js->lock);
		if (!js->failed) {
			char why[400];

			one_line(why, sizeof(why), api->error(conn));
			fail(js->f, fail_kind_mysql(api->err_no(conn)), "dbclone: "
			     "cannot copy the rows of table \"%s\" from \"%s\" to "
			     "clone \"%s\": %s", j->t->name, js->w->source,
			     js->w->clone, why);
			js->failed = true;
		}
		pthread_mutex_unlock(&js->lock);
		return false;
	}
}

struct worker {
	struct jobs *js;
	pthread_t thread;
	bool started, connected;
};

/* A connection of its own, with the copy's session settings; one that
 * cannot connect leaves the jobs to the others. */
static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	const struct parallel_way *w = wk->js->w;
	struct failure f = {0};
	MYSQL *conn = mysql_admin_open(w->api, w->target, w->admin_conf, &f);

	if (!conn)
		return NULL;
	if (mysql_batch(w->api, conn, "SET SESSION foreign_key_checks = 0, "
			"unique_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO'")) {
		wk->connected = true;
		work(wk->js, conn);
	}
	w->api->close(conn);
	return NULL;
}

/* A connection per processor (the server's threads do the work, and it
 * is most often on this host), at least two. */
static unsigned cpu_connections(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 2 ? 2 : cpus > MAX_CONNECTIONS ? MAX_CONNECTIONS
						       : (unsigned)cpus;
}

bool mysql_rows_in_parallel(MYSQL *admin, struct mysql_table *tables, size_t n,
			    void *ctx, struct failure *f)
{
	struct parallel_way *w = ctx;
	struct jobs js = {.w = w, .f = f};
	struct worker wk[MAX_CONNECTIONS] = {{0}};
	unsigned conns, used = 1;
	sigset_t all, old;
	bool ok;

	w->used = 0;
	w->copied = 0;
	for (size_t i = 0; i < n; i++)
		w->copied += !tables[i].done;
	if (!w->copied)
		return true;
	plan(&js, admin, tables, n);
	conns = cpu_connections();
	if (js.n < conns)
		conns = (unsigned)js.n;
	if (planned_rows(&js) < FEW_ROWS)
		conns = 1;
	pthread_mutex_init(&js.lock, NULL);
	/* The workers take no signal: the program's (or the supervisor's)
	 * handlers run in its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 1; i < conns; i++) {
		wk[i].js = &js;
		wk[i].started = pthread_create(&wk[i].thread, NULL, worker_main,
					       &wk[i]) == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* The admin connection, already in the clone with checks off, works
	 * too: with no other connection the copy still goes on. */
	ok = work(&js, admin);
	for (unsigned i = 1; i < conns; i++) {
		if (wk[i].started)
			pthread_join(wk[i].thread, NULL);
		used += wk[i].connected;
	}
	pthread_mutex_destroy(&js.lock);
	ok = ok && !js.failed;
	for (size_t i = 0; ok && i < n; i++)
		tables[i].done = true;
	w->used = used;
	free(js.v);
	return ok;
}
