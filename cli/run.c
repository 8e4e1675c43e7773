/* dbclone run -- CMD: run CMD with the library preloaded, then drop what
 * its processes left behind. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dbclone.h"
#include "engine.h"
#include "intent.h"
#include "leftovers.h"
#include "run_report.h"
#include "signals.h"
#include "supervisor.h"

static pid_t child;

/* Until the supervisor takes over: as its handler, a terminal's signal
 * (from the kernel, to the whole foreground group) is not passed on. */
static void forward(int sig, siginfo_t *info, void *context)
{
	(void)context;
	if (child > 0 && !(info && info->si_code == SI_KERNEL))
		kill(child, sig);
}

/* The library next to the command (build/), or in PREFIX/lib/dbclone
 * when installed; DBCLONE_LIBRARY overrides both. */
bool cli_find_library(char *out, size_t outlen)
{
	static const char *const places[] = {"%s/libdbclone.so",
					     "%s/../lib/dbclone/libdbclone.so"};
	const char *env = getenv("DBCLONE_LIBRARY");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, outlen, "%s", env);
		return true;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')))
		*slash = '\0';
	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), places[i], exe);
		if (access(path, R_OK) == 0 && realpath(path, out))
			return true;
	}
	(void)outlen;
	return false;
}

/* The harness helpers (harness/ in the source tree, beside build/; or
 * PREFIX/lib/dbclone/harness when installed): the folder that holds
 * pytest/pytest_dbclone.py. */
static bool find_harness(char *out, size_t outlen)
{
	static const char *const places[] = {"%s/../harness",
					     "%s/../lib/dbclone/harness"};
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')))
		*slash = '\0';
	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX + 64], plugin[PATH_MAX + 96];

		snprintf(path, sizeof(path), places[i], exe);
		snprintf(plugin, sizeof(plugin), "%s/pytest/pytest_dbclone.py", path);
		if (access(plugin, R_OK) == 0 && realpath(path, out))
			return true;
	}
	(void)outlen;
	return false;
}

/* pytest anywhere under the run (python3 -m pytest, a wrapper, tox)
 * loads dbclone's plugin with no change to the suite: PYTEST_PLUGINS
 * names it, PYTHONPATH finds it. The helpers' folder is DBCLONE_HARNESS,
 * for the other harnesses (the bats helper). */
static void prepare_harness(bool off)
{
	const char *path = getenv("PYTHONPATH"), *plugins = getenv("PYTEST_PLUGINS");
	char dir[PATH_MAX], *value;

	if (off || !find_harness(dir, sizeof(dir)))
		return;
	setenv("DBCLONE_HARNESS", dir, 1);
	if (asprintf(&value, "%s/pytest%s%s", dir, path && *path ? ":" : "",
		     path && *path ? path : "") >= 0) {
		setenv("PYTHONPATH", value, 1);
		free(value);
	}
	if (plugins && strstr(plugins, "pytest_dbclone"))
		return; /* a run inside a run */
	if (asprintf(&value, "%s%spytest_dbclone", plugins && *plugins ? plugins : "",
		     plugins && *plugins ? "," : "") >= 0) {
		setenv("PYTEST_PLUGINS", value, 1);
		free(value);
	}
}

/* The pool size: --pool, else DBCLONE_POOL, else the number of cores;
 * 0 or more than 64 is clamped, with a warning. -1 when not a number. */
static int pool_size(const char *given)
{
	const char *v = given ? given : getenv("DBCLONE_POOL");
	long n;
	char *end;

	if (!v || !*v) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		return cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
	}
	n = strtol(v, &end, 10);
	if (*end || n < 0)
		return -1;
	if (n < 1 || n > 64) {
		fprintf(stderr, "dbclone: a pool of %ld clones per source is %s; "
			"using %d\n", n, n < 1 ? "no pool" : "absurd", n < 1 ? 1 : 64);
		n = n < 1 ? 1 : 64;
	}
	return (int)n;
}

/* The supervisor's socket, in the run's private directory. */
static int listen_on(const char *dir, char *path, size_t pathlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	snprintf(path, pathlen, "%s/socket", dir);
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "dbclone: the run directory %s is too long a path for "
			"a socket; set TMPDIR to a shorter one\n", dir);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(fd, 128) != 0) {
		fprintf(stderr, "dbclone: cannot listen on %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* What `dbclone run` was asked: its options, and where CMD starts in argv. */
struct run_args {
	const char *pool_arg, *keep_arg;
	bool per_process, no_harness;
	enum keep keep;
	int pool, cmd;
};

static bool parse_keep(const char *arg, enum keep *keep)
{
	*keep = KEEP_NEVER;
	if (!arg || !*arg || !strcmp(arg, "never"))
		return true;
	if (!strcmp(arg, "failed"))
		*keep = KEEP_FAILED;
	else if (!strcmp(arg, "always"))
		*keep = KEEP_ALWAYS;
	else {
		fprintf(stderr, "dbclone: --keep=\"%s\" is not valid; use "
			"never, failed or always\n", arg);
		return false;
	}
	return true;
}

static bool parse_run_args(int argc, char **argv, struct run_args *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->keep_arg = getenv("DBCLONE_KEEP");
	run_summary_json = getenv("DBCLONE_SUMMARY_JSON");
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--per-process")) {
			r->per_process = true;
		} else if (!strcmp(argv[i], "--pool") && i + 1 < argc) {
			r->pool_arg = argv[++i];
		} else if (!strncmp(argv[i], "--pool=", 7)) {
			r->pool_arg = argv[i] + 7;
		} else if (!strncmp(argv[i], "--keep=", 7)) {
			r->keep_arg = argv[i] + 7;
		} else if (!strncmp(argv[i], "--summary-json=", 15)) {
			run_summary_json = argv[i] + 15;
		} else if (!strcmp(argv[i], "--summary-json") && i + 1 < argc) {
			run_summary_json = argv[++i];
		} else if (!strcmp(argv[i], "--no-harness")) {
			r->no_harness = true;
		} else {
			fprintf(stderr, "dbclone: run does not take \"%s\"; use "
				"dbclone run [--per-process] [--pool N] [--keep=failed|always] "
				"[--summary-json FILE] [--no-harness] -- CMD ...\n",
				argv[i]);
			return false;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "dbclone: run needs a command; use dbclone run "
			"-- CMD ...\n");
		return false;
	}
	r->cmd = i + 1;
	if (!parse_keep(r->keep_arg, &r->keep))
		return false;
	if ((r->pool = pool_size(r->pool_arg)) < 0) {
		fprintf(stderr, "dbclone: pool size \"%s\" is not a number; give "
			"the number of ready clones per source, e.g. --pool 2\n",
			r->pool_arg ? r->pool_arg : getenv("DBCLONE_POOL"));
		return false;
	}
	return true;
}

/* The run's id and private directory, and the environment every process
 * of the run inherits: the library prepended to LD_PRELOAD (never
 * overwritten: the program may preload its own), the run, its socket. */
static int prepare_run(const struct run_args *r, char *run, size_t runlen,
		       char *dir, size_t dirlen, char *sock, size_t socklen)
{
	const char *tmp = getenv("TMPDIR"), *old;
	char lib[PATH_MAX], host[128] = "", *preload;
	int fd;

	if (!cli_find_library(lib, sizeof(lib))) {
		fprintf(stderr, "dbclone: cannot find libdbclone.so next to the "
			"command or in ../lib/dbclone; reinstall, or set "
			"DBCLONE_LIBRARY to its path\n");
		return -1;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(run, runlen, "%s-%ld-%ld", host, (long)getpid(), (long)time(NULL));
	snprintf(dir, dirlen, "%s/dbclone-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "dbclone: cannot make a run directory in %s: %s; "
			"set TMPDIR to a writable directory\n",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return -1;
	}
	run_dir_owner(dir);
	old = getenv("LD_PRELOAD");
	if (asprintf(&preload, "%s%s%s", lib, old && *old ? ":" : "",
		     old ? old : "") < 0)
		return -1;
	setenv("LD_PRELOAD", preload, 1);
	setenv("DBCLONE_RUN", run, 1);
	setenv("DBCLONE_RUN_DIR", dir, 1);
	free(preload);
	/* Per process or shared, the run supervises: every process keeps a
	 * socket to it for its life. */
	if ((fd = listen_on(dir, sock, socklen)) < 0) {
		rmdir(dir);
		return -1;
	}
	setenv("DBCLONE_SOCKET", sock, 1);
	prepare_harness(r->no_harness);
	if (r->per_process)
		setenv("DBCLONE_PER_PROCESS", "1", 1);
	else
		unsetenv("DBCLONE_PER_PROCESS");
	return fd;
}

/* Starts CMD; until the supervisor takes over, terminal signals are
 * passed on and the boundary signal waits. */
static bool start_command(char **cmd)
{
	struct sigaction sa = {0};
	sigset_t unblocked, set;
	int boundary = boundary_signal_from(getenv("DBCLONE_SIGNAL"));

	/* A parent that ignores SIGCHLD would make waitpid fail. */
	signal(SIGCHLD, SIG_DFL);
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Its default action would end the supervisor. */
	sigemptyset(&set);
	if (boundary > 0)
		sigaddset(&set, boundary);
	sigprocmask(SIG_BLOCK, &set, &unblocked);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "dbclone: cannot start %s: %s\n", cmd[0],
			strerror(errno));
		return false;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &unblocked, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(cmd[0], cmd);
		fprintf(stderr, "dbclone: cannot run %s: %s; check the command\n",
			cmd[0], strerror(errno));
		_exit(127);
	}
	return true;
}

/* The intents of this run whose owner is gone (a process killed while it
 * cloned), or is the supervisor, all of whose work is over (a clone that
 * failed while its server was down). */
static const char *dead_of_run(const struct intent *in, void *ctx)
{
	if (strcmp(in->owner.run, ctx))
		return NULL;
	if (in->owner.pid == getpid())
		return "its run is over";
	return intent_owner_gone(in, NULL);
}

/* At the end of the run: what its processes left, by journal and by
 * intent. */
static void sweep_run(const char *dir, char *run)
{
	int dropped = sweep_run_dir(dir, run) +
		      intent_sweep(dead_of_run, NULL, run);

	if (dropped)
		fprintf(stderr, "dbclone: dropped %d clone(s) that processes of "
			"this run left behind (killed before their exit)\n",
			dropped);
}

int cmd_run(int argc, char **argv)
{
	char run[256], dir[PATH_MAX], sock_path[PATH_MAX + 16];
	struct run_args r;
	int status, listen_fd;

	if (!parse_run_args(argc, argv, &r))
		return 2;
	/* Dead runs' directories (and what their journals name) go first. */
	sweep_stale_runs(false, false);
	listen_fd = prepare_run(&r, run, sizeof(run), dir, sizeof(dir), sock_path,
				sizeof(sock_path));
	if (listen_fd < 0)
		return 2;
	if (!start_command(argv + r.cmd))
		return 2;
	/* The run's own work must not be intercepted. */
	unsetenv("LD_PRELOAD");
	status = supervise(listen_fd, child, r.pool, r.keep, r.per_process);
	close(listen_fd);
	unlink(sock_path);
	sweep_run(dir, run);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
