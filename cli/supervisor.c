/* The run supervisor's top: threads, the loop until CMD ends, the end. */
#include "supervisor.h"
#include "sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "retry.h"
#include "run_report.h"
#include "signals.h"
#include "supervisor_state.h"

#define POOL_THREADS 4

struct supervisor_state sv = {.lock = PTHREAD_MUTEX_INITIALIZER,
			      .wake = PTHREAD_COND_INITIALIZER,
			      .procs_done = PTHREAD_COND_INITIALIZER};

int wake_fd[2];

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
		"hand-out p50 %.1f ms, p95 %.1f ms (%d hand-outs, and %lu new "
		"keys claimed without asking)\n",
		sv.made[0], sv.made[1], sv.made[2], sv.clone_ms / 1e3,
		sv.hidden_ms / 1e3, p50, p95, sv.nlatency, sv.claims);
}

/* --keep: the last key's clones stay, with a command to reach each. */
static void keep_last_key(void)
{
	const char *last = keys_last(&sv.keys);
	char cmd[2048];

	if (!last)
		return;
	for (struct handed **h = &sv.handed; *h;) {
		struct handed *kept = *h;

		if (strcmp(kept->key, last)) {
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

/* --keep and failed tests (keep requests): each one's clones stay, with
 * the test's name and a command to reach each. Returns how many. */
static int keep_failed_tests(void)
{
	char cmd[2048];
	int kept = 0;

	for (struct handed **h = &sv.handed; *h;) {
		struct handed *k = *h;
		const char *hash = strrchr(k->key, '#');

		if (!k->kept) {
			h = &k->next;
			continue;
		}
		*h = k->next;
		engine_mark_kept(&k->origin->spec, k->name);
		engine_connect_command(&k->origin->spec, k->name, cmd, sizeof(cmd));
		fprintf(stderr, "dbclone: kept %s clone %s of %s for failed test "
			"%.*s: %s\n", k->origin->spec.ops->name, k->name,
			spec_source(&k->origin->spec),
			(int)(hash ? hash - k->key - 2 : 0), k->key + 2, cmd);
		free(k);
		kept++;
	}
	return kept;
}

/* Everything the run made goes: handed-out clones, pools, goldens. */
static void drop_everything(void)
{
	struct doomed *all = sv.doomed;

	sv.doomed = NULL;
	while (sv.handed) {
		struct handed *h = sv.handed;

		sv.handed = h->next;
		drop_or_retry(&h->origin->spec, h->name);
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
			drop_or_retry(&o->spec, o->pool[i]);
		while (o->layers) {
			struct sv_layer *l = o->layers;

			o->layers = l->next;
			if (!l->l.live) /* a live one is the setup itself */
				drop_or_retry(&o->spec, l->l.name);
			free(l);
		}
		if (o->golden[0])
			drop_or_retry(&o->spec, o->golden);
		free(o);
	}
	/* What failed (a server restarting) gets a bounded while more. */
	retry_finish(RETRY_END_MS);
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

/* Timed waits on the monotonic clock: a stepped wall clock must not stall
 * the pool. */
static void monotonic_wake(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&sv.wake, &attr);
	pthread_condattr_destroy(&attr);
}

/* Signals reach the loop through the self-pipe. */
static void catch_signals(int boundary)
{
	struct sigaction sa = {0};

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
}

/* Tells the pool threads and the acceptor to end. */
static void stop_threads(void)
{
	pthread_mutex_lock(&sv.lock);
	sv.stopping = true;
	pthread_cond_broadcast(&sv.wake);
	pthread_mutex_unlock(&sv.lock);
}

static void join_pool(pthread_t *pool, int npool)
{
	for (int i = 0; i < npool; i++)
		pthread_join(pool[i], NULL);
}

/* Pool threads: one per core (at most POOL_THREADS), so that clones are
 * made side by side when tests use them up faster than one thread makes
 * them. Returns how many started. */
static int start_pool(pthread_t *pool)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int npool = cores < 1 ? 1 : cores > POOL_THREADS ? POOL_THREADS : (int)cores;

	for (int i = 0; i < npool; i++)
		if (pthread_create(&pool[i], NULL, pool_thread, NULL) != 0)
			return i;
	return npool;
}

/* The bytes the self-pipe holds: the boundary signal moves the epoch,
 * SIGINT and SIGTERM go to CMD. */
static void take_signals(pid_t child, int boundary)
{
	unsigned char sig;

	/* The pipe is non-blocking: take every byte queued. */
	while (read(wake_fd[0], &sig, 1) == 1) {
		if (sig == 0 || sig == SIGCHLD)
			continue; /* a child reaped above */
		if ((int)sig == boundary)
			next_epoch();
		else
			kill(child, sig); /* SIGINT, SIGTERM: to CMD */
	}
}

/* One wait on the self-pipe (the processes have threads of their own);
 * false when polling failed. *status is CMD's wait status once it has
 * ended (*running false). */
static bool serve_once(pid_t child, int boundary, int *status, bool *running)
{
	struct pollfd fd = {.fd = wake_fd[0], .events = POLLIN};

	/* The timeout also catches a child that ended before the SIGCHLD
	 * handler was in place. */
	if (poll(&fd, 1, 500) < 0 && errno != EINTR)
		return false;
	if (waitpid(child, status, WNOHANG) == child)
		*running = false;
	if (fd.revents & POLLIN)
		take_signals(child, boundary);
	return true;
}

int supervise(int listen_fd, pid_t child, int pool_size, enum keep keep,
	      bool per_process)
{
	pthread_t pool[POOL_THREADS], acceptor;
	int npool, status = 0, boundary = boundary_signal_from(getenv("DBCLONE_SIGNAL"));
	bool running = true;

	sv.pool_size = pool_size;
	monotonic_wake();
	sv.per_process = per_process;
	sv.keeping = keep != KEEP_NEVER;
	if (!per_process)
		offers_start(getenv("DBCLONE_RUN_DIR"));
	sqlite_stamps_keep(false);
	/* Woken by a test's message (a claim, a reconnect told), the run's
	 * threads must not take the core from the test that sent it; they
	 * keep their fair share of the cores (SCHED_BATCH: no wake-up
	 * preemption), which its threads inherit. */
	sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){0});
	if (pipe2(wake_fd, O_NONBLOCK | O_CLOEXEC) != 0)
		return unsupervised(child);
	catch_signals(boundary);
	npool = start_pool(pool);
	if (!npool || pthread_create(&acceptor, NULL, acceptor_thread, &listen_fd) != 0) {
		stop_threads();
		join_pool(pool, npool);
		return unsupervised(child);
	}
	while (running && serve_once(child, boundary, &status, &running))
		;
	stop_threads();
	shutdown(listen_fd, SHUT_RDWR); /* wakes the acceptor's accept */
	pthread_join(acceptor, NULL);
	end_procs();
	join_pool(pool, npool);
	/* Failed tests a harness named are what is worth keeping; without
	 * them, the last key is. */
	if ((keep == KEEP_ALWAYS || (keep == KEEP_FAILED &&
				     !(WIFEXITED(status) && WEXITSTATUS(status) == 0))) &&
	    (!keep_failed_tests() || keep == KEEP_ALWAYS))
		keep_last_key();
	offers_end();
	drop_everything();
	offers_cleanup();
	keys_end_all(&sv.keys, NULL, NULL);
	summary();
	run_report_end(status, run_summary_json);
	return status;
}
