/* Clone names and the marker every clone carries.
 *
 * Only what dbclone made is ever dropped: a clone's name starts with
 * "dbclone_" and (PostgreSQL, MariaDB) its comment is a marker naming the
 * host, pid and run that made it, the creation time and the source.
 */
#ifndef DBCLONE_MARKER_H
#define DBCLONE_MARKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define CLONE_PREFIX "dbclone_"
#define MARKER_MAX 1024

struct marker {
	char host[256];
	pid_t pid;
	char run[128];
	time_t created;
	char source[512];
};

/* Writes a clone name for source into out: "dbclone_<label>_<tag>_<seq>",
 * at most maxlen bytes (63 for PostgreSQL), unique across hosts (tag hashes
 * the host name), processes and time (tag mixes pid and start time).
 * Returns false if maxlen is too small for even an empty label. */
bool clone_name(const char *source, unsigned long seq, size_t maxlen,
		char *out, size_t outlen);

/* True if name is something dbclone could have made. */
bool is_clone_name(const char *name);

/* "dbclone v1 host=H pid=P run=R created=T source=S" */
int marker_format(const struct marker *m, char *out, size_t outlen);
bool marker_parse(const char *text, struct marker *m);

/* Fills host, pid, created for the calling process, and run from
 * DBCLONE_RUN (or a per-process run id). */
void marker_for_self(struct marker *m, const char *source);

/* Was the clone made on this host by a process that is gone? A clone
 * kept on purpose (run "kept-...") never counts as left behind. */
bool marker_owner_gone(const struct marker *m);

/* "30s", "10m", "2h", "1d", "90" (seconds); false if malformed. */
bool parse_duration(const char *text, long *seconds);

#endif
