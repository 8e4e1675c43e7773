/* What dead runs and processes left, found and dropped: a run's journal,
 * the run directories of dead supervisors, the intents of dead owners.
 * Used by `dbclone run` (at its start and end) and `dbclone gc`. */
#ifndef DBCLONE_LEFTOVERS_H
#define DBCLONE_LEFTOVERS_H

#include <stdbool.h>

/* Drops the clones a run directory's journal names that still exist and
 * whose marker names run, then removes the directory and what it holds.
 * Returns how many were dropped. */
int sweep_run_dir(const char *dir, const char *run);

/* Writes the run directory's owner record (the supervisor: this
 * process), by which the next run and gc tell a dead run's directory. */
void run_dir_owner(const char *dir);

/* The run directories (dbclone-run-* in TMPDIR, this user's) whose
 * supervisor is gone: each is removed (what its journal names is marked,
 * or intended, by dead owners: the sweeps by marker and intent drop it),
 * or with dry_run only named. tell: print a line per directory. Returns
 * how many. */
int sweep_stale_runs(bool dry_run, bool tell);

#endif
