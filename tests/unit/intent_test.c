/* Unit tests of intent records (backends/intent.c): format, parse, and
 * what is refused. Ends with the plain "N passed, N failed" line. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "intent.h"

static void round_trip(void)
{
	struct intent in = {.ops = &engine_pg, .kind = INTENT_CREATE}, back;
	char text[INTENT_MAX];

	snprintf(in.name, sizeof(in.name), "dbclone_app_0123abcd_42_7");
	snprintf(in.where, sizeof(in.where), "host='/tmp' port='5432'");
	marker_for_self(&in.owner, "app db");
	CHECK(intent_format(&in, text, sizeof(text)) > 0);
	CHECK(strstr(text, "state=intent") != NULL);
	CHECK(intent_parse(text, &back));
	CHECK(back.ops == &engine_pg && back.kind == INTENT_CREATE);
	CHECK(!strcmp(back.name, in.name) && !strcmp(back.where, in.where));
	CHECK(back.owner.pid == getpid() && back.owner.state == MARKER_INTENT);
	CHECK(!strcmp(back.owner.source, "app db"));
	in.kind = INTENT_DROP;
	in.ops = &engine_sqlite;
	snprintf(in.name, sizeof(in.name), "/tmp/d/dbclone_x_1_2_3.sqlite");
	CHECK(intent_format(&in, text, sizeof(text)) > 0);
	CHECK(intent_parse(text, &back) && back.kind == INTENT_DROP &&
	      back.ops == &engine_sqlite);
}

/* A record with these fields (NULL: left out), as intent_parse reads it. */
static bool parses(const char *engine, const char *kind, const char *name,
		   const char *where, const char *owner, const char *extra)
{
	char text[INTENT_MAX];
	struct intent back;
	int n = snprintf(text, sizeof(text), "dbclone intent v1\n");

#define FIELD(key, v)                                                        \
	if (v)                                                               \
		n += snprintf(text + n, sizeof(text) - n, key "=%s\n", v)
	FIELD("engine", engine);
	FIELD("kind", kind);
	FIELD("name", name);
	FIELD("where", where);
	FIELD("owner", owner);
#undef FIELD
	if (extra)
		snprintf(text + n, sizeof(text) - n, "%s\n", extra);
	return intent_parse(text, &back);
}

static void refused(void)
{
	struct intent in = {.ops = &engine_mysql}, back;
	char text[INTENT_MAX];
	const char *owner = "dbclone v2 host=h pid=5 start=0 run=r state=intent "
			    "layer= created=1 source=s";

	/* A newline in a field would forge another field. */
	snprintf(in.name, sizeof(in.name), "dbclone_a\nname=x");
	marker_for_self(&in.owner, "s");
	CHECK(intent_format(&in, text, sizeof(text)) < 0);
	CHECK(!intent_parse(NULL, &back));
	CHECK(!intent_parse("", &back));
	CHECK(!intent_parse("dbclone intent v2\n", &back));
	CHECK(parses("pg", "create", "dbclone_a", "", owner, NULL));
	/* Every field, or nothing. */
	CHECK(!parses("pg", "create", "dbclone_a", NULL, owner, NULL));
	CHECK(!parses("pg", "create", "dbclone_a", "", NULL, NULL));
	/* Only a name dbclone could have made. */
	CHECK(!parses("pg", "create", "production", "", owner, NULL));
	CHECK(!parses("sqlite", "create", "/srv/app.db", "file", owner, NULL));
	CHECK(parses("sqlite", "drop", "/d/dbclone_a_1.sqlite", "file", owner, NULL));
	/* Unknown engines and kinds, and a v1 owner marker (no start). */
	CHECK(!parses("oracle", "create", "dbclone_a", "", owner, NULL));
	CHECK(!parses("pg", "maybe", "dbclone_a", "", owner, NULL));
	CHECK(!parses("pg", "create", "dbclone_a", "",
		      "dbclone v1 host=h pid=5 run=r created=1 source=s", NULL));
	/* Later fields are room, not errors; a line without '=' is not. */
	CHECK(parses("pg", "create", "dbclone_a", "", owner, "later=1"));
	CHECK(!parses("pg", "create", "dbclone_a", "", owner, "garbage"));
}

int main(void)
{
	round_trip();
	refused();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
