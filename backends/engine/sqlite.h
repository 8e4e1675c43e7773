/* SQLite: resolve a source file, copy it into a clone, drop a clone, list
 * clones. Shared by the library and the command; SQLite is reached only
 * through struct sqlite_api (see backends/pg.h for why). */
#ifndef DBCLONE_SQLITE_H
#define DBCLONE_SQLITE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>

#include "marker.h"

struct sqlite_api {
	int (*open_v2)(const char *filename, sqlite3 **db, int flags,
		       const char *vfs);
	int (*close)(sqlite3 *db);
	int (*exec)(sqlite3 *db, const char *sql,
		    int (*callback)(void *, int, char **, char **), void *arg,
		    char **errmsg);
	const char *(*errmsg)(sqlite3 *db);
	sqlite3_backup *(*backup_init)(sqlite3 *dest, const char *dest_name,
				       sqlite3 *src, const char *src_name);
	int (*backup_step)(sqlite3_backup *backup, int pages);
	int (*backup_finish)(sqlite3_backup *backup);
	void (*free)(void *ptr);
};

/* What an open names, once it is known to be a database file to clone. */
struct sqlite_source {
	char path[PATH_MAX]; /* absolute, symlinks resolved: one per file */
	bool uri;            /* a file: URI: the clone is opened as one too */
	char query[1024];    /* the URI's query string, kept as it was */
};

/* False when the open passes through untouched: :memory:, the empty name
 * (a temporary database), mode=memory, a file that does not exist (yet),
 * anything that is not a regular file. uri tells whether a "file:" name is
 * a URI for this open (SQLITE_OPEN_URI, or SQLite's own default). */
bool sqlite_resolve(const char *filename, bool uri, struct sqlite_source *src);

/* The name to open instead: the clone's path, as a URI with the original
 * query when the program used one. */
void sqlite_rewrite(const struct sqlite_source *src, const char *clone,
		    char *out, size_t outlen);

/* DBCLONE_DIR, or ${TMPDIR:-/tmp}/dbclone-<uid>: made with mode 0700 when
 * create is set; refused when it is a symlink or someone else's. */
bool sqlite_clone_dir(bool create, char *out, size_t outlen, char *err,
		      size_t errlen);

/* The path sqlite_clone gives the copy of source made after seq in dir;
 * false when it does not fit. */
bool sqlite_clone_path(const char *dir, const char *source, unsigned long seq,
		       char *out, size_t outlen);

/* Copies src->path to dir/<name>.sqlite (reflink, else copy_file_range,
 * else the backup API; the backup API whenever the source has a WAL with
 * frames or a hot journal), under a read transaction on the source, and
 * writes the marker beside it. Fills clone with the clone's path. On
 * failure nothing is left, err holds a one-line "dbclone:" text and *code
 * an SQLite result code for the program. */
bool sqlite_clone(const struct sqlite_api *api, const struct sqlite_source *src,
		  const char *dir, unsigned long seq, const struct marker *m,
		  char *clone, size_t clonelen, int *code, char *err,
		  size_t errlen);

/* What changes whenever the database file is written: its header's change
 * counter (rollback journal), the -wal file's size and header (WAL: each
 * commit grows it, a restart changes its salts), sizes and inode. */
bool sqlite_stamp(const char *path, char *out, size_t outlen);
/* Whether stamps keep the descriptors they read by (default: yes, for a
 * program's process, whose own SQLite locks a close would drop). */
void sqlite_stamps_keep(bool keep);
/* Removes the clone and its -wal, -shm, -journal and marker. */
bool sqlite_drop(const char *clone, char *err, size_t errlen);

/* Calls fn for every dbclone_*.sqlite in dir, with its path and marker. */
bool sqlite_list(const char *dir, clone_list_fn fn, void *ctx, char *err,
		 size_t errlen);

/* Replaces a clone's marker file (mode 0600). */
bool sqlite_write_marker(const char *clone, const struct marker *m);

/* The marker of a clone, read from its marker file. */
bool sqlite_read_marker(const char *clone, char *out, size_t outlen);

#endif
