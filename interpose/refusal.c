#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refusal.h"

struct refusal {
	const void *handle;
	int code;
	long tag;
	char message[640]; /* "why\n": the newline is dropped for SQLite */
	struct refusal *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct refusal *refusals;
/* Most programs never see a refusal: the error hooks skip the lock then. */
static atomic_int count;

void refusal_add(const void *handle, int code, const char *why)
{
	struct refusal *r = calloc(1, sizeof(*r));

	if (!r)
		return;
	r->handle = handle;
	r->code = code;
	snprintf(r->message, sizeof(r->message), "%s\n", why);
	pthread_mutex_lock(&lock);
	r->next = refusals;
	refusals = r;
	atomic_fetch_add(&count, 1);
	pthread_mutex_unlock(&lock);
}

const char *refusal_message(const void *handle, bool newline)
{
	static __thread char plain[640];
	const char *msg = NULL;

	if (!atomic_load(&count))
		return NULL;
	pthread_mutex_lock(&lock);
	for (struct refusal *r = refusals; r && !msg; r = r->next)
		if (r->handle == handle)
			msg = r->message;
	if (msg && !newline) {
		snprintf(plain, sizeof(plain), "%.*s", (int)strcspn(msg, "\n"), msg);
		msg = plain;
	}
	pthread_mutex_unlock(&lock);
	return msg;
}

/* Finds the refusal of handle and calls fn on it under the lock. */
static bool with_refusal(const void *handle, void (*fn)(struct refusal *, void *),
			 void *arg)
{
	bool found = false;

	if (!atomic_load(&count))
		return false;
	pthread_mutex_lock(&lock);
	for (struct refusal *r = refusals; r && !found; r = r->next) {
		if (r->handle == handle) {
			fn(r, arg);
			found = true;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

static void get_code(struct refusal *r, void *arg) { *(int *)arg = r->code; }
static void get_tag(struct refusal *r, void *arg) { *(long *)arg = r->tag; }
static void set_tag(struct refusal *r, void *arg) { r->tag = *(long *)arg; }

bool refusal_code(const void *handle, int *code)
{
	return with_refusal(handle, get_code, code);
}

bool refusal_tag(const void *handle, long *tag)
{
	return with_refusal(handle, get_tag, tag);
}

void refusal_set_tag(const void *handle, long tag)
{
	with_refusal(handle, set_tag, &tag);
}

static void after_fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
}

__attribute__((constructor)) static void refusal_init(void)
{
	pthread_atfork(NULL, NULL, after_fork_child);
}

void refusal_forget(const void *handle)
{
	if (!atomic_load(&count))
		return;
	pthread_mutex_lock(&lock);
	for (struct refusal **r = &refusals; *r; r = &(*r)->next) {
		if ((*r)->handle == handle) {
			struct refusal *gone = *r;

			*r = gone->next;
			free(gone);
			atomic_fetch_sub(&count, 1);
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}
