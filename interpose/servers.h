/* The servers this process clones on, each with one admin connection kept
 * open under its own lock: a boundary then costs the copy, not a connect
 * as well. The engine keeps what it needs to reconnect in info. */
#ifndef DBCLONE_SERVERS_H
#define DBCLONE_SERVERS_H

#include <pthread.h>
#include <stddef.h>

#include "bind.h"

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

#endif
