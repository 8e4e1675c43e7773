/* The library's side of `dbclone run` (DBCLONE_SOCKET). In a shared run
 * it asks the run supervisor for the clone of a source under the current
 * key; a clone the process makes itself (--per-process, or when the
 * supervisor is busy) is reported as made and as dropped. The socket stays
 * open for the life of the process, so that the supervisor knows when the
 * process is gone, even by kill -9, and drops what it left. */
#ifndef DBCLONE_SUPERVISED_H
#define DBCLONE_SUPERVISED_H

#include <stdbool.h>
#include <stddef.h>

#include "bind.h"

/* Under a shared run (DBCLONE_SOCKET set, not --per-process)? */
bool supervised(void) HIDDEN;

/* spec: the engine's fields (wire_append) that let the supervisor reach
 * the source. Fills name, or err with a "dbclone:" line; *busy tells that
 * the supervisor ran out of disk or connections and the process should
 * clone for itself. */
bool supervisor_clone(const char *engine, const char *source, const char *spec,
		      char *name, size_t namelen, bool *busy, char *err,
		      size_t errlen) HIDDEN;

/* Tells the supervisor that this process made clone name (in ms) from
 * the source spec reaches; false, with err, when no run answers. */
bool supervisor_made(const char *engine, const char *name, double ms,
		     const char *spec, char *err, size_t errlen) HIDDEN;

/* Tells it that this process dropped clone name itself. */
void supervisor_dropped(const char *engine, const char *name) HIDDEN;
/* The clone the run gave for engine and source under the current key is
 * gone (a connect to it failed): the next request asks the run again. */
void supervisor_forget(const char *engine, const char *source) HIDDEN;

#endif
