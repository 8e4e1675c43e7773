/* Claims: how a process of a shared run takes a ready clone for a new
 * test key without waiting for the run supervisor (issue 18).
 *
 * The supervisor reserves a ready clone for each process and source as an
 * offer: a file <run dir>/offers/<id> that holds the clone's name. A key
 * is bound to its clone by a file <run dir>/claims/<digest of engine,
 * source and key>. A process claims its offer for a new key with one
 * link(2) of the offer onto the key's claim: atomic, so two processes that
 * start the same key at once end on one clone (the loser's link fails
 * with EEXIST and it asks the run, which answers with the winner's clone),
 * and a clone the supervisor hands out itself is bound the same way
 * (O_EXCL). The supervisor withdraws offers, by renaming them away, before
 * it answers anything that changes what a new key starts from (a connect
 * under the setup key, a take, dbclone next or snapshot): a link made
 * before the rename was a claim made before the change, one after it
 * fails with ENOENT and the process asks. It is told of a claim after the
 * fact, without the process waiting. */
#ifndef DBCLONE_CLAIMS_H
#define DBCLONE_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

/* <dir>/claims/<16 hex digits of a 64-bit digest of engine, source and
 * key>; false when it does not fit. Two keys with one digest would share
 * a clone: at one in 2^64 a pair, not guarded against. */
bool claims_path(const char *dir, const char *engine, const char *source,
		 const char *key, char *out, size_t outlen);

/* <dir>/offers/<id>. */
bool offers_path(const char *dir, const char *id, char *out, size_t outlen);

#endif
