/* Unit tests of the supervisor protocol's lines (backends/wire.c). Ends with the plain "N passed, N failed" line. */
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

int main(void)
{
	fields_round_trip();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
