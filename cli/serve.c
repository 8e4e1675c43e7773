/* Serving the run's processes: hellos, requests, the keys they use. */
#include "supervisor_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "wire.h"

/* A key is over (keys.c says when): its clones go to the drop queue, or
 * to the list at ctx when the caller drops them itself. */
static void key_over(const char *key, void *ctx)
{
	struct doomed **now = ctx;

	for (struct handed **h = &sv.handed; *h;) {
		struct handed *gone = *h;
		struct doomed *d;

		if (strcmp(gone->key, key)) {
			h = &gone->next;
			continue;
		}
		*h = gone->next;
		if ((d = calloc(1, sizeof(*d)))) {
			d->spec = gone->origin->spec;
			snprintf(d->name, sizeof(d->name), "%s", gone->name);
			d->next = now ? *now : sv.doomed;
			*(now ? now : &sv.doomed) = d;
		}
		free(gone);
	}
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

/* The clone handed out for key from o: the one it has, else a ready one
 * from the pool, else a new copy of the golden (with the lock released).
 * NULL with err filled when none can be had. */
static struct handed *handed_for(struct origin *o, const char *key, char *err,
				 size_t errlen)
{
	struct handed *h;
	double ms;

	for (h = sv.handed; h; h = h->next)
		if (h->origin == o && !strcmp(h->key, key))
			return h;
	if (!(h = calloc(1, sizeof(*h)))) {
		snprintf(err, errlen, "dbclone: the run supervisor is out of memory");
		return NULL;
	}
	if (o->npool) {
		o->npool--;
		snprintf(h->name, sizeof(h->name), "%s", o->pool[o->npool]);
		sv.hidden_ms += o->pool_ms[o->npool];
	} else if (!copy_unlocked(&o->spec, o->golden, false, h->name, &ms,
				  err, errlen)) {
		free(h);
		return NULL;
	}
	h->origin = o;
	snprintf(h->key, sizeof(h->key), "%s", key);
	h->next = sv.handed;
	sv.handed = h;
	pthread_cond_broadcast(&sv.wake); /* refill */
	return h;
}

/* clone <engine> <test> <signals> <source> <spec...> */
static void handle_clone(struct proc *p, char **f, int n)
{
	char key[KEY_MAX], err[1024], line[WIRE_MAX] = "";
	struct origin *o;
	struct handed *h;
	struct spec sp = {0};
	double t0 = now_ms(), ms;

	if (n < 6 || !spec_from_fields(&sp, f[1], f + 5, n - 5)) {
		reply_err(p->fd, "dbclone: a malformed request reached the run "
			  "supervisor; the library and the command differ in version");
		return;
	}
	pthread_mutex_lock(&sv.lock);
	/* DBCLONE_TEST names the key; else the run's epoch does. */
	key_format(key, sizeof(key), f[2], f[3], sv.keys.epoch);
	if (!(o = origin_for(f[4], &sp)))
		goto fail_oom;
	if (!o->golden[0] && !o->swept) {
		int dropped;

		/* What an earlier run killed with kill -9 left goes first. */
		o->swept = true;
		pthread_mutex_unlock(&sv.lock);
		dropped = engine_sweep_dead(&sp);
		pthread_mutex_lock(&sv.lock);
		if (dropped)
			fprintf(stderr, "dbclone: dropped %d clone(s) that dead runs "
				"or processes left (%s %s)\n", dropped, sp.ops->name,
				spec_source(&sp));
	}
	if (!o->golden[0]) {
		/* The first use of a source takes the golden: later changes to
		 * the source change no test, and nothing blocks on it. */
		char golden[PATH_MAX];

		if (!copy_unlocked(&o->spec, NULL, true, golden, &ms, err, sizeof(err)))
			goto fail;
		if (!o->golden[0])
			snprintf(o->golden, sizeof(o->golden), "%s", golden);
		pthread_cond_broadcast(&sv.wake);
	}
	if (!(h = handed_for(o, key, err, sizeof(err))))
		goto fail;
	keys_use(&sv.keys, &p->user, key, key_over, NULL);
	wire_add(line, sizeof(line), "ok");
	wire_add(line, sizeof(line), h->name);
	sv.last_handout = now_ms();
	if (sv.nlatency < LATENCIES)
		sv.latency[sv.nlatency++] = now_ms() - t0;
	pthread_mutex_unlock(&sv.lock);
	wire_send(p->fd, line);
	return;
fail_oom:
	snprintf(err, sizeof(err), "dbclone: the run supervisor is out of memory");
fail:
	pthread_mutex_unlock(&sv.lock);
	/* Out of disk or connections: the process may still clone itself. */
	if (engine_failure() == FAIL_BUSY) {
		char busy[WIRE_MAX] = "";

		wire_add(busy, sizeof(busy), "busy");
		wire_add(busy, sizeof(busy), err);
		wire_send(p->fd, busy);
		return;
	}
	reply_err(p->fd, err);
}

/* made <engine> <name> <ms> <spec...>: a process cloned for itself. */
static void handle_made(struct proc *p, char **f, int n)
{
	struct doomed *d;

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

/* The run moves to its next epoch; returns once the old epoch's clones
 * are dropped (their sessions cut), so that the very next request of a
 * server under test lands in a new clone. */
unsigned next_epoch(void)
{
	struct doomed *now = NULL;
	unsigned epoch;

	pthread_mutex_lock(&sv.lock);
	epoch = keys_next_epoch(&sv.keys, key_over, &now);
	pthread_mutex_unlock(&sv.lock);
	drop_now(now);
	return epoch;
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
	/* A process's exit alone does not end its key (the next process of
	 * the same test may be about to start), unless a newer key exists. */
	keys_leave(&sv.keys, &p->user, key_over, NULL);
	/* What it made itself and did not drop (kill -9, exec, a crash)
	 * goes now, in the background. */
	if (p->made) {
		struct doomed *last = p->made;
		int count = 1;

		for (; last->next; last = last->next)
			count++;
		fprintf(stderr, "dbclone: process %ld ended without dropping %d "
			"clone(s) it made (%s %s%s); dropping them\n", p->pid, count,
			p->made->spec.ops->name, p->made->name, count > 1 ? ", ..." : "");
		last->next = sv.doomed;
		sv.doomed = p->made;
		p->made = NULL;
		pthread_cond_broadcast(&sv.wake);
	}
	pthread_mutex_unlock(&sv.lock);
	close(p->fd);
	free(p);
}

void serve(struct proc *p)
{
	char line[WIRE_MAX], reply[64], *f[WIRE_FIELDS];
	int n;

	if (!wire_recv(p->fd, line, sizeof(line))) {
		disconnect(p);
		return;
	}
	n = wire_split(line, f);
	/* The acceptor thread has answered the hello already. */
	if (!strcmp(f[0], "clone") && !sv.per_process) {
		handle_clone(p, f, n);
	} else if (!strcmp(f[0], "made")) {
		handle_made(p, f, n);
	} else if (!strcmp(f[0], "dropped")) {
		handle_dropped(p, f, n);
	} else if (!strcmp(f[0], "next") && sv.per_process) {
		reply_err(p->fd, "dbclone: a --per-process run has no epoch to move: "
			  "each process keeps its own clones; use dbclone next --pid "
			  "PID, or set DBCLONE_TEST");
	} else if (!strcmp(f[0], "next")) {
		snprintf(reply, sizeof(reply), "ok\t%u", next_epoch());
		wire_send(p->fd, reply);
	} else {
		reply_err(p->fd, "dbclone: unknown request");
	}
}

/* Takes new clients and answers their hello at once, whatever the main
 * thread is busy with (a golden copy may take minutes): a client's hello
 * times out after a few seconds, its clone requests wait. */
void *acceptor_thread(void *arg)
{
	int listen_fd = *(int *)arg;

	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		struct timeval tv = {.tv_sec = 5};
		char line[256];
		struct proc *p;
		unsigned char wake = 0;

		if (fd < 0) {
			bool stop;

			pthread_mutex_lock(&sv.lock);
			stop = sv.stopping;
			pthread_mutex_unlock(&sv.lock);
			if (stop)
				return NULL;
			if (errno != EINTR && errno != ECONNABORTED)
				usleep(10000);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (!wire_recv(fd, line, sizeof(line)) || strncmp(line, "hello", 5) ||
		    !wire_send(fd, "ok") || !(p = calloc(1, sizeof(*p)))) {
			close(fd);
			continue;
		}
		tv.tv_sec = 0;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		p->fd = fd;
		p->pid = strtol(line + 5, NULL, 10);
		pthread_mutex_lock(&sv.lock);
		p->next = sv.procs;
		sv.procs = p;
		keys_join(&sv.keys, &p->user);
		pthread_mutex_unlock(&sv.lock);
		/* A zero byte wakes the loop to poll the new client too. */
		if (write(wake_fd[1], &wake, 1) < 0) {
			/* the loop is gone */
		}
	}
}
