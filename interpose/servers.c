/* The servers this process clones on and their admin connections
 * (servers.h), one table for every engine that has servers. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "locks.h"
#include "testhook.h"
#include "servers.h"

struct server {
	char key[4200];       /* the engine's name and admin_key */
	struct spec spec;     /* the first that reached it: to reconnect */
	void *admin;          /* the engine's admin connection, or NULL */
	pthread_mutex_t lock; /* held while admin is in use */
	struct server *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct server *servers;

/* The server sp reaches, created the first time; NULL when out of
 * memory. */
static struct server *server_for(const struct spec *sp)
{
	struct server *s;
	char key[sizeof(s->key)];
	size_t n = (size_t)snprintf(key, sizeof(key), "%s ", sp->ops->name);

	sp->ops->admin_key(sp, key + n, sizeof(key) - n);
	pthread_mutex_lock(&lock);
	for (s = servers; s; s = s->next)
		if (!strcmp(s->key, key))
			break;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->spec = *sp;
		pthread_mutex_init(&s->lock, NULL);
		s->next = servers;
		servers = s;
	}
	pthread_mutex_unlock(&lock);
	return s;
}

/* What runs on an admin connection. */
enum admin_do { DO_CLONE, DO_DROP, DO_TAKE, DO_STAMP };
struct admin_job {
	enum admin_do what;
	const struct engine_ops *ops;
	const struct spec *sp;
	const char *from; /* DO_CLONE: NULL for the source */
	unsigned flags;
	unsigned long seq;
	const struct marker *marker;
	const char *target; /* DO_DROP, DO_TAKE, DO_STAMP: the clone */
	char *name;         /* DO_CLONE: the new clone; else what comes back */
	size_t namelen;
};

static bool run_job(void *admin, const struct admin_job *j, struct failure *f)
{
	switch (j->what) {
	case DO_DROP:
		return j->ops->drop(admin, j->target, f);
	case DO_TAKE:
		return j->ops->take_in_place(admin, j->target, j->name,
					     j->namelen, f);
	case DO_STAMP:
		return j->ops->stamp(admin, j->target, j->name, j->namelen);
	case DO_CLONE:
		break;
	}
	/* The intent first: a kill at any moment leaves a clone proven
	 * dbclone's. */
	return intent_clone(admin, j->sp, j->from, j->seq, j->flags, j->marker,
			    j->name, j->namelen, f);
}

/* Runs j on the server's admin connection, under the server's lock,
 * opening one when there is none or it is no longer alive. A job that
 * failed because the connection broke while idle (server restart, idle
 * timeout) is tried once more on a new one. */
static bool server_run(struct server *s, const struct admin_job *j,
		       struct failure *f)
{
	const struct engine_ops *ops = j->ops;
	bool ok = false;

	if (!s)
		return run_job(NULL, j, f);
	pthread_mutex_lock(&s->lock);
	for (int tries = 0; tries < 2; tries++) {
		if (s->admin && !ops->admin_alive(s->admin)) {
			ops->admin_close(s->admin);
			s->admin = NULL;
		}
		if (!s->admin && !ops->admin_open(&s->spec, &s->admin, f))
			break;
		ok = run_job(s->admin, j, f);
		if (ok || ops->admin_alive(s->admin))
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

bool server_clone(const struct spec *sp, const char *from, unsigned flags,
		  unsigned long seq, char *name, size_t namelen,
		  struct server **server, struct failure *f)
{
	struct marker m;
	struct admin_job j = {.what = DO_CLONE, .ops = sp->ops, .sp = sp,
			      .from = from, .flags = flags, .seq = seq,
			      .marker = &m, .name = name, .namelen = namelen};

	*server = NULL;
	if (sp->ops->admin_open && !(*server = server_for(sp)))
		return fail(f, FAIL_BUSY, "dbclone: out of memory");
	marker_for_self(&m, sp->ops->source(sp));
	if (flags & CLONE_FROM_LAYER)
		marker_set_layer(&m, from);
	return server_run(*server, &j, f);
}

bool server_drop(const struct engine_ops *ops, struct server *server,
		 const char *name, struct failure *f)
{
	bool ok;

	test_phase("drop", name);
	ok = server_run(server, &(struct admin_job){.what = DO_DROP, .ops = ops,
						    .target = name}, f);
	if (ok)
		test_phase("dropped", name);
	return ok;
}

bool server_take_in_place(const struct engine_ops *ops, struct server *server,
			  const char *name, char *cut, size_t cutlen,
			  struct failure *f)
{
	cut[0] = '\0';
	return server_run(server, &(struct admin_job){.what = DO_TAKE, .ops = ops,
						      .target = name, .name = cut,
						      .namelen = cutlen}, f);
}

bool server_stamp(const struct engine_ops *ops, struct server *server,
		  const char *name, char *out, size_t outlen)
{
	struct failure f = {0};

	out[0] = '\0';
	return server_run(server, &(struct admin_job){.what = DO_STAMP, .ops = ops,
						      .target = name, .name = out,
						      .namelen = outlen}, &f);
}

void server_drop_pending(const struct engine_ops *ops, struct server *server,
			 const char *name)
{
	struct spec none = {.ops = ops};

	intent_drop_pending(server ? &server->spec : &none, name);
}

/* After fork the child shares the parent's admin sockets: it must never
 * speak on them, not even to close them. It opens its own when needed. */
void servers_at_fork(enum fork_phase phase)
{
	struct server *s;

	switch (phase) {
	case FORK_PREPARE:
		pthread_mutex_lock(&lock);
		for (s = servers; s; s = s->next)
			pthread_mutex_lock(&s->lock);
		break;
	case FORK_PARENT:
		for (s = servers; s; s = s->next)
			pthread_mutex_unlock(&s->lock);
		pthread_mutex_unlock(&lock);
		break;
	case FORK_CHILD:
		for (s = servers; s; s = s->next) {
			pthread_mutex_init(&s->lock, NULL);
			s->admin = NULL;
		}
		pthread_mutex_init(&lock, NULL);
		break;
	}
}
