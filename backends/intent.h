/* Intents: before a clone, golden or pool clone is created, a durable
 * record says it is about to exist: who (the owner's host, pid, start and
 * run, in a marker of state "intent"), which engine and server (the
 * engine's describe()), which name. Whatever is killed at whatever moment,
 * what it left is then proven dbclone's: a clone with its marker, or the
 * name of an intent whose owner is gone. Once the clone is made and
 * marked, the intent is removed. A drop that failed for good leaves the
 * same record ("drop pending"), for gc and the next run.
 *
 * Intents live in <DBCLONE_DIR>/intents (by default
 * ${TMPDIR:-/tmp}/dbclone-<uid>/intents), mode 0700, one small file per
 * clone, written aside with O_EXCL (fsync'd when it must be: intent.c) and
 * renamed into place, under
 * plain LD_PRELOAD and under dbclone run alike: a run's directory goes
 * with its run, an intent must outlive both. */
#ifndef DBCLONE_INTENT_H
#define DBCLONE_INTENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

#define INTENT_MAX 4096

enum intent_kind {
	INTENT_CREATE, /* the clone is about to be made */
	INTENT_DROP,   /* its drop failed: still to be dropped */
};

struct intent {
	const struct engine_ops *ops;
	enum intent_kind kind;
	char name[PATH_MAX];  /* the clone (SQLite: its path) */
	char where[1024];     /* the engine's describe(): its server */
	struct marker owner;  /* state intent: host, pid, start, run, source */
	char path[PATH_MAX];  /* its file, once written or read */
};

/* The intents directory, made (0700) when create is set; false with f
 * filled when it cannot be used (a symlink, someone else's). */
bool intent_dir(bool create, char *out, size_t outlen, struct failure *f);

/* "dbclone intent v1\nengine=E\nkind=create|drop\nname=N\nwhere=W\n
 * owner=<marker v2>\n". Returns what snprintf returns; -1 if a field
 * holds a newline. */
int intent_format(const struct intent *in, char *out, size_t outlen);
/* False for anything else (unknown engine, missing field, bad marker). */
bool intent_parse(const char *text, struct intent *in);

/* Writes in's record (in->path set); false with f filled. */
bool intent_write(struct intent *in, struct failure *f);
void intent_remove(const struct intent *in);

/* Calls fn for every record of the intents directory (records that
 * cannot be read are skipped; a writer's temporary file whose writer is
 * gone is removed). */
typedef void (*intent_fn)(struct intent *in, void *ctx);
void intent_each(intent_fn fn, void *ctx);

/* ops->clone, in order: the intent, the clone, the intent removed once
 * the clone is marked. A clone that failed is dropped again by name (it
 * must leave nothing): the intent stays when that drop fails too. */
bool intent_clone(void *admin, const struct spec *sp, const char *from,
		  unsigned long seq, unsigned flags, const struct marker *m,
		  char *name, size_t namelen, struct failure *f);

/* A drop that failed for good: a drop-pending record of name on sp's
 * server, owned by the calling process. */
void intent_drop_pending(const struct spec *sp, const char *name);

/* Which intents a sweep acts on: NULL to leave it, else why. */
typedef const char *(*intent_pick)(const struct intent *in, void *ctx);

/* Drops the clone of every intent pick chooses, if it exists (on its
 * server, reached from its description, once the server's sessions still
 * creating it are ended), and removes the intent once the clone is gone.
 * done is told of each clone dropped or not dropped (err NULL when it
 * worked); an intent whose clone never came to exist just goes. Returns
 * how many clones were dropped. */
int intent_sweep(intent_pick pick, engine_sweep_done done, void *ctx);

/* pick: an intent whose owner (on this host) is gone. */
const char *intent_owner_gone(const struct intent *in, void *ctx);

#endif
