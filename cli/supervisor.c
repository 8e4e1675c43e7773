#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engines.h"
#include "signals.h"
#include "wire.h"

#define POOL_MAX 64
#define POOL_THREADS 4
#define QUIET_MS 30 /* background work waits this long after a hand-out */
#define KEY_MAX 600
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

/* When a key was first handed out and last used (a logical clock). */
struct keyinfo {
	char key[KEY_MAX];
	unsigned long first, last;
	struct keyinfo *next;
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
	char key[KEY_MAX];
	struct doomed *made; /* clones it made itself and has not dropped */
	struct proc *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct origin *origins;
	struct handed *handed;
	struct keyinfo *keys;
	struct proc *procs;
	struct doomed *doomed;
	unsigned long clock, seq;
	unsigned epoch;
	int pool_size;
	bool per_process; /* processes clone for themselves; it only watches */
	bool stopping;
	/* for the summary */
	int made[3];
	double clone_ms, hidden_ms;
	double last_handout; /* when (now_ms) a clone was last handed out */
	double latency[LATENCIES];
	int nlatency;
} sv = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int wake_fd[2];

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int engine_index(const struct engine_ops *ops)
{
	return ops == &engine_pg ? 0 : ops == &engine_sqlite ? 1 : 2;
}

/* Makes a clone (or a golden) with the lock released; counts it. */
static bool copy_unlocked(const struct spec *sp, const char *from, bool golden,
			  char *name, double *ms, char *err, size_t errlen)
{
	unsigned long seq = sv.seq++;
	double t0;
	bool ok;

	pthread_mutex_unlock(&sv.lock);
	t0 = now_ms();
	ok = engine_copy(sp, from, seq, golden, name, PATH_MAX, err, errlen);
	*ms = now_ms() - t0;
	pthread_mutex_lock(&sv.lock);
	if (ok) {
		sv.made[engine_index(sp->ops)]++;
		sv.clone_ms += *ms;
	}
	return ok;
}

/* ---- when a key is over ------------------------------------------------ */

static bool current_anywhere(const char *key)
{
	for (struct proc *p = sv.procs; p; p = p->next)
		if (!strcmp(p->key, key))
			return true;
	return false;
}

static struct keyinfo *key_info(const char *key)
{
	for (struct keyinfo *k = sv.keys; k; k = k->next)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

/* Its clones go to the drop queue (or are returned through *now when the
 * caller drops them itself); the key is forgotten. */
static void key_over(const char *key, struct doomed **now)
{
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
	for (struct keyinfo **k = &sv.keys; *k; k = &(*k)->next) {
		if (!strcmp((*k)->key, key)) {
			struct keyinfo *gone = *k;

			*k = gone->next;
			free(gone);
			break;
		}
	}
	pthread_cond_broadcast(&sv.wake);
}

/* A key no live process has as its current one is over once a newer key
 * has been handed out since its last use. */
static void end_stale_keys(void)
{
	struct keyinfo *k, *next;
	unsigned long newest = 0;

	for (k = sv.keys; k; k = k->next)
		if (k->first > newest)
			newest = k->first;
	for (k = sv.keys; k; k = next) {
		next = k->next;
		if (newest > k->last && !current_anywhere(k->key))
			key_over(k->key, NULL);
	}
}

/* ---- requests ---------------------------------------------------------- */

static struct origin *origin_for(const char *source, const struct spec *sp)
{
	struct origin *o;

	for (o = sv.origins; o; o = o->next)
		if (!strcmp(o->source, source) && o->spec.ops == sp->ops)
			return o;
	if (!(o = calloc(1, sizeof(*o))))
		return NULL;
	snprintf(o->source, sizeof(o->source), "%s", source);
	o->spec = *sp;
	o->next = sv.origins;
	sv.origins = o;
	return o;
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

/* clone <engine> <test> <signals> <source> <spec...> */
static void handle_clone(struct proc *p, char **f, int n)
{
	char key[KEY_MAX], err[1024], line[WIRE_MAX] = "";
	struct origin *o;
	struct handed *h;
	struct keyinfo *k;
	struct spec sp = {0};
	double t0 = now_ms(), ms;
	bool new_key = false;

	if (n < 6 || !spec_from_fields(&sp, f[1], f + 5, n - 5)) {
		reply_err(p->fd, "dbclone: a malformed request reached the run "
			  "supervisor; the library and the command differ in version");
		return;
	}
	/* DBCLONE_TEST names the key; else the run's epoch does. */
	if (f[2][0]) {
		char name[500];

		wire_test_key(f[2], name, sizeof(name));
		snprintf(key, sizeof(key), "t:%s#%.20s", name, f[3]);
	}
	else
		snprintf(key, sizeof(key), "e%u#%.20s", sv.epoch, f[3]);

	pthread_mutex_lock(&sv.lock);
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
	for (h = sv.handed; h; h = h->next)
		if (h->origin == o && !strcmp(h->key, key))
			break;
	if (!h) {
		if (!(h = calloc(1, sizeof(*h))))
			goto fail_oom;
		if (o->npool) {
			o->npool--;
			snprintf(h->name, sizeof(h->name), "%s", o->pool[o->npool]);
			sv.hidden_ms += o->pool_ms[o->npool];
		} else if (!copy_unlocked(&o->spec, o->golden, false, h->name, &ms,
					  err, sizeof(err))) {
			free(h);
			goto fail;
		}
		h->origin = o;
		snprintf(h->key, sizeof(h->key), "%s", key);
		h->next = sv.handed;
		sv.handed = h;
		pthread_cond_broadcast(&sv.wake); /* refill */
	}
	if (!(k = key_info(key)) && (k = calloc(1, sizeof(*k)))) {
		snprintf(k->key, sizeof(k->key), "%s", key);
		k->first = ++sv.clock;
		k->next = sv.keys;
		sv.keys = k;
		new_key = true;
	}
	if (k)
		k->last = ++sv.clock;
	if (strcmp(p->key, key)) {
		char old[KEY_MAX];

		snprintf(old, sizeof(old), "%s", p->key);
		snprintf(p->key, sizeof(p->key), "%s", key);
		/* The process moved on: its old key is over if nobody has it. */
		if (old[0] && !current_anywhere(old))
			key_over(old, NULL);
	}
	if (new_key)
		end_stale_keys();
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

static void drop_now(struct doomed *d)
{
	while (d) {
		struct doomed *next = d->next;
		char err[1024];

		if (!engine_drop(&d->spec, d->name, err, sizeof(err)))
			fprintf(stderr, "%s\n", err);
		free(d);
		d = next;
	}
}

/* The run moves to its next epoch; returns once the old epoch's clones
 * are dropped (their sessions cut), so that the very next request of a
 * server under test lands in a new clone. */
static unsigned next_epoch(void)
{
	struct doomed *now = NULL;
	struct keyinfo *k, *next;
	unsigned epoch;

	pthread_mutex_lock(&sv.lock);
	for (k = sv.keys; k; k = next) {
		next = k->next;
		if (k->key[0] == 'e')
			key_over(k->key, &now);
	}
	epoch = ++sv.epoch;
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
	end_stale_keys();
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

static void serve(struct proc *p)
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

/* ---- the pool thread --------------------------------------------------- */

static struct origin *needs_fill(void)
{
	for (struct origin *o = sv.origins; o; o = o->next)
		if (o->golden[0] && !o->broken && o->npool + o->filling < sv.pool_size)
			return o;
	return NULL;
}

/* A source whose pool has no ready clone, while its golden exists. */
static bool pool_empty(void)
{
	for (struct origin *o = sv.origins; o; o = o->next)
		if (o->golden[0] && !o->broken && !o->npool)
			return true;
	return false;
}

static void *pool_thread(void *arg)
{
	(void)arg;
	bool waited = false;

	pthread_mutex_lock(&sv.lock);
	while (!sv.stopping) {
		struct origin *o;
		double quiet = sv.last_handout + QUIET_MS - now_ms();

		if (!waited && quiet > 0 && (sv.doomed || needs_fill()) &&
		    !pool_empty()) {
			/* The test that was just handed a clone is connecting to
			 * it: drops and copies wait a moment rather than compete
			 * with that connect for the cores. Once per piece of
			 * work, and never when a pool is empty (a test may be
			 * waiting for its clone). */
			struct timespec until;

			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += (long)(quiet * 1e6);
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&sv.wake, &sv.lock, &until);
			waited = true;
			continue;
		}
		waited = false;
		if (sv.doomed) {
			struct doomed *d = sv.doomed;

			sv.doomed = NULL;
			pthread_mutex_unlock(&sv.lock);
			drop_now(d); /* drops happen in the background too */
			pthread_mutex_lock(&sv.lock);
		} else if ((o = needs_fill())) {
			char name[PATH_MAX], err[1024];
			double ms;

			o->filling++;
			if (copy_unlocked(&o->spec, o->golden, false, name, &ms, err,
					  sizeof(err))) {
				snprintf(o->pool[o->npool], sizeof(o->pool[0]), "%s", name);
				o->pool_ms[o->npool++] = ms;
			} else {
				if (!o->broken) /* one line, whichever thread fails */
					fprintf(stderr, "dbclone: the pool of %s stops: %s\n",
						spec_source(&o->spec), err);
				o->broken = true;
			}
			o->filling--;
		} else {
			pthread_cond_wait(&sv.wake, &sv.lock);
		}
	}
	pthread_mutex_unlock(&sv.lock);
	return NULL;
}

/* ---- new clients ------------------------------------------------------- */

/* Takes new clients and answers their hello at once, whatever the main
 * thread is busy with (a golden copy may take minutes): a client's hello
 * times out after a few seconds, its clone requests wait. */
static void *acceptor_thread(void *arg)
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
		pthread_mutex_unlock(&sv.lock);
		/* A zero byte wakes the loop to poll the new client too. */
		if (write(wake_fd[1], &wake, 1) < 0) {
			/* the loop is gone */
		}
	}
}

/* ---- the loop ---------------------------------------------------------- */

static pid_t child_pid;

static void on_signal(int sig, siginfo_t *info, void *context)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	(void)context;
	/* A terminal's Ctrl-C (or hangup) comes from the kernel to the whole
	 * foreground process group: CMD has it already, and forwarding it
	 * would deliver it twice. Only a signal sent to the run is passed on. */
	if ((sig == SIGINT || sig == SIGTERM || sig == SIGHUP) &&
	    info && info->si_code == SI_KERNEL)
		c = 0;

	if (write(wake_fd[1], &c, 1) < 0) {
		/* the loop is gone already */
	}
	errno = saved;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void summary(void)
{
	double p50 = 0, p95 = 0;

	if (sv.nlatency) {
		qsort(sv.latency, (size_t)sv.nlatency, sizeof(double), cmp_double);
		p50 = sv.latency[sv.nlatency / 2];
		p95 = sv.latency[(sv.nlatency * 95) / 100 < sv.nlatency ?
				 (sv.nlatency * 95) / 100 : sv.nlatency - 1];
	}
	if (sv.per_process) {
		/* Each process cloned for itself: nothing was handed out. */
		fprintf(stderr, "dbclone: run summary: clones made pg %d, sqlite %d, "
			"mysql %d; %.2f s spent cloning, in the processes "
			"(--per-process: no pool, no hand-outs)\n", sv.made[0],
			sv.made[1], sv.made[2], sv.clone_ms / 1e3);
		return;
	}
	fprintf(stderr, "dbclone: run summary: clones made pg %d, sqlite %d, "
		"mysql %d; %.2f s spent cloning, %.2f s of it hidden by the pool; "
		"hand-out p50 %.1f ms, p95 %.1f ms (%d hand-outs)\n",
		sv.made[0], sv.made[1], sv.made[2], sv.clone_ms / 1e3,
		sv.hidden_ms / 1e3, p50, p95, sv.nlatency);
}

/* --keep: the last key's clones stay, with a command to reach each. */
static void keep_last_key(void)
{
	struct keyinfo *last = NULL;
	char cmd[2048];

	for (struct keyinfo *k = sv.keys; k; k = k->next)
		if (!last || k->last > last->last)
			last = k;
	if (!last)
		return;
	for (struct handed **h = &sv.handed; *h;) {
		struct handed *kept = *h;

		if (strcmp(kept->key, last->key)) {
			h = &kept->next;
			continue;
		}
		*h = kept->next;
		engine_mark_kept(&kept->origin->spec, kept->name);
		engine_connect_command(&kept->origin->spec, kept->name, cmd,
				       sizeof(cmd));
		fprintf(stderr, "dbclone: kept %s clone %s of %s: %s\n",
			kept->origin->spec.ops->name, kept->name,
			spec_source(&kept->origin->spec), cmd);
		free(kept);
	}
}

/* Everything the run made goes: handed-out clones, pools, goldens. */
static void drop_everything(void)
{
	struct doomed *all = sv.doomed;
	char err[1024];

	sv.doomed = NULL;
	while (sv.handed) {
		struct handed *h = sv.handed;

		sv.handed = h->next;
		if (!engine_drop(&h->origin->spec, h->name, err, sizeof(err)))
			fprintf(stderr, "%s\n", err);
		free(h);
	}
	drop_now(all);
	/* Processes that outlived CMD: what they made goes with the run. */
	for (struct proc *p = sv.procs; p; p = p->next) {
		drop_now(p->made);
		p->made = NULL;
	}
	while (sv.origins) {
		struct origin *o = sv.origins;

		sv.origins = o->next;
		for (int i = 0; i < o->npool; i++)
			if (!engine_drop(&o->spec, o->pool[i], err, sizeof(err)))
				fprintf(stderr, "%s\n", err);
		if (o->golden[0] && !engine_drop(&o->spec, o->golden, err,
						 sizeof(err)))
			fprintf(stderr, "%s\n", err);
		free(o);
	}
}

/* The supervisor could not start: CMD still runs to its end, its
 * processes' connects fail with "no run listens" (the socket is not
 * served), and the run's journal sweep cleans up after them. */
static int unsupervised(pid_t child)
{
	int status;

	fprintf(stderr, "dbclone: cannot start the run supervisor (%s); its "
		"processes cannot clone: stop the run, free resources, and "
		"start it again\n", strerror(errno));
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 255 << 8; /* lost the child: a failure */
	return status;
}

int supervise(int listen_fd, pid_t child, int pool_size, enum keep keep,
	      bool per_process)
{
	struct sigaction sa = {0};
	/* Pool threads: one per core (at most POOL_THREADS), so that clones
	 * are made side by side when tests use them up faster than one
	 * thread makes them. */
	pthread_t pool[POOL_THREADS], acceptor;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int npool = cores < 1 ? 1 : cores > POOL_THREADS ? POOL_THREADS : (int)cores;
	int status = 0, boundary = boundary_signal_from(getenv("DBCLONE_SIGNAL"));
	bool running = true;

	child_pid = child;
	sv.pool_size = pool_size;
	{
		/* Timed waits on the monotonic clock: a stepped wall clock
		 * must not stall the pool. */
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&sv.wake, &attr);
		pthread_condattr_destroy(&attr);
	}
	sv.per_process = per_process;
	if (pipe2(wake_fd, O_NONBLOCK | O_CLOEXEC) != 0)
		return unsupervised(child);
	sa.sa_sigaction = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (boundary > 0) {
		sigset_t set;

		/* run.c blocked it before the fork: from here it moves the epoch. */
		sigaction(boundary, &sa, NULL);
		sigemptyset(&set);
		sigaddset(&set, boundary);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
	for (int i = 0; i < npool; i++) {
		if (pthread_create(&pool[i], NULL, pool_thread, NULL) != 0) {
			npool = i;
			break;
		}
	}
	if (!npool || pthread_create(&acceptor, NULL, acceptor_thread, &listen_fd) != 0) {
		pthread_mutex_lock(&sv.lock);
		sv.stopping = true;
		pthread_cond_broadcast(&sv.wake);
		pthread_mutex_unlock(&sv.lock);
		for (int i = 0; i < npool; i++)
			pthread_join(pool[i], NULL);
		return unsupervised(child);
	}

	while (running) {
		struct pollfd *fds;
		struct proc **who;
		nfds_t n = 1, cap = 1;

		pthread_mutex_lock(&sv.lock);
		for (struct proc *p = sv.procs; p; p = p->next)
			cap++;
		fds = calloc(cap, sizeof(*fds));
		who = calloc(cap, sizeof(*who));
		if (!fds || !who) {
			pthread_mutex_unlock(&sv.lock);
			free(fds);
			free(who);
			usleep(10000);
			continue;
		}
		fds[0] = (struct pollfd){.fd = wake_fd[0], .events = POLLIN};
		for (struct proc *p = sv.procs; p && n < cap; p = p->next) {
			who[n] = p;
			fds[n++] = (struct pollfd){.fd = p->fd, .events = POLLIN};
		}
		pthread_mutex_unlock(&sv.lock);
		/* The timeout also catches a child that ended before the SIGCHLD
		 * handler was in place. */
		if (poll(fds, n, 500) < 0 && errno != EINTR) {
			free(fds);
			free(who);
			break;
		}
		if (waitpid(child, &status, WNOHANG) == child)
			running = false;
		if (fds[0].revents & POLLIN) {
			unsigned char sig;

			/* The pipe is non-blocking: take every byte queued. */
			while (read(wake_fd[0], &sig, 1) == 1) {
				if (sig == 0 || sig == SIGCHLD)
					continue; /* a new client; a child reaped above */
				if ((int)sig == boundary)
					next_epoch();
				else
					kill(child, sig); /* SIGINT, SIGTERM: to CMD */
			}
		}
		for (nfds_t i = 1; i < n; i++)
			if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
				serve(who[i]);
		free(fds);
		free(who);
	}

	pthread_mutex_lock(&sv.lock);
	sv.stopping = true;
	pthread_cond_broadcast(&sv.wake);
	pthread_mutex_unlock(&sv.lock);
	shutdown(listen_fd, SHUT_RDWR); /* wakes the acceptor's accept */
	pthread_join(acceptor, NULL);
	for (int i = 0; i < npool; i++)
		pthread_join(pool[i], NULL);
	if (keep == KEEP_ALWAYS || (keep == KEEP_FAILED &&
				    !(WIFEXITED(status) && WEXITSTATUS(status) == 0)))
		keep_last_key();
	drop_everything();
	summary();
	return status;
}
