/* The run supervisor's engine work, through the engine table, with a
 * cache of admin connections per thread. */
#include "engines.h"
#include "intent.h"
#include "testhook.h"

#include <stdio.h>
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

static bool failed(const struct failure *f, char *err, size_t errlen)
{
	last_failure = f->kind ? f->kind : FAIL_INVALID;
	snprintf(err, errlen, "%s", f->why);
	return false;
}

bool engine_copy(const struct spec *sp, const char *from, unsigned long seq,
		 bool golden, char *name, size_t namelen, char *err,
		 size_t errlen)
{
	struct failure f = {0};
	struct marker m;
	void *admin;

	last_failure = FAIL_NONE;
	marker_for_self(&m, spec_source(sp));
	if (!admin_for(sp, &admin, &f) ||
	    !intent_clone(admin, sp, from, seq, golden, &m, name, namelen, &f))
		return failed(&f, err, errlen);
	if (!golden && sp->ops->warm)
		sp->ops->warm(admin, sp, name);
	return true;
}

bool engine_drop(const struct spec *sp, const char *name, char *err,
		 size_t errlen)
{
	struct failure f = {0};
	void *admin;

	last_failure = FAIL_NONE;
	test_phase("drop", name);
	if (!admin_for(sp, &admin, &f) || !sp->ops->drop(admin, name, &f))
		return failed(&f, err, errlen);
	test_phase("dropped", name);
	return true;
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
