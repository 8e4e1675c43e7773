/* The SQLite hooks: an open of an existing database file is redirected to
 * this test key's copy of it; closes are tracked like libpq's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "bind.h"
#include "config.h"
#include "log.h"
#include "refusal.h"
#include "registry.h"
#include "sqlite.h"
#include "wire.h"

static struct sqlite_api real;
static int (*real_sqlite3_open)(const char *, sqlite3 **);
static int (*real_sqlite3_open16)(const void *, sqlite3 **);
static int (*real_sqlite3_close_v2)(sqlite3 *);
static int (*real_sqlite3_compileoption_used)(const char *);
static int (*real_sqlite3_errcode)(sqlite3 *);
static int (*real_sqlite3_extended_errcode)(sqlite3 *);
static pthread_once_t bound = PTHREAD_ONCE_INIT;
static bool bound_ok;
static bool uri_by_default;

static void bind_sqlite(void)
{
	static const struct real_symbol syms[] = {
		REAL_SYMBOL(real_sqlite3_open, "sqlite3_open"),
		REAL_SYMBOL(real_sqlite3_open16, "sqlite3_open16"),
		REAL_SYMBOL(real_sqlite3_close_v2, "sqlite3_close_v2"),
		REAL_SYMBOL(real_sqlite3_compileoption_used, "sqlite3_compileoption_used"),
		REAL_SYMBOL(real_sqlite3_errcode, "sqlite3_errcode"),
		REAL_SYMBOL(real_sqlite3_extended_errcode, "sqlite3_extended_errcode"),
		REAL_SYMBOL(real.open_v2, "sqlite3_open_v2"),
		REAL_SYMBOL(real.close, "sqlite3_close"),
		REAL_SYMBOL(real.exec, "sqlite3_exec"),
		REAL_SYMBOL(real.errmsg, "sqlite3_errmsg"),
		REAL_SYMBOL(real.backup_init, "sqlite3_backup_init"),
		REAL_SYMBOL(real.backup_step, "sqlite3_backup_step"),
		REAL_SYMBOL(real.backup_finish, "sqlite3_backup_finish"),
		REAL_SYMBOL(real.free, "sqlite3_free"),
		{NULL, NULL},
	};

	bound_ok = bind_real_symbols(syms, "libsqlite3");
	if (bound_ok)
		uri_by_default = real_sqlite3_compileoption_used("USE_URI=1");
}

static bool bind_ok(void)
{
	pthread_once(&bound, bind_sqlite);
	return bound_ok;
}

/* ---- the engine -------------------------------------------------------- */

static bool drop_sqlite(void *server, const char *clone, bool force, char *err,
			size_t errlen)
{
	(void)server;
	(void)force;
	return sqlite_drop(clone, err, errlen);
}

static void describe_sqlite(void *server, char *out, size_t outlen)
{
	(void)server;
	snprintf(out, outlen, "file");
}

struct make_ctx {
	const struct sqlite_source *src;
	int code; /* the result code for the program when making fails */
};

static void spec_sqlite(void *vctx, char *out, size_t outlen)
{
	wire_append(out, outlen, ((struct make_ctx *)vctx)->src->path);
}

static const struct engine sqlite_engine = {"sqlite", drop_sqlite,
					    describe_sqlite, spec_sqlite,
					    false};

static bool make_sqlite(void *vctx, unsigned long seq, char *name,
			size_t namelen, void **server, char *err, size_t errlen)
{
	struct make_ctx *ctx = vctx;
	struct marker m;
	char dir[PATH_MAX];

	*server = NULL;
	if (!sqlite_clone_dir(true, dir, sizeof(dir), err, errlen))
		return false;
	marker_for_self(&m, ctx->src->path);
	return sqlite_clone(&real, ctx->src, dir, seq, &m, name, namelen,
			    &ctx->code, err, errlen);
}

/* ---- opens ------------------------------------------------------------- */

/* A handle SQLite itself failed to open (so close and errcode behave),
 * whose sqlite3_errmsg tells dbclone's reason. */
static int refuse(sqlite3 **db, int code, const char *why)
{
	log_error("%s", why);
	real.open_v2("/dev/null/dbclone-refused", db, SQLITE_OPEN_READONLY, NULL);
	if (*db)
		refusal_add(*db, code, why);
	return code;
}

/* A clone is never cloned again. */
static bool is_clone_path(const char *path)
{
	const char *base = strrchr(path, '/');

	return is_clone_name(base ? base + 1 : path);
}

/* The one path of every open hook: returns the result, or sets *passthrough
 * when the program's own call should run unchanged. */
static int hooked_open(const char *filename, sqlite3 **db, int flags,
		       const char *vfs, bool uri, bool *passthrough)
{
	const struct config *cfg = config_get();
	struct sqlite_source src;
	struct make_ctx ctx = {&src, SQLITE_CANTOPEN};
	char err[1024], name[PATH_MAX + 1200];
	struct clone *c;
	bool refused;
	int rc;

	*passthrough = true;
	if (cfg->disable || !(cfg->error || (cfg->engines & ENGINE_SQLITE)))
		return SQLITE_OK;
	*passthrough = false;
	if (cfg->error)
		return refuse(db, SQLITE_CANTOPEN, cfg->error);
	if (!sqlite_resolve(filename, uri, &src) || is_clone_path(src.path)) {
		log_trace("%s passes through", filename ? filename : "(null)");
		*passthrough = true;
		return SQLITE_OK;
	}
	c = clone_for_source(&sqlite_engine, src.path, src.path, make_sqlite,
			     &ctx, &refused, err, sizeof(err));
	if (!c && refused)
		return refuse(db, ctx.code, err);
	if (!c) {
		*passthrough = true;
		return SQLITE_OK;
	}
	sqlite_rewrite(&src, clone_name_of(c), name, sizeof(name));
	rc = real.open_v2(name, db, flags | (src.uri ? SQLITE_OPEN_URI : 0), vfs);
	if (*db)
		clone_track(c, *db);
	else
		clone_release(c);
	return rc;
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
	bool pass;
	int rc;

	if (!bind_ok()) {
		*db = NULL;
		return SQLITE_CANTOPEN;
	}
	rc = hooked_open(filename, db, flags, vfs,
			 (flags & SQLITE_OPEN_URI) || uri_by_default, &pass);
	return pass ? real.open_v2(filename, db, flags, vfs) : rc;
}

HOOK int sqlite3_open(const char *filename, sqlite3 **db)
{
	bool pass;
	int rc;

	if (!bind_ok()) {
		*db = NULL;
		return SQLITE_CANTOPEN;
	}
	rc = hooked_open(filename, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			 NULL, uri_by_default, &pass);
	return pass ? real_sqlite3_open(filename, db) : rc;
}

HOOK int sqlite3_open16(const void *filename, sqlite3 **db)
{
	char name[PATH_MAX * 2];
	bool pass = true;
	int rc = SQLITE_OK;

	if (!bind_ok()) {
		*db = NULL;
		return SQLITE_CANTOPEN;
	}
	if (filename && utf16_to_utf8(filename, name, sizeof(name)))
		rc = hooked_open(name, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				 NULL, uri_by_default, &pass);
	return pass ? real_sqlite3_open16(filename, db) : rc;
}

HOOK int sqlite3_close(sqlite3 *db)
{
	struct clone *c = NULL;
	int rc;

	if (!bind_ok())
		return SQLITE_MISUSE;
	/* Untracked before the real close: after it, another thread's open
	 * may get the same address. */
	if (db)
		c = clone_detach(db);
	rc = real.close(db);
	if (rc == SQLITE_OK && db)
		refusal_forget(db);
	/* SQLITE_BUSY leaves the connection open: it still uses the clone. */
	if (c && rc != SQLITE_OK)
		clone_track(c, db);
	else if (c)
		clone_release(c);
	return rc;
}

HOOK int sqlite3_close_v2(sqlite3 *db)
{
	struct clone *c = NULL;
	int rc;

	if (!bind_ok())
		return SQLITE_MISUSE;
	if (db) {
		refusal_forget(db);
		c = clone_detach(db);
	}
	rc = real_sqlite3_close_v2(db);
	/* A zombie connection may keep the file open a while: unlinking it
	 * is still safe. */
	if (c)
		clone_release(c);
	return rc;
}

HOOK const char *sqlite3_errmsg(sqlite3 *db)
{
	const char *msg;

	if (!bind_ok())
		return "dbclone: libsqlite3 is not loaded";
	msg = refusal_message(db, false);
	return msg ? msg : real.errmsg(db);
}

/* A refused handle reports the code its open returned. */
HOOK int sqlite3_errcode(sqlite3 *db)
{
	int code;

	if (!bind_ok())
		return SQLITE_MISUSE;
	return refusal_code(db, &code) ? code : real_sqlite3_errcode(db);
}

HOOK int sqlite3_extended_errcode(sqlite3 *db)
{
	int code;

	if (!bind_ok())
		return SQLITE_MISUSE;
	return refusal_code(db, &code) ? code : real_sqlite3_extended_errcode(db);
}

const struct hook sqlite_hooks[] = {
	{"sqlite3_open", (void *)sqlite3_open},
	{"sqlite3_open16", (void *)sqlite3_open16},
	{"sqlite3_open_v2", (void *)sqlite3_open_v2},
	{"sqlite3_close", (void *)sqlite3_close},
	{"sqlite3_close_v2", (void *)sqlite3_close_v2},
	{"sqlite3_errmsg", (void *)sqlite3_errmsg},
	{"sqlite3_errcode", (void *)sqlite3_errcode},
	{"sqlite3_extended_errcode", (void *)sqlite3_extended_errcode},
	{NULL, NULL},
};
