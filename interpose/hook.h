/* The one path every hook follows, whatever its engine: the hook parses
 * its arguments into a hook_call and hook_run() decides (use this clone,
 * pass through, refuse), calls the real function through the engine and
 * records the handle in the connection table. errno, the re-entrancy
 * guard, the configuration check, DBCLONE_ENGINES, the skip of dbclone's
 * own clones and INCLUDE/EXCLUDE are here, for the three engines at once. */
#ifndef DBCLONE_HOOK_H
#define DBCLONE_HOOK_H

#include <stdbool.h>

#include "registry.h"

/* One hooked call, as the pipeline sees it. */
struct hook_call {
	const struct engine *engine;
	void *args;         /* the engine's view of the call's arguments */
	const void *handle; /* the handle the call works on, when it exists
			       before the call (mysql_select_db) */
	bool replace;       /* on success the handle leaves the clone it used */
	const void *state;  /* the engine's state to keep with the handle */
	size_t statelen;
	struct spec spec;   /* filled by resolve: what reaches the source */
	/* Set by the engine's resolve, make, call_real or call_refused: */
	int code;             /* REFUSE: the result code for the program */
	long tag;             /* REFUSE: kept with the refusal (conns.h) */
	bool library_rejects; /* the client library rejects the call's options
				 itself: its own call says so, in its words */
	const void *result;   /* the handle the real call left in use */
	bool may_ask_again;   /* set by the pipeline before a call on a clone:
				 a failure as on a gone clone may close its
				 handle and say so in clone_gone */
	bool clone_gone;      /* call_real on a clone: it failed as it does
				 when the clone is gone (dropped between its
				 hand-out and the connect), and its failed
				 handle is closed: the pipeline asks for the
				 key's clone again and calls once more */
	const char *passed;   /* resolve's PASS_THROUGH: why (report.h's
				 PASSED_*), for the run's report */
	/* Set by the pipeline: */
	struct clone *clone;  /* USE_CLONE: the clone */
	unsigned long key;    /* USE_CLONE: the test key, digested (report.h) */
	char why[1024];       /* REFUSE: the one-line reason, logged */
};

/* What the source of a call is, filled by the engine's resolve. */
struct source {
	char name[4096];   /* what DBCLONE_INCLUDE/EXCLUDE match: a database
			      name, a path */
	const char *leaf;  /* the part of name a clone's name would be */
	char id[5500];     /* what identifies it, with its server */
};

/* Runs the call through the policy and the engine's real function. */
void hook_run(struct hook_call *call) HIDDEN;

/* Closes handle with real_close, the real function (0: closed). The
 * handle leaves the connection table first (after the close, another
 * thread's connect may get the same address), and its clone after (which
 * drops a clone whose key is over). With may_stay_open, a close that fails
 * leaves the handle on its clone (SQLITE_BUSY). */
int hook_close(const struct engine *e, void *handle,
	       int (*real_close)(void *handle), bool may_stay_open) HIDDEN;

/* The thread-local guard: a client library calling its own hooked
 * functions (PQconnectdbParams calls PQconnectStartParams), or the
 * library's own admin connections, are never handled again. */
void hook_enter(const struct engine *e) HIDDEN;
void hook_leave(const struct engine *e) HIDDEN;
bool hook_inside(const struct engine *e) HIDDEN;

/* Calls the real function with the guard up. */
#define REAL_CALL(engine, call)                                              \
	({                                                                   \
		__typeof__(call) result_;                                    \
		hook_enter(engine);                                          \
		result_ = (call);                                            \
		hook_leave(engine);                                          \
		result_;                                                     \
	})

#endif
