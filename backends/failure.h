/* Failures with a kind, read from the engine's own codes (SQLSTATE,
 * MariaDB error numbers, SQLite result codes), never from message text. */
#ifndef DBCLONE_FAILURE_H
#define DBCLONE_FAILURE_H

#include <stdbool.h>
#include <stddef.h>

enum fail_kind {
	FAIL_NONE,
	FAIL_INVALID, /* anything else: a missing source, a bad name ... */
	FAIL_BUSY,    /* out of disk or connections: may work elsewhere, later */
	FAIL_REFUSED, /* privileges */
	FAIL_GONE,    /* the server is down or the connection broke */
	FAIL_OPTIONS, /* the client library rejects the connection options
			 before reaching a server: the program's own connect
			 fails the same way, in the library's words */
};

/* A failed operation: its kind and the one-line "dbclone:" text. */
struct failure {
	enum fail_kind kind;
	int code; /* the engine's own result code for the program, when it
		     has one (SQLite's); 0: none */
	char why[1024];
};

/* Fills f (kind and printf-formatted text); returns false, for
 * "return fail(f, ...)". */
__attribute__((format(printf, 3, 4)))
bool fail(struct failure *f, enum fail_kind kind, const char *fmt, ...);

enum fail_kind fail_kind_sqlstate(const char *sqlstate);
enum fail_kind fail_kind_mysql(unsigned int err);
enum fail_kind fail_kind_sqlite(int rc);

#endif
