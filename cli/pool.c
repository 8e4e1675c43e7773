/* The run's goldens, its pools of ready clones, and background drops. */
#include "supervisor_state.h"
#include "retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUIET_MS 30 /* background work waits this long after a hand-out */

double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int engine_index(const struct engine_ops *ops)
{
	return ops == &engine_pg ? 0 : ops == &engine_sqlite ? 1 : 2;
}

/* Makes a clone (or a golden) with the lock released; counts it. */
bool copy_unlocked(const struct spec *sp, const char *from, unsigned flags,
		   char *name, double *ms, char *err, size_t errlen)
{
	unsigned long seq = sv.seq++;
	double t0;
	bool ok;

	pthread_mutex_unlock(&sv.lock);
	t0 = now_ms();
	ok = engine_copy(sp, from, seq, flags, name, PATH_MAX, err, errlen);
	*ms = now_ms() - t0;
	pthread_mutex_lock(&sv.lock);
	if (ok) {
		sv.made[engine_index(sp->ops)]++;
		sv.clone_ms += *ms;
	}
	return ok;
}

struct origin *origin_for(const char *source, const struct spec *sp)
{
	struct origin *o;

	for (o = sv.origins; o; o = o->next)
		if (!strcmp(o->source, source) && o->spec.ops == sp->ops)
			return o;
	if (!(o = calloc(1, sizeof(*o))))
		return NULL;
	snprintf(o->source, sizeof(o->source), "%s", source);
	o->spec = *sp;
	o->next = sv.origins;
	sv.origins = o;
	return o;
}

void drop_soon(const struct spec *sp, const char *name, double not_before)
{
	struct doomed *d = calloc(1, sizeof(*d));

	if (!d) {
		fprintf(stderr, "dbclone: out of memory: clone %s stays until the "
			"run ends\n", name);
		return;
	}
	d->spec = *sp;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->not_before = not_before;
	d->next = sv.doomed;
	sv.doomed = d;
	pthread_cond_broadcast(&sv.wake);
}

void drop_now(struct doomed *d)
{
	while (d) {
		struct doomed *next = d->next;

		drop_or_retry(&d->spec, d->name);
		free(d);
		d = next;
	}
}

/* Drops in the background; one that fails is retried by retry.c, the
 * run's one retry queue. Called with the lock held. */
static void drop_in_background(struct doomed *d)
{
	pthread_mutex_unlock(&sv.lock);
	drop_now(d);
	pthread_mutex_lock(&sv.lock);
}

/* Failed drops whose retry is due: tried now. False when none is. Under
 * the lock. */
static bool retry_if_due(double now)
{
	double due = retry_next_due();

	if (!due || due > now)
		return false;
	pthread_mutex_unlock(&sv.lock);
	retry_due();
	pthread_mutex_lock(&sv.lock);
	return true;
}

/* The sooner of two moments, where 0 is never. */
static double sooner(double a, double b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* ---- the pool thread --------------------------------------------------- */

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 3000

static bool may_fill(const struct origin *o, double now)
{
	return o->golden[0] && o->retry_at <= now;
}

/* A moving average that starts at its first sample. */
static double average(double avg, double sample)
{
	return avg ? 0.7 * avg + 0.3 * sample : sample;
}

void pool_taken(struct origin *o)
{
	double now = now_ms();

	if (o->last_take)
		o->gap_ms = average(o->gap_ms, now - o->last_take);
	o->last_take = now;
}

int pool_depth(const struct origin *o)
{
	int depth = sv.pool_size, most = 4 * sv.pool_size;

	/* Clones taken while one is made, twice over: what keeps a test
	 * from waiting while the pool catches up. */
	if (o->gap_ms > 0 && o->copy_ms > o->gap_ms)
		depth = (int)(2 * o->copy_ms / o->gap_ms) + 1;
	if (depth < sv.pool_size)
		depth = sv.pool_size;
	if (most > POOL_MAX)
		most = POOL_MAX;
	return depth < most ? depth : most;
}

static struct origin *needs_fill(double now)
{
	for (struct origin *o = sv.origins; o; o = o->next)
		if (may_fill(o, now) && o->npool + o->filling < pool_depth(o))
			return o;
	return NULL;
}

/* A pool below half its depth is behind its tests: no pause then. */
static bool pool_behind(double now)
{
	for (struct origin *o = sv.origins; o; o = o->next)
		if (may_fill(o, now) && 2 * o->npool < pool_depth(o))
			return true;
	return false;
}

/* A source whose pool has no ready clone, while its golden exists. */
static bool pool_empty(double now)
{
	for (struct origin *o = sv.origins; o; o = o->next)
		if (may_fill(o, now) && !o->npool)
			return true;
	return false;
}

/* The queued drops that are due, taken off the queue; *next is when the
 * first of the others is (0: none). */
static struct doomed *due_drops(double now, double *next)
{
	struct doomed *due = NULL, **d = &sv.doomed;

	*next = 0;
	while (*d) {
		struct doomed *one = *d;

		if (one->not_before > now) {
			if (!*next || one->not_before < *next)
				*next = one->not_before;
			d = &one->next;
			continue;
		}
		*d = one->next;
		one->next = due;
		due = one;
	}
	return due;
}

/* A warm-up (engine_warm) costs the pool about one connect and saves
 * the test that takes the clone part of its first one. It is paid only
 * where the pool would otherwise rest: when, with this clone, the pool
 * is full. A pool below its depth has tests to catch up with, and while
 * they keep the cores busy a warm-up slows the copies they wait for
 * (the 50-test suite, bench/RESULTS.md). */
static bool worth_warming(const struct origin *o)
{
	return o->npool + 1 >= pool_depth(o);
}

/* Warms name with the lock released; its time counts as cloning. */
static double warm_unlocked(const struct spec *sp, const char *name)
{
	double t0, ms;

	pthread_mutex_unlock(&sv.lock);
	t0 = now_ms();
	engine_warm(sp, name);
	ms = now_ms() - t0;
	pthread_mutex_lock(&sv.lock);
	sv.clone_ms += ms;
	return ms;
}

/* The layer a pool copy is made from now (NULL: the golden). */
static struct sv_layer *fill_source(const struct origin *o)
{
	return o->fill_layer ? o->fill_layer : o->base;
}

/* One ready clone more for o, of what its keys start from now (its
 * newest layer, else its golden). A failure (the server down,
 * restarting) does not stop the pool: it tries again after a pause that
 * doubles, and says so once a spell. */
static void fill_one(struct origin *o)
{
	struct sv_layer *from = fill_source(o);
	char name[PATH_MAX], err[1024];
	double ms;

	o->filling++;
	if (from)
		from->pins++;
	if (copy_unlocked(&o->spec, from ? from->l.name : o->golden,
			  layer_copy_flags(from ? &from->l : NULL), name, &ms,
			  err, sizeof(err))) {
		/* Warmed before it is ready: no test gets it while the
		 * warm-up's session is on it. */
		if (from == fill_source(o) && worth_warming(o))
			ms += warm_unlocked(&o->spec, name);
		if (from != fill_source(o)) {
			/* Its layer was replaced meanwhile: no key wants it. */
			drop_soon(&o->spec, name, 0);
		} else {
			snprintf(o->pool[o->npool], sizeof(o->pool[0]), "%s", name);
			o->pool_layer[o->npool] = from;
			o->pool_ms[o->npool++] = ms;
			o->copy_ms = average(o->copy_ms, ms);
		}
		if (o->backoff_ms)
			fprintf(stderr, "dbclone: the pool of %s fills again\n",
				spec_source(&o->spec));
		o->backoff_ms = 0;
	} else if (o->retry_at <= now_ms()) { /* one line, whichever thread */
		if (!o->backoff_ms)
			fprintf(stderr, "dbclone: the pool of %s cannot make clones "
				"(%s); retrying, pausing up to %d s between tries\n",
				spec_source(&o->spec), err, BACKOFF_MAX_MS / 1000);
		o->backoff_ms = o->backoff_ms ? o->backoff_ms * 2 : BACKOFF_FIRST_MS;
		if (o->backoff_ms > BACKOFF_MAX_MS)
			o->backoff_ms = BACKOFF_MAX_MS;
		o->retry_at = now_ms() + o->backoff_ms;
	}
	layer_unpin(o, from);
	o->filling--;
}

/* Until the soonest of: a drop that comes due, a pool that may try again,
 * a wake-up. */
static void wait_for_work(double next_drop)
{
	double until = next_drop;
	struct timespec ts;

	for (struct origin *o = sv.origins; o; o = o->next)
		if (o->golden[0] && o->retry_at > now_ms() && o->npool < pool_depth(o) &&
		    (!until || o->retry_at < until))
			until = o->retry_at;
	if (!until) {
		pthread_cond_wait(&sv.wake, &sv.lock);
		return;
	}
	until -= now_ms();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (until > 0) {
		ts.tv_nsec += (long)(until * 1e6) % 1000000000L;
		ts.tv_sec += (time_t)(until / 1e3) + ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
	}
	pthread_cond_timedwait(&sv.wake, &sv.lock, &ts);
}

void *pool_thread(void *arg)
{
	(void)arg;
	bool waited = false;

	pthread_mutex_lock(&sv.lock);
	while (!sv.stopping) {
		double now = now_ms(), next_drop;
		double quiet = sv.last_handout + QUIET_MS - now;
		struct origin *o;
		struct doomed *d;

		if (!waited && quiet > 0 && (sv.doomed || needs_fill(now)) &&
		    !pool_empty(now) && !pool_behind(now)) {
			/* The test that was just handed a clone is connecting to
			 * it: drops and copies wait a moment rather than compete
			 * with that connect for the cores. Once per piece of
			 * work, and never when a pool is empty (a test may be
			 * waiting for its clone). */
			wait_for_work(now + quiet);
			waited = true;
			continue;
		}
		waited = false;
		if ((d = due_drops(now, &next_drop))) {
			drop_in_background(d);
		} else if ((o = needs_fill(now))) {
			if (!layer_freeze_for_pool(o))
				fill_one(o);
		} else if (!retry_if_due(now)) {
			wait_for_work(sooner(next_drop, retry_next_due()));
		}
	}
	pthread_mutex_unlock(&sv.lock);
	return NULL;
}
