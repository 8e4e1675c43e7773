/* Serving the run's processes, a thread each: hellos, requests, the keys
 * they use. No process can stall another: each is read by its own thread,
 * and copies are made with the lock let go. */
#include "supervisor_state.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run_report.h"
#include "wire.h"

/* A key is over (keys.c says when): its clones go to the drop queue, or
 * to the list at ctx when the caller drops them itself. */
static void key_over(const char *key, void *ctx)
{
	struct doomed **now = ctx;

	for (struct handed **h = &sv.handed; *h;) {
		struct handed *gone = *h;
		struct doomed *d;

		if (strcmp(gone->key, key) || !gone->ready || gone->kept ||
		    gone->claim_pending) {
			/* One being copied is the copier's to drop. */
			gone->over = gone->over || !strcmp(gone->key, key);
			h = &gone->next;
			continue;
		}
		*h = gone->next;
		claims_unbind(gone->origin, gone->key);
		if ((d = calloc(1, sizeof(*d)))) {
			d->spec = gone->origin->spec;
			snprintf(d->name, sizeof(d->name), "%s", gone->name);
			/* A drop now (dbclone next) is asked for; one in the
			 * background spares a process still connecting. */
			d->not_before = now ? 0 : gone->handed_at + DROP_GRACE_MS;
			d->next = now ? *now : sv.doomed;
			*(now ? now : &sv.doomed) = d;
		}
		free(gone);
	}
	/* The layers taken of it (a setup's, a base's) go with it. */
	layers_end(key, now);
	pthread_cond_broadcast(&sv.wake);
}

/* A spec from a request's fields; false for an unknown engine or fields
 * that are not its spec's. */
static bool spec_from_fields(struct spec *sp, const char *engine, char **f,
			     int n)
{
	const struct engine_ops *ops = engine_by_name(engine);

	return ops && spec_decode(sp, ops, f, n);
}

static void reply_err(int fd, const char *why)
{
	char line[WIRE_MAX] = "";

	wire_add(line, sizeof(line), "err");
	wire_add(line, sizeof(line), why);
	wire_send(fd, line);
}

/* Waits for the other request that is making it (under the lock). */
static void wait_a_moment(void)
{
	pthread_cond_wait(&sv.wake, &sv.lock);
}

/* A new entry for key from o, not yet ready (under the lock). */
static struct handed *new_handed(struct origin *o, const char *key)
{
	struct handed *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->origin = o;
	snprintf(h->key, sizeof(h->key), "%s", key);
	h->next = sv.handed;
	sv.handed = h;
	return h;
}

static struct handed *find_handed(const struct origin *o, const char *key)
{
	for (struct handed *h = sv.handed; h; h = h->next)
		if (h->origin == o && !strcmp(h->key, key))
			return h;
	return NULL;
}

static void unlink_handed(struct handed *h)
{
	for (struct handed **q = &sv.handed; *q; q = &(*q)->next)
		if (*q == h) {
			*q = h->next;
			break;
		}
}

/* The clone handed out for key from o: the one it has, else a ready one
 * from the pool, else a new copy of what the key starts from (the golden
 * or a layer: layers.c), made with the lock let go; a second request for
 * the same key waits for it, others go on.
 * NULL with err filled when none can be had; *over when the key ended
 * while it was copied (the run moved to its next epoch). */
static struct handed *handed_for(struct origin *o, const char *key, bool *over,
				 char *err, size_t errlen)
{
	char name[PATH_MAX];
	struct handed *h;
	double ms;
	bool ok;

	struct sv_layer *from;

	while ((h = find_handed(o, key)) && !h->ready)
		wait_a_moment();
	if (h) {
		h->uses++;
		return h;
	}
	if (!(h = new_handed(o, key))) {
		snprintf(err, errlen, "dbclone: the run supervisor is out of memory");
		return NULL;
	}
	h->uses = 1;
	if (claims_find(o, key, h->name, sizeof(h->name))) {
		/* A process claimed the key and has not told yet: its clone. */
		h->ready = h->claim_pending = true;
		pthread_cond_broadcast(&sv.wake);
		return h;
	}
	if (!(ok = layer_for_key(o, key, &from, err, errlen))) {
		/* nothing to copy from */
	} else if (pool_take(o, from, h->name, sizeof(h->name))) {
		ok = true;
	} else if ((ok = copy_unlocked(&o->spec, from ? from->l.name : o->golden,
				       layer_copy_flags(from ? &from->l : NULL),
				       name, &ms, err, errlen))) {
		snprintf(h->name, sizeof(h->name), "%s", name);
	}
	layer_unpin(o, from);
	pthread_cond_broadcast(&sv.wake); /* waiters; the pool refills */
	if (ok && !h->over && !claims_bind(o, key, h->name, name, sizeof(name))) {
		/* A claim of the key came first: its clone is the key's, and
		 * its key that process's, once it tells. */
		drop_soon(&o->spec, h->name, 0);
		snprintf(h->name, sizeof(h->name), "%s", name);
		h->claim_pending = true;
	}
	if (ok && !h->over) {
		h->ready = true;
		return h;
	}
	unlink_handed(h);
	if (ok) {
		*over = true;
		drop_soon(&o->spec, h->name, 0);
		snprintf(err, errlen, "dbclone: the run kept moving to its next "
			 "epoch while a clone was made for it; ask again");
	}
	free(h);
	return NULL;
}

/* The golden of o, taken on the first use of its source by one request
 * (others wait for it), after the sweep of what dead runs left. Under
 * the lock; false with err filled when it cannot be had. */
static bool golden_for(struct origin *o, char *err, size_t errlen)
{
	char golden[PATH_MAX];
	int dropped = 0;
	double ms;
	bool ok;

	while (o->golden_making)
		wait_a_moment();
	if (o->golden[0])
		return true;
	o->golden_making = true;
	if (!o->swept) {
		/* What an earlier run killed with kill -9 left goes first. */
		o->swept = true;
		pthread_mutex_unlock(&sv.lock);
		dropped = engine_sweep_dead(&o->spec);
		pthread_mutex_lock(&sv.lock);
	}
	if (dropped)
		fprintf(stderr, "dbclone: dropped %d clone(s) that dead runs or "
			"processes left (%s %s)\n", dropped, o->spec.ops->name,
			spec_source(&o->spec));
	/* Later changes to the source change no test, and nothing blocks on
	 * it. */
	if ((ok = copy_unlocked(&o->spec, NULL, CLONE_FREEZE, golden, &ms, err,
				errlen)))
		snprintf(o->golden, sizeof(o->golden), "%s", golden);
	o->golden_making = false;
	pthread_cond_broadcast(&sv.wake);
	return ok;
}

/* The reply to a request that failed: busy (out of disk or connections:
 * the process may still clone itself) or err. */
static void reply_failure(int fd, const char *err)
{
	char line[WIRE_MAX] = "";

	wire_add(line, sizeof(line), engine_failure() == FAIL_BUSY ? "busy" : "err");
	wire_add(line, sizeof(line), err);
	wire_send(fd, line);
}

/* clone <engine> <test> <signals> <base> <source> <spec...> */
static void handle_clone(struct proc *p, char **f, int n)
{
	char key[KEY_MAX], base[KEY_MAX] = "", err[1024], line[WIRE_MAX] = "";
	struct handed *h = NULL;
	struct spec sp = {0};
	struct origin *o;
	double t0 = now_ms();
	bool over = true;

	if (n < 7 || !spec_from_fields(&sp, f[1], f + 6, n - 6)) {
		reply_err(p->fd, "dbclone: a malformed request reached the run "
			  "supervisor; the library and the command differ in version");
		return;
	}
	pthread_mutex_lock(&sv.lock);
	/* A connect under the setup key may write it: no key may start
	 * from it as it was by a claim made after this. */
	if (!f[2][0])
		offers_withdraw(NULL);
	snprintf(err, sizeof(err), "dbclone: the run supervisor is out of memory");
	/* A key that ends while its clone is copied (dbclone next) is asked
	 * for again, in the new epoch. */
	for (int tries = 0; !h && over && tries < 3; tries++) {
		over = false;
		/* DBCLONE_TEST names the key; else the run's epoch does. */
		key_format(key, sizeof(key), f[2], f[3], sv.keys.epoch);
		if (f[4][0])
			key_format(base, sizeof(base), f[4], f[3], sv.keys.epoch);
		if (!(o = origin_for(f[5], &sp)) || !golden_for(o, err, sizeof(err)))
			break;
		/* The key is this process's before its copy starts: no other
		 * process's move can end it meanwhile. */
		keys_use_on(&sv.keys, &p->user, key, base, key_over, NULL);
		h = handed_for(o, key, &over, err, sizeof(err));
	}
	if (!h) {
		pthread_mutex_unlock(&sv.lock);
		reply_failure(p->fd, err);
		return;
	}
	wire_add(line, sizeof(line), "ok");
	wire_add(line, sizeof(line), h->name);
	if (f[2][0] && !f[4][0])
		offer_make(p, o, f[3], line, sizeof(line));
	sv.last_handout = h->handed_at = now_ms();
	if (sv.nlatency < LATENCIES)
		sv.latency[sv.nlatency++] = now_ms() - t0;
	pthread_mutex_unlock(&sv.lock);
	wire_send(p->fd, line);
}

/* used <engine> <test> <signals> <base> <source>: a process reconnected
 * within its key to the clone it was handed (it asks nobody: no reply).
 * Counted as a hand-out, for the key rules and for a setup or base whose
 * children must see what the reconnect writes. */
static void handle_used(struct proc *p, char **f, int n)
{
	char key[KEY_MAX], base[KEY_MAX] = "";
	const struct engine_ops *ops;
	struct handed *h;

	if (n < 6 || !(ops = engine_by_name(f[1])))
		return;
	pthread_mutex_lock(&sv.lock);
	key_format(key, sizeof(key), f[2], f[3], sv.keys.epoch);
	if (f[4][0])
		key_format(base, sizeof(base), f[4], f[3], sv.keys.epoch);
	keys_use_on(&sv.keys, &p->user, key, base, key_over, NULL);
	for (h = sv.handed; h; h = h->next)
		if (h->ready && h->origin->spec.ops == ops &&
		    !strcmp(h->origin->source, f[5]) && !strcmp(h->key, key)) {
			h->uses++;
			h->handed_at = now_ms();
		}
	pthread_mutex_unlock(&sv.lock);
}

/* The claim of key by p, of o's clone name, is told: the key is p's, and
 * name its clone (another process's request may have been given it
 * already, through the claim's file). */
static void claim_told(struct proc *p, struct origin *o, const char *key,
		       const char *name)
{
	struct handed *h;

	keys_use_on(&sv.keys, &p->user, key, "", key_over, NULL);
	if ((h = find_handed(o, key)) && !h->claim_pending &&
	    strcmp(h->name, name)) {
		/* The key was bound to another clone (a claim file that
		 * could not be written): the claimed one is nobody's. */
		drop_soon(&o->spec, name, 0);
		h->uses++;
	} else if (h) {
		h->uses++;
		h->claim_pending = h->over = false;
	} else if ((h = new_handed(o, key))) {
		snprintf(h->name, sizeof(h->name), "%s", name);
		h->uses = 1;
		h->ready = true;
	} else {
		/* out of memory: the key goes without its clone */
		claims_unbind(o, key);
		drop_soon(&o->spec, name, 0);
	}
	if (h)
		sv.last_handout = h->handed_at = now_ms();
	sv.claims++;
}

/* claimed <test> <signals> <offer>: the process bound its new test key
 * to the clone offered to it (claims.h), and connects to it without
 * waiting; it reads the answer, with its next offer, at its next
 * boundary. */
static void handle_claimed(struct proc *p, char **f, int n)
{
	char key[KEY_MAX], name[PATH_MAX], line[WIRE_MAX] = "ok";
	struct origin *o;
	struct handed *h;
	bool taken;
	ino_t ino;

	if (n < 4 || !f[1][0]) {
		reply_err(p->fd, "dbclone: a malformed request reached the run "
			  "supervisor; the library and the command differ in version");
		return;
	}
	pthread_mutex_lock(&sv.lock);
	key_format(key, sizeof(key), f[1], f[2], sv.keys.epoch);
	/* A request copying for the key meanwhile binds it after its copy,
	 * finding this claim: wait for it, then join it. */
	while ((o = offer_origin(p, f[3])) && (h = find_handed(o, key)) &&
	       !h->ready)
		wait_a_moment();
	if (!offer_claimed(p, f[3], &o, name, sizeof(name), &ino, &taken)) {
		pthread_mutex_unlock(&sv.lock);
		reply_err(p->fd, "dbclone: a claim of a clone the run never offered "
			  "to this process reached the run supervisor; the library "
			  "and the command differ in version");
		return;
	}
	if (taken) {
		/* Its clone became a layer: the key's next connect is a copy
		 * of it, as for any key taken in place. */
		keys_use_on(&sv.keys, &p->user, key, "", key_over, NULL);
		sv.claims++;
	} else if (!claims_are(o, key, ino)) {
		/* No link made: a client that does not keep the protocol. */
		drop_soon(&o->spec, name, 0);
		pthread_mutex_unlock(&sv.lock);
		reply_err(p->fd, "dbclone: a claim with no claim file reached the "
			  "run supervisor; the library and the command differ in "
			  "version");
		return;
	} else {
		claim_told(p, o, key, name);
	}
	offer_make(p, o, f[2], line, sizeof(line));
	pthread_mutex_unlock(&sv.lock);
	wire_send(p->fd, line);
}

/* made <engine> <name> <ms> <spec...>: a process cloned for itself. It is
 * taken at its word only when the clone's marker says that this process
 * of this run made it: never does the run drop what is not a clone. */
static void handle_made(struct proc *p, char **f, int n)
{
	struct doomed *d;
	char err[1024];

	if (!(d = calloc(1, sizeof(*d)))) {
		reply_err(p->fd, "dbclone: the run supervisor is out of memory");
		return;
	}
	if (n < 5 || !spec_from_fields(&d->spec, f[1], f + 4, n - 4)) {
		free(d);
		reply_err(p->fd, "dbclone: a malformed request reached the run "
			  "supervisor; the library and the command differ in version");
		return;
	}
	snprintf(d->name, sizeof(d->name), "%s", f[2]);
	if (!engine_made_by(&d->spec, d->name, p->pid, getenv("DBCLONE_RUN"),
			    err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		free(d);
		reply_err(p->fd, err);
		return;
	}
	pthread_mutex_lock(&sv.lock);
	d->next = p->made;
	p->made = d;
	sv.made[engine_index(d->spec.ops)]++;
	sv.clone_ms += strtod(f[3], NULL);
	pthread_mutex_unlock(&sv.lock);
	wire_send(p->fd, "ok");
}

/* dropped <engine> <name>: the process dropped a clone it made. */
static void handle_dropped(struct proc *p, char **f, int n)
{
	pthread_mutex_lock(&sv.lock);
	for (struct doomed **d = &p->made; n == 3 && *d; d = &(*d)->next) {
		if ((*d)->spec.ops == engine_by_name(f[1]) && !strcmp((*d)->name, f[2])) {
			struct doomed *gone = *d;

			*d = gone->next;
			free(gone);
			break;
		}
	}
	pthread_mutex_unlock(&sv.lock);
	wire_send(p->fd, "ok");
}

/* dbclone snapshot: answered once every source's base is taken. */
static void handle_snapshot(struct proc *p)
{
	char err[1024], reply[64];
	int n;

	pthread_mutex_lock(&sv.lock);
	offers_withdraw(NULL);
	n = layers_snapshot(err, sizeof(err));
	pthread_mutex_unlock(&sv.lock);
	if (n < 0) {
		reply_err(p->fd, err);
		return;
	}
	snprintf(reply, sizeof(reply), "ok\t%d", n);
	wire_send(p->fd, reply);
}

/* report <program> <args> <counts> <libs> <sockets> <stale>: what a
 * process did with its connects, at its exit (run_report.h). */
static void handle_report(struct proc *p, char **f, int n)
{
	run_report_add(p->pid, f, n);
	wire_send(p->fd, "ok");
}

/* Is key one of test's keys, prefix being key_format's "t:<test>#" of
 * it: what follows is a boundary-signal count, whatever it is. */
static bool of_test(const char *key, const char *prefix, size_t len)
{
	return !strncmp(key, prefix, len) &&
	       strspn(key + len, "0123456789") == strlen(key + len);
}

/* keep <test>: a harness says the test failed. Under --keep its clones
 * outlive its key, to be kept at the end with a command each
 * (supervisor.c). The key's boundary-signal count is not the harness's
 * to know: every count of the test matches. */
static void handle_keep(struct proc *p, char **f, int n)
{
	char key[KEY_MAX], reply[64];
	size_t len;
	int kept = 0;

	if (n < 2 || !f[1][0]) {
		reply_err(p->fd, "dbclone: keep needs the failed test's name "
			  "(its DBCLONE_TEST)");
		return;
	}
	key_format(key, sizeof(key), f[1], "", 0); /* "t:<test>#" */
	len = strlen(key);
	pthread_mutex_lock(&sv.lock);
	for (struct handed *h = sv.handed; sv.keeping && h; h = h->next) {
		if (h->ready && of_test(h->key, key, len)) {
			h->kept = true;
			kept++;
		}
	}
	pthread_mutex_unlock(&sv.lock);
	snprintf(reply, sizeof(reply), "ok\t%d", kept);
	wire_send(p->fd, reply);
}

/* Does key (of a test name, every boundary-signal count) have a clone or
 * a layer now? Under the lock. */
static bool key_has_state(const char *test)
{
	char key[KEY_MAX];
	size_t len;

	key_format(key, sizeof(key), test, "", 0); /* "t:<test>#" */
	len = strlen(key);
	for (struct handed *h = sv.handed; h; h = h->next)
		if (of_test(h->key, key, len))
			return true;
	for (struct origin *o = sv.origins; o; o = o->next)
		for (struct sv_layer *l = o->layers; l; l = l->next)
			if (!l->retired && of_test(l->l.setup_key, key, len))
				return true;
	return false;
}

/* known <test>: whether that key has a clone or a layer (ok 1 | ok 0). A
 * harness names as DBCLONE_BASE only a key that has one: a base with
 * none falls back to the epoch's setup, not to the base's own base. */
static void handle_known(struct proc *p, char **f, int n)
{
	bool known;

	if (n < 2 || !f[1][0]) {
		reply_err(p->fd, "dbclone: known needs a test name");
		return;
	}
	pthread_mutex_lock(&sv.lock);
	known = key_has_state(f[1]);
	pthread_mutex_unlock(&sv.lock);
	wire_send(p->fd, known ? "ok\t1" : "ok\t0");
}

/* The run moves to its next epoch; returns once the old epoch's clones
 * are dropped (their sessions cut), so that the very next request of a
 * server under test lands in a new clone. */
unsigned next_epoch(void)
{
	struct doomed *now = NULL;
	unsigned epoch;

	pthread_mutex_lock(&sv.lock);
	offers_withdraw(NULL);
	epoch = keys_next_epoch(&sv.keys, key_over, &now);
	pthread_mutex_unlock(&sv.lock);
	drop_now(now);
	return epoch;
}

/* What a process made itself and did not drop (kill -9, exec, a crash)
 * goes now, in the background. Under the lock. */
static void drop_what_it_made(struct proc *p)
{
	struct doomed *last = p->made;
	int count = 1;

	if (!p->made)
		return;
	for (; last->next; last = last->next)
		count++;
	if (!sv.stopping)
		fprintf(stderr, "dbclone: process %ld ended without dropping %d "
			"clone(s) it made (%s %s%s); dropping them\n", p->pid, count,
			p->made->spec.ops->name, p->made->name, count > 1 ? ", ..." : "");
	last->next = sv.doomed;
	sv.doomed = p->made;
	p->made = NULL;
	pthread_cond_broadcast(&sv.wake);
}

static void disconnect(struct proc *p)
{
	pthread_mutex_lock(&sv.lock);
	for (struct proc **q = &sv.procs; *q; q = &(*q)->next) {
		if (*q == p) {
			*q = p->next;
			break;
		}
	}
	/* Its claims first: a clone another process was given through one
	 * may end with the keys below. */
	offers_gone(p);
	/* A process's exit alone does not end its key (the next process of
	 * the same test may be about to start), unless a newer key exists. */
	if (p->joined)
		keys_leave(&sv.keys, &p->user, key_over, NULL);
	drop_what_it_made(p);
	if (--sv.nprocs == 0)
		pthread_cond_broadcast(&sv.procs_done);
	pthread_mutex_unlock(&sv.lock);
	close(p->fd);
	free(p);
}

/* Answers one request of p. */
static void serve(struct proc *p, char *line)
{
	char reply[64], *f[WIRE_FIELDS];
	int n = wire_split(line, f);

	if (!strcmp(f[0], "clone") && !sv.per_process) {
		handle_clone(p, f, n);
	} else if (!strcmp(f[0], "used")) {
		handle_used(p, f, n);
	} else if (!strcmp(f[0], "claimed") && !sv.per_process) {
		handle_claimed(p, f, n);
	} else if (!strcmp(f[0], "made")) {
		handle_made(p, f, n);
	} else if (!strcmp(f[0], "dropped")) {
		handle_dropped(p, f, n);
	} else if (!strcmp(f[0], "report")) {
		handle_report(p, f, n);
	} else if (!strcmp(f[0], "next") && sv.per_process) {
		reply_err(p->fd, "dbclone: a --per-process run has no epoch to move: "
			  "each process keeps its own clones; use dbclone next --pid "
			  "PID, or set DBCLONE_TEST");
	} else if (!strcmp(f[0], "next")) {
		snprintf(reply, sizeof(reply), "ok\t%u", next_epoch());
		wire_send(p->fd, reply);
	} else if (!strcmp(f[0], "snapshot") && sv.per_process) {
		reply_err(p->fd, "dbclone: a --per-process run has no epoch to take "
			  "a snapshot of: each process keeps its own clones; use a "
			  "shared run (leave out --per-process), or DBCLONE_BASE");
	} else if (!strcmp(f[0], "snapshot")) {
		handle_snapshot(p);
	} else if (!strcmp(f[0], "keep")) {
		handle_keep(p, f, n);
	} else if (!strcmp(f[0], "known")) {
		handle_known(p, f, n);
	} else {
		reply_err(p->fd, "dbclone: unknown request");
	}
}

/* Why a process's socket is given up, said once on stderr: never for a
 * socket that is quiet between requests (a library keeps it for its
 * life), only for one that stalls in a line, or floods it. */
static void say_dropped(struct proc *p, enum wire_read why, bool hello)
{
	char line[512];

	if (why == WIRE_CLOSED)
		return;
	snprintf(line, sizeof(line), "dbclone: refused a client of the run "
		 "(pid %ld): %s; its connection is closed", p->pid,
		 why == WIRE_TOO_LONG ? "a line longer than the protocol allows" :
		 hello ? "no hello within 5 s" : "a line begun and not ended "
		 "within 5 s");
	fprintf(stderr, "%s\n", line);
	reply_err(p->fd, line);
}

/* The hello: "hello <pid> <version>", of this protocol's version. The
 * other side is told when versions differ, and so is the run's log. */
static bool hello(struct proc *p)
{
	char line[WIRE_MAX + 1], reply[64], *f[WIRE_FIELDS], why[512];
	enum wire_read got = wire_read_line(p->fd, &p->in, line, WIRE_STALL_MS,
					    WIRE_STALL_MS);
	int n;

	if (got != WIRE_LINE) {
		say_dropped(p, got, true);
		return false;
	}
	n = wire_split(line, f);
	if (strcmp(f[0], "hello"))
		snprintf(why, sizeof(why), "dbclone: process %ld sent no hello; not "
			 "a dbclone library", p->pid);
	else if (n < 3 || strtol(f[2], NULL, 10) != WIRE_VERSION)
		snprintf(why, sizeof(why), "dbclone: process %ld speaks protocol %s "
			 "of the run supervisor, this run speaks %d: the library "
			 "(LD_PRELOAD) and the dbclone command are of different "
			 "versions; run it with the library of the same build",
			 p->pid, n < 3 ? "1" : f[2], WIRE_VERSION);
	else
		why[0] = '\0';
	if (why[0]) {
		fprintf(stderr, "%s\n", why);
		reply_err(p->fd, why);
		return false;
	}
	snprintf(reply, sizeof(reply), "ok\t%d", WIRE_VERSION);
	return wire_send(p->fd, reply);
}

static void *proc_thread(void *arg)
{
	struct proc *p = arg;
	char line[WIRE_MAX + 1];
	enum wire_read got = WIRE_CLOSED;

	if (hello(p)) {
		pthread_mutex_lock(&sv.lock);
		keys_join(&sv.keys, &p->user);
		p->joined = true;
		pthread_mutex_unlock(&sv.lock);
		/* Quiet between requests for as long as it likes. */
		while ((got = wire_read_line(p->fd, &p->in, line, -1,
					     WIRE_STALL_MS)) == WIRE_LINE)
			serve(p, line);
		say_dropped(p, got, false);
	}
	disconnect(p);
	engine_forget_admins();
	return NULL;
}

/* A process, known from its socket: a thread of its own serves it. */
static void take_proc(int fd)
{
	struct ucred cred = {0};
	socklen_t len = sizeof(cred);
	struct proc *p = calloc(1, sizeof(*p));
	pthread_attr_t attr;
	pthread_t t;
	bool started;

	if (!p) {
		close(fd);
		return;
	}
	p->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		p->pid = cred.pid;
	pthread_mutex_lock(&sv.lock);
	p->next = sv.procs;
	sv.procs = p;
	sv.nprocs++;
	pthread_mutex_unlock(&sv.lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	started = pthread_create(&t, &attr, proc_thread, p) == 0;
	pthread_attr_destroy(&attr);
	if (!started) {
		fprintf(stderr, "dbclone: cannot start a thread for process %ld "
			"(%s); its connects fail\n", p->pid, strerror(errno));
		disconnect(p);
	}
}

void *acceptor_thread(void *arg)
{
	int listen_fd = *(int *)arg;
	sigset_t all;

	/* Signals are the main thread's (the self-pipe), and so are the
	 * threads this one starts, which inherit its mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		bool stop;

		if (fd >= 0) {
			take_proc(fd);
			continue;
		}
		pthread_mutex_lock(&sv.lock);
		stop = sv.stopping;
		pthread_mutex_unlock(&sv.lock);
		if (stop)
			return NULL;
		if (errno != EINTR && errno != ECONNABORTED)
			usleep(10000);
	}
}

void end_procs(void)
{
	pthread_mutex_lock(&sv.lock);
	/* Their threads read no more: each ends, as if its process had. */
	for (struct proc *p = sv.procs; p; p = p->next)
		shutdown(p->fd, SHUT_RDWR);
	while (sv.nprocs)
		pthread_cond_wait(&sv.procs_done, &sv.lock);
	pthread_mutex_unlock(&sv.lock);
}
