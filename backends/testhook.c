/* Test-only hooks (testhook.h). */
#include "testhook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void test_phase(const char *phase, const char *name)
{
	const char *file = getenv("DBCLONE_TEST_PHASES");
	const char *delay = getenv(!strcmp(phase, "warm") ?
				   "DBCLONE_TEST_DELAY_WARM_MS" :
				   "DBCLONE_TEST_DELAY_AFTER_CREATE_MS");
	int saved = errno;

	if (file && *file) {
		char line[1200];
		int n = snprintf(line, sizeof(line), "%ld %s %s\n",
				 (long)getpid(), phase, name);
		int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			      0600);

		/* One write with O_APPEND: lines of many processes never mix. */
		if (fd >= 0 && n > 0 && (size_t)n < sizeof(line) &&
		    write(fd, line, (size_t)n) != n) {
			/* a test reads what it finds */
		}
		if (fd >= 0)
			close(fd);
	}
	if (delay && *delay &&
	    (!strcmp(phase, "created") || !strcmp(phase, "claimed") ||
	     !strcmp(phase, "warm"))) {
		long ms = strtol(delay, NULL, 10);
		struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

		while (ms > 0 && nanosleep(&t, &t) != 0 && errno == EINTR)
			;
	}
	errno = saved;
}
