/* The run supervisor's drops that failed (the server restarting, out of
 * connections): retried in the background while the run lasts, after
 * 0.5 s, then doubling up to 8 s between tries; at the run's end for at
 * most RETRY_END_MS more; what is still left then is recorded as drop
 * pending (intent.h), for the next run and dbclone gc. */
#ifndef DBCLONE_RETRY_H
#define DBCLONE_RETRY_H

#include "spec.h"

#define RETRY_END_MS 10000

/* Drops name; on failure says why and queues it for retries. */
void drop_or_retry(const struct spec *sp, const char *name);

/* When (now_ms) the next retry is due; 0 when none is queued. */
double retry_next_due(void);

/* Tries the drops that are due. */
void retry_due(void);

/* At the run's end: retries until all are dropped or budget_ms has
 * passed, then records the rest as drop pending. */
void retry_finish(double budget_ms);

#endif
