/* The library's one table of the program's connection handles (PGconn,
 * sqlite3, MYSQL): the clone each uses, the refusal dbclone gave it, and
 * the engine's own state for it. One lock; taken under the registry's. */
#ifndef DBCLONE_CONNS_H
#define DBCLONE_CONNS_H

#include <stdbool.h>
#include <stddef.h>

#include "bind.h"

struct clone;

/* ---- which clone a connection uses (the registry's, under its lock) -- */
void conns_link_clone(const void *handle, struct clone *c) HIDDEN;
/* Takes the handle off its clone; NULL if it used none. */
struct clone *conns_unlink_clone(const void *handle) HIDDEN;
/* A dropped clone: the handles that still name it use none now. */
void conns_unlink_all(const struct clone *c) HIDDEN;

/* ---- refusals ---------------------------------------------------------- */
/* A handle dbclone refused: the client library made it (so that it
 * behaves as a failed connection everywhere); the error hooks report why.
 * code: what the client library's own error calls should report for it
 * (sqlite3_errcode, mysql_errno); 0 where there is none. */
void conns_refuse(const void *handle, int code, long tag,
		  const char *why) HIDDEN;
/* The reason, with a newline when newline is set (libpq ends its messages
 * with one, SQLite and MariaDB do not); NULL for a handle not refused. */
const char *conns_refusal(const void *handle, bool newline) HIDDEN;
/* True, with *code and *tag, for a handle that was refused. The tag is a
 * value the engine keeps with a refusal (its own error state then). */
bool conns_refusal_code(const void *handle, int *code, long *tag) HIDDEN;
void conns_forget_refusal(const void *handle) HIDDEN;

/* ---- the engine's own state for a handle ------------------------------- */
/* A copy of len bytes, kept until conns_forget(). */
void conns_set_state(const void *handle, const void *state, size_t len) HIDDEN;
/* Copies it into out; false when the handle has none. */
bool conns_state(const void *handle, void *out, size_t len) HIDDEN;

/* The handle is closing: its refusal and state go (not its clone, which
 * the registry takes off with clone_detach()). */
void conns_forget(const void *handle) HIDDEN;

#endif
