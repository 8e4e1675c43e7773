/* The run supervisor's protocol, over the Unix socket named in
 * DBCLONE_SOCKET: one request line, one reply line, fields separated by
 * tabs, each field percent-escaped (%, tab, newline).
 *
 *   hello <pid>                                   -> ok  (always first)
 *   clone <engine> <test> <signals> <source> <spec fields...>
 *                                                 -> ok <clone> | err <why>
 *                                                    | busy <why> (out of
 *                                                    disk or connections:
 *                                                    clone it yourself)
 *   next                                          -> ok <epoch>, once the
 *                                                    old epoch's clones are
 *                                                    dropped
 *   made <engine> <clone> <ms> <spec fields...>   -> ok  (a clone the process
 *                                                    made itself)
 *   dropped <engine> <clone>                      -> ok  (and dropped itself)
 */
#ifndef DBCLONE_WIRE_H
#define DBCLONE_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#define WIRE_MAX 16384
#define WIRE_FIELDS 16

/* Appends field to line (a tab before it unless line is empty). */
bool wire_add(char *line, size_t linelen, const char *field);

/* Appends a tab and field, always: for lists of fields that may begin with
 * an empty one (a spec). */
bool wire_append(char *line, size_t linelen, const char *field);

/* Splits a line in place into at most WIRE_FIELDS unescaped fields;
 * returns how many. */
int wire_split(char *line, char **fields);

/* Sends line and a newline; reads one line (without its newline). False
 * on a closed or broken connection. One line in flight per direction: a
 * side sends a line, then waits for the other's. */
bool wire_send(int fd, const char *line);
bool wire_recv(int fd, char *line, size_t linelen);

#endif
