/* MySQL/MariaDB: the SQL helpers of mariadb.c that the other ways of
 * moving a clone's rows (mariadb_files.c, mariadb_parallel.c) share. */
#ifndef DBCLONE_MARIADB_SQL_H
#define DBCLONE_MARIADB_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "mariadb.h"
#include "strbuf.h"

/* Runs a multi-statement batch to its end, results thrown away. */
bool mysql_batch(const struct mysql_api *api, MYSQL *conn, const char *sql);
/* `name`, backticks doubled. */
void mysql_add_ident(struct strbuf *b, const char *name);
/* 'text', escaped for conn. */
void mysql_add_literal(const struct mysql_api *api, MYSQL *conn,
		       struct strbuf *b, const char *text);
/* The first row of sql's one result, its values one after the other,
 * each ended by '\0' (NULL as empty), *ncols of them; false if none. */
bool mysql_one_row(const struct mysql_api *api, MYSQL *conn, const char *sql,
		   char *out, size_t outlen, unsigned *ncols);
/* Calls fn for every row of sql's one result. */
bool mysql_each_row(const struct mysql_api *api, MYSQL *conn, const char *sql,
		    void (*fn)(MYSQL_ROW row, void *ctx), void *ctx);

#endif
