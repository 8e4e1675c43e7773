/* This process's clones: keys, boundaries, the dropper, exit (registry.h). */
#include "registry.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boundary.h"
#include "config.h"
#include "conns.h"
#include "hook.h"
#include "keys.h"
#include "layer.h"
#include "locks.h"
#include "servers.h"
#include "supervised.h"
#include "wire.h"
#include "log.h"

enum clone_state { MAKING, READY, FAILED };

struct clone {
	const struct engine *engine;
	char *source;
	char *key;
	char name[512];
	struct server *server; /* where it was made (NULL: no server) */
	pid_t owner;      /* the process that made it, and alone may drop it */
	int conns;        /* tracked connections */
	int held;         /* callers between clone_for_key and track/release */
	int waiters;      /* threads waiting for it to be made */
	enum clone_state state;
	double started;   /* when making it began (ms) */
	bool ended;       /* its key is over: drop when unused */
	unsigned long uses; /* connects under its key (a setup's: layer.h) */
	struct layer *layer; /* a layer of the setup key (its key), which
				test keys are copied from; held while they
				are */
	char error[512];
	struct clone *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t made = PTHREAD_COND_INITIALIZER;
static struct clone *clones;
/* This process's keys, under the lock: the run supervisor's rule (keys.h)
 * with one user, the process itself, joined from the start (what
 * keys_join does to zeroed memory). */
static struct key_user self;
static struct keys keys = { .users = &self };
static unsigned long next_seq;
static pthread_once_t teardown_once = PTHREAD_ONCE_INIT;

static void unlink_clone(struct clone *c)
{
	for (struct clone **p = &clones; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	/* Connections cut by a terminate boundary still close later. */
	conns_unlink_all(c);
}

static void free_clone(struct clone *c)
{
	free(c->source);
	free(c->key);
	free(c->layer);
	free(c);
}

/* Unlinks c if it is over and unused; returns it when this process must
 * drop it. Called with the lock held. */
static struct clone *retire_if_idle(struct clone *c)
{
	/* A thread still waiting for it to be made takes a hold when it
	 * wakes: it is not idle. */
	if (!c->ended || c->conns > 0 || c->held > 0 || c->waiters > 0 ||
	    c->state != READY)
		return NULL;
	unlink_clone(c);
	if (c->owner == getpid())
		return c;
	free_clone(c); /* a parent's clone after fork: never ours to drop */
	return NULL;
}

/* What a key_over call needs: the key that is current now, for the log,
 * and the list (through next) of clones to drop once the lock is let go. */
struct ended {
	const char *now;
	struct clone *drop;
};

/* A key is over (keys_use said so): every clone of it is over. Called
 * with the lock held. */
static void key_over(const char *key, void *ctx)
{
	bool terminate = config_get()->stale == STALE_TERMINATE;
	struct ended *ended = ctx;
	struct clone *c, *next;

	log_trace("boundary: key \"%s\" is over, now \"%s\"", key, ended->now);
	for (c = clones; c; c = next) {
		next = c->next;
		if (strcmp(c->key, key) != 0)
			continue;
		c->ended = true;
		/* Its sessions are cut by the drop; a caller still holding it
		 * (about to connect) keeps it until that connection closes. */
		if (terminate && c->state == READY && !c->held)
			c->conns = 0;
		if ((c = retire_if_idle(c))) {
			c->next = ended->drop;
			ended->drop = c;
		}
	}
}

static void clone_drop(struct clone *c);

static void drop_list(struct clone *c)
{
	while (c) {
		struct clone *next = c->next;

		clone_drop(c);
		c = next;
	}
}

/* ---- dropping off the program's path -------------------------------- */

/* A clone that is over is dropped by a thread of the library's own, so
 * that a boundary costs the new clone, not also the old one's DROP. The
 * thread lives only while there is something to drop: an idle program
 * keeps the threads it had. A fork waits for it to finish (the child must
 * not inherit a client library caught half-way through a call), and so
 * does exit. With DBCLONE_STALE=terminate the drop stays on the path: the
 * old clone's sessions are cut before the boundary returns. */
static pthread_cond_t dropper_done = PTHREAD_COND_INITIALIZER;
static struct clone *doomed;
static bool dropper_running, dropper_stopping;

static void *dropper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (doomed) {
		struct clone *c = doomed;

		doomed = c->next;
		pthread_mutex_unlock(&lock);
		clone_drop(c);
		pthread_mutex_lock(&lock);
	}
	dropper_running = false;
	pthread_cond_broadcast(&dropper_done);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Called with the lock held; false when no thread can be had. */
static bool start_dropper(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;

	if (dropper_running)
		return true;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The program's signals are for the program's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	dropper_running = pthread_create(&t, &attr, dropper_main, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return dropper_running;
}

static void drop_later(struct clone *list)
{
	struct clone *now = NULL, **tail, *c, *next;

	if (config_get()->stale == STALE_TERMINATE) {
		drop_list(list);
		return;
	}
	/* Cheap drops are done here and now. */
	for (c = list, list = NULL; c; c = next) {
		next = c->next;
		/* A drop that costs a server round trip or more goes to
		 * the dropper, and so does a file big enough that freeing
		 * its blocks costs more than a thread; small ones do not. */
		if (c->engine->ops->admin_open ||
		    (c->engine->ops->drop_is_slow &&
		     c->engine->ops->drop_is_slow(c->name))) {
			c->next = list;
			list = c;
		} else {
			c->next = now;
			now = c;
		}
	}
	drop_list(now);
	if (!list)
		return;
	pthread_mutex_lock(&lock);
	for (tail = &doomed; *tail; tail = &(*tail)->next)
		;
	*tail = list;
	if (dropper_stopping || !start_dropper()) {
		list = doomed;
		doomed = NULL;
		pthread_mutex_unlock(&lock);
		drop_list(list);
		return;
	}
	pthread_mutex_unlock(&lock);
}

/* Called with the lock held. */
static void wait_for_dropper(void)
{
	while (dropper_running)
		pthread_cond_wait(&dropper_done, &lock);
}

/* At exit: the queued drops finish first. */
static void stop_dropper(void)
{
	pthread_mutex_lock(&lock);
	dropper_stopping = true;
	wait_for_dropper();
	pthread_mutex_unlock(&lock);
}

/* ---- drops that failed ------------------------------------------------ */

/* A drop that failed (the server restarting, out of connections) waits
 * here, under the lock, and is retried at exit: for at most
 * EXIT_RETRY_MS, then recorded as drop pending for the next run and gc. */
#define EXIT_RETRY_MS 2000
static struct clone *failed_drops;

static double now_ms(void);

static void drop_failed(struct clone *c)
{
	pthread_mutex_lock(&lock);
	c->next = failed_drops;
	failed_drops = c;
	pthread_mutex_unlock(&lock);
}

/* One try of every failed drop; true when none is left. */
static bool retry_failed_drops(bool last)
{
	struct clone *c, *next;

	pthread_mutex_lock(&lock);
	c = failed_drops;
	failed_drops = NULL;
	pthread_mutex_unlock(&lock);
	for (; c; c = next) {
		const struct engine *e = c->engine;
		const struct engine_ops *ops = e->ops;
		struct failure f = {0};

		next = c->next;
		hook_enter(e);
		if (server_drop(ops, c->server, c->name, &f)) {
			log_warn("dropped %s on a later try", c->name);
			if (config_get()->socket)
				supervisor_dropped(ops->name, c->name);
		} else if (!last) {
			drop_failed(c);
			c = NULL;
		} else {
			log_error("%s; recorded for the next run and dbclone gc",
				  f.why);
			server_drop_pending(ops, c->server, c->name);
		}
		hook_leave(e);
		if (c)
			free_clone(c);
	}
	return !failed_drops;
}

/* At exit: backoff from 100 ms, within EXIT_RETRY_MS. */
static void retry_at_exit(void)
{
	double end = now_ms() + EXIT_RETRY_MS;
	long wait = 100;

	while (!retry_failed_drops(false) && now_ms() + wait < end) {
		usleep((useconds_t)wait * 1000);
		wait *= 2;
	}
	retry_failed_drops(true);
}

static void teardown(int status, void *arg)
{
	struct clone *mine = NULL, *c, *next;

	(void)status;
	(void)arg;
	stop_dropper();
	pthread_mutex_lock(&lock);
	for (c = clones; c; c = next) {
		next = c->next;
		if (c->state == READY && c->owner == getpid()) {
			unlink_clone(c);
			c->ended = true;
			c->next = mine;
			mine = c;
		}
	}
	pthread_mutex_unlock(&lock);
	drop_list(mine);
	retry_at_exit();
}

static void register_teardown(void)
{
	/* on_exit rather than atexit: it runs before the destructors of the
	 * client libraries the drop still needs. */
	on_exit(teardown, NULL);
}

/* The clone of key (layer false), or the newest layer of the setup key
 * (layer true). */
static struct clone *find_kind(const struct engine *e, const char *source,
			       const char *key, bool layer)
{
	for (struct clone *c = clones; c; c = c->next)
		if (c->engine == e && c->state != FAILED && !c->ended &&
		    !c->layer == !layer && !strcmp(c->source, source) &&
		    !strcmp(c->key, key))
			return c;
	return NULL;
}

static struct clone *find(const struct engine *e, const char *source,
			  const char *key)
{
	return find_kind(e, source, key, false);
}

static struct clone *wait_for(struct clone *c, char *err, size_t errlen)
{
	c->waiters++;
	while (c->state == MAKING)
		pthread_cond_wait(&made, &lock);
	c->waiters--;
	if (c->state == READY) {
		c->held++;
		return c;
	}
	snprintf(err, errlen, "%s", c->error);
	if (!c->waiters) {
		unlink_clone(c);
		free_clone(c);
	}
	return NULL;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Under dbclone run, the supervisor learns of every clone the process
 * makes itself, so that a process killed before it drops its clones has
 * them dropped when its socket closes. With no run to tell, the clone is
 * dropped again: nothing is left half-supervised. */
static bool report_made(struct hook_call *call, struct clone *c)
{
	const struct engine_ops *ops = call->spec.ops;
	char spec[WIRE_MAX] = "";
	struct failure f;

	if (!config_get()->socket)
		return true;
	spec_encode(&call->spec, spec, sizeof(spec));
	if (supervisor_made(ops->name, c->name, now_ms() - c->started, spec,
			    c->error, sizeof(c->error)))
		return true;
	if (!server_drop(ops, c->server, c->name, &f))
		log_error("%s", f.why);
	return false;
}

/* Makes c through the engine table, and records it. A failure tells the
 * call what the program gets: the client library's own error for options
 * it rejects, the engine's own result code (SQLite's). */
static bool made_here(struct hook_call *call, struct clone *c,
		      const char *from, const struct layer *from_layer,
		      unsigned long seq)
{
	const struct spec *sp = &call->spec;
	struct failure f = {0};

	if (!server_clone(sp, from, layer_copy_flags(from_layer), seq, c->name,
			  sizeof(c->name), &c->server, &f)) {
		/* As long as a reason can be (truncated like the engine's). */
		snprintf(c->error, sizeof(c->error), "%.*s",
			 (int)sizeof(c->error) - 1, f.why);
		call->library_rejects = f.kind == FAIL_OPTIONS;
		if (f.code)
			call->code = f.code;
		return false;
	}
	/* In the run's journal already (intent_clone): a process killed
	 * while telling the supervisor leaves it to the run's final sweep. */
	return report_made(call, c);
}

/* A new clone of source for key, copied from the layer from (NULL: the
 * source itself). */
static struct clone *make_clone(struct hook_call *call, const char *source,
				const char *key, const struct clone *from,
				char *err, size_t errlen)
{
	const struct engine *e = call->engine;
	struct clone *c = calloc(1, sizeof(*c));
	bool ok;

	if (!c || !(c->source = strdup(source)) || !(c->key = strdup(key))) {
		if (c)
			free_clone(c);
		snprintf(err, errlen, "dbclone: out of memory");
		return NULL;
	}
	c->engine = e;
	c->state = MAKING;
	c->started = now_ms();
	c->uses = 1;
	c->next = clones;
	clones = c;
	{
		unsigned long seq = next_seq++;

		/* Other threads wait on this clone, not on the lock. */
		pthread_mutex_unlock(&lock);
		ok = made_here(call, c, from ? from->name : NULL,
			       from ? from->layer : NULL, seq);
		pthread_mutex_lock(&lock);
	}
	if (ok) {
		c->state = READY;
		c->owner = getpid();
		c->held = 1;
		pthread_once(&teardown_once, register_teardown);
	} else {
		c->state = FAILED;
		snprintf(err, errlen, "%s", c->error);
		if (!c->waiters) {
			unlink_clone(c);
			free_clone(c);
		}
		c = NULL;
	}
	pthread_cond_broadcast(&made);
	return c;
}

/* ---- layers (layer.h) ------------------------------------------------ */

/* One thread at a time chooses or takes a layer: a second test key waits
 * for the layer the first one takes. Under the lock. */
static bool layer_busy;

/* Lets go of a hold on c, which may retire it (onto ended's list). */
static void let_go(struct clone *c, struct ended *ended)
{
	if (c && !--c->held && (c = retire_if_idle(c))) {
		c->next = ended->drop;
		ended->drop = c;
	}
}

/* The older layers of setup_key than keep are over. */
static void retire_layers(const struct clone *keep, struct ended *ended)
{
	struct clone *c, *next;

	for (c = clones; c; c = next) {
		next = c->next;
		if (c != keep && c->layer && !c->ended && c->engine == keep->engine &&
		    !strcmp(c->source, keep->source) && !strcmp(c->key, keep->key)) {
			c->ended = true;
			if ((c = retire_if_idle(c))) {
				c->next = ended->drop;
				ended->drop = c;
			}
		}
	}
}

/* The setup s becomes the layer, frozen where it is; its sessions were
 * cut (this process's connections to it are forgotten). */
static struct clone *frozen_in_place(struct clone *s, struct layer *info)
{
	snprintf(info->name, sizeof(info->name), "%s", s->name);
	s->layer = info;
	conns_unlink_all(s);
	s->conns = 0;
	return s;
}

/* A new clone record for a layer: copied into name, or (live) the setup
 * s itself, which keys then copy consistently and which is never dropped
 * as a layer (owner 0: not this record's to drop). */
static struct clone *copied_layer(struct hook_call *call, const struct clone *s,
				  struct layer *info, const char *name,
				  struct server *server)
{
	struct clone *l = calloc(1, sizeof(*l));

	if (!l || !(l->source = strdup(s->source)) || !(l->key = strdup(s->key))) {
		if (l)
			free_clone(l);
		return NULL;
	}
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(info->name, sizeof(info->name), "%s", name);
	snprintf(info->from, sizeof(info->from), "%s", s->name);
	l->engine = s->engine;
	l->server = server;
	l->owner = info->live ? 0 : getpid();
	l->state = READY;
	l->layer = info;
	l->started = now_ms();
	l->next = clones;
	clones = l;
	if (!info->live && !report_made(call, l)) {
		/* the run refused it: report_made dropped it */
		unlink_clone(l);
		free_clone(l);
		return NULL;
	}
	return l;
}

/* Takes the setup s (layer.h): PostgreSQL freezes it in place (or, for a
 * parent's setup after fork, which the parent goes on writing, copies
 * it); the others take it live: keys copy it as it stands. Under the
 * lock, let go meanwhile. */
static struct clone *take_here(struct hook_call *call, struct clone *s,
			       struct ended *ended, char *err, size_t errlen)
{
	const struct engine_ops *ops = s->engine->ops;
	struct layer *info = calloc(1, sizeof(*info));
	unsigned long seq = next_seq++, uses = s->uses;
	char setup[sizeof(s->name)], name[sizeof(s->name)], cut[1024] = "";
	struct server *server = s->server;
	struct failure f = {0};
	struct clone *l = NULL;
	bool in_place = ops->take_in_place && s->owner == getpid(), ok;

	if (!info) {
		snprintf(err, errlen, "dbclone: out of memory");
		return NULL;
	}
	snprintf(setup, sizeof(setup), "%s", s->name);
	s->held++; /* kept while the lock is let go */
	pthread_mutex_unlock(&lock);
	info->stamped = ops->stamp && server_stamp(ops, server, setup, info->stamp,
						   sizeof(info->stamp));
	info->stamp_once = ops->stamp_at_take_only;
	if (in_place) {
		ok = server_take_in_place(ops, server, setup, cut, sizeof(cut), &f);
	} else if (ops->take_in_place) {
		ok = server_clone(&call->spec, setup, CLONE_FREEZE | CLONE_LIVE,
				  seq, name, sizeof(name), &server, &f);
		snprintf(cut, sizeof(cut), "%s", ok ? f.why : "");
	} else {
		ok = info->live = true;
		snprintf(name, sizeof(name), "%s", setup);
	}
	if (ok && cut[0]) {
		char base[KEY_MAX];

		key_name_shown(s->key, base, sizeof(base));
		if (base[0])
			log_warn("cut the session(s) still open on %s, the clone of "
				 "DBCLONE_BASE key \"%s\", so that a test starts "
				 "from it: %s; close its connections before the "
				 "first test on it", setup, base, cut);
		else
			log_warn("cut the session(s) still open on the setup %s so "
				 "that a test starts from it: %s; close the setup's "
				 "connections before the first test", setup, cut);
	}
	pthread_mutex_lock(&lock);
	s->held--;
	if (ok && in_place)
		l = frozen_in_place(s, info);
	else if (ok && !(l = copied_layer(call, s, info, name, server)))
		snprintf(f.why, sizeof(f.why), "dbclone: out of memory");
	if (!l) {
		snprintf(err, errlen, "%s", f.why);
		free(info);
		return NULL;
	}
	info->uses = uses;
	snprintf(info->setup_key, sizeof(info->setup_key), "%s", s->key);
	retire_layers(l, ended);
	return l;
}

/* The setup key's clone, once made; NULL when there is none. */
static struct clone *setup_of(const struct engine *e, const char *source,
			      const char *setup_key)
{
	struct clone *s = find(e, source, setup_key);

	while (s && s->state == MAKING) {
		s->waiters++;
		pthread_cond_wait(&made, &lock);
		s->waiters--;
	}
	if (s && s->state == READY)
		return s;
	if (s && !s->waiters) {
		unlink_clone(s);
		free_clone(s);
	}
	return NULL;
}

/* What a test key's clone is copied from (layer_busy held). */
static bool choose_layer(struct hook_call *call, const char *source,
			 const char *setup_key, struct clone **from,
			 struct ended *ended, char *err, size_t errlen)
{
	const struct engine *e = call->engine;
	struct clone *s = setup_of(e, source, setup_key);
	struct clone *l = find_kind(e, source, setup_key, true);
	char setup[sizeof(s->name)], stamp[256] = "";
	unsigned long uses = s ? s->uses : 0;
	bool stamp_ok = false;

	snprintf(setup, sizeof(setup), "%s", s ? s->name : "");
	if (l)
		l->held++;
	if (layer_needs_stamp(l ? l->layer : NULL, s ? setup : NULL, uses)) {
		struct server *server = s->server;

		pthread_mutex_unlock(&lock);
		stamp_ok = server_stamp(e->ops, server, setup, stamp, sizeof(stamp));
		pthread_mutex_lock(&lock);
	}
	switch (layer_choose(l ? l->layer : NULL, s ? setup : NULL, uses,
			     stamp_ok, stamp)) {
	case LAYER_SOURCE:
		let_go(l, ended);
		return true;
	case LAYER_USE:
		*from = l;
		return true;
	case LAYER_TAKE:
		break;
	}
	let_go(l, ended);
	if (!(*from = take_here(call, s, ended, err, errlen)))
		return false;
	(*from)->held++;
	return true;
}

/* What key starts from: the nearest of its bases (DBCLONE_BASE, that
 * key's own base, ...) with a clone or a layer of this source, else its
 * setup. */
static void parent_of(const struct engine *e, const char *source,
		      const char *key, char *parent, size_t parentlen)
{
	const char *base = keys_base_of(&keys, key);

	for (int depth = 0; base[0] && depth < 16; depth++) {
		if (find(e, source, base) || find_kind(e, source, base, true)) {
			snprintf(parent, parentlen, "%s", base);
			return;
		}
		base = keys_base_of(&keys, base);
	}
	keys_setup_of(&keys, key, parent, parentlen);
}

/* What a new clone for key starts from (held, NULL: the source); false
 * with err when the setup cannot be taken. Under the lock. */
static bool start_from(struct hook_call *call, const char *source,
		       const char *key, struct clone **from,
		       struct ended *ended, char *err, size_t errlen)
{
	char setup_key[KEY_MAX];
	bool ok;

	*from = NULL;
	while (layer_busy)
		pthread_cond_wait(&made, &lock);
	/* A setup or base frozen in place goes on from its layer. */
	if ((*from = find_kind(call->engine, source, key, true)) &&
	    !(*from)->layer->live) {
		(*from)->held++;
		return true;
	}
	*from = NULL;
	parent_of(call->engine, source, key, setup_key, sizeof(setup_key));
	if (!strcmp(setup_key, key))
		return true; /* the setup itself starts from the source */
	layer_busy = true;
	ok = choose_layer(call, source, setup_key, from, ended, err, errlen);
	layer_busy = false;
	pthread_cond_broadcast(&made);
	return ok;
}

/* The clone of source under the current test key (held), made if there is
 * none; NULL with err filled when it cannot be made. */
static struct clone *clone_for_key(struct hook_call *call, const char *source,
				   char *err, size_t errlen)
{
	const struct engine *e = call->engine;
	struct clone *c, *from;
	char key[KEY_MAX], base[KEY_MAX];
	struct ended ended = { key, NULL };

	boundary_key(key, sizeof(key));
	boundary_base_key(base, sizeof(base));
	pthread_mutex_lock(&lock);
	keys_use_on(&keys, &self, key, base, key_over, &ended);
	if ((c = find(e, source, key))) {
		c->uses++;
		c = wait_for(c, err, errlen);
	} else if (start_from(call, source, key, &from, &ended, err, errlen)) {
		c = make_clone(call, source, key, from, err, errlen);
		let_go(from, &ended);
	}
	pthread_mutex_unlock(&lock);
	drop_later(ended.drop);
	if (c)
		log_info("%s %s -> %s", e->ops->name, source, c->name);
	return c;
}

/* In a shared run the supervisor owns the clone: this process only
 * borrows it for its connections, never drops it. When the supervisor is
 * out of disk or connections, the process clones for itself (*busy). */
static struct clone *clone_from_supervisor(struct hook_call *call,
					   const char *source, bool *busy,
					   char *err, size_t errlen)
{
	const struct engine *e = call->engine;
	char spec[WIRE_MAX] = "";
	struct clone *c;

	spec_encode(&call->spec, spec, sizeof(spec));
	if (!(c = calloc(1, sizeof(*c))) || !(c->source = strdup(source)) ||
	    !(c->key = strdup(""))) {
		if (c)
			free_clone(c);
		snprintf(err, errlen, "dbclone: out of memory");
		return NULL;
	}
	if (!supervisor_clone(e->ops->name, source, spec, c->name, sizeof(c->name),
			      busy, err, errlen)) {
		free_clone(c);
		return NULL;
	}
	c->engine = e;
	c->state = READY;
	c->ended = true; /* freed, not dropped, when its last connection goes */
	c->held = 1;
	log_info("%s %s -> %s (from the run supervisor)", e->ops->name, source,
		 c->name);
	return c;
}

struct clone *clone_for_source(struct hook_call *call, const char *name,
			       const char *source, bool *refuse, char *err,
			       size_t errlen)
{
	const struct engine *e = call->engine;
	const struct config *cfg = config_get();
	struct clone *c;

	*refuse = false;
	if (!config_allows(cfg, name)) {
		log_trace("%s %s is excluded: passes through", e->ops->name, name);
		return NULL;
	}
	if (supervised()) {
		static atomic_bool said;
		bool busy;

		if ((c = clone_from_supervisor(call, source, &busy, err, errlen)))
			return c;
		if (busy && !atomic_exchange(&said, true))
			log_warn("%s -- the run supervisor cannot clone: cloning in "
				 "this process instead", err);
		if (busy)
			c = clone_for_key(call, source, err, errlen);
	} else {
		c = clone_for_key(call, source, err, errlen);
	}
	if (c)
		return c;
	if (cfg->passthrough_on_error) {
		log_error("%s -- DBCLONE_ON_ERROR=passthrough: connecting to the "
			  "SOURCE %s itself, unisolated", err, name);
		return NULL;
	}
	*refuse = true;
	return NULL;
}

struct clone *clone_again(struct hook_call *call, const struct clone *was)
{
	char err[1024];
	struct clone *c;
	bool busy;

	/* A clone the run handed out (this process owns none of it) is
	 * asked of the run again; one of this process's own, of its
	 * registry. */
	if (supervised() && !was->owner) {
		supervisor_forget(call->engine->ops->name, was->source);
		c = clone_from_supervisor(call, was->source, &busy, err,
					  sizeof(err));
	}
	else
		c = clone_for_key(call, was->source, err, sizeof(err));
	if (c && strcmp(c->name, was->name))
		log_info("%s %s was gone at connect: asked again, -> %s",
			 call->engine->ops->name, was->name, c->name);
	return c;
}

const char *clone_name_of(const struct clone *c)
{
	return c->name;
}

void clone_track(struct clone *c, const void *conn)
{
	pthread_mutex_lock(&lock);
	c->held--;
	c->conns++;
	conns_link_clone(conn, c);
	pthread_mutex_unlock(&lock);
}

void clone_release(struct clone *c)
{
	pthread_mutex_lock(&lock);
	c->held--;
	if ((c = retire_if_idle(c)))
		c->next = NULL;
	pthread_mutex_unlock(&lock);
	drop_later(c);
}

struct clone *clone_detach(const void *conn)
{
	struct clone *c;

	pthread_mutex_lock(&lock);
	/* The connection's use becomes the caller's hold. */
	if ((c = conns_unlink_clone(conn))) {
		c->conns--;
		c->held++;
	}
	pthread_mutex_unlock(&lock);
	return c;
}

/* Drops a clone that is over, and frees it. */
static void clone_drop(struct clone *c)
{
	const struct engine_ops *ops = c->engine->ops;
	struct failure f = {0};
	bool ok;

	/* Sessions of other processes (a forked child) may still use it at a
	 * boundary; at exit, and with DBCLONE_STALE=terminate, they are cut.
	 * The engine's admin connection is the library's, not the program's:
	 * the guard keeps the hooks out of it. */
	hook_enter(c->engine);
	ok = server_drop(ops, c->server, c->name, &f);
	hook_leave(c->engine);
	if (ok) {
		log_trace("dropped %s", c->name);
		if (config_get()->socket)
			supervisor_dropped(ops->name, c->name);
	} else {
		log_error("%s; retrying at exit", f.why);
		drop_failed(c);
		return;
	}
	free_clone(c);
}

/* A fork waits for the dropper (locks.h); the child forgets the clones
 * other threads were making, which will never be finished there. */
void registry_at_fork(enum fork_phase phase)
{
	struct clone *c, *next;

	switch (phase) {
	case FORK_PREPARE:
		pthread_mutex_lock(&lock);
		wait_for_dropper();
		break;
	case FORK_PARENT:
		pthread_mutex_unlock(&lock);
		break;
	case FORK_CHILD:
		pthread_mutex_init(&lock, NULL);
		pthread_cond_init(&made, NULL);
		pthread_cond_init(&dropper_done, NULL);
		for (c = clones; c; c = next) {
			next = c->next;
			if (c->state != READY) {
				unlink_clone(c);
				free_clone(c);
			}
		}
		/* The parent's failed drops are the parent's to retry. */
		for (c = failed_drops, failed_drops = NULL; c; c = next) {
			next = c->next;
			free_clone(c);
		}
		break;
	}
}
