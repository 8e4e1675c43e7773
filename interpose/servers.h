/* The servers this process clones on, each with one admin connection kept
 * open under its own lock: a boundary then costs the copy, not a connect
 * as well. The engine keeps what it needs to reconnect in info. */
#ifndef DBCLONE_SERVERS_H
#define DBCLONE_SERVERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "bind.h"
#include "marker.h"

struct server {
	char id[1024];
	void *admin;          /* the engine's admin connection, or NULL */
	pthread_mutex_t lock; /* held while admin is in use */
	struct server *next;
	_Alignas(max_align_t) char info[]; /* the engine's, infolen bytes */
};

/* The server named id (a server and a role), created with infolen bytes
 * of info filled by fill(info, arg) the first time; NULL when out of
 * memory. */
struct server *server_for(const char *id, size_t infolen,
			  void (*fill)(void *info, const void *arg),
			  const void *arg) HIDDEN;

/* How an engine keeps its admin connections. */
struct admin_ops {
	/* Opens one with what the server's info says; NULL with err filled.
	 * ctx: what the caller of server_run() passed (the hook's call when
	 * cloning, NULL when dropping). */
	void *(*open)(struct server *s, void *ctx, char *err, size_t errlen);
	bool (*usable)(void *admin); /* still connected */
	void (*close)(void *admin);
	/* An operation that failed because the connection broke while idle
	 * (server restart, idle timeout) is tried once more on a new one. */
	bool retry;
};

/* What a clone made on a server's admin connection is made from: the
 * engine's view of the hook's call, the clone's name, its marker. */
struct clone_job {
	const void *args;
	const char *clone;
	struct marker marker;
};

/* Runs op(admin, arg) on the server's admin connection, under the
 * server's lock, opening one when there is none or it is not usable. */
bool server_run(struct server *s, const struct admin_ops *ops, void *ctx,
		bool (*op)(void *admin, void *arg, char *err, size_t errlen),
		void *arg, char *err, size_t errlen) HIDDEN;

#endif
