/* The run journal: under `dbclone run`, every clone a process makes is
 * recorded (engine, clone, where it lives) in $DBCLONE_RUN_DIR/journal, so
 * that the run can drop what a process killed with kill -9 left behind. */
#ifndef DBCLONE_JOURNAL_H
#define DBCLONE_JOURNAL_H

#include <stdbool.h>

/* Appends one line; does nothing outside a run. */
void journal_record(const char *engine, const char *clone, const char *where);

typedef void (*journal_fn)(const char *engine, const char *clone,
			   const char *where, void *ctx);
/* Calls fn for every line of dir/journal; false if it cannot be read. */
bool journal_read(const char *dir, journal_fn fn, void *ctx);

#endif
