/* MySQL/MariaDB: the InnoDB tables of a frozen copy dbclone made (a
 * golden, a layer) cloned as files: exported once per frozen copy
 * (FLUSH TABLES ... FOR EXPORT), imported into each clone (DISCARD
 * TABLESPACE, a copy of the .ibd and .cfg, IMPORT TABLESPACE). Never for
 * the source or a live copy: an export writes into the copy's directory,
 * and a copy of a table being written is not consistent. */
#ifndef DBCLONE_MARIADB_FILES_H
#define DBCLONE_MARIADB_FILES_H

#include <limits.h>

#include "mariadb.h"

struct files_way {
	const struct mysql_api *api;
	char datadir[PATH_MAX]; /* the server's, ends with '/' */
	const char *frozen, *clone;
	/* The rows of the tables that cannot go as files. */
	mysql_rows_fn rest;
	void *rest_ctx;
	unsigned imported;  /* out: tables imported */
	bool failed_before; /* out: it failed, as it had for another clone
			       of the same copy at the same time */
};

/* Fills w->datadir and says whether the file path may be tried for a
 * clone of frozen named clone: the server's data directory is here and
 * writable, frozen's directory is in it, and clone's is not yet (it must
 * appear when the server creates it: the proof that this directory is
 * the server's own). False with why (for the debug log) otherwise. */
bool mysql_files_usable(struct files_way *w, MYSQL *admin, char *why,
			size_t whylen);

/* A mysql_rows_fn (ctx: struct files_way): imports every InnoDB table it
 * can, then w->rest for the others. Once it failed for a frozen copy, it
 * is not tried again for that copy (false, FAIL_NONE: say nothing). */
bool mysql_rows_by_files(MYSQL *admin, struct mysql_table *tables, size_t n,
			 void *ctx, struct failure *f);

/* Whether the file path already failed for frozen in this process. */
bool mysql_files_failed(const char *frozen);

/* Before name is dropped: the export files made of it are removed, and
 * forgotten. (They are named *.BAK, which DROP DATABASE removes too: a
 * crashed process's never stop a drop.) */
void mysql_files_forget(const char *name);

#endif
