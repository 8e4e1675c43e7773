/* MySQL/MariaDB: the rows of a clone's tables copied over several
 * connections at once (for copies of frozen sources only: the tables are
 * read in separate transactions). */
#ifndef DBCLONE_MARIADB_PARALLEL_H
#define DBCLONE_MARIADB_PARALLEL_H

#include "mariadb.h"

struct parallel_way {
	const struct mysql_api *api;
	const struct mysql_target *target; /* where the other connections go */
	const char *admin_conf;            /* DBCLONE_MYSQL_ADMIN, or NULL */
	const char *source, *clone;
	unsigned used;   /* out: connections that copied */
	unsigned copied; /* out: tables copied */
};

/* A mysql_rows_fn (ctx: struct parallel_way): INSERT ... SELECT of every
 * table not done, biggest first, a table per connection at a time, on
 * admin and up to a connection per processor more. */
bool mysql_rows_in_parallel(MYSQL *admin, struct mysql_table *tables, size_t n,
			    void *ctx, struct failure *f);

#endif
