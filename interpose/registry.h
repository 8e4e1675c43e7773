/* This process's clones, shared by every engine: which clone serves a
 * source under the current test key, how many connections use it (which
 * ones: conns.c), and when it is dropped. The policy (keys, boundaries,
 * stale connections, fork, exit) lives here and nowhere else. */
#ifndef DBCLONE_REGISTRY_H
#define DBCLONE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "bind.h"
#include "engine.h"

struct hook_call;
struct source;

/* What a hooked call does (hook.h). */
enum verdict {
	USE_CLONE,    /* call the real function on the clone instead */
	PASS_THROUGH, /* call the real function as the program asked */
	REFUSE,       /* fail the call, saying why */
};

/* An engine as the library sees it: its entry in the engine table (which
 * makes, drops and describes its clones), how a hook's call names a
 * source, and how the real function is called. */
struct engine {
	const struct engine_ops *ops;
	unsigned bit; /* its DBCLONE_ENGINES bit */
	/* The source the call names (src->name, src->leaf, src->id) and the
	 * spec that reaches it (call->spec), or PASS_THROUGH when it names
	 * none to clone (a maintenance database, no schema), or REFUSE with
	 * call->why. */
	enum verdict (*resolve)(struct hook_call *call, struct source *src);
	/* Calls the real function, as the program asked (clone NULL) or on
	 * the clone; sets call->result to the handle then in use, NULL when
	 * the call failed. */
	void (*call_real)(struct hook_call *call, const char *clone);
	/* Makes the failed handle a refused call gives the program, with the
	 * client library's own calls; sets call->result (and call->tag). */
	void (*call_refused)(struct hook_call *call);
};

struct clone;

/* The clone for a hook's call once its source is known: name is what
 * DBCLONE_INCLUDE/EXCLUDE match (a database name, a path), source what
 * identifies it (with its server). Returns the clone to use, held: the
 * caller holds one use of it, which clone_track() hands to a connection
 * and clone_release() gives back; or NULL, with *refuse set and err filled
 * when the connect must fail, or *refuse clear when the program's own
 * call should run (source excluded; DBCLONE_ON_ERROR=passthrough after a failed clone, said loudly). */
struct clone *clone_for_source(struct hook_call *call, const char *name,
			       const char *source, bool *refuse, char *err,
			       size_t errlen) HIDDEN;
const char *clone_name_of(const struct clone *c) HIDDEN;

/* The call on clone was (held) failed as if it were gone: the clone of
 * its source under the key current now (held; was itself when it is
 * still the one), or NULL when none can be had. */
struct clone *clone_again(struct hook_call *call, const struct clone *was) HIDDEN;
void clone_track(struct clone *c, const void *conn) HIDDEN;
void clone_release(struct clone *c) HIDDEN;

/* A connection is closing: takes it off its clone (NULL if it used none)
 * and hands the caller a hold, given back with clone_release() once the
 * connection is really closed (which drops a clone whose key has ended and
 * that nothing else uses), or with clone_track() if it stays open. */
struct clone *clone_detach(const void *conn) HIDDEN;

#endif
