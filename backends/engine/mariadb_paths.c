/* MySQL/MariaDB: which way a clone is made (mariadb_paths.h). */
#include "mariadb_paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mariadb_files.h"
#include "mariadb_parallel.h"

/* A line for DBCLONE_LOG (or standard error) at DBCLONE_DEBUGLEVEL, in
 * the library's format (interpose/log.c): the backends are shared with
 * the command, which has no logger of its own, so they read the two
 * variables themselves. Level 1 is a warning, 2 a note. */
void mysql_say_path(int level, const char *fmt, ...)
{
	extern char *program_invocation_short_name;
	const char *lv = getenv("DBCLONE_DEBUGLEVEL"), *to = getenv("DBCLONE_LOG");
	int want = lv && lv[0] >= '0' && lv[0] <= '3' && !lv[1] ? lv[0] - '0' : 1;
	int saved = errno, fd = STDERR_FILENO;
	char line[1400], text[1200];
	va_list ap;
	int n;

	if (level > want)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "dbclone[%s:%ld] %s: %s\n",
		     program_invocation_short_name ? program_invocation_short_name
						   : "?",
		     (long)getpid(), level <= 1 ? "warning" : "info",
		     strncmp(text, "dbclone: ", 9) ? text : text + 9);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (to && *to)
		fd = open(to, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	/* One write per line: lines of several processes never mix. */
	if (fd >= 0 && write(fd, line, (size_t)n) < 0) {
		/* nowhere left to say it */
	}
	if (fd >= 0 && fd != STDERR_FILENO)
		close(fd);
	errno = saved;
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 +
	       (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* The file path; false with f filled when it failed, or with kind
 * FAIL_NONE and why_not when it was not taken. */
static bool by_files(struct files_way *fw, struct parallel_way *par,
		     MYSQL *admin, const struct marker *m,
		     const struct timespec *start, char *why_not,
		     size_t whylen, struct failure *f)
{
	f->kind = FAIL_NONE;
	if (!mysql_files_usable(fw, admin, why_not, whylen))
		return false;
	if (!mysql_copy_by(fw->api, admin, fw->frozen, fw->clone, m,
			   mysql_rows_by_files, fw, f)) {
		snprintf(why_not, whylen, "the file path failed");
		return false;
	}
	mysql_say_path(2, "clone \"%s\" of \"%s\" made by files: %u InnoDB tables "
		 "imported, %u copied over %u connections, %.0f ms", fw->clone,
		 fw->frozen, fw->imported, par->copied, par->used,
		 ms_since(start));
	return true;
}

bool mysql_clone_by_path(const struct mysql_api *api, MYSQL *admin,
			 const struct mysql_target *target,
			 const char *admin_conf, const char *source,
			 const char *frozen, bool live, const char *clone,
			 const struct marker *m, struct failure *f)
{
	struct parallel_way par = {api, target, admin_conf, frozen, clone, 0, 0};
	struct files_way fw = {.api = api, .frozen = frozen, .clone = clone,
			       .rest = mysql_rows_in_parallel, .rest_ctx = &par};
	struct timespec start;
	char why_not[600];

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (!frozen) {
		if (!mysql_copy(api, admin, source, clone, m, f))
			return false;
		mysql_say_path(2, "clone \"%s\" of source \"%s\" copied in the server on "
			 "one connection, %.0f ms", clone, source, ms_since(&start));
		return true;
	}
	if (live) {
		if (!mysql_copy_live(api, admin, frozen, clone, m, f))
			return false;
		mysql_say_path(2, "clone \"%s\" of live \"%s\" copied in the server on "
			 "one connection under one lock, %.0f ms", clone, frozen,
			 ms_since(&start));
		return true;
	}
	if (by_files(&fw, &par, admin, m, &start, why_not, sizeof(why_not), f))
		return true;
	if (f->kind == FAIL_GONE)
		return false;
	/* Once: the file path is not tried again for this frozen copy. */
	if (f->kind != FAIL_NONE && !fw.failed_before)
		mysql_say_path(1, "%s; clone \"%s\" of \"%s\" is copied over connections "
			 "instead, and later clones of it too", f->why, clone,
			 frozen);
	if (!mysql_copy_by(api, admin, frozen, clone, m, mysql_rows_in_parallel,
			   &par, f))
		return false;
	mysql_say_path(2, "clone \"%s\" of \"%s\" copied over %u connections (%u tables; "
		 "not by files: %s), %.0f ms", clone, frozen, par.used, par.copied,
		 why_not, ms_since(&start));
	return true;
}
