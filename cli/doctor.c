/* dbclone doctor: can dbclone reach this program's connects, and can
 * this server's account clone? With "-- CMD", runs CMD under dbclone run
 * and says, program by program, what it loaded and what became of its
 * connects (run_report.h). */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dbclone.h"
#include "doctor_program.h"
#include "run_report.h"

static bool check_library(void)
{
	char lib[PATH_MAX];

	if (!cli_find_library(lib, sizeof(lib))) {
		printf("no: libdbclone.so not found next to the command or in "
		       "../lib/dbclone; reinstall, or set DBCLONE_LIBRARY\n");
		return false;
	}
	printf("ok: library %s\n", lib);
	return true;
}

static void say(const char *verdict, const char *text, void *ctx)
{
	printf("%s: %s%s\n", verdict, (const char *)ctx, text);
}

/* Lines "a b c" of text, each printed after prefix. */
static void each_line(const char *text, const char *prefix)
{
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		printf("%s%.*s\n", prefix, len, line);
		if (!end)
			break;
		line = end + 1;
	}
}

/* The connects of one program: intercepted per engine, each
 * pass-through with its reason. */
static void say_connects(const struct program_report *p)
{
	char e[16], w[32];
	unsigned n;

	for (const char *line = p->counts; *line;) {
		const char *end = strchr(line, '\n');

		if (sscanf(line, "%15s %31s %u", e, w, &n) == 3)
			printf("  %s %u connect(s): %s\n", e, n, run_report_reason(w));
		if (!end)
			break;
		line = end + 1;
	}
	if (p->sockets[0]) {
		printf("  connected to a database port without the engine's client "
		       "library (a driver that speaks the protocol itself: "
		       "node-postgres, JDBC, asyncpg, PyMySQL; never intercepted; "
		       "use a libpq or libmariadb based driver):\n");
		each_line(p->sockets, "    ");
	}
	if (p->stale)
		printf("  %u connection(s) kept open on a clone after its test key "
		       "ended (a pool carried across tests; DBCLONE_STALE=terminate "
		       "makes pools reconnect)\n", p->stale);
}

/* Programs oldest first: the list is newest first. */
static void say_programs(const struct program_report *p, int *quiet)
{
	if (!p)
		return;
	say_programs(p->next, quiet);
	if (!p->libs[0] && !p->counts[0] && !p->sockets[0]) {
		(*quiet)++;
		return;
	}
	printf("%s (pid %ld): %s\n", p->exe, p->pid, p->args);
	if (p->libs[0])
		each_line(p->libs, "  loaded client library ");
	else
		printf("  loaded no client library\n");
	say_connects(p);
}

static int doctor_run(int argc, char **argv)
{
	char **run = calloc((size_t)argc + 3, sizeof(*run));
	int status, quiet = 0;

	if (!run || argc < 1) {
		fprintf(stderr, "dbclone: doctor -- needs a command; use dbclone "
			"doctor -- CMD [ARGS...]\n");
		free(run);
		return 2;
	}
	run[0] = "run";
	run[1] = "--";
	memcpy(run + 2, argv, (size_t)argc * sizeof(*run));
	/* Every process of the run reports at its exit, even one that
	 * connected nowhere: the doctor lists what ran. */
	setenv("DBCLONE_DOCTOR", "1", 1);
	status = cmd_run(argc + 2, run);
	free(run);
	fflush(stderr);
	printf("\ndbclone doctor: what ran under dbclone run (exit status %d):\n",
	       status);
	say_programs(run_report_programs(), &quiet);
	if (quiet)
		printf("%d other process(es) loaded no client library and connected "
		       "nowhere (shells, tools)\n", quiet);
	if (!run_report_programs())
		printf("no process reported: %s\n", "a statically linked program "
		       "never loads the library");
	if (doctor_program(argv[0], true) == REACH_NONE)
		printf("(%s itself cannot be intercepted)\n", argv[0]);
	return status;
}

static int usage(void)
{
	fprintf(stderr, "dbclone: doctor takes PROGRAM..., --pg CONNINFO, "
		"--mysql \"user=... db=...\" or -- CMD [ARGS...]; see dbclone "
		"--help\n");
	return 2;
}

int cmd_doctor(int argc, char **argv)
{
	bool ok;

	if (argc > 1 && !strcmp(argv[1], "--"))
		return doctor_run(argc - 2, argv + 2);
	ok = check_library();
	printf("ok: libpq %d.%d, libsqlite3 %s, libmariadb %s (the command's "
	       "own)\n", PQlibVersion() / 10000, PQlibVersion() % 10000,
	       sqlite3_libversion(), mysql_get_client_info());
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pg") || !strcmp(argv[i], "--mysql")) {
			if (i + 1 >= argc)
				return usage();
			ok &= argv[i][2] == 'p' ?
			      pg_check(&cli_pg_api, argv[i + 1], say, "") :
			      mysql_check(&cli_mysql_api, argv[i + 1], say, "");
			i++;
		} else if (argv[i][0] == '-') {
			return usage();
		} else {
			ok &= doctor_program(argv[i], false) != REACH_NONE;
		}
	}
	return ok ? 0 : 1;
}
