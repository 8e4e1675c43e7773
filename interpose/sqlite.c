/* The SQLite hooks: an open of an existing database file goes through the
 * one policy (hook.c) to this test key's copy of it; closes are tracked. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "bind.h"
#include "config.h"
#include "conns.h"
#include "hook.h"
#include "report.h"
#include "real.h"
#include "sqlite.h"
#include "sqlite_vfs.h"

/* ---- the calls --------------------------------------------------------- */

/* ATTACHED: a file SQLite opens by itself (sqlite_vfs.c), named by path. */
enum sq_kind { OPEN, OPEN16, OPEN_V2, ATTACHED };

struct sq_args {
	enum sq_kind kind;
	const void *filename; /* as the program gave it */
	const char *name;     /* in UTF-8; NULL: not to be cloned */
	sqlite3 **db;
	int flags;
	const char *vfs;
	bool uri; /* a file: URI (SQLITE_OPEN_URI, or SQLite's default) */
	struct sqlite_source src;
	int rc; /* what the program gets */
	char *out; /* ATTACHED: the path to open, and its handle */
	size_t outlen;
	const void *ticket;
};

/* The program's own call, unchanged. */
static int libsqlite_open(const struct sq_args *a)
{
	switch (a->kind) {
	case OPEN:
		return libsqlite3.open(a->filename, a->db);
	case OPEN16:
		return libsqlite3.open16(a->filename, a->db);
	case OPEN_V2:
		return libsqlite3.api.open_v2(a->filename, a->db, a->flags, a->vfs);
	case ATTACHED:
		break;
	}
	return SQLITE_MISUSE;
}

/* The closes, as hook_close() calls them. */
static int close_db(void *db)
{
	return libsqlite3.api.close(db);
}

static int close_db_v2(void *db)
{
	return libsqlite3.close_v2(db);
}

/* ---- the engine -------------------------------------------------------- */

/* :memory:, the empty name (a temporary database), mode=memory: a
 * database that starts empty on every open, which no copy can isolate. */
static bool in_memory(const char *name, bool uri)
{
	return !name || !*name || !strcmp(name, ":memory:") ||
	       (uri && !strncmp(name, "file:", 5) &&
		(strstr(name, "mode=memory") || strstr(name, "vfs=memdb") ||
		 !strncmp(name, "file::memory:", 13)));
}

/* A file that exists (not :memory:, not a new file), made absolute. */
static enum verdict resolve_sqlite(struct hook_call *call, struct source *src)
{
	struct sq_args *a = call->args;
	const char *base;

	if (!a->name || !sqlite_resolve(a->name, a->uri, &a->src)) {
		call->passed = in_memory(a->name, a->uri) ? PASSED_MEMORY :
			       PASSED_MISSING;
		return PASS_THROUGH;
	}
	snprintf(src->name, sizeof(src->name), "%s", a->src.path);
	snprintf(src->id, sizeof(src->id), "%s", a->src.path);
	base = strrchr(src->name, '/');
	src->leaf = base ? base + 1 : src->name;
	call->spec.ops = &engine_sqlite;
	snprintf(call->spec.sqlite.path, sizeof(call->spec.sqlite.path), "%s",
		 a->src.path);
	return USE_CLONE;
}

/* The program's open, or an open of the clone. */
static void call_sqlite(struct hook_call *call, const char *clone)
{
	struct sq_args *a = call->args;
	char name[PATH_MAX + 1200];

	if (a->kind == ATTACHED) {
		a->rc = !clone ? SQLITE_NOTFOUND :
			(size_t)snprintf(a->out, a->outlen, "%s", clone) < a->outlen ?
			SQLITE_OK : SQLITE_CANTOPEN;
		call->result = a->rc == SQLITE_OK ? a->ticket : NULL;
		return;
	}
	if (clone) {
		sqlite_rewrite(&a->src, clone, name, sizeof(name));
		/* A clone exists once made: one gone (dropped by the run
		 * after a key change) must not come back as an empty file.
		 * The program's flags stay as they are: SQLite opens the
		 * files a connection ATTACHes with them, so a clone opened
		 * without SQLITE_OPEN_CREATE could attach no new file. */
		if ((call->clone_gone = call->may_ask_again &&
					access(clone, F_OK) != 0)) {
			*a->db = NULL;
			a->rc = SQLITE_CANTOPEN;
		} else {
			a->rc = libsqlite3.api.open_v2(name, a->db, a->flags |
				(a->src.uri ? SQLITE_OPEN_URI : 0), a->vfs);
		}
	} else {
		a->rc = libsqlite_open(a);
	}
	call->result = *a->db;
}

/* A handle SQLite itself failed to open (so close and errcode behave),
 * whose sqlite3_errmsg tells dbclone's reason. */
static void refuse_sqlite(struct hook_call *call)
{
	struct sq_args *a = call->args;

	if (a->kind == ATTACHED) {
		a->rc = call->code;
		return;
	}
	libsqlite3.api.open_v2("/dev/null/dbclone-refused", a->db,
			       SQLITE_OPEN_READONLY, NULL);
	a->rc = call->code;
	call->result = *a->db;
}

static const struct engine sqlite_engine = {
	&engine_sqlite, ENGINE_SQLITE, resolve_sqlite, call_sqlite, refuse_sqlite,
};

static int sqlite_open(struct sq_args *a)
{
	/* Without the VFS shim an ATTACH would write to the real file. */
	if (!real_bound(REAL_LIBSQLITE3) || !sqlite_vfs_ready()) {
		*a->db = NULL;
		return SQLITE_CANTOPEN;
	}
	a->uri = a->uri || libsqlite3.uri_by_default;
	hook_run(&(struct hook_call){.engine = &sqlite_engine, .args = a,
				     .code = SQLITE_CANTOPEN});
	return a->rc;
}

int sqlite_attach_path(const char *name, const void *ticket, char *out,
		       size_t outlen)
{
	struct sq_args a = {.kind = ATTACHED, .name = name, .out = out,
			    .outlen = outlen, .ticket = ticket,
			    .rc = SQLITE_NOTFOUND};

	hook_run(&(struct hook_call){.engine = &sqlite_engine, .args = &a,
				     .code = SQLITE_CANTOPEN});
	return a.rc;
}

/* UTF-16 in the machine's byte order (as sqlite3_open16 takes it) to UTF-8. */
static bool utf16_to_utf8(const void *in, char *out, size_t outlen)
{
	const unsigned short *s = in;
	size_t n = 0;

	for (; *s; s++) {
		unsigned long cp = *s;

		if (cp >= 0xd800 && cp < 0xdc00 && s[1] >= 0xdc00 && s[1] < 0xe000)
			cp = 0x10000 + ((cp - 0xd800) << 10) + (*++s - 0xdc00);
		if (n + 5 >= outlen)
			return false;
		if (cp < 0x80) {
			out[n++] = (char)cp;
		} else if (cp < 0x800) {
			out[n++] = (char)(0xc0 | cp >> 6);
			out[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[n++] = (char)(0xe0 | cp >> 12);
			out[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[n++] = (char)(0xf0 | cp >> 18);
			out[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
			out[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[n++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[n] = '\0';
	return true;
}

/* ---- the hooks --------------------------------------------------------- */

HOOK int sqlite3_open_v2(const char *filename, sqlite3 **db, int flags,
			 const char *vfs)
{
	return sqlite_open(&(struct sq_args){.kind = OPEN_V2,
			   .filename = filename, .name = filename, .db = db,
			   .flags = flags, .vfs = vfs,
			   .uri = flags & SQLITE_OPEN_URI});
}

HOOK int sqlite3_open(const char *filename, sqlite3 **db)
{
	return sqlite_open(&(struct sq_args){.kind = OPEN,
			   .filename = filename, .name = filename, .db = db,
			   .flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE});
}

HOOK int sqlite3_open16(const void *filename, sqlite3 **db)
{
	char name[PATH_MAX * 2];
	bool decoded = filename && utf16_to_utf8(filename, name, sizeof(name));

	return sqlite_open(&(struct sq_args){.kind = OPEN16,
			   .filename = filename, .name = decoded ? name : NULL,
			   .db = db,
			   .flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE});
}

/* SQLITE_BUSY leaves the connection open: it still uses the clone. */
HOOK int sqlite3_close(sqlite3 *db)
{
	return real_bound(REAL_LIBSQLITE3) ?
		hook_close(&sqlite_engine, db, close_db, true) : SQLITE_MISUSE;
}

/* A zombie connection may keep the file open a while: unlinking it is
 * still safe. */
HOOK int sqlite3_close_v2(sqlite3 *db)
{
	return real_bound(REAL_LIBSQLITE3) ?
		hook_close(&sqlite_engine, db, close_db_v2, false) : SQLITE_MISUSE;
}

HOOK const char *sqlite3_errmsg(sqlite3 *db)
{
	const char *msg;

	if (!real_bound(REAL_LIBSQLITE3))
		return "dbclone: libsqlite3 is not loaded";
	msg = conns_refusal(db, false);
	return msg ? msg : libsqlite3.api.errmsg(db);
}

/* A refused handle reports the code its open returned. */
HOOK int sqlite3_errcode(sqlite3 *db)
{
	int code;
	long tag;

	if (!real_bound(REAL_LIBSQLITE3))
		return SQLITE_MISUSE;
	return conns_refusal_code(db, &code, &tag) ? code
						   : libsqlite3.errcode(db);
}

HOOK int sqlite3_extended_errcode(sqlite3 *db)
{
	int code;
	long tag;

	if (!real_bound(REAL_LIBSQLITE3))
		return SQLITE_MISUSE;
	return conns_refusal_code(db, &code, &tag) ? code
		: libsqlite3.extended_errcode(db);
}

const struct hook sqlite_hooks[] = {
	HOOKED(sqlite3_open), HOOKED(sqlite3_open16),
	HOOKED(sqlite3_open_v2), HOOKED(sqlite3_close),
	HOOKED(sqlite3_close_v2), HOOKED(sqlite3_errmsg),
	HOOKED(sqlite3_errcode), HOOKED(sqlite3_extended_errcode),
	{NULL, NULL},
};
