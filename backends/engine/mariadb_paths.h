/* MySQL/MariaDB: which way a clone is made, and the log line that says
 * so. From the source (or a live copy): mysql_copy, on one connection,
 * which stays consistent. From a frozen copy dbclone made (a golden, a
 * layer): its InnoDB tables as files where the server's data directory
 * is reachable (mariadb_files.h), the other rows over several
 * connections (mariadb_parallel.h). */
#ifndef DBCLONE_MARIADB_PATHS_H
#define DBCLONE_MARIADB_PATHS_H

#include "mariadb.h"

/* Makes clone from frozen (NULL: the source, sp's database) with marker
 * m; target and admin_conf reach the server again for more connections.
 * A failure of the file path is said as a warning, and the clone is
 * copied instead. Nothing is left on failure (f). */
bool mysql_clone_by_path(const struct mysql_api *api, MYSQL *admin,
			 const struct mysql_target *target,
			 const char *admin_conf, const char *source,
			 const char *frozen, const char *clone,
			 const struct marker *m, struct failure *f);

/* A line for DBCLONE_LOG (or standard error) when DBCLONE_DEBUGLEVEL is
 * level or more: 1 a warning, 2 a note of the path taken. */
__attribute__((format(printf, 2, 3)))
void mysql_say_path(int level, const char *fmt, ...);

#endif
