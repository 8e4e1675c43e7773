/* Unit tests of the supervisor protocol's lines and test keys
 * (backends/wire.c). Ends with the plain "N passed, N failed" line. */
#include <string.h>

#include "check.h"
#include "wire.h"

static void fields_round_trip(void)
{
	char line[WIRE_MAX] = "", *f[WIRE_FIELDS];

	CHECK(wire_add(line, sizeof(line), "clone"));
	CHECK(wire_add(line, sizeof(line), "a\tb%c\nd"));
	CHECK(wire_append(line, sizeof(line), ""));
	CHECK(strchr(line, '\n') == NULL);
	CHECK(wire_split(line, f) == 3);
	CHECK(strcmp(f[0], "clone") == 0);
	CHECK(strcmp(f[1], "a\tb%c\nd") == 0);
	CHECK(strcmp(f[2], "") == 0);
}

static void long_test_names_stay_apart(void)
{
	char a[2000], b[2000], ka[100], kb[100];

	/* Short names are kept as they are. */
	wire_test_key("test_login", ka, sizeof(ka));
	CHECK(strcmp(ka, "test_login") == 0);
	/* Long ones that share their head differ by a digest. */
	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 2] = 'y';
	wire_test_key(a, ka, sizeof(ka));
	wire_test_key(b, kb, sizeof(kb));
	CHECK(strlen(ka) == sizeof(ka) - 1);
	CHECK(strlen(kb) == sizeof(kb) - 1);
	CHECK(strcmp(ka, kb) != 0);
	CHECK(strncmp(ka, kb, sizeof(ka) - 18) == 0);
	/* And the same name gives the same key. */
	wire_test_key(b, ka, sizeof(ka));
	CHECK(strcmp(ka, kb) == 0);
}

int main(void)
{
	fields_round_trip();
	long_test_names_stay_apart();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
