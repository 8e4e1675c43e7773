/* The table of the program's connection handles: clone, refusal and
 * engine state per handle, under one lock (conns.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conns.h"
#include "locks.h"

struct conn {
	const void *handle;
	struct clone *clone; /* NULL: uses none */
	bool refused;
	int code;
	long tag;
	char message[640]; /* "why\n": the newline is left out for SQLite */
	void *state;       /* the engine's, or NULL */
	struct conn *next;
};

#define BUCKETS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *table[BUCKETS];
/* Most programs never see a refusal: the error hooks skip the lock then. */
static atomic_int refusals;

static struct conn **bucket(const void *handle)
{
	uintptr_t p = (uintptr_t)handle;

	return &table[(p >> 4 ^ p >> 12) % BUCKETS];
}

/* Called with the lock held: the entry of handle, made if create is set. */
static struct conn *find(const void *handle, bool create)
{
	struct conn **b = bucket(handle), *e;

	for (e = *b; e; e = e->next)
		if (e->handle == handle)
			return e;
	if (!create || !(e = calloc(1, sizeof(*e))))
		return NULL;
	e->handle = handle;
	e->next = *b;
	*b = e;
	return e;
}

static void clear_refusal(struct conn *e)
{
	if (e->refused)
		atomic_fetch_sub(&refusals, 1);
	e->refused = false;
}

/* Called with the lock held: frees the entry once it holds nothing. */
static void release_if_empty(struct conn *e)
{
	if (e->clone || e->refused || e->state)
		return;
	for (struct conn **p = bucket(e->handle); *p; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			free(e);
			return;
		}
	}
}

void conns_link_clone(const void *handle, struct clone *c)
{
	struct conn *e;

	pthread_mutex_lock(&lock);
	if ((e = find(handle, true)))
		e->clone = c;
	pthread_mutex_unlock(&lock);
}

struct clone *conns_unlink_clone(const void *handle)
{
	struct clone *c = NULL;
	struct conn *e;

	pthread_mutex_lock(&lock);
	if ((e = find(handle, false))) {
		c = e->clone;
		e->clone = NULL;
		release_if_empty(e);
	}
	pthread_mutex_unlock(&lock);
	return c;
}

void conns_unlink_all(const struct clone *c)
{
	pthread_mutex_lock(&lock);
	for (size_t b = 0; b < BUCKETS; b++) {
		for (struct conn *e = table[b], *next; e; e = next) {
			next = e->next;
			if (e->clone == c) {
				e->clone = NULL;
				release_if_empty(e);
			}
		}
	}
	pthread_mutex_unlock(&lock);
}

void conns_refuse(const void *handle, int code, long tag, const char *why)
{
	struct conn *e;

	pthread_mutex_lock(&lock);
	if ((e = find(handle, true))) {
		if (!e->refused)
			atomic_fetch_add(&refusals, 1);
		e->refused = true;
		e->code = code;
		e->tag = tag;
		snprintf(e->message, sizeof(e->message), "%s\n", why);
	}
	pthread_mutex_unlock(&lock);
}

const char *conns_refusal(const void *handle, bool newline)
{
	static __thread char plain[640];
	const char *msg = NULL;
	struct conn *e;

	if (!atomic_load(&refusals))
		return NULL;
	pthread_mutex_lock(&lock);
	if ((e = find(handle, false)) && e->refused)
		msg = e->message;
	if (msg && !newline) {
		snprintf(plain, sizeof(plain), "%.*s", (int)strcspn(msg, "\n"), msg);
		msg = plain;
	}
	pthread_mutex_unlock(&lock);
	return msg;
}

bool conns_refusal_code(const void *handle, int *code, long *tag)
{
	struct conn *e;
	bool found = false;

	if (!atomic_load(&refusals))
		return false;
	pthread_mutex_lock(&lock);
	if ((e = find(handle, false)) && e->refused) {
		*code = e->code;
		*tag = e->tag;
		found = true;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void conns_forget_refusal(const void *handle)
{
	struct conn *e;

	if (!atomic_load(&refusals))
		return;
	pthread_mutex_lock(&lock);
	if ((e = find(handle, false))) {
		clear_refusal(e);
		release_if_empty(e);
	}
	pthread_mutex_unlock(&lock);
}

void conns_set_state(const void *handle, const void *state, size_t len)
{
	void *copy = malloc(len);
	struct conn *e;

	if (!copy)
		return;
	memcpy(copy, state, len);
	pthread_mutex_lock(&lock);
	if ((e = find(handle, true))) {
		free(e->state);
		e->state = copy;
		copy = NULL;
	}
	pthread_mutex_unlock(&lock);
	free(copy);
}

bool conns_state(const void *handle, void *out, size_t len)
{
	struct conn *e;
	bool found = false;

	pthread_mutex_lock(&lock);
	if ((e = find(handle, false)) && e->state) {
		memcpy(out, e->state, len);
		found = true;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void conns_forget(const void *handle)
{
	struct conn *e;

	pthread_mutex_lock(&lock);
	if ((e = find(handle, false))) {
		clear_refusal(e);
		free(e->state);
		e->state = NULL;
		release_if_empty(e);
	}
	pthread_mutex_unlock(&lock);
}

void conns_at_fork(enum fork_phase phase)
{
	fork_one_lock(&lock, phase);
}
