/* The servers this process clones on and their admin connections
 * (servers.h), shared by the engines that have servers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locks.h"
#include "servers.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct server *servers;

struct server *server_for(const char *id, size_t infolen,
			  void (*fill)(void *info, const void *arg),
			  const void *arg)
{
	struct server *s;

	pthread_mutex_lock(&lock);
	for (s = servers; s; s = s->next)
		if (!strcmp(s->id, id))
			break;
	if (!s && (s = calloc(1, sizeof(*s) + infolen))) {
		snprintf(s->id, sizeof(s->id), "%s", id);
		fill(s->info, arg);
		pthread_mutex_init(&s->lock, NULL);
		s->next = servers;
		servers = s;
	}
	pthread_mutex_unlock(&lock);
	return s;
}

bool server_run(struct server *s, const struct admin_ops *ops, void *ctx,
		bool (*op)(void *admin, void *arg, char *err, size_t errlen),
		void *arg, char *err, size_t errlen)
{
	bool ok = false;

	pthread_mutex_lock(&s->lock);
	for (int tries = 0; tries < (ops->retry ? 2 : 1); tries++) {
		if (s->admin && !ops->usable(s->admin)) {
			ops->close(s->admin);
			s->admin = NULL;
		}
		if (!s->admin && !(s->admin = ops->open(s, ctx, err, errlen)))
			break;
		ok = op(s->admin, arg, err, errlen);
		if (ok || !ops->retry || ops->usable(s->admin))
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
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
