/* The test key lifecycle, pure (no I/O, no servers, no engines, no locks:
 * the caller holds its own): the one key format, which keys exist, when
 * each was first handed out and last used (a logical clock), which key
 * each process has now, and the rule for when a key is over:
 *
 *   A test key's clone is over when a process that used it moves to
 *   another key, or a newer key has been handed out since its last use,
 *   and no live process still has it as its current key; or when the run
 *   ends. A process's exit alone does not end its key. An epoch key is
 *   the setup its epoch's test keys start from (keys_setup_of): it is over
 *   when its epoch ends (keys_next_epoch; for a process's own count of
 *   boundary signals, when neither the newest key nor any process's
 *   current key is of its count), not when a test key is handed out.
 *
 * The run supervisor keeps one `struct keys` for the run and one
 * `struct key_user` per process; the library keeps one of each (itself). */
#ifndef DBCLONE_KEYS_H
#define DBCLONE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define KEY_MAX 600
/* The longest test name a key holds as it is (see key_test_name). */
#define KEY_TEST_MAX 500

/* A process, as the keys see it. */
struct key_user {
	char key[KEY_MAX]; /* its current key; "" before its first */
	struct key_user *next;
};

struct key_record;

/* All of it starts zeroed: no keys, no users, epoch 0. */
struct keys {
	struct key_record *known;
	struct key_user *users;
	unsigned long clock;
	unsigned epoch;
};

/* Called once for each key that is over, with the key (valid for the call
 * only) and the caller's ctx; it must not call back into this module. */
typedef void key_over_fn(const char *key, void *ctx);

/* The key of a request: "t:<test>#<signals>" when test (DBCLONE_TEST) is
 * set and not empty (a long test name: its head and a digest of the
 * whole, so that two long names sharing a head stay two keys); else
 * "e<epoch>#<signals>". signals is the count of boundary signals the
 * process has seen (at most 20 characters of it are kept). */
void key_format(char *out, size_t outlen, const char *test,
		const char *signals, unsigned epoch);

/* The test name a key holds (outlen: KEY_TEST_MAX): test as it is when
 * shorter, else its head and a digest of the whole. key_format gives the
 * same key for a test and for its key_test_name, so that a request can
 * carry this instead of a test name of any length. */
void key_test_name(const char *test, char *out, size_t outlen);

/* The setup key of key: the current epoch's key under the same count of
 * boundary signals (an epoch key of the current epoch is its own). */
void keys_setup_of(const struct keys *ks, const char *key, char *out,
		   size_t outlen);

/* A process starts (its current key: none). */
void keys_join(struct keys *ks, struct key_user *u);

/* Process u uses key: it is its current key from now on, and its last
 * use is now (the first too, when the key is new). Ends u's previous key
 * if no process has it now (over hears it again if the epoch had ended
 * it), and, when key is new, every key that is no process's current key
 * and was last used before it. Returns whether key
 * was new (false also when it could not be recorded: out of memory). */
bool keys_use(struct keys *ks, struct key_user *u, const char *key,
	      key_over_fn *over, void *ctx);

/* keys_use for a key whose first use names base (DBCLONE_BASE's key; ""
 * none): base then lives while keys start from it, as a setup does. */
bool keys_use_on(struct keys *ks, struct key_user *u, const char *key,
		 const char *base, key_over_fn *over, void *ctx);

/* The base key recorded for key ("" for none, or an unknown key). */
const char *keys_base_of(const struct keys *ks, const char *key);

/* Process u has ended: it is forgotten, and the keys that are nobody's
 * current key and a newer key has been handed out since are over. Its own
 * current key alone is not ended (the next process of the same test may
 * be about to start). */
void keys_leave(struct keys *ks, struct key_user *u, key_over_fn *over,
		void *ctx);

/* `dbclone next`: every epoch key is over, whoever has it; returns the
 * new epoch. */
unsigned keys_next_epoch(struct keys *ks, key_over_fn *over, void *ctx);

/* The key used last, or NULL when there is none. */
const char *keys_last(const struct keys *ks);

/* The run ends: every key is over (over may be NULL) and forgotten. */
void keys_end_all(struct keys *ks, key_over_fn *over, void *ctx);

#endif
