/* dbclone next --pid PID: a boundary from outside the program. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbclone.h"
#include "signals.h"

int cmd_next(int argc, char **argv)
{
	const char *pidtext = NULL;
	char *end;
	long pid;
	int sig;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pid") && i + 1 < argc)
			pidtext = argv[++i];
		else if (!strncmp(argv[i], "--pid=", 6))
			pidtext = argv[i] + 6;
		else {
			fprintf(stderr, "dbclone: next does not take \"%s\"; "
				"use dbclone next --pid PID\n", argv[i]);
			return 2;
		}
	}
	if (!pidtext) {
		fprintf(stderr, "dbclone: next needs the program's process id; "
			"use dbclone next --pid PID\n");
		return 2;
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
