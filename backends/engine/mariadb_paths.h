/* MySQL/MariaDB: which way a clone is made, and the log line that says
 * so. From the source: mysql_copy, on one connection; from a live copy
 * (the setup): mysql_copy_live, read under one lock. From a frozen copy dbclone made (a golden, a
 * layer): its InnoDB tables as files where the server's data directory
 * is reachable (mariadb_files.h), the other rows over several
 * connections (mariadb_parallel.h). */
#ifndef DBCLONE_MARIADB_PATHS_H
#define DBCLONE_MARIADB_PATHS_H

#include "mariadb.h"

/* Makes clone from from (NULL: the source; live: a copy other sessions
 * may be writing, the setup; else a frozen copy) with marker m; target and
 * admin_conf reach the server again for more connections. A failure of
 * the file path is said as a warning, and the clone is copied instead.
 * Nothing is left on failure (f). */
bool mysql_clone_by_path(const struct mysql_api *api, MYSQL *admin,
			 const struct mysql_target *target,
			 const char *admin_conf, const char *source,
			 const char *from, bool live, const char *clone,
			 const struct marker *m, struct failure *f);

/* A line for DBCLONE_LOG (or standard error) when DBCLONE_DEBUGLEVEL is
 * level or more: 1 a warning, 2 a note of the path taken. */
__attribute__((format(printf, 2, 3)))
void mysql_say_path(int level, const char *fmt, ...);

#endif
