/* Unit tests of intent records (backends/intent.c): format, parse, and
 * what is refused. Ends with the plain "N passed, N failed" line. */
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

static void refused(void)
{
	struct intent in = {.ops = &engine_mysql}, back;
	char text[INTENT_MAX];
	const char *owner = "owner=dbclone v2 host=h pid=5 start=0 run=r "
			    "state=intent layer= created=1 source=s\n";

	/* A newline in a field would forge another field. */
	snprintf(in.name, sizeof(in.name), "dbclone_a\nname=x");
	marker_for_self(&in.owner, "s");
	CHECK(intent_format(&in, text, sizeof(text)) < 0);
	CHECK(!intent_parse(NULL, &back));
	CHECK(!intent_parse("", &back));
	CHECK(!intent_parse("dbclone intent v2\n", &back));
	/* Every field, or nothing. */
	snprintf(text, sizeof(text), "dbclone intent v1\nengine=pg\nkind=create\n"
		 "name=dbclone_a\n%s", owner);
	CHECK(!intent_parse(text, &back));
	/* Only a name dbclone could have made. */
	snprintf(text, sizeof(text), "dbclone intent v1\nengine=pg\nkind=create\n"
		 "name=production\nwhere=\n%s", owner);
	CHECK(!intent_parse(text, &back));
	snprintf(text, sizeof(text), "dbclone intent v1\nengine=sqlite\nkind=create\n"
		 "name=/srv/app.db\nwhere=file\n%s", owner);
	CHECK(!intent_parse(text, &back));
	/* Unknown engines and kinds, and a v1 owner marker (no start). */
	snprintf(text, sizeof(text), "dbclone intent v1\nengine=oracle\nkind=create\n"
		 "name=dbclone_a\nwhere=\n%s", owner);
	CHECK(!intent_parse(text, &back));
	snprintf(text, sizeof(text), "dbclone intent v1\nengine=pg\nkind=maybe\n"
		 "name=dbclone_a\nwhere=\n%s", owner);
	CHECK(!intent_parse(text, &back));
	snprintf(text, sizeof(text), "dbclone intent v1\nengine=pg\nkind=create\n"
		 "name=dbclone_a\nwhere=\nowner=dbclone v1 host=h pid=5 run=r "
		 "created=1 source=s\n");
	CHECK(!intent_parse(text, &back));
	/* Later fields are room, not errors. */
	snprintf(text, sizeof(text), "dbclone intent v1\nengine=pg\nkind=create\n"
		 "name=dbclone_a\nwhere=\nlater=1\n%s", owner);
	CHECK(intent_parse(text, &back) && !strcmp(back.owner.host, "h"));
}

int main(void)
{
	round_trip();
	refused();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
