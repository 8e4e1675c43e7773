/* The library's locks and fork(): one pthread_atfork handler takes every
 * lock in the order below before a fork, releases them in the parent and
 * re-initialises them in the child (locks.c). */
#ifndef DBCLONE_LOCKS_H
#define DBCLONE_LOCKS_H

#include <pthread.h>

#include "bind.h"

enum fork_phase {
	FORK_PREPARE, /* take the module's locks (and wait for its threads) */
	FORK_PARENT,  /* release them */
	FORK_CHILD,   /* re-initialise them; drop what belongs to the parent */
};

/* Each module that has locks takes part, called in this order in
 * FORK_PREPARE and in the reverse order after. A thread that holds a lock
 * of one of them never waits for a lock of one before it. */
void registry_at_fork(enum fork_phase phase) HIDDEN;   /* clones, dropper */
void conns_at_fork(enum fork_phase phase) HIDDEN;      /* connection table */
void servers_at_fork(enum fork_phase phase) HIDDEN;    /* admin connections */
void supervised_at_fork(enum fork_phase phase) HIDDEN; /* run socket */
void sqlite_vfs_at_fork(enum fork_phase phase) HIDDEN; /* VFS shim files */
void report_at_fork(enum fork_phase phase) HIDDEN;     /* what it reports */

/* What a module with one lock does in each phase. */
void fork_one_lock(pthread_mutex_t *lock, enum fork_phase phase) HIDDEN;

#endif
