/* The spec: how a process reached a source, typed per engine, as the
 * library sends it to the run supervisor. Encoded to and decoded from
 * wire fields here and nowhere else. */
#ifndef DBCLONE_SPEC_H
#define DBCLONE_SPEC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct engine_ops;

struct spec {
	const struct engine_ops *ops; /* the engine: never NULL in a decoded spec */
	struct {
		char conninfo[4096]; /* the program's options, then the resolved
					server and user (passwords included:
					never logged) */
		char dbname[256];    /* the source */
		char role[256];      /* who owns its clones */
	} pg;
	struct {
		char path[PATH_MAX]; /* the source file, absolute */
	} sqlite;
	struct {
		char host[256];
		unsigned int port;
		char socket[512];
		char user[128];
		char password[256];
		char database[256]; /* the source */
	} mysql;
};

/* One wire field: where it lives in struct spec. */
struct spec_field {
	size_t offset, size;
	bool number; /* an unsigned int, sent in decimal */
};

struct spec_layout {
	const struct spec_field *fields;
	int n;
};

/* The three engines' fields, in wire order:
 * pg:     conninfo, dbname, role
 * sqlite: path
 * mysql:  host, port, socket, user, password, database */
extern const struct spec_layout spec_layout_pg, spec_layout_sqlite,
	spec_layout_mysql;

/* Appends the spec's fields to a wire line (wire_append: a tab before
 * each). False if the line is too short. */
bool spec_encode(const struct spec *sp, char *line, size_t linelen);

/* Fills sp from n fields of a request for engine ops; false if the count
 * is not the engine's, a number is malformed or a field too long. */
bool spec_decode(struct spec *sp, const struct engine_ops *ops,
		 char *const *fields, int n);

#endif
