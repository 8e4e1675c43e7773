/* SQLite behind the engine table: no admin connection, clones are files
 * in DBCLONE_DIR. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "sqlite.h"

static const char *sq_source_of(const struct spec *sp)
{
	return sp->sqlite.path;
}

static void sq_describe(const struct spec *sp, char *out, size_t outlen)
{
	(void)sp;
	snprintf(out, outlen, "file");
}

static bool sq_from_description(struct spec *sp, const char *where)
{
	(void)where;
	memset(sp, 0, sizeof(*sp));
	sp->ops = &engine_sqlite;
	return true;
}

static bool sq_server_named(void)
{
	return false;
}

static bool sq_clone_name(const struct spec *sp, unsigned long seq,
			  char *name, size_t namelen)
{
	char dir[PATH_MAX], err[512];

	return sqlite_clone_dir(true, dir, sizeof(dir), err, sizeof(err)) &&
	       sqlite_clone_path(dir, sp->sqlite.path, seq, name, namelen);
}

/* The file to copy: a source the library made absolute at the open, or a
 * layer or golden copy in DBCLONE_DIR, is only asked whether it is still
 * there; a relative name (a relative DBCLONE_DIR) is resolved. */
static bool source_at(const char *path, struct sqlite_source *src)
{
	struct stat st;

	if (path[0] != '/')
		return sqlite_resolve(path, false, src);
	memset(src, 0, sizeof(*src));
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    strlen(path) >= sizeof(src->path))
		return false;
	strcpy(src->path, path);
	return true;
}

static bool sq_clone(void *admin, const struct spec *sp, const char *from,
		     unsigned long seq, unsigned flags, const struct marker *m,
		     char *name, size_t namelen, struct failure *f)
{
	const char *path = from ? from : sp->sqlite.path;
	struct sqlite_source src;
	char dir[PATH_MAX];
	int code;

	(void)admin;
	/* A file nobody opens needs no freezing; a live one is read under a
	 * read transaction anyway (sqlite_clone). */
	(void)flags;
	if (!source_at(path, &src))
		return fail(f, FAIL_GONE, "dbclone: %s is gone", path);
	if (!sqlite_clone_dir(true, dir, sizeof(dir), f->why, sizeof(f->why))) {
		f->kind = FAIL_REFUSED;
		return false;
	}
	if (sqlite_clone(engine_sqlite_api, &src, dir, seq, m, name, namelen,
			 &code, f->why, sizeof(f->why)))
		return true;
	f->kind = fail_kind_sqlite(code);
	f->code = code;
	return false;
}

static bool sq_stamp(void *admin, const char *name, char *out, size_t outlen)
{
	(void)admin;
	return sqlite_stamp(name, out, outlen);
}

static bool sq_drop(void *admin, const char *name, struct failure *f)
{
	(void)admin;
	f->kind = FAIL_INVALID;
	return sqlite_drop(name, f->why, sizeof(f->why));
}

/* Unlinking a file frees its blocks there and then (tmpfs: about 0.1 ms
 * per MiB here), against some 0.03 ms to start a thread. */
#define SLOW_DROP_BYTES (512 * 1024)

static bool sq_drop_is_slow(const char *name)
{
	struct stat st;

	return stat(name, &st) == 0 && (long long)st.st_blocks * 512 > SLOW_DROP_BYTES;
}

/* An unusable DBCLONE_DIR holds no clone of ours. */
static bool sq_list(void *admin, engine_list_fn fn, void *ctx,
		    struct failure *f)
{
	char dir[PATH_MAX];

	(void)admin;
	f->kind = FAIL_INVALID;
	if (!sqlite_clone_dir(false, dir, sizeof(dir), f->why, sizeof(f->why)))
		return true;
	return sqlite_list(dir, fn, ctx, f->why, sizeof(f->why));
}

static bool sq_read_marker(void *admin, const char *name, char *out,
			   size_t outlen)
{
	(void)admin;
	return sqlite_read_marker(name, out, outlen);
}

static bool sq_mark(void *admin, const char *name, const struct marker *m)
{
	(void)admin;
	return sqlite_write_marker(name, m);
}

static void sq_command(const struct spec *sp, const char *name, char *out,
		       size_t outlen)
{
	(void)sp;
	snprintf(out, outlen, "sqlite3 '%s'", name);
}

const struct engine_ops engine_sqlite = {
	.name = "sqlite",
	.layout = &spec_layout_sqlite,
	.source = sq_source_of,
	.describe = sq_describe,
	.from_description = sq_from_description,
	.server_named = sq_server_named,
	.clone_name = sq_clone_name,
	.clone = sq_clone,
	.files_beside_intents = true,
	.stamp = sq_stamp,
	.stamp_local = true,
	.drop = sq_drop,
	.drop_is_slow = sq_drop_is_slow,
	.list = sq_list,
	.read_marker = sq_read_marker,
	.write_marker = sq_mark,
	.connect_command = sq_command,
};
