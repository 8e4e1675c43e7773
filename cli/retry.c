/* The supervisor's failed drops, retried with backoff (retry.h). */
#include "retry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engines.h"
#include "intent.h"
#include "supervisor_state.h"

#define FIRST_MS 500
#define MAX_MS 8000

struct retry {
	struct spec spec;
	char name[PATH_MAX];
	double due, wait; /* next try (now_ms), and the wait after it */
	struct retry *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct retry *queued;

static void queue(struct retry *r)
{
	pthread_mutex_lock(&lock);
	r->next = queued;
	queued = r;
	pthread_mutex_unlock(&lock);
}

void drop_or_retry(const struct spec *sp, const char *name)
{
	char err[1024];
	struct retry *r;

	if (engine_drop(sp, name, err, sizeof(err)))
		return;
	fprintf(stderr, "%s; retrying\n", err);
	if (!(r = calloc(1, sizeof(*r))))
		return; /* its marker still names this run: gc drops it */
	r->spec = *sp;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->wait = FIRST_MS;
	r->due = now_ms() + r->wait;
	queue(r);
}

double retry_next_due(void)
{
	double due = 0;

	pthread_mutex_lock(&lock);
	for (struct retry *r = queued; r; r = r->next)
		if (!due || r->due < due)
			due = r->due;
	pthread_mutex_unlock(&lock);
	return due;
}

/* Takes the retries due at now off the queue. */
static struct retry *take_due(double now)
{
	struct retry *due = NULL;

	pthread_mutex_lock(&lock);
	for (struct retry **p = &queued; *p;) {
		struct retry *r = *p;

		if (r->due > now) {
			p = &r->next;
			continue;
		}
		*p = r->next;
		r->next = due;
		due = r;
	}
	pthread_mutex_unlock(&lock);
	return due;
}

void retry_due(void)
{
	struct retry *r = take_due(now_ms()), *next;
	char err[1024];

	for (; r; r = next) {
		next = r->next;
		if (engine_drop(&r->spec, r->name, err, sizeof(err))) {
			fprintf(stderr, "dbclone: dropped %s %s on a later try\n",
				r->spec.ops->name, r->name);
			free(r);
			continue;
		}
		r->wait = r->wait * 2 > MAX_MS ? MAX_MS : r->wait * 2;
		r->due = now_ms() + r->wait;
		queue(r);
	}
}

void retry_finish(double budget_ms)
{
	double end = now_ms() + budget_ms, due;
	struct retry *r, *next;

	while ((due = retry_next_due()) && due < end) {
		double wait = due - now_ms();
		struct timespec t = {(time_t)(wait / 1e3),
				     (long)(wait - (long)(wait / 1e3) * 1e3) * 1000000L};

		if (wait > 0)
			nanosleep(&t, NULL);
		retry_due();
	}
	pthread_mutex_lock(&lock);
	r = queued;
	queued = NULL;
	pthread_mutex_unlock(&lock);
	for (; r; r = next) {
		next = r->next;
		fprintf(stderr, "dbclone: %s %s could not be dropped in %.0f s; "
			"recorded for the next run and dbclone gc\n",
			r->spec.ops->name, r->name, budget_ms / 1e3);
		intent_drop_pending(&r->spec, r->name);
		free(r);
	}
}
