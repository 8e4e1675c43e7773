/* What this process did with its connects, told to the run at its exit
 * (report.c): connects intercepted and passed through (with why), clones
 * still in use after their test key ended, the client libraries it loaded
 * and database sockets it holds without one. The run turns these into its
 * end-of-run warnings, and `dbclone doctor -- CMD` into its report. */
#ifndef DBCLONE_REPORT_H
#define DBCLONE_REPORT_H

#include "bind.h"
#include "locks.h"

/* Why a connect was not sent to a clone, as the run reads it. */
#define PASSED_MAINTENANCE "maintenance"   /* postgres, template1, mysql ... */
#define PASSED_NO_DATABASE "no-database"   /* MariaDB connect naming none */
#define PASSED_MEMORY "memory"             /* SQLite :memory:, temporary */
#define PASSED_MISSING "missing"           /* SQLite file that did not exist */
#define PASSED_REJECTED "rejected"         /* options the library rejects */

/* The current test key, digested: what the report tells keys apart by.
 * Formatted once per intercepted connect (hook.c). */
unsigned long report_key(void) HIDDEN;

/* One connect of engine: "clone" (intercepted, under key: report_key),
 * "refused", or why it passed through (PASSED_*, "excluded", "disabled",
 * "engine-off", "own-clone", "on-error"; key 0). */
void report_verdict(const char *engine, const char *what,
		    unsigned long key) HIDDEN;

/* handle now uses a clone, under key (report_key); handle closed. */
void report_connected(const void *handle, unsigned long key) HIDDEN;
void report_closed(const void *handle) HIDDEN;

void report_at_fork(enum fork_phase phase) HIDDEN;

#endif
