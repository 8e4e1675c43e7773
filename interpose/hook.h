/* The one path every hook follows, whatever its engine: the hook parses
 * its arguments, hook_decide() says use-this-clone, pass-through or
 * refuse, the hook calls the real function, and hook_track() records the
 * handle in the connection table. Closes go through hook_closing() and
 * hook_closed(). errno, the re-entrancy guard, the configuration check,
 * DBCLONE_ENGINES, the skip of dbclone's own clones and INCLUDE/EXCLUDE
 * are all here, for the three engines at once. */
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
	/* Set by the engine's resolve or make: */
	int code;             /* REFUSE: the result code for the program */
	bool library_rejects; /* the client library rejects the call's options
				 itself: its own call says so, in its words */
	/* Set by hook_decide(): */
	struct clone *clone;  /* USE_CLONE: held until hook_track() */
	char why[1024];       /* REFUSE: the one-line reason, logged */
};

/* What the source of a call is, filled by the engine's resolve. */
struct source {
	char name[4096];   /* what DBCLONE_INCLUDE/EXCLUDE match: a database
			      name, a path */
	const char *leaf;  /* the part of name a clone's name would be */
	char id[5500];     /* what identifies it, with its server */
};

enum verdict hook_decide(struct hook_call *call) HIDDEN;

/* After the real call on USE_CLONE: the handle now uses the clone (NULL:
 * the call failed, the clone's hold is given back). With replace, the
 * handle leaves the clone it used before (a database change). */
void hook_track(struct hook_call *call, const void *handle, bool replace) HIDDEN;

/* After the engine made a failed handle for REFUSE: its error calls now
 * report call->why. */
void hook_refused(struct hook_call *call, const void *handle) HIDDEN;

/* A handle is closing: its refusal and engine state go, and it leaves its
 * clone, whose hold the caller passes to hook_closed() after the real
 * close (still_open: the close failed, it keeps the clone). NULL inside a
 * client library's own call. Untracked before the real close: after it,
 * another thread's connect may get the same address. */
struct clone *hook_closing(const struct engine *e, const void *handle) HIDDEN;
void hook_closed(struct clone *c, const void *handle, bool still_open) HIDDEN;

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
