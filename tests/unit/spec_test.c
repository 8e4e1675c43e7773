/* Unit tests of the typed spec's wire form (backends/spec.c) and of
 * failure kinds (backends/failure.c). Ends with "N passed, N failed". */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "engine.h"
#include "wire.h"

/* Fields as the library sends them today (interpose/: spec_pg,
 * spec_sqlite, spec_mariadb): decoded, and encoded back byte for byte. */
static void round_trip(const char *engine, const char *sent, int n)
{
	char line[WIRE_MAX], again[WIRE_MAX] = "", *f[WIRE_FIELDS];
	struct spec sp;

	snprintf(line, sizeof(line), "%s", sent);
	CHECK(wire_split(line, f) == n);
	CHECK(spec_decode(&sp, engine_by_name(engine), f, n));
	CHECK(spec_encode(&sp, again, sizeof(again)));
	CHECK(strcmp(again + 1, sent) == 0); /* wire_append: a tab first */
}

static void specs(void)
{
	char line[WIRE_MAX] = "", *f[WIRE_FIELDS];
	struct spec sp;

	round_trip("pg", "host='/tmp' port='5432' user='app'\tappdb\tapp", 3);
	round_trip("sqlite", "/srv/app.db", 1);
	round_trip("mysql", "\t3306\t/run/my.sock\tapp\tsecret\tappdb", 6);
	snprintf(line, sizeof(line), "\t0\t\troot\t\tshop");
	CHECK(wire_split(line, f) == 6);
	CHECK(spec_decode(&sp, &engine_mysql, f, 6));
	CHECK(sp.mysql.port == 0 && !strcmp(sp.mysql.user, "root"));
	CHECK(!strcmp(sp.ops->source(&sp), "shop"));
	/* A count that is not the engine's, or a bad port: malformed. */
	CHECK(!spec_decode(&sp, &engine_mysql, f, 5));
	f[1] = "x";
	CHECK(!spec_decode(&sp, &engine_mysql, f, 6));
	CHECK(engine_by_name("pg") == &engine_pg);
	CHECK(engine_by_name("oracle") == NULL);
}

static void kinds(void)
{
	CHECK(fail_kind_sqlstate("53100") == FAIL_BUSY);
	CHECK(fail_kind_sqlstate("53300") == FAIL_BUSY);
	CHECK(fail_kind_sqlstate("42501") == FAIL_REFUSED);
	CHECK(fail_kind_sqlstate("08006") == FAIL_GONE);
	CHECK(fail_kind_sqlstate("57P01") == FAIL_GONE);
	CHECK(fail_kind_sqlstate("55006") == FAIL_INVALID);
	CHECK(fail_kind_sqlstate(NULL) == FAIL_INVALID);
	CHECK(fail_kind_mysql(1040) == FAIL_BUSY);
	CHECK(fail_kind_mysql(1021) == FAIL_BUSY);
	CHECK(fail_kind_mysql(1045) == FAIL_REFUSED);
	CHECK(fail_kind_mysql(2002) == FAIL_GONE);
	CHECK(fail_kind_mysql(1049) == FAIL_INVALID);
	CHECK(fail_kind_sqlite(SQLITE_FULL) == FAIL_BUSY);
	CHECK(fail_kind_sqlite(SQLITE_READONLY) == FAIL_REFUSED);
	CHECK(fail_kind_sqlite(SQLITE_CANTOPEN) == FAIL_GONE);
	CHECK(fail_kind_sqlite(SQLITE_NOTADB) == FAIL_INVALID);
}

int main(void)
{
	specs();
	kinds();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
