/* Clone names and the marker every clone carries (one format, versioned).
 *
 * Only what dbclone made is ever dropped: a clone's name starts with
 * "dbclone_" and its marker (PostgreSQL, MariaDB: the database comment;
 * SQLite: a file beside the copy) names the host, pid and run that made it,
 * the creation time and the source.
 */
#ifndef DBCLONE_MARKER_H
#define DBCLONE_MARKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define CLONE_PREFIX "dbclone_"
#define MARKER_MAX 1024

/* Where a clone is in its life. MARKER_MADE is zero: a cleared marker is
 * an ordinary clone. */
enum marker_state {
	MARKER_MADE,   /* made, to be dropped when its owner is done */
	MARKER_INTENT, /* recorded before the clone exists: it may not yet */
	MARKER_KEPT,   /* kept on purpose (--keep): no owner check drops it */
};

struct marker {
	int version; /* what marker_parse read: 1 or 2 */
	char host[256];
	pid_t pid;
	unsigned long long start; /* the owner's start, in clock ticks since
				     boot (/proc/PID/stat): tells a reused
				     pid apart; 0 when unknown */
	char run[128];
	enum marker_state state;
	char layer[128]; /* the clone or golden it was made from; "" */
	time_t created;
	char source[512];
};

/* Called for every clone a backend lists: its name (SQLite: its path) and
 * its marker's text, NULL when it has none. */
typedef void (*clone_list_fn)(const char *name, const char *marker, void *ctx);

/* Writes a clone name for source into out: "dbclone_<label>_<tag>_<seq>",
 * at most maxlen bytes (63 for PostgreSQL), unique across hosts (tag hashes
 * the host name), processes and time (tag mixes pid and start time).
 * Returns false if maxlen is too small for even an empty label. */
bool clone_name(const char *source, unsigned long seq, size_t maxlen,
		char *out, size_t outlen);

/* True if name is something dbclone could have made. */
bool is_clone_name(const char *name);

/* v1: "dbclone v1 host=H pid=P run=R created=T source=S"
 * v2: "dbclone v2 host=H pid=P start=S run=R state=made|intent|kept
 *      layer=L created=T source=S"
 * The source comes last and may hold spaces. A marker that v1 can carry
 * whole (made, from no layer) is written as v1, which every dbclone reads;
 * the others as v2, which older ones read as no marker and so never drop.
 * Returns what snprintf returns. */
int marker_format(const struct marker *m, char *out, size_t outlen);

/* Reads v1 and v2 (v1's "run=kept-R" is state kept, run R); unknown
 * fields of v2 are skipped. False for anything else. */
bool marker_parse(const char *text, struct marker *m);

/* Fills host, pid, start, created for the calling process, state made,
 * and run from DBCLONE_RUN (or a per-process run id). */
/* The marker's layer: the last part of name (a path's file name). */
void marker_set_layer(struct marker *m, const char *name);
void marker_for_self(struct marker *m, const char *source);

/* Was the clone made on this host by a process that is gone (or whose pid
 * another process now has)? A kept clone never counts as left behind. */
bool marker_owner_gone(const struct marker *m);

/* "30s", "10m", "2h", "1d", "90" (seconds); false if malformed. */
bool parse_duration(const char *text, long *seconds);

#endif
