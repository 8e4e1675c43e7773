/* What the run's processes told it at their exit ("report" lines,
 * interpose/report.c), and what the run says about it at its end: the
 * loud no-op warnings, and the summary as JSON on request. The one place
 * where a run's findings are judged: `dbclone doctor -- CMD` prints the
 * same findings, program by program. */
#ifndef DBCLONE_RUN_REPORT_H
#define DBCLONE_RUN_REPORT_H

#include <limits.h>
#include <stdbool.h>

/* One process's report. Each text holds lines: counts "engine what n",
 * libs "version path", sockets "engine tcp PORT". */
struct program_report {
	long pid;
	char exe[PATH_MAX];
	char args[512];
	char counts[2048];
	char libs[2048];
	char sockets[1024];
	unsigned stale;
	struct program_report *next;
};

/* A "report" request's fields (f[0] is "report"), from process pid. */
void run_report_add(long pid, char **f, int n);

/* The reports received, newest first. */
const struct program_report *run_report_programs(void);

/* How many connects of engine ("" for all) were counted as what. */
unsigned run_report_count(const struct program_report *p, const char *engine,
			  const char *what);

/* At the end of the run (after the summary line): the warnings on
 * stderr; the summary as JSON to json_path when set (DBCLONE_SUMMARY_JSON,
 * run --summary-json). status is CMD's wait status. */
void run_report_end(int status, const char *json_path);

/* Where the run writes its JSON summary: run --summary-json, else
 * DBCLONE_SUMMARY_JSON; NULL for none ("-": standard output). */
extern const char *run_summary_json;

/* What a pass-through reason means, for people. */
const char *run_report_reason(const char *what);

#endif
