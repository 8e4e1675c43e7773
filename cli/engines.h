/* What the run supervisor does on each engine, through the engine table:
 * copy a source (or its golden) into a new clone, drop one, sweep what
 * dead owners left, keep one; with one admin connection per server and
 * thread. */
#ifndef DBCLONE_ENGINES_H
#define DBCLONE_ENGINES_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "spec.h"

/* The source's name as the engine knows it (database or path). */
const char *spec_source(const struct spec *sp);

/* Copies from (a golden or layer, or the live setup; NULL: the source
 * itself) into a new clone named after seq, as flags say (CLONE_FREEZE,
 * CLONE_LIVE: engine.h). Safe to call from several threads. */
bool engine_copy(const struct spec *sp, const char *from, unsigned long seq,
		 unsigned flags, char *name, size_t namelen, char *err,
		 size_t errlen);
/* Pays now what the first connect to a new clone costs (engine.h's
 * warm; nothing for an engine without it), as the engine's own
 * connection, which it closes before returning: no session is left on
 * the clone when it is handed out. */
void engine_warm(const struct spec *sp, const char *name);
/* Takes the setup name in place where the engine can (engine.h's
 * take_in_place): true with *in_place false when it cannot (the caller
 * copies it), cut naming the sessions that were ended. */
bool engine_take_in_place(const struct spec *sp, const char *name,
			  bool *in_place, char *cut, size_t cutlen, char *err,
			  size_t errlen);
/* The setup's stamp (engine.h); false when it cannot be told. */
bool engine_stamp(const struct spec *sp, const char *name, char *out,
		  size_t outlen);
bool engine_drop(const struct spec *sp, const char *name, char *err,
		 size_t errlen);

/* Is name a clone that process pid of this run (DBCLONE_RUN) made, by
 * the marker the engine lists it with (SQLite: only what is in
 * DBCLONE_DIR is listed)? False, with err, when it is not, or cannot be
 * told. */
bool engine_made_by(const struct spec *sp, const char *name, long pid,
		    const char *run, char *err, size_t errlen);

/* Closes the calling thread's admin connections (a thread that ends). */
void engine_forget_admins(void);

/* The kind of the calling thread's last failed engine_copy or
 * engine_drop (as errno is for a system call). */
enum fail_kind engine_failure(void);

/* Drops the clones on the spec's server (or in DBCLONE_DIR) whose owner,
 * on this host, is gone: what a run or a process killed with kill -9 left.
 * Returns how many. */
int engine_sweep_dead(const struct spec *sp);

/* Marks a clone kept (--keep): its marker's state becomes kept, which
 * the next run's sweep and gc's owner check leave alone (gc --older-than
 * still drops it). */
void engine_mark_kept(const struct spec *sp, const char *name);

/* A command that connects to a kept clone (no password in it). */
void engine_connect_command(const struct spec *sp, const char *name, char *out,
			    size_t outlen);

#endif
