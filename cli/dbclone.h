/* The dbclone command: one file per subcommand. */
#ifndef DBCLONE_CLI_H
#define DBCLONE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "mariadb.h"
#include "pg.h"
#include "sqlite.h"

#define DBCLONE_VERSION "0.1.0"

extern const struct pg_api cli_pg_api;
extern const struct mysql_api cli_mysql_api;
extern const struct sqlite_api cli_sqlite_api;

int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

/* The library `dbclone run` preloads: DBCLONE_LIBRARY, else next to the
 * command, else PREFIX/lib/dbclone. */
bool cli_find_library(char *out, size_t outlen);

#endif
