/* The run supervisor's engine work, through the engine table, with a
 * cache of admin connections per thread. */
#include "engines.h"
#include "intent.h"
#include "testhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *spec_source(const struct spec *sp)
{
	return sp->ops->source(sp);
}

/* Admin connections, one set per thread (the supervisor's main thread and
 * its pool thread), kept for the run. */
#define CACHED 8
static __thread struct {
	const struct engine_ops *ops;
	char key[4200];
	void *conn;
} cache[CACHED];
static __thread enum fail_kind last_failure;

enum fail_kind engine_failure(void)
{
	return last_failure;
}

static int cached(const struct spec *sp, const char *key)
{
	for (int i = 0; i < CACHED; i++)
		if (cache[i].conn && cache[i].ops == sp->ops &&
		    !strcmp(cache[i].key, key))
			return i;
	return -1;
}

/* When every slot is taken, the oldest connection is closed for it. */
static void keep(const struct spec *sp, const char *key, void *conn)
{
	static __thread int oldest;
	int slot = -1;

	for (int i = 0; i < CACHED && slot < 0; i++)
		if (!cache[i].conn)
			slot = i;
	if (slot < 0) {
		slot = oldest;
		oldest = (oldest + 1) % CACHED;
		cache[slot].ops->admin_close(cache[slot].conn);
	}
	snprintf(cache[slot].key, sizeof(cache[slot].key), "%s", key);
	cache[slot].ops = sp->ops;
	cache[slot].conn = conn;
}

/* The admin connection for sp (NULL for an engine that needs none);
 * false and f filled when it cannot be had. */
static bool admin_for(const struct spec *sp, void **admin, struct failure *f)
{
	const struct engine_ops *ops = sp->ops;
	char key[4200];
	int i;

	*admin = NULL;
	if (!ops->admin_open)
		return true;
	ops->admin_key(sp, key, sizeof(key));
	if ((i = cached(sp, key)) >= 0) {
		if (ops->admin_alive(cache[i].conn)) {
			*admin = cache[i].conn;
			return true;
		}
		ops->admin_close(cache[i].conn);
		cache[i].conn = NULL;
	}
	if (!ops->admin_open(sp, admin, f))
		return false;
	keep(sp, key, *admin);
	return true;
}

/* Closes the cached admin connection admin (it broke). */
static void forget(void *admin)
{
	for (int i = 0; i < CACHED; i++)
		if (admin && cache[i].conn == admin) {
			cache[i].ops->admin_close(admin);
			cache[i].conn = NULL;
		}
}

void engine_forget_admins(void)
{
	for (int i = 0; i < CACHED; i++)
		if (cache[i].conn) {
			cache[i].ops->admin_close(cache[i].conn);
			cache[i].conn = NULL;
		}
}

/* A server that cannot be reached is said to be down, in those words:
 * the run's lines name the outage, not the step that met it. */
static void say_down(const struct spec *sp, struct failure *f)
{
	char why[sizeof(f->why) + 200];
	const char *inner = f->why;
	size_t n;

	if (f->kind != FAIL_GONE)
		return;
	if (!strncmp(inner, "dbclone: ", 9))
		inner += 9;
	snprintf(why, sizeof(why), "dbclone: the %s server of %s is down or "
		 "unreachable (%s); the run goes on when it is back", sp->ops->name,
		 spec_source(sp), inner);
	n = strnlen(why, sizeof(f->why) - 1); /* cut to fit */
	memcpy(f->why, why, n);
	f->why[n] = '\0';
}

typedef bool admin_op(const struct spec *sp, void *admin, void *ctx,
		      struct failure *f);

/* Runs op on the admin connection for sp. A connection that broke under
 * it (the server restarted since it was opened) is opened again, and op
 * tried once more on the new one. */
static bool on_admin(const struct spec *sp, admin_op *op, void *ctx,
		     struct failure *f)
{
	void *admin;

	for (int tries = 0;; tries++) {
		*f = (struct failure){0};
		if (!admin_for(sp, &admin, f))
			break;
		if (op(sp, admin, ctx, f))
			return true;
		if (!admin || tries || sp->ops->admin_alive(admin))
			break;
		forget(admin);
	}
	if (!f->kind && admin && !sp->ops->admin_alive(admin))
		f->kind = FAIL_GONE;
	say_down(sp, f);
	return false;
}

static bool failed(const struct failure *f, char *err, size_t errlen)
{
	last_failure = f->kind ? f->kind : FAIL_INVALID;
	snprintf(err, errlen, "%s", f->why);
	return false;
}

struct copy_args {
	const char *from;
	unsigned long seq;
	unsigned flags;
	char *name;
	size_t namelen;
};

static bool copy_on(const struct spec *sp, void *admin, void *ctx,
		    struct failure *f)
{
	struct copy_args *a = ctx;
	struct marker m;

	marker_for_self(&m, spec_source(sp));
	if (a->flags & CLONE_FROM_LAYER)
		marker_set_layer(&m, a->from);
	if (!intent_clone(admin, sp, a->from, a->seq, a->flags, &m, a->name,
			  a->namelen, f))
		return false;
	return true;
}

bool engine_copy(const struct spec *sp, const char *from, unsigned long seq,
		 unsigned flags, char *name, size_t namelen, char *err,
		 size_t errlen)
{
	struct copy_args a = {from, seq, flags, name, namelen};
	struct failure f;

	last_failure = FAIL_NONE;
	return on_admin(sp, copy_on, &a, &f) || failed(&f, err, errlen);
}

void engine_warm(const struct spec *sp, const char *name)
{
	struct failure f;
	void *admin;

	if (sp->ops->warm && admin_for(sp, &admin, &f))
		sp->ops->warm(admin, sp, name);
}

struct take_args {
	const char *name;
	char *cut;
	size_t cutlen;
};

static bool take_on(const struct spec *sp, void *admin, void *ctx,
		    struct failure *f)
{
	struct take_args *a = ctx;

	return sp->ops->take_in_place(admin, a->name, a->cut, a->cutlen, f);
}

bool engine_take_in_place(const struct spec *sp, const char *name,
			  bool *in_place, char *cut, size_t cutlen, char *err,
			  size_t errlen)
{
	struct take_args a = {name, cut, cutlen};
	struct failure f;

	cut[0] = '\0';
	last_failure = FAIL_NONE;
	if (!(*in_place = sp->ops->take_in_place != NULL))
		return true;
	return on_admin(sp, take_on, &a, &f) || failed(&f, err, errlen);
}

struct stamp_args {
	const char *name;
	char *out;
	size_t outlen;
};

static bool stamp_on(const struct spec *sp, void *admin, void *ctx,
		     struct failure *f)
{
	struct stamp_args *a = ctx;

	(void)f;
	return sp->ops->stamp(admin, a->name, a->out, a->outlen);
}

bool engine_stamp(const struct spec *sp, const char *name, char *out,
		  size_t outlen)
{
	struct stamp_args a = {name, out, outlen};
	struct failure f;

	out[0] = '\0';
	return sp->ops->stamp && on_admin(sp, stamp_on, &a, &f);
}

static bool drop_on(const struct spec *sp, void *admin, void *ctx,
		    struct failure *f)
{
	test_phase("drop", ctx);
	if (!sp->ops->drop(admin, ctx, f))
		return false;
	test_phase("dropped", ctx);
	return true;
}

bool engine_drop(const struct spec *sp, const char *name, char *err,
		 size_t errlen)
{
	struct failure f;

	last_failure = FAIL_NONE;
	return on_admin(sp, drop_on, (void *)name, &f) || failed(&f, err, errlen);
}

/* What engine_made_by looks for in the engine's list. */
struct made_by {
	const char *name;
	bool found;
	struct marker m;
};

static void find_made(const char *name, const char *marker, void *ctx)
{
	struct made_by *w = ctx;

	if (!w->found && !strcmp(name, w->name) && marker &&
	    marker_parse(marker, &w->m))
		w->found = true;
}

static bool list_on(const struct spec *sp, void *admin, void *ctx,
		    struct failure *f)
{
	return sp->ops->list(admin, find_made, ctx, f);
}

bool engine_made_by(const struct spec *sp, const char *name, long pid,
		    const char *run, char *err, size_t errlen)
{
	struct made_by w = {.name = name};
	struct failure f;

	if (!on_admin(sp, list_on, &w, &f))
		return failed(&f, err, errlen);
	if (w.found && w.m.pid == (pid_t)pid && run && !strcmp(w.m.run, run) &&
	    (w.m.state == MARKER_MADE || w.m.state == MARKER_INTENT))
		return true;
	snprintf(err, errlen, "dbclone: process %ld reported %s %s as a clone it "
		 "made, but %s; refused, and never dropped by the run", pid,
		 sp->ops->name, name, !w.found ? "no clone of that name with "
		 "dbclone's marker exists where the run keeps them" :
		 "its marker names another process or run");
	last_failure = FAIL_REFUSED;
	return false;
}

/* The intents of one server (engine and description) whose owner is
 * gone. */
struct of_server {
	const struct engine_ops *ops;
	char where[1024];
};

static const char *dead_on_server(const struct intent *in, void *ctx)
{
	const struct of_server *s = ctx;

	if (in->ops != s->ops || strcmp(in->where, s->where))
		return NULL;
	return intent_owner_gone(in, NULL);
}

int engine_sweep_dead(const struct spec *sp)
{
	struct of_server server = {.ops = sp->ops};
	struct failure f = {0};
	void *admin;
	int dropped, marked;

	/* Intents first: a clone killed before its marker is found by name. */
	sp->ops->describe(sp, server.where, sizeof(server.where));
	dropped = intent_sweep(dead_on_server, NULL, &server);
	if (!admin_for(sp, &admin, &f))
		return dropped;
	marked = engine_sweep(sp->ops, admin, engine_owner_gone, NULL, NULL, &f);
	return dropped + (marked < 0 ? 0 : marked);
}

void engine_connect_command(const struct spec *sp, const char *name, char *out,
			    size_t outlen)
{
	sp->ops->connect_command(sp, name, out, outlen);
}

void engine_mark_kept(const struct spec *sp, const char *name)
{
	struct failure f = {0};
	struct marker m;
	void *admin;

	marker_for_self(&m, spec_source(sp));
	m.state = MARKER_KEPT;
	if (admin_for(sp, &admin, &f))
		sp->ops->write_marker(admin, name, &m);
}
