/* The run journal: append a clone made under a run, read them back. */
#include "journal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void journal_record(const char *engine, const char *clone, const char *where)
{
	const char *dir = getenv("DBCLONE_RUN_DIR");
	char path[4096], line[2048];
	int fd, n;

	if (!dir || !*dir)
		return;
	snprintf(path, sizeof(path), "%s/journal", dir);
	n = snprintf(line, sizeof(line), "%s\t%s\t%s\n", engine, clone, where);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	/* O_APPEND and one write: lines from many processes never mix. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n) {
		/* the run's final sweep by marker still finds the clone */
	}
	close(fd);
}

bool journal_read(const char *dir, journal_fn fn, void *ctx)
{
	char path[4096], line[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/journal", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *engine = line, *clone, *where, *nl;

		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (!(clone = strchr(engine, '\t')))
			continue;
		*clone++ = '\0';
		if (!(where = strchr(clone, '\t')))
			continue;
		*where++ = '\0';
		fn(engine, clone, where, ctx);
	}
	fclose(f);
	return true;
}
