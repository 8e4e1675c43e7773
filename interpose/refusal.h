/* Handles dbclone refused: the client library made them (so they behave as
 * failed connections everywhere), and the error hooks (PQerrorMessage,
 * sqlite3_errmsg ...) return dbclone's reason for them. */
#ifndef DBCLONE_REFUSAL_H
#define DBCLONE_REFUSAL_H

#include <stdbool.h>

#include "bind.h"

/* code: the result code the client library's own error calls should
 * report for the handle (sqlite3_errcode); 0 where there is none. */
void refusal_add(const void *handle, int code, const char *why) HIDDEN;
/* The reason, with a newline when newline is set (libpq ends its messages
 * with one, SQLite does not); NULL for a handle that was not refused. */
const char *refusal_message(const void *handle, bool newline) HIDDEN;
/* True, with *code, for a handle that was refused. */
bool refusal_code(const void *handle, int *code) HIDDEN;
void refusal_forget(const void *handle) HIDDEN;
/* A value the engine keeps with a refusal (its own error state then). */
void refusal_set_tag(const void *handle, long tag) HIDDEN;
bool refusal_tag(const void *handle, long *tag) HIDDEN;

#endif
