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

#include "engines.h"
#include "keys.h"
#include "wire.h"

#define POOL_MAX 64
#define LATENCIES 4096

/* One source of the run: its golden copy and its pool of ready clones. */
struct origin {
	char source[1100];
	struct spec spec; /* how the first process that used it reached it */
	char golden[PATH_MAX];
	char pool[POOL_MAX][PATH_MAX];
	double pool_ms[POOL_MAX];
	int npool, filling;
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
	bool over;        /* its key ended while it was being copied */
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
	bool stopping;
	int nprocs; /* threads serving processes, for the end to wait for */
	pthread_cond_t procs_done;
	/* for the summary */
	int made[3];
	double clone_ms, hidden_ms;
	double last_handout; /* when (now_ms) a clone was last handed out */
	double latency[LATENCIES];
	int nlatency;
};

extern struct supervisor_state sv;

/* The self-pipe that wakes the main loop: a signal number. */
extern int wake_fd[2];

/* pool.c */
double now_ms(void);
int engine_index(const struct engine_ops *ops);
/* Makes a clone (or a golden) with the lock released; counts it. */
bool copy_unlocked(const struct spec *sp, const char *from, bool golden,
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
