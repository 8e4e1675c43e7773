/* The library's side of a shared `dbclone run`: asks the run supervisor
 * (DBCLONE_SOCKET) for the clone of a source under the current key. The
 * socket stays open for the life of the process, so that the supervisor
 * knows when the process is gone, even by kill -9. */
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

#endif
