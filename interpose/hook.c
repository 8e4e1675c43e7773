/* The policy every hook follows (hook.h): one function decides, for the
 * three engines, what a hooked call does. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "conns.h"
#include "hook.h"
#include "log.h"
#include "marker.h"
#include "report.h"

/* One depth per engine bit: libpq's own calls must not stop SQLite's. */
static __thread int depth[8];

static int *depth_of(const struct engine *e)
{
	return &depth[__builtin_ctz(e->bit) % 8];
}

void hook_enter(const struct engine *e)
{
	(*depth_of(e))++;
}

void hook_leave(const struct engine *e)
{
	(*depth_of(e))--;
}

bool hook_inside(const struct engine *e)
{
	return *depth_of(e) > 0;
}

static enum verdict refuse_with(struct hook_call *call, const char *why)
{
	if (why != call->why)
		snprintf(call->why, sizeof(call->why), "%s", why);
	return REFUSE;
}

/* The source is known to the engine: a clone of dbclone's own is never
 * cloned again (a kept clone, say); the rest is the registry's. */
static enum verdict clone_for_call(struct hook_call *call)
{
	const struct engine *e = call->engine;
	struct source src = {.leaf = NULL};
	enum verdict v;
	bool refused;

	call->passed = NULL;
	if ((v = e->resolve(call, &src)) != USE_CLONE)
		return v;
	if (is_clone_name(src.leaf ? src.leaf : src.name)) {
		log_trace("%s passes through", src.name);
		call->passed = "own-clone";
		return PASS_THROUGH;
	}
	call->clone = clone_for_source(call, src.name, src.id, &refused,
				       call->why, sizeof(call->why));
	if (call->clone)
		return USE_CLONE;
	call->passed = config_allows(config_get(), src.name) ? "on-error" : "excluded";
	/* Options the client library rejects fail the program's own call
	 * the same way, before it reaches any server. */
	return refused && !call->library_rejects ? REFUSE : PASS_THROUGH;
}

static enum verdict decide(struct hook_call *call)
{
	const struct config *cfg = config_get();
	const struct engine *e = call->engine;
	enum verdict v;

	call->clone = NULL;
	/* An invalid DBCLONE_* value refuses every connect, whatever engines
	 * it leaves on. */
	if (hook_inside(e))
		return PASS_THROUGH;
	if (cfg->disable || !(cfg->error || (cfg->engines & e->bit))) {
		report_verdict(e->ops->name, cfg->disable ? "disabled" : "engine-off",
			       0);
		return PASS_THROUGH;
	}
	if (call->handle)
		conns_forget_refusal(call->handle);
	hook_enter(e);
	v = cfg->error ? refuse_with(call, cfg->error) : clone_for_call(call);
	hook_leave(e);
	if (v == REFUSE)
		log_error("%s", call->why);
	call->key = v == USE_CLONE ? report_key() : 0;
	report_verdict(e->ops->name, v == USE_CLONE ? "clone" : v == REFUSE ?
		       "refused" : call->passed ? call->passed : "other", call->key);
	return v;
}

/* The handle the real call left in use takes the clone (or, when the
 * call failed, the clone's hold is given back). */
static void track(struct hook_call *call)
{
	const void *h = call->result;
	struct clone *was = call->replace && h ? clone_detach(h) : NULL;

	if (h && call->state)
		conns_set_state(h, call->state, call->statelen);
	if (call->clone && h) {
		clone_track(call->clone, h);
		report_connected(h, call->key);
	}
	else if (call->clone)
		clone_release(call->clone);
	call->clone = NULL;
	if (was)
		clone_release(was);
}

/* The call on the clone. A clone gone by the time the call reaches it
 * (another thread of the process moved the key and it was dropped, with
 * DBCLONE_STALE=terminate or by the run) is asked for again, once: the
 * current key's clone, which the call then uses, unseen by the program.
 * When the same clone comes back, the second call fails as the first did,
 * with the real error. */
static void call_clone(struct hook_call *call)
{
	const struct engine *e = call->engine;
	struct clone *again;

	call->clone_gone = false;
	call->may_ask_again = true;
	e->call_real(call, clone_name_of(call->clone));
	call->may_ask_again = false;
	if (!call->clone_gone)
		return;
	if ((again = clone_again(call, call->clone))) {
		clone_release(call->clone);
		call->clone = again;
	}
	call->clone_gone = false;
	e->call_real(call, clone_name_of(call->clone));
}

void hook_run(struct hook_call *call)
{
	const struct engine *e = call->engine;
	bool outer = !hook_inside(e);
	int saved = errno;
	enum verdict v = decide(call);

	/* What the policy did (sockets, files, the supervisor) is not the
	 * program's errno: the real call sets its own. */
	errno = saved;
	hook_enter(e);
	if (v == REFUSE)
		e->call_refused(call);
	else if (v == USE_CLONE)
		call_clone(call);
	else
		e->call_real(call, NULL);
	hook_leave(e);
	saved = errno;
	if (v == REFUSE && call->result)
		conns_refuse(call->result, call->code, call->tag, call->why);
	else if (v != REFUSE && outer)
		track(call);
	errno = saved;
}

int hook_close(const struct engine *e, void *handle,
	       int (*real_close)(void *handle), bool may_stay_open)
{
	struct clone *c = NULL;
	int rc, saved;

	if (!hook_inside(e) && handle) {
		report_closed(handle);
		conns_forget(handle);
		c = clone_detach(handle);
	}
	hook_enter(e);
	rc = real_close(handle);
	hook_leave(e);
	saved = errno;
	/* The last connection of an ended key is gone: its clone is dropped. */
	if (c && may_stay_open && rc != 0)
		clone_track(c, handle);
	else if (c)
		clone_release(c);
	errno = saved;
	return rc;
}
