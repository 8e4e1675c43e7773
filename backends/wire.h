/* The run supervisor's protocol, over the Unix socket named in
 * DBCLONE_SOCKET: request lines and reply lines, fields separated by tabs,
 * each field percent-escaped (%, tab, newline), at most WIRE_MAX bytes.
 *
 *   hello <pid> <version>                         -> ok <version>
 *                                                    | err <why> (another
 *                                                    version: both sides
 *                                                    refuse, saying so)
 *   clone <engine> <test> <signals> <base> <source> <spec fields...>
 *                                                    (base: DBCLONE_BASE's
 *                                                    test name, "" none)
 *                                                 -> ok <clone> [<offer>]
 *                                                    | err <why>
 *                                                    | busy <why> (out of
 *                                                    disk or connections:
 *                                                    clone it yourself)
 *   claimed <test> <signals> <offer id>           -> ok [<offer>] (the
 *                                                    process bound a new key
 *                                                    to its offer: claims.h;
 *                                                    it reads this answer at
 *                                                    its next request)
 *   <offer> is 5 fields: <id> <clone> <signals> <setup> <stamp>, a ready
 *   clone reserved for the process's next new test key with no base under
 *   that count of boundary signals; when setup is not empty, only while
 *   setup's stamp is stamp.
 *   next                                          -> ok <epoch>, once the
 *                                                    old epoch's clones are
 *                                                    dropped
 *   used <engine> <test> <signals> <base> <source> (no reply: a reconnect
 *                                                    within the key to the
 *                                                    clone handed for it)
 *   snapshot                                      -> ok <sources>, once the
 *                                                    epoch's state is the
 *                                                    base of later epochs
 *   keep <test>                                   -> ok <clones> (a harness
 *                                                    says test failed: under
 *                                                    --keep its clones stay)
 *   known <test>                                  -> ok 1 | ok 0 (does the
 *                                                    key have a clone or a
 *                                                    layer: may a harness
 *                                                    name it as a base)
 *   made <engine> <clone> <ms> <spec fields...>   -> ok  (a clone the process
 *                                                    made itself; err when
 *                                                    its marker does not say
 *                                                    so: never dropped then)
 *   dropped <engine> <clone>                      -> ok  (and dropped itself)
 *   report <exe> <args> <counts> <libs> <sockets> <stale>
 *                                                 -> ok  (at the process's
 *                                                    exit: what it did with
 *                                                    its connects; a run
 *                                                    that does not know it
 *                                                    answers err, ignored)
 *
 * The supervisor trusts no client: it reads each one on a thread of its
 * own, holds at most WIRE_MAX bytes of it, drops one whose hello or line
 * stalls half-way (WIRE_STALL_MS), and never one that is quiet between
 * lines.
 *
 * The supervisor reads a client's requests as a stream and answers them
 * in order, so a client may send a request before it has read the answer
 * to the one before (a claim's answer is read so); a reader takes the
 * fields it knows and ignores any after them. A change of what a field
 * means changes WIRE_VERSION.
 */
#ifndef DBCLONE_WIRE_H
#define DBCLONE_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#define WIRE_MAX 16384
#define WIRE_FIELDS 16
/* The protocol's version, in both sides' hello. 1 was the hello without
 * one; 3 added clone's base; 4 offers and claims. */
#define WIRE_VERSION 4
/* A hello, or the rest of a line once begun, that takes longer is the
 * peer's fault: the supervisor drops it. */
#define WIRE_STALL_MS 5000

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

/* Lines read from a peer that is not trusted: at most WIRE_MAX bytes of it
 * are ever held, and a line begun must end within its time. */
struct wire_reader {
	char buf[WIRE_MAX + 1];
	size_t len;
	double begun; /* when (monotonic ms) the line in buf began */
};

enum wire_read {
	WIRE_LINE,     /* a line, in line */
	WIRE_CLOSED,   /* the peer closed (or the socket was shut down) */
	WIRE_STALLED,  /* no line within the time */
	WIRE_TOO_LONG, /* WIRE_MAX bytes and no newline */
};

/* The next line into line (WIRE_MAX + 1 bytes). idle_ms is how long to
 * wait for a line to begin (-1: for ever), stall_ms how long a line may
 * take from its first byte to its newline. */
enum wire_read wire_read_line(int fd, struct wire_reader *r, char *line,
			      int idle_ms, int stall_ms);

#endif
