/* The VFS shim (sqlite_vfs.h): ATTACH reaches the test key's copy.
 *
 * The redirect is made in xFullPathname, not in xOpen: SQLite names the
 * -journal, -wal and -shm files after the full path it was given, so a
 * copy redirected only in xOpen would still have its journal written (and
 * a hot one rolled back) next to the real file. The copy is held from
 * xFullPathname to the xClose of the file SQLite then opens under that
 * name: a per-thread pending ticket hands the hold from one to the other
 * (SQLite's pager calls both, in that order, on one thread). */
#include "sqlite_vfs.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "registry.h"

#define MAX_SHIMS 16

/* One shimmed VFS: what SQLite calls, named as the one it stands before. */
struct shim {
	sqlite3_vfs vfs; /* first: SQLite hands back &shim->vfs */
	sqlite3_vfs *real;
	size_t tail;     /* where a file's trailer starts */
};

#define REAL(v) (((struct shim *)(v))->real)

/* What a redirected file carries after the real VFS's own file. */
struct trailer {
	void *ticket;
};

/* ---- holding a copy while its file is open ----------------------------- */

/* A copy of a real io_methods table with xClose ours: a redirected file
 * uses it, so that its close gives the copy back. A few real tables exist
 * (one per locking style), made once each and never freed. */
struct tracked {
	sqlite3_io_methods methods; /* first: the file's pMethods */
	const sqlite3_io_methods *orig;
	size_t tail;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracked tracked[MAX_SHIMS * 4];
static size_t n_tracked;

static __thread void *pending;       /* the hold xFullPathname took */
static __thread char *pending_path;  /* for the file of this full path */

static void let_go(void *ticket)
{
	struct clone *c = clone_detach(ticket);

	if (c)
		clone_release(c);
	free(ticket);
}

static void let_go_pending(void)
{
	if (pending)
		let_go(pending);
	free(pending_path);
	pending = NULL;
	pending_path = NULL;
}

static int tracked_close(sqlite3_file *f)
{
	const struct tracked *t = (const struct tracked *)f->pMethods;
	struct trailer *tr = (struct trailer *)((char *)f + t->tail);
	void *ticket = tr->ticket;
	int rc;

	f->pMethods = t->orig;
	rc = t->orig->xClose(f);
	let_go(ticket);
	return rc;
}

static const sqlite3_io_methods *tracking(const sqlite3_io_methods *orig,
					  size_t tail)
{
	const sqlite3_io_methods *m = NULL;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < n_tracked && !m; i++)
		if (tracked[i].orig == orig && tracked[i].tail == tail)
			m = &tracked[i].methods;
	if (!m && n_tracked < sizeof(tracked) / sizeof(tracked[0])) {
		struct tracked *t = &tracked[n_tracked++];

		t->methods = *orig;
		t->methods.xClose = tracked_close;
		t->orig = orig;
		t->tail = tail;
		m = &t->methods;
	}
	pthread_mutex_unlock(&lock);
	return m;
}

void sqlite_vfs_at_fork(enum fork_phase phase)
{
	fork_one_lock(&lock, phase);
}

/* ---- the two calls that redirect --------------------------------------- */

static int shim_full_pathname(sqlite3_vfs *v, const char *name, int n,
			      char *out)
{
	sqlite3_vfs *real = REAL(v);
	char copy[PATH_MAX];
	void *ticket;
	int rc;

	let_go_pending();
	if (!(ticket = calloc(1, 1)))
		return SQLITE_NOMEM;
	rc = sqlite_attach_path(name, ticket, copy, sizeof(copy));
	if (rc != SQLITE_OK) {
		free(ticket);
		return rc == SQLITE_NOTFOUND ?
			real->xFullPathname(real, name, n, out) : rc;
	}
	rc = real->xFullPathname(real, copy, n, out);
	if ((rc & 0xff) == SQLITE_OK && (pending_path = strdup(out))) {
		pending = ticket;
		return rc;
	}
	let_go(ticket);
	return (rc & 0xff) == SQLITE_OK ? SQLITE_NOMEM : rc;
}

static int shim_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f,
		     int flags, int *outflags)
{
	struct shim *s = (struct shim *)v;
	void *ticket = NULL;
	const sqlite3_io_methods *m;
	int rc;

	if (pending && name && (flags & SQLITE_OPEN_MAIN_DB) &&
	    !strcmp(name, pending_path)) {
		ticket = pending;
		pending = NULL;
	}
	let_go_pending();
	rc = s->real->xOpen(s->real, name, f, flags, outflags);
	if (!ticket)
		return rc;
	if (rc == SQLITE_OK && f->pMethods &&
	    (m = tracking(f->pMethods, s->tail))) {
		((struct trailer *)((char *)f + s->tail))->ticket = ticket;
		f->pMethods = m;
	} else {
		let_go(ticket);
	}
	return rc;
}

/* ---- the rest, as the real VFS does it --------------------------------- */

static int shim_delete(sqlite3_vfs *v, const char *name, int sync)
{
	return REAL(v)->xDelete(REAL(v), name, sync);
}

static int shim_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return REAL(v)->xAccess(REAL(v), name, flags, out);
}

static void *shim_dlopen(sqlite3_vfs *v, const char *name)
{
	return REAL(v)->xDlOpen(REAL(v), name);
}

static void shim_dlerror(sqlite3_vfs *v, int n, char *out)
{
	REAL(v)->xDlError(REAL(v), n, out);
}

static void (*shim_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return REAL(v)->xDlSym(REAL(v), h, sym);
}

static void shim_dlclose(sqlite3_vfs *v, void *h)
{
	REAL(v)->xDlClose(REAL(v), h);
}

static int shim_randomness(sqlite3_vfs *v, int n, char *out)
{
	return REAL(v)->xRandomness(REAL(v), n, out);
}

static int shim_sleep(sqlite3_vfs *v, int us)
{
	return REAL(v)->xSleep(REAL(v), us);
}

static int shim_current_time(sqlite3_vfs *v, double *out)
{
	return REAL(v)->xCurrentTime(REAL(v), out);
}

static int shim_last_error(sqlite3_vfs *v, int n, char *out)
{
	return REAL(v)->xGetLastError(REAL(v), n, out);
}

static int shim_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	return REAL(v)->xCurrentTimeInt64(REAL(v), out);
}

static int shim_set_syscall(sqlite3_vfs *v, const char *name,
			    sqlite3_syscall_ptr p)
{
	return REAL(v)->xSetSystemCall(REAL(v), name, p);
}

static sqlite3_syscall_ptr shim_get_syscall(sqlite3_vfs *v, const char *name)
{
	return REAL(v)->xGetSystemCall(REAL(v), name);
}

static const char *shim_next_syscall(sqlite3_vfs *v, const char *name)
{
	return REAL(v)->xNextSystemCall(REAL(v), name);
}

/* A method the real VFS lacks stays NULL, as SQLite expects. */
#define SHIM(real, field, fn) ((real)->field ? (fn) : NULL)

static struct shim *shim_of(sqlite3_vfs *real)
{
	struct shim *s = calloc(1, sizeof(*s));
	sqlite3_vfs *v;

	if (!s)
		return NULL;
	v = &s->vfs;
	s->real = real;
	s->tail = ((size_t)real->szOsFile + 15) & ~(size_t)15;
	v->iVersion = real->iVersion < 3 ? real->iVersion : 3;
	v->szOsFile = (int)(s->tail + sizeof(struct trailer));
	v->mxPathname = real->mxPathname;
	v->zName = real->zName;
	v->pAppData = real->pAppData;
	v->xOpen = shim_open;
	v->xDelete = SHIM(real, xDelete, shim_delete);
	v->xAccess = SHIM(real, xAccess, shim_access);
	v->xFullPathname = shim_full_pathname;
	v->xDlOpen = SHIM(real, xDlOpen, shim_dlopen);
	v->xDlError = SHIM(real, xDlError, shim_dlerror);
	v->xDlSym = SHIM(real, xDlSym, shim_dlsym);
	v->xDlClose = SHIM(real, xDlClose, shim_dlclose);
	v->xRandomness = SHIM(real, xRandomness, shim_randomness);
	v->xSleep = SHIM(real, xSleep, shim_sleep);
	v->xCurrentTime = SHIM(real, xCurrentTime, shim_current_time);
	v->xGetLastError = SHIM(real, xGetLastError, shim_last_error);
	if (v->iVersion >= 2)
		v->xCurrentTimeInt64 = SHIM(real, xCurrentTimeInt64,
					    shim_current_time64);
	if (v->iVersion >= 3) {
		v->xSetSystemCall = SHIM(real, xSetSystemCall, shim_set_syscall);
		v->xGetSystemCall = SHIM(real, xGetSystemCall, shim_get_syscall);
		v->xNextSystemCall = SHIM(real, xNextSystemCall,
					  shim_next_syscall);
	}
	return s;
}

/* ---- registration ------------------------------------------------------ */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool ready;

/* The default first (it becomes the default), then the others, each
 * registered after the head of SQLite's list and so found by name before
 * the real one it stands for. memdb holds no file. */
static void register_shims(void)
{
	sqlite3_vfs *(*find)(const char *) = find_real_symbol("sqlite3_vfs_find");
	int (*reg)(sqlite3_vfs *, int) = find_real_symbol("sqlite3_vfs_register");
	sqlite3_vfs *list[MAX_SHIMS], *v;
	size_t n = 0;

	if (!find || !reg || !(v = find(NULL))) {
		log_error("dbclone: the loaded libsqlite3 has no VFS to shim: "
			  "ATTACH cannot be isolated, so no SQLite open is");
		return;
	}
	for (; v && n < MAX_SHIMS; v = v->pNext)
		if (strcmp(v->zName, "memdb") != 0)
			list[n++] = v;
	ready = true;
	for (size_t i = 0; i < n && ready; i++) {
		struct shim *s = shim_of(list[i]);

		ready = s && reg(&s->vfs, i == 0) == SQLITE_OK;
	}
	if (!ready)
		log_error("dbclone: cannot register dbclone's SQLite VFS: ATTACH "
			  "cannot be isolated, so no SQLite open is");
}

bool sqlite_vfs_ready(void)
{
	pthread_once(&once, register_shims);
	return ready;
}
