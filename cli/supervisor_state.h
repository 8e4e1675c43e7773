/* The run supervisor's state, under one lock, and what its parts offer each
 * other: pool.c (goldens, pools of ready clones, drops), serve.c (the
 * processes: hellos, requests, their keys), supervisor.c (the top). */
#ifndef DBCLONE_SUPERVISOR_STATE_H
#define DBCLONE_SUPERVISOR_STATE_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "engines.h"
#include "keys.h"

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
	bool broken; /* the pool thread failed on it: no more tries */
	bool swept;  /* dead runs' clones looked for */
	struct origin *next;
};

/* A clone handed out for a key. */
struct handed {
	struct origin *origin;
	char key[KEY_MAX];
	char name[PATH_MAX];
	struct handed *next;
};

/* A clone to drop (in the background), or one a process made itself. */
struct doomed {
	struct spec spec;
	char name[PATH_MAX];
	struct doomed *next;
};

/* A library instance, for the life of its socket. */
struct proc {
	int fd;
	long pid;
	struct key_user user; /* its current key */
	struct doomed *made; /* clones it made itself and has not dropped */
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
	/* for the summary */
	int made[3];
	double clone_ms, hidden_ms;
	double last_handout; /* when (now_ms) a clone was last handed out */
	double latency[LATENCIES];
	int nlatency;
};

extern struct supervisor_state sv;

/* The self-pipe that wakes the main loop: a signal number, or 0 for a new
 * process to poll. */
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

/* serve.c */
/* Takes new processes and answers their hello. */
void *acceptor_thread(void *arg);
/* Answers one request of p (or forgets p when its socket closed). */
void serve(struct proc *p);
/* `dbclone next` or the boundary signal: returns the new epoch once the
 * old epoch's clones are dropped. */
unsigned next_epoch(void);

#endif
