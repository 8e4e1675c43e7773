/* Unit tests of clone names, markers and durations (backends/marker.c).
 * Ends with the plain "N passed, N failed" line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "marker.h"

static void names_fit_and_differ(void)
{
	char a[128], b[128], longsrc[300];

	memset(longsrc, 'x', sizeof(longsrc) - 1);
	longsrc[sizeof(longsrc) - 1] = '\0';
	CHECK(clone_name(longsrc, 0, 63, a, sizeof(a)));
	CHECK(strlen(a) <= 63);
	CHECK(is_clone_name(a));
	CHECK(clone_name(longsrc, 1, 63, b, sizeof(b)));
	CHECK(strcmp(a, b) != 0);
	/* Odd characters never reach the name. */
	CHECK(clone_name("My DB\"; DROP", 7, 63, a, sizeof(a)));
	CHECK(strncmp(a, "dbclone_my_db___drop_", 21) == 0);
	/* Paths give the file's name. */
	CHECK(clone_name("/srv/data/app.db", 2, 63, a, sizeof(a)));
	CHECK(strncmp(a, "dbclone_app_db_", 15) == 0);
	/* Too small for the fixed parts: refused, not truncated. */
	CHECK(!clone_name("x", 0, 12, a, sizeof(a)));
	CHECK(!is_clone_name("app"));
}

static void markers_round_trip(void)
{
	struct marker m, back;
	char text[MARKER_MAX];

	marker_for_self(&m, "my source with spaces");
	CHECK(m.pid == getpid());
	CHECK(marker_format(&m, text, sizeof(text)) > 0);
	CHECK(marker_parse(text, &back));
	CHECK(strcmp(back.host, m.host) == 0);
	CHECK(back.pid == m.pid);
	CHECK(strcmp(back.run, m.run) == 0);
	CHECK(back.created == m.created);
	CHECK(strcmp(back.source, "my source with spaces") == 0);
	CHECK(!marker_parse(NULL, &back));
	CHECK(!marker_parse("", &back));
	CHECK(!marker_parse("made by hand", &back));
	CHECK(!marker_parse("dbclone v1 host=h pid=x run=r created=1 source=s", &back));
	CHECK(!marker_parse("dbclone v1 host=h pid=1 run=r created=1", &back));
}

static void markers_v2(void)
{
	struct marker m, back;
	char text[MARKER_MAX];

	marker_for_self(&m, "src");
	CHECK(m.start > 0);
	/* A plain made clone is written as v1, which every dbclone reads. */
	CHECK(marker_format(&m, text, sizeof(text)) > 0);
	CHECK(strncmp(text, "dbclone v1 host=", 16) == 0);
	m.state = MARKER_KEPT;
	snprintf(m.layer, sizeof(m.layer), "dbclone_src_golden");
	CHECK(marker_format(&m, text, sizeof(text)) > 0);
	CHECK(strncmp(text, "dbclone v2 host=", 16) == 0);
	CHECK(strstr(text, " state=kept ") && strstr(text, " layer=dbclone_src_golden "));
	CHECK(marker_parse(text, &back));
	CHECK(back.version == 2 && back.state == MARKER_KEPT);
	CHECK(back.start == m.start && back.pid == m.pid);
	CHECK(strcmp(back.layer, m.layer) == 0 && strcmp(back.source, "src") == 0);
	/* Intent: recorded before the clone exists. */
	CHECK(marker_parse("dbclone v2 host=h pid=7 start=9 run=r state=intent "
			   "layer= created=5 source=a b", &back));
	CHECK(back.state == MARKER_INTENT && back.start == 9 && !back.layer[0]);
	CHECK(strcmp(back.source, "a b") == 0);
	/* Fields a later version adds are skipped; a bad state is not. */
	CHECK(marker_parse("dbclone v2 host=h pid=7 run=r later=x created=5 source=s",
			   &back));
	CHECK(!marker_parse("dbclone v2 host=h pid=7 run=r state=odd created=5 source=s",
			    &back));
	CHECK(!marker_parse("dbclone v3 host=h pid=7 run=r created=5 source=s", &back));
	CHECK(!marker_parse("dbclone v2 host=h pid=7 created=5 source=s", &back));
	/* The source may say " run=": it is not read as a field. */
	CHECK(marker_parse("dbclone v1 host=h pid=7 run=r created=5 source=x run=y",
			   &back));
	CHECK(strcmp(back.run, "r") == 0 && strcmp(back.source, "x run=y") == 0);
}

/* v1 said "kept" in the run's name: still kept, never left behind. */
static void markers_v1_kept(void)
{
	struct marker back;

	CHECK(marker_parse("dbclone v1 host=h pid=1 run=kept-r1 created=5 source=s",
			   &back));
	CHECK(back.version == 1 && back.state == MARKER_KEPT);
	CHECK(strcmp(back.run, "r1") == 0);
	CHECK(!marker_owner_gone(&back));
	CHECK(marker_parse("dbclone v1 host=h pid=1 run=r1 created=5 source=s", &back));
	CHECK(back.state == MARKER_MADE);
}

/* A dead pid on this host is gone; so is a live pid that another process
 * now has (its start differs). */
static void owners(void)
{
	struct marker m;

	marker_for_self(&m, "s");
	CHECK(!marker_owner_gone(&m));
	m.start++;
	CHECK(marker_owner_gone(&m));
	m.start = 0; /* unknown: the pid alone decides */
	CHECK(!marker_owner_gone(&m));
	m.pid = 0x7ffffff0;
	CHECK(marker_owner_gone(&m));
	snprintf(m.host, sizeof(m.host), "elsewhere");
	CHECK(!marker_owner_gone(&m));
}

static void durations(void)
{
	long s;

	CHECK(parse_duration("30s", &s) && s == 30);
	CHECK(parse_duration("90", &s) && s == 90);
	CHECK(parse_duration("10m", &s) && s == 600);
	CHECK(parse_duration("2h", &s) && s == 7200);
	CHECK(parse_duration("1d", &s) && s == 86400);
	CHECK(!parse_duration("", &s));
	CHECK(!parse_duration("m", &s));
	CHECK(!parse_duration("5x", &s));
	CHECK(!parse_duration("5mm", &s));
	CHECK(!parse_duration("-5", &s));
}

int main(void)
{
	names_fit_and_differ();
	markers_round_trip();
	markers_v2();
	markers_v1_kept();
	owners();
	durations();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
