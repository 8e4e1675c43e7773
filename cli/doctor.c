/* dbclone doctor [PROGRAM]: can dbclone reach this program's connects? */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbclone.h"

/* Client libraries a program must load dynamically to be intercepted. */
static const char *const clients[] = {"libpq.so", "libsqlite3.so",
				      "libmysqlclient.so", "libmariadb.so", NULL};

static int check_program(const char *program)
{
	char cmd[PATH_MAX + 64], line[1024];
	bool found = false, dynamic = false;
	FILE *p;

	if (strchr(program, '\'')) {
		fprintf(stderr, "dbclone: cannot check a path with a quote in it\n");
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "ldd '%s' 2>&1", program);
	if (!(p = popen(cmd, "r")))
		return 2;
	while (fgets(line, sizeof(line), p)) {
		if (strstr(line, "=>") || strstr(line, "ld-linux"))
			dynamic = true;
		for (int i = 0; clients[i]; i++) {
			if (strstr(line, clients[i])) {
				printf("ok: %s loads %s", program, line);
				found = true;
			}
		}
	}
	pclose(p);
	if (!dynamic) {
		printf("no: %s is not dynamically linked (or not found): dbclone "
		       "cannot intercept it\n", program);
		return 1;
	}
	if (!found)
		printf("maybe: %s links no client library itself; it is "
		       "intercepted only if it loads one at run time (Python, "
		       "Perl, PHP drivers do); pure-language drivers (JDBC, Go, "
		       "node-postgres) are not\n", program);
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	char lib[PATH_MAX];
	int rc = 0;

	if (cli_find_library(lib, sizeof(lib))) {
		printf("ok: library %s\n", lib);
	} else {
		printf("no: libdbclone.so not found next to the command; set "
		       "DBCLONE_LIBRARY\n");
		rc = 1;
	}
	printf("ok: libpq %d\n", PQlibVersion());
	for (int i = 1; i < argc; i++)
		rc |= check_program(argv[i]);
	return rc;
}
