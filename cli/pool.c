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
bool copy_unlocked(const struct spec *sp, const char *from, bool golden,
		   char *name, double *ms, char *err, size_t errlen)
{
	unsigned long seq = sv.seq++;
	double t0;
	bool ok;

	pthread_mutex_unlock(&sv.lock);
	t0 = now_ms();
	ok = engine_copy(sp, from, seq, golden, name, PATH_MAX, err, errlen);
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

void drop_now(struct doomed *d)
{
	while (d) {
		struct doomed *next = d->next;

		drop_or_retry(&d->spec, d->name);
		free(d);
		d = next;
	}
}

/* ---- the pool thread --------------------------------------------------- */

static struct origin *needs_fill(void)
{
	for (struct origin *o = sv.origins; o; o = o->next)
		if (o->golden[0] && !o->broken && o->npool + o->filling < sv.pool_size)
			return o;
	return NULL;
}

/* A source whose pool has no ready clone, while its golden exists. */
static bool pool_empty(void)
{
	for (struct origin *o = sv.origins; o; o = o->next)
		if (o->golden[0] && !o->broken && !o->npool)
			return true;
	return false;
}

/* Idle, with failed drops queued: tries those due, or waits until the
 * next is (or other work comes). False when none is queued. Under the
 * lock. */
static bool wait_for_retry(void)
{
	double due = retry_next_due(), wait = due - now_ms();
	struct timespec until;

	if (!due)
		return false;
	if (wait <= 0) {
		pthread_mutex_unlock(&sv.lock);
		retry_due();
		pthread_mutex_lock(&sv.lock);
		return true;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(wait / 1e3);
	until.tv_nsec += (long)((wait - (long)(wait / 1e3) * 1e3) * 1e6);
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&sv.wake, &sv.lock, &until);
	return true;
}

void *pool_thread(void *arg)
{
	(void)arg;
	bool waited = false;

	pthread_mutex_lock(&sv.lock);
	while (!sv.stopping) {
		struct origin *o;
		double quiet = sv.last_handout + QUIET_MS - now_ms();

		if (!waited && quiet > 0 && (sv.doomed || needs_fill()) &&
		    !pool_empty()) {
			/* The test that was just handed a clone is connecting to
			 * it: drops and copies wait a moment rather than compete
			 * with that connect for the cores. Once per piece of
			 * work, and never when a pool is empty (a test may be
			 * waiting for its clone). */
			struct timespec until;

			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += (long)(quiet * 1e6);
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&sv.wake, &sv.lock, &until);
			waited = true;
			continue;
		}
		waited = false;
		if (sv.doomed) {
			struct doomed *d = sv.doomed;

			sv.doomed = NULL;
			pthread_mutex_unlock(&sv.lock);
			drop_now(d); /* drops happen in the background too */
			pthread_mutex_lock(&sv.lock);
		} else if ((o = needs_fill())) {
			char name[PATH_MAX], err[1024];
			double ms;

			o->filling++;
			if (copy_unlocked(&o->spec, o->golden, false, name, &ms, err,
					  sizeof(err))) {
				snprintf(o->pool[o->npool], sizeof(o->pool[0]), "%s", name);
				o->pool_ms[o->npool++] = ms;
			} else {
				if (!o->broken) /* one line, whichever thread fails */
					fprintf(stderr, "dbclone: the pool of %s stops: %s\n",
						spec_source(&o->spec), err);
				o->broken = true;
			}
			o->filling--;
		} else if (!wait_for_retry()) {
			pthread_cond_wait(&sv.wake, &sv.lock);
		}
	}
	pthread_mutex_unlock(&sv.lock);
	return NULL;
}
