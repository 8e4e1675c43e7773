/* dbclone next, dbclone snapshot: a boundary from outside the program,
 * and the base later epochs start from. */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dbclone.h"
#include "wire.h"
#include "signals.h"

/* Asks the run supervisor each of what (NULL-terminated: "snapshot",
 * "next"), in order; each answer comes once it is done (the snapshot
 * taken, the old epoch's clones dropped). */
static int ask_run(const char *where, const char *const *what)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char path[PATH_MAX], reply[1024], hello[64], ok[16];
	struct stat st;
	int fd;

	/* --run takes the run's directory or its socket. */
	if (stat(where, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(path, sizeof(path), "%s/socket", where);
	else
		snprintf(path, sizeof(path), "%s", where);
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "dbclone: %s is too long a socket path\n", path);
		return 2;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		fprintf(stderr, "dbclone: no run listens on %s (%s): the run is "
			"over, or give its directory with --run\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* Every client says hello first, with the protocol's version; the
	 * answer to "next" comes once the old epoch's clones are dropped. */
	snprintf(hello, sizeof(hello), "hello\t%ld\t%d", (long)getpid(),
		 WIRE_VERSION);
	snprintf(ok, sizeof(ok), "ok\t%d", WIRE_VERSION);
	reply[0] = '\0';
	bool said = wire_send(fd, hello) && wire_recv(fd, reply, sizeof(reply)) &&
		    !strcmp(reply, ok);

	for (; said && *what; what++)
		said = wire_send(fd, *what) && wire_recv(fd, reply, sizeof(reply)) &&
		       !strncmp(reply, "ok", 2);
	if (!said) {
		char *f[WIRE_FIELDS];

		/* The run's own reason, when it gave one. */
		if (!strncmp(reply, "err\t", 4) && wire_split(reply, f) >= 2)
			fprintf(stderr, "%s\n", f[1]);
		else
			fprintf(stderr, "dbclone: the run at %s did not %s; is it a "
				"dbclone run?\n", path, *what && !strcmp(*what,
				"snapshot") ? "take a snapshot" : "move on");
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

/* The run named by --run, else DBCLONE_SOCKET; NULL when there is none
 * (said, naming cmd). */
static const char *run_of(const char *run, const char *cmd)
{
	if (!run)
		run = getenv("DBCLONE_SOCKET");
	if (run && *run)
		return run;
	fprintf(stderr, "dbclone: %s finds its run through DBCLONE_SOCKET (set "
		"inside dbclone run); outside a run use dbclone %s --run DIR%s\n",
		cmd, cmd, strcmp(cmd, "next") ? "" : " or --pid PID");
	return NULL;
}

int cmd_snapshot(int argc, char **argv)
{
	static const char *const snapshot[] = {"snapshot", NULL};
	const char *run = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--run") && i + 1 < argc)
			run = argv[++i];
		else if (!strncmp(argv[i], "--run=", 6))
			run = argv[i] + 6;
		else {
			fprintf(stderr, "dbclone: snapshot does not take \"%s\"; use "
				"dbclone snapshot [--run DIR]\n", argv[i]);
			return 2;
		}
	}
	if (!(run = run_of(run, "snapshot")))
		return 2;
	return ask_run(run, snapshot);
}

int cmd_next(int argc, char **argv)
{
	static const char *const next[] = {"next", NULL};
	static const char *const snapshot_next[] = {"snapshot", "next", NULL};
	const char *pidtext = NULL, *run = NULL;
	bool snapshot = false;
	char *end;
	long pid;
	int sig;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pid") && i + 1 < argc)
			pidtext = argv[++i];
		else if (!strncmp(argv[i], "--pid=", 6))
			pidtext = argv[i] + 6;
		else if (!strcmp(argv[i], "--run") && i + 1 < argc)
			run = argv[++i];
		else if (!strncmp(argv[i], "--run=", 6))
			run = argv[i] + 6;
		else if (!strcmp(argv[i], "--snapshot"))
			snapshot = true;
		else {
			fprintf(stderr, "dbclone: next does not take \"%s\"; use "
				"dbclone next [--snapshot] [--run DIR | --pid PID]\n",
				argv[i]);
			return 2;
		}
	}
	if (snapshot && pidtext) {
		fprintf(stderr, "dbclone: next --snapshot moves a run, not a "
			"process: leave out --pid (a process's own epochs have no "
			"snapshot)\n");
		return 2;
	}
	if (!pidtext) {
		if (!(run = run_of(run, "next")))
			return 2;
		return ask_run(run, snapshot ? snapshot_next : next);
	}
	pid = strtol(pidtext, &end, 10);
	if (*end || pid <= 0) {
		fprintf(stderr, "dbclone: --pid \"%s\" is not a process id; "
			"give the pid of the program under test\n", pidtext);
		return 2;
	}
	sig = boundary_signal_from(getenv("DBCLONE_SIGNAL"));
	if (sig <= 0) {
		fprintf(stderr, "dbclone: DBCLONE_SIGNAL=\"%s\" names no signal to "
			"send; " SIGNAL_NAMES_HELP "\n", getenv("DBCLONE_SIGNAL"));
		return 2;
	}
	if (kill((pid_t)pid, sig) != 0) {
		fprintf(stderr, "dbclone: cannot signal process %ld: %s; check the "
			"pid of the program under test\n", pid, strerror(errno));
		return 1;
	}
	return 0;
}
