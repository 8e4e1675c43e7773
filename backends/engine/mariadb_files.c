/* MySQL/MariaDB: InnoDB tables cloned as files (mariadb_files.h). */
#include "mariadb_files.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mariadb_paths.h"
#include "mariadb_sql.h"

/* The export of one frozen copy: its tables' .ibd and .cfg as they were
 * under FLUSH TABLES ... FOR EXPORT, kept beside them in its directory as
 * "<table>.ibd.dbclone.BAK" and "<table>.cfg.dbclone.BAK". */
enum export_state { EXPORTING, READY, FAILED };

struct export {
	char frozen[MYSQL_NAME_MAX + 1];
	char dir[PATH_MAX]; /* <datadir><frozen>/ */
	enum export_state state;
	char **tables;
	size_t n;
	unsigned users;  /* clones reading it now */
	bool forgotten;  /* its copy was dropped: the last user removes it */
	struct export *next;
};

/* The exports this process made. The lock is only held to read or change
 * the list, never across a statement or a copy; a forked child leaves the
 * list to the process that made it (the lock may have been held by a
 * thread the child does not have). */
static pthread_mutex_t exports_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exports_changed = PTHREAD_COND_INITIALIZER;
static struct export *exports;
static pid_t exports_pid;
static pthread_once_t exports_once = PTHREAD_ONCE_INIT;

/* A table whose file is smaller goes by rows: DISCARD, two file copies
 * and IMPORT cost about a millisecond, more than INSERT ... SELECT of a
 * few thousand rows (40 tables of 20 rows: 38 ms as files, 22 ms by
 * rows). */
#define FILES_MIN_BYTES (256 * 1024)

/* How long a clone waits for another thread's export of the same copy. */
#define EXPORT_WAIT_S 120

static void exports_claim(void)
{
	exports_pid = getpid();
}

static bool exports_mine(void)
{
	pthread_once(&exports_once, exports_claim);
	return exports_pid == getpid();
}

/* DBCLONE_TEST_MYSQL_FILES, for the tests only: "off" (no file path),
 * "all" (every table that can, however small), "fail" (all, then fail
 * after DISCARD TABLESPACE). */
static const char *test_mode(void)
{
	const char *v = getenv("DBCLONE_TEST_MYSQL_FILES");

	return v ? v : "";
}

/* ---- which tables ------------------------------------------------------ */

/* A table goes as files when its file is "<name>.ibd" in its schema's
 * directory (no partitions, no DATA DIRECTORY, a name the server keeps
 * as is on disk) and IMPORT TABLESPACE takes all of it (no FULLTEXT index,
 * whose auxiliary tables are not imported; no history). */
static bool as_files(const struct mysql_table *t)
{
	static const char *const refused[] = {
		"PARTITION BY", "FULLTEXT", "DATA DIRECTORY", "INDEX DIRECTORY",
		"WITH SYSTEM VERSIONING", NULL};
	size_t len = strlen(t->name);

	if (!len || len > MYSQL_NAME_MAX ||
	    strspn(t->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789_") != len)
		return false;
	if (!strstr(t->create, "\n) ENGINE=InnoDB"))
		return false;
	for (int i = 0; refused[i]; i++)
		if (strstr(t->create, refused[i]))
			return false;
	return true;
}

/* ---- files ------------------------------------------------------------- */

/* Never cut: mysql_files_usable() leaves room for the longest. */
static void path_of(char *out, size_t outlen, const char *dir,
		    const char *table, const char *ext)
{
	if ((size_t)snprintf(out, outlen, "%s%s%s", dir, table, ext) >= outlen)
		abort();
}

/* Copies src to a new file dst, as the server's own (the mode and owner of
 * like): a reflink where the file system shares extents, else
 * copy_file_range, which copies in the kernel. 0 or an errno. */
static int copy_file(const char *src, const char *dst, const struct stat *like)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, err = 0;
	struct stat st;

	if (in < 0)
		return errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		   like->st_mode & 0777);
	if (out < 0 || fstat(in, &st) != 0) {
		err = errno;
		goto done;
	}
	/* As the server's own files: it must read and write them, and root
	 * (CI) copying for a server run as mysql must not leave root's. */
	if (fchown(out, like->st_uid, like->st_gid) != 0 ||
	    fchmod(out, like->st_mode & 07777) != 0) {
		err = errno;
		goto done;
	}
	if (ioctl(out, FICLONE, in) != 0) {
		for (off_t left = st.st_size; left > 0;) {
			ssize_t n = copy_file_range(in, NULL, out, NULL,
						    (size_t)left, 0);

			if (n <= 0) {
				err = n < 0 ? errno : EIO;
				break;
			}
			left -= n;
		}
	}
done:
	if (out >= 0 && close(out) != 0 && !err)
		err = errno;
	if (err && out >= 0)
		unlink(dst);
	close(in);
	return err;
}

static void remove_export_files(const struct export *e)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < e->n; i++) {
		path_of(path, sizeof(path), e->dir, e->tables[i], ".ibd.dbclone.BAK");
		unlink(path);
		path_of(path, sizeof(path), e->dir, e->tables[i], ".cfg.dbclone.BAK");
		unlink(path);
	}
}

static void free_export(struct export *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->tables[i]);
	free(e->tables);
	free(e);
}

/* ---- the export, once per frozen copy ---------------------------------- */

/* A clone is done with e; failed: the file path is not tried again for
 * its copy. The last user of a forgotten export removes it. True when
 * another clone had already failed with it (this failure is not news). */
static bool release(struct export *e, bool failed)
{
	bool last, before;

	pthread_mutex_lock(&exports_lock);
	before = e->state == FAILED;
	if (failed)
		e->state = FAILED;
	last = --e->users == 0 && e->forgotten;
	pthread_mutex_unlock(&exports_lock);
	if (last) {
		remove_export_files(e);
		free_export(e);
	}
	return before;
}

/* "FLUSH TABLES `frozen`.`a`, ... FOR EXPORT" over the tables that go as
 * files; their names are kept in e. */
static void add_flush(struct strbuf *q, struct export *e, const char *frozen,
		      const struct mysql_table *tables, size_t n)
{
	char path[PATH_MAX];
	struct stat st;

	strbuf_add(q, "FLUSH TABLES ");
	for (size_t i = 0; i < n; i++) {
		if (!as_files(&tables[i]))
			continue;
		path_of(path, sizeof(path), e->dir, tables[i].name, ".ibd");
		if (stat(path, &st) != 0 || (st.st_size < FILES_MIN_BYTES &&
					     !strcmp(test_mode(), "")))
			continue;
		if (!(e->tables = realloc(e->tables, (e->n + 1) * sizeof(char *))) ||
		    !(e->tables[e->n] = strdup(tables[i].name)))
			abort();
		if (e->n++)
			strbuf_add(q, ", ");
		mysql_add_ident(q, frozen);
		strbuf_add(q, ".");
		mysql_add_ident(q, tables[i].name);
	}
	strbuf_add(q, " FOR EXPORT");
}

/* Under the export lock: each table's .cfg must have appeared (the
 * server writes it there now: this is its data directory); the .ibd and
 * .cfg are kept. */

/* One file of an export or an import could not be copied. */
static bool copy_failed(const char *src, const char *dst, int err,
			struct failure *f)
{
	return fail(f, FAIL_INVALID, "dbclone: cannot copy %s to %s: %s; free "
		    "space there, or let dbclone write in the server's data "
		    "directory", src, dst, strerror(err));
}

static bool keep_exported(struct export *e, struct failure *f)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct stat like;

	for (size_t i = 0; i < e->n; i++) {
		int err;

		path_of(src, sizeof(src), e->dir, e->tables[i], ".cfg");
		if (stat(src, &like) != 0)
			return fail(f, FAIL_INVALID, "dbclone: the server exported "
				    "table \"%s\" but %s did not appear: %s is not its "
				    "data directory", e->tables[i], src, e->dir);
		path_of(dst, sizeof(dst), e->dir, e->tables[i], ".cfg.dbclone.BAK");
		err = copy_file(src, dst, &like);
		if (!err) {
			path_of(src, sizeof(src), e->dir, e->tables[i], ".ibd");
			path_of(dst, sizeof(dst), e->dir, e->tables[i],
				".ibd.dbclone.BAK");
			err = stat(src, &like) != 0 ? errno : copy_file(src, dst, &like);
		}
		if (err)
			return copy_failed(src, dst, err, f);
	}
	return true;
}

static bool export_now(const struct files_way *w, MYSQL *admin,
		       struct export *e, const struct mysql_table *tables,
		       size_t n, struct failure *f)
{
	const struct mysql_api *api = w->api;
	struct strbuf q = {0};
	char why[400];
	bool ok;

	add_flush(&q, e, w->frozen, tables, n);
	if (!e->n) {
		strbuf_free(&q);
		return true;
	}
	ok = mysql_batch(api, admin, q.s);
	strbuf_free(&q);
	if (!ok) {
		one_line(why, sizeof(why), api->error(admin));
		return fail(f, fail_kind_mysql(api->err_no(admin)), "dbclone: "
			    "cannot export the tables of \"%s\": %s", w->frozen, why);
	}
	ok = keep_exported(e, f);
	/* The server removes its .cfg files as it unlocks. */
	if (!mysql_batch(api, admin, "UNLOCK TABLES") && ok) {
		one_line(why, sizeof(why), api->error(admin));
		ok = fail(f, fail_kind_mysql(api->err_no(admin)), "dbclone: cannot "
			  "unlock the export of \"%s\": %s", w->frozen, why);
	}
	if (!ok)
		remove_export_files(e);
	else
		mysql_say_path(2, "exported %zu InnoDB tables of \"%s\" for its "
			       "clones", e->n, w->frozen);
	return ok;
}

/* This process's export of w->frozen, made now by this thread or waited
 * for; NULL (f) when there is none. The caller releases it. */
static struct export *export_of(const struct files_way *w, MYSQL *admin,
				const struct mysql_table *tables, size_t n,
				struct failure *f)
{
	struct export *e;
	enum export_state state;
	struct timespec until;
	bool mine = false;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += EXPORT_WAIT_S;
	pthread_mutex_lock(&exports_lock);
	for (e = exports; e && strcmp(e->frozen, w->frozen); e = e->next)
		;
	if (!e) {
		if (!(e = calloc(1, sizeof(*e))))
			abort();
		snprintf(e->frozen, sizeof(e->frozen), "%s", w->frozen);
		path_of(e->dir, sizeof(e->dir), w->datadir, w->frozen, "/");
		e->next = exports;
		exports = e;
		mine = true;
	}
	e->users++;
	while (!mine && e->state == EXPORTING &&
	       pthread_cond_timedwait(&exports_changed, &exports_lock, &until) == 0)
		;
	state = e->state;
	pthread_mutex_unlock(&exports_lock);
	if (mine) {
		state = export_now(w, admin, e, tables, n, f) ? READY : FAILED;
		pthread_mutex_lock(&exports_lock);
		e->state = state;
		pthread_cond_broadcast(&exports_changed);
		pthread_mutex_unlock(&exports_lock);
	} else if (state != READY) {
		fail(f, FAIL_NONE, "dbclone: the export of \"%s\" by another "
		     "thread %s", w->frozen, state == FAILED ? "failed" :
		     "took too long");
	}
	if (state == READY)
		return e;
	release(e, false);
	return NULL;
}

bool mysql_files_failed(const char *frozen)
{
	bool failed = false;

	if (!exports_mine())
		return false;
	pthread_mutex_lock(&exports_lock);
	for (struct export *e = exports; e; e = e->next)
		if (!strcmp(e->frozen, frozen))
			failed = e->state == FAILED;
	pthread_mutex_unlock(&exports_lock);
	return failed;
}

void mysql_files_forget(const char *name)
{
	struct export **at, *e = NULL;
	bool now = false;

	if (!exports_mine())
		return;
	pthread_mutex_lock(&exports_lock);
	for (at = &exports; *at; at = &(*at)->next)
		if (!strcmp((*at)->frozen, name)) {
			e = *at;
			*at = e->next;
			e->forgotten = true;
			now = e->users == 0;
			break;
		}
	pthread_mutex_unlock(&exports_lock);
	if (now) {
		remove_export_files(e);
		free_export(e);
	}
}

/* ---- the import into each clone ---------------------------------------- */

static struct mysql_table *find_table(struct mysql_table *tables, size_t n,
				      const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tables[i].name, name))
			return &tables[i];
	return NULL;
}

/* "ALTER TABLE `t` verb;" for every exported table. */
static bool alter_all(const struct files_way *w, MYSQL *admin,
		      const struct export *e, const char *verb, struct failure *f)
{
	struct strbuf q = {0};
	char why[400];
	bool ok;

	for (size_t i = 0; i < e->n; i++) {
		strbuf_add(&q, "ALTER TABLE ");
		mysql_add_ident(&q, e->tables[i]);
		strbuf_addf(&q, " %s;", verb);
	}
	ok = mysql_batch(w->api, admin, q.s);
	strbuf_free(&q);
	if (ok)
		return true;
	one_line(why, sizeof(why), w->api->error(admin));
	return fail(f, fail_kind_mysql(w->api->err_no(admin)), "dbclone: cannot "
		    "%s in clone \"%s\": %s", verb, w->clone, why);
}

/* The exported files of one table into the clone's directory, owned as
 * the server's file for that table there (its .frm, made by the server
 * just now: the proof that this is its data directory). */
static bool place_table(const struct files_way *w, const struct export *e,
			const char *table, struct failure *f)
{
	static const char *const ext[] = {".ibd", ".cfg"};
	char src[PATH_MAX], dst[PATH_MAX], dir[PATH_MAX];
	struct stat frm, like;

	path_of(dir, sizeof(dir), w->datadir, w->clone, "/");
	path_of(dst, sizeof(dst), dir, table, ".frm");
	if (stat(dst, &frm) != 0)
		return fail(f, FAIL_INVALID, "dbclone: the server made table \"%s\" "
			    "but %s did not appear: %s is not its data directory",
			    table, dst, w->datadir);
	for (int i = 0; i < 2; i++) {
		int err;

		path_of(src, sizeof(src), e->dir, table, i ? ".cfg.dbclone.BAK" :
			".ibd.dbclone.BAK");
		path_of(dst, sizeof(dst), dir, table, ext[i]);
		if (stat(src, &like) != 0)
			err = errno;
		else {
			like.st_uid = frm.st_uid;
			like.st_gid = frm.st_gid;
			err = copy_file(src, dst, &like);
		}
		if (err)
			return copy_failed(src, dst, err, f);
	}
	return true;
}

static bool import_into(const struct files_way *w, MYSQL *admin,
			const struct export *e, struct mysql_table *tables,
			size_t n, struct failure *f)
{
	char cfg[PATH_MAX], dir[PATH_MAX];
	bool ok;

	if (!e->n)
		return true;
	for (size_t i = 0; i < e->n; i++)
		if (!find_table(tables, n, e->tables[i]))
			return fail(f, FAIL_INVALID, "dbclone: table \"%s\" of the "
				    "export of \"%s\" is not in it any more",
				    e->tables[i], w->frozen);
	if (!alter_all(w, admin, e, "DISCARD TABLESPACE", f))
		return false;
	if (!strcmp(test_mode(), "fail"))
		return fail(f, FAIL_INVALID, "dbclone: DBCLONE_TEST_MYSQL_FILES=fail "
			    "stops the file path after DISCARD TABLESPACE");
	for (size_t i = 0; i < e->n; i++)
		if (!place_table(w, e, e->tables[i], f))
			return false;
	ok = alter_all(w, admin, e, "IMPORT TABLESPACE", f);
	/* IMPORT leaves the .cfg: it is of no use to the clone. */
	path_of(dir, sizeof(dir), w->datadir, w->clone, "/");
	for (size_t i = 0; i < e->n; i++) {
		path_of(cfg, sizeof(cfg), dir, e->tables[i], ".cfg");
		unlink(cfg);
		if (ok)
			find_table(tables, n, e->tables[i])->done = true;
	}
	return ok;
}

bool mysql_rows_by_files(MYSQL *admin, struct mysql_table *tables, size_t n,
			 void *ctx, struct failure *f)
{
	struct files_way *w = ctx;
	struct export *e = export_of(w, admin, tables, n, f);
	bool ok;

	w->imported = 0;
	w->failed_before = false;
	if (!e)
		return false;
	ok = import_into(w, admin, e, tables, n, f);
	if (ok)
		w->imported = (unsigned)e->n;
	w->failed_before = release(e, !ok) && !ok;
	return ok && w->rest(admin, tables, n, w->rest_ctx, f);
}

/* ---- is it this server's directory? ------------------------------------ */

bool mysql_files_usable(struct files_way *w, MYSQL *admin, char *why,
			size_t whylen)
{
	char vals[PATH_MAX + 16], path[PATH_MAX];
	const char *per_table;
	unsigned ncols = 0;
	struct stat st;

	if (!strcmp(test_mode(), "off"))
		return snprintf(why, whylen, "DBCLONE_TEST_MYSQL_FILES=off"), false;
	if (!exports_mine())
		return snprintf(why, whylen, "exports are the parent process's"), false;
	if (mysql_files_failed(w->frozen))
		return snprintf(why, whylen, "it failed before for \"%s\"",
				w->frozen), false;
	if (!mysql_one_row(w->api, admin, "SELECT @@datadir, @@innodb_file_per_table",
			   vals, sizeof(vals), &ncols) || ncols != 2 || vals[0] != '/')
		return snprintf(why, whylen, "the server's datadir is unknown"), false;
	per_table = vals + strlen(vals) + 1;
	/* Room for "<datadir><schema>/<table>.ibd.dbclone.BAK". */
	if (strlen(vals) + 2 * MYSQL_NAME_MAX + 32 >= sizeof(w->datadir))
		return snprintf(why, whylen, "the datadir's path is too long"), false;
	path_of(w->datadir, sizeof(w->datadir), vals, "",
		vals[strlen(vals) - 1] == '/' ? "" : "/");
	if (strcmp(per_table, "1") && strcasecmp(per_table, "ON"))
		return snprintf(why, whylen, "innodb_file_per_table is off"), false;
	snprintf(path, sizeof(path), "%s%s", w->datadir, w->frozen);
	if (access(path, R_OK | W_OK | X_OK) != 0)
		return snprintf(why, whylen, "%s cannot be written here (%s)", path,
				strerror(errno)), false;
	/* The clone's directory must appear when the server makes it. */
	snprintf(path, sizeof(path), "%s%s", w->datadir, w->clone);
	if (lstat(path, &st) == 0 || errno != ENOENT)
		return snprintf(why, whylen, "%s is there before the clone is",
				path), false;
	return true;
}
