/* The run supervisor's state, under one lock, and what its parts offer each
 * other: pool.c (goldens, pools of ready clones, drops), serve.c (the
 * processes, one thread each: hellos, requests, their keys), supervisor.c
 * (the top). Copies are made with the lock let go, so that requests for
 * other sources and keys are served meanwhile. */
#ifndef DBCLONE_SUPERVISOR_STATE_H
#define DBCLONE_SUPERVISOR_STATE_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engines.h"
#include "keys.h"
#include "layer.h"
#include "wire.h"

#define POOL_MAX 64
#define LATENCIES 4096

/* A layer of an origin (layer.h) as the run keeps it. */
struct sv_layer {
	struct layer l;
	unsigned long id; /* never reused in the run (an address may be) */
	int pins;     /* copies being made from it (and a decision using it) */
	bool retired; /* its epoch ended, or a newer one replaced it: dropped
			 once unpinned */
	bool is_base; /* the run's snapshot: later epochs start from it */
	bool freeze_tried; /* a frozen copy of this live layer was tried */
	struct sv_layer *next;
};

/* One source of the run: its golden copy, the layers taken of its setups,
 * and its pool of ready clones (each made from the golden or a layer). */
struct origin {
	char source[1100];
	struct spec spec; /* how the first process that used it reached it */
	char golden[PATH_MAX];
	struct sv_layer *layers;
	struct sv_layer *base; /* the last dbclone snapshot (NULL: epochs start
				  from the golden) */
	struct sv_layer *fill_layer; /* what the pool copies now (NULL: the
					base, else the golden) */
	bool layer_busy; /* a request is choosing or taking a layer */
	char pool[POOL_MAX][PATH_MAX];
	struct sv_layer *pool_layer[POOL_MAX]; /* what each was made from */
	double pool_ms[POOL_MAX];
	int npool, filling;
	/* How fast its tests take ready clones and how long one takes to
	 * make (moving averages, ms): the pool's depth follows them. */
	double last_take, gap_ms, copy_ms;
	bool golden_making; /* a request is taking the golden: wait for it */
	bool swept;  /* dead runs' clones looked for */
	/* The pool's copies fail (a server down or restarting): the next try
	 * waits until retry_at (monotonic ms), backoff_ms doubling up to
	 * a few seconds; the first failure of a spell is said on stderr. */
	double retry_at;
	int backoff_ms;
	struct origin *next;
};

/* A clone handed out for a key. */
struct handed {
	struct origin *origin;
	char key[KEY_MAX];
	char name[PATH_MAX];
	bool ready;       /* false while a request copies it: others wait */
	unsigned long uses; /* hand-outs: a setup connected since a layer was
			       taken of it may have been written */
	bool over;        /* its key ended while it was being copied */
	bool kept;        /* its test failed (a `keep` request under --keep):
			     it outlives its key, and is kept at the end */
	bool claim_pending; /* a process claimed it (claims.h) and has not
			       told yet: its key is that process's current
			       one, which nothing may end before it tells */
	double handed_at; /* the last hand-out (now_ms) */
	struct handed *next;
};

/* A clone to drop (in the background), or one a process made itself. */
struct doomed {
	struct spec spec;
	char name[PATH_MAX];
	double not_before; /* a clone handed out a moment ago: a process may
			      be connecting to it still (now_ms) */
	struct doomed *next;
};

/* A library instance, for the life of its socket, served by a thread of
 * its own (only that thread reads or writes fd). */
struct proc {
	int fd;
	long pid;             /* from the socket (SO_PEERCRED), not its word */
	bool joined;          /* its hello was answered: it has a key_user */
	struct key_user user; /* its current key */
	struct doomed *made; /* clones it made itself and has not dropped */
	struct wire_reader in;
	struct proc *next;
};

struct supervisor_state {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct origin *origins;
	struct handed *handed;
	struct keys keys;
	struct proc *procs;
	struct doomed *doomed;
	unsigned long seq;
	int pool_size;
	bool per_process; /* processes clone for themselves; it only watches */
	bool keeping;     /* --keep=failed or always: `keep` requests count */
	bool stopping;
	int nprocs; /* threads serving processes, for the end to wait for */
	pthread_cond_t procs_done;
	/* for the summary */
	int made[3];
	double clone_ms, hidden_ms;
	double last_handout; /* when (now_ms) a clone was last handed out */
	double latency[LATENCIES];
	int nlatency;
	unsigned long claims; /* new keys a process claimed without asking */
};

extern struct supervisor_state sv;

/* The self-pipe that wakes the main loop: a signal number. */
extern int wake_fd[2];

/* pool.c */
/* The ready clones o should hold: the run's pool size, or more when its
 * tests take them faster than one thread makes them. */
int pool_depth(const struct origin *o);
/* A ready clone of o was taken now. */
void pool_taken(struct origin *o);
double now_ms(void);
int engine_index(const struct engine_ops *ops);
/* Makes a clone (or a golden, a layer: flags) with the lock released;
 * counts it. */
bool copy_unlocked(const struct spec *sp, const char *from, unsigned flags,
		   char *name, double *ms, char *err, size_t errlen);
/* The origin of source (made on its first use); NULL when out of memory.
 * Under the lock. */
struct origin *origin_for(const char *source, const struct spec *sp);
/* Drops a list of clones, and frees it. */
void drop_now(struct doomed *d);
/* Fills the pools and drops what is queued, in the background. */
void *pool_thread(void *arg);

/* A drop in the background waits this long after the clone's last
 * hand-out: the process it went to may be connecting to it. */
#define DROP_GRACE_MS 1000

/* layers.c (under the lock) */
/* What a new key's clone of o is copied from: a layer, pinned (the caller
 * unpins it once its copy is made), or NULL for the golden. Takes the
 * setup when the rule says so. False with err when that fails. */
bool layer_for_key(struct origin *o, const char *key, struct sv_layer **from,
		   char *err, size_t errlen);
void layer_unpin(struct origin *o, struct sv_layer *l);
/* The layer of o with that id, if it is still one keys start from. */
struct sv_layer *layer_by_id(struct origin *o, unsigned long id);
/* The key setup_key (a setup or a base) is over: its layers go (now: onto
 * that list, else in the background); a snapshot stays. */
void layers_end(const char *setup_key, struct doomed **now);
/* dbclone snapshot: the current epoch's state of every source becomes the
 * base later epochs start from. Returns how many sources have one, or -1
 * with err. */
int layers_snapshot(char *err, size_t errlen);
/* For an engine that clones frozen copies faster (engine.h
 * freeze_layers): the pool's live layer of o frozen into a copy of its own
 * once, which keys and the pool then copy while the setup is unchanged.
 * True when it did that work (the pool's turn is spent). */
bool layer_freeze_for_pool(struct origin *o);
/* What a new test key under setup_key would start from now, when that
 * needs no take and no wait (for an offer): from, pinned, as
 * layer_for_key gives it. setup and stamp are set when the choice holds
 * only while the setup's stamp is that one (the claimant checks it). */
bool layer_for_offer(struct origin *o, const char *setup_key,
		     struct sv_layer **from, char *setup, size_t setuplen,
		     char *stamp, size_t stamplen);
/* Takes a ready clone made from l (NULL: the golden) out of o's pool;
 * false when there is none. */
bool pool_take(struct origin *o, const struct sv_layer *l, char *name,
	       size_t namelen);
/* Queues a drop for the pool threads (not before then, in now_ms). */
void drop_soon(const struct spec *sp, const char *name, double not_before);

/* offers.c (claims.h; under the lock) */
/* Makes the run directory's claims and offers; false: every key asks. */
bool offers_start(const char *run_dir);
/* Reserves a ready clone of o for p's next new test key, when the pool
 * has one of what such a key starts from now, appending its fields (id,
 * clone, signals, stamp's setup, stamp) to line. */
void offer_make(const struct proc *p, struct origin *o, const char *signals,
		char *line, size_t linelen);
/* Withdraws the offers of o (NULL: all) before what a new key starts
 * from changes; one claimed first is served when its claim comes. */
void offers_withdraw(const struct origin *o);
/* The origin of p's offer id (NULL: none). */
struct origin *offer_origin(const struct proc *p, const char *id);
/* p claimed offer id: its origin, clone and the inode of its file. False:
 * no such offer. */
bool offer_claimed(const struct proc *p, const char *id, struct origin **o,
		   char *name, size_t namelen, ino_t *ino, bool *taken);
/* The clone name of o, handed out through a claim not told yet, is taken
 * in place as a layer: the claim, when told, only makes its key the
 * process's; the clone is the layer's. */
void offers_taken(const struct origin *o, const char *name);
/* p's socket closed: its offers go, and a claim it never told of (a clone
 * another process was given through it stays, as that one's). */
void offers_gone(const struct proc *p);
/* The run ends: every offer goes (before the drop of everything). */
void offers_end(void);
/* Removes the run directory's claims and offers, at the very end. */
void offers_cleanup(void);
/* The clone a process claimed for key of o, if one did; false if none. */
bool claims_find(const struct origin *o, const char *key, char *name,
		 size_t namelen);
/* Binds key of o to name; false when a claim bound it first (its clone
 * in bound). */
bool claims_bind(const struct origin *o, const char *key, const char *name,
		 char *bound, size_t boundlen);
void claims_unbind(const struct origin *o, const char *key);
/* Is key of o bound by a claim of the offer file whose inode is ino? */
bool claims_are(const struct origin *o, const char *key, ino_t ino);
/* Key of o is taken as a layer: no claim may bind it (an empty file holds
 * its place, which the run's own binding replaces). */
void claims_block(const struct origin *o, const char *key);

/* serve.c */
/* Takes new processes, a thread each, which answers their hello and
 * their requests until the socket closes. */
void *acceptor_thread(void *arg);
/* At the end: shuts every process's socket and waits for their threads. */
void end_procs(void);
/* `dbclone next` or the boundary signal: returns the new epoch once the
 * old epoch's clones are dropped. */
unsigned next_epoch(void);

#endif
