/* The servers this process clones on, each with one admin connection kept
 * open under its own lock: a boundary then costs the copy, not a connect
 * as well. One table for every engine, keyed by the engine's admin_key;
 * the engine table (backends/engine.h) opens, tests and closes them. */
#ifndef DBCLONE_SERVERS_H
#define DBCLONE_SERVERS_H

#include <stdbool.h>
#include <stddef.h>

#include "bind.h"
#include "engine.h"

struct server;

/* Makes a clone of sp's source for this process (its marker), copied from
 * from (NULL: the source itself; else a layer, or the live setup, as
 * flags say: engine.h), named after seq, on the admin connection of sp's
 * server, which *server is set to (NULL for an engine with no admin
 * connection); false with f filled. */
bool server_clone(const struct spec *sp, const char *from, unsigned flags,
		  unsigned long seq, char *name, size_t namelen,
		  struct server **server, struct failure *f) HIDDEN;

/* The engine's take_in_place and stamp (engine.h) of a clone made on
 * server. */
bool server_take_in_place(const struct engine_ops *ops, struct server *server,
			  const char *name, char *cut, size_t cutlen,
			  struct failure *f) HIDDEN;
bool server_stamp(const struct engine_ops *ops, struct server *server,
		  const char *name, char *out, size_t outlen) HIDDEN;

/* Drops a clone that server_clone() made on server. */
bool server_drop(const struct engine_ops *ops, struct server *server,
		 const char *name, struct failure *f) HIDDEN;

/* A drop that failed for good: recorded as drop pending (intent.h), for
 * the next run and gc. */
void server_drop_pending(const struct engine_ops *ops, struct server *server,
			 const char *name) HIDDEN;

#endif
