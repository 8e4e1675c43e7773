/* The dbclone command: one file per subcommand. */
#ifndef DBCLONE_CLI_H
#define DBCLONE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

#include "pg.h"

#define DBCLONE_VERSION "0.1.0"

extern const struct pg_api cli_pg_api;

int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

/* An admin connection to the maintenance database of the server that
 * conninfo (or DBCLONE_PG_ADMIN, or libpq's defaults) names. */
PGconn *cli_pg_admin(const char *conninfo);

/* The library `dbclone run` preloads: DBCLONE_LIBRARY, else next to the
 * command, else PREFIX/lib/dbclone. */
bool cli_find_library(char *out, size_t outlen);

#endif
