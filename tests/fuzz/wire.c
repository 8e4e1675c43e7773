/* The run supervisor's wire lines (backends/wire.c), as a client that
 * trusts nothing sends them: split, and fields re-joined split the same. */
#include "fuzz.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_string(data, size), *f[WIRE_FIELDS], *g[WIRE_FIELDS];
	static char again[WIRE_MAX * 4];
	int n, m;

	n = wire_split(line, f);
	FUZZ_ASSERT(n >= 0 && n <= WIRE_FIELDS);
	again[0] = '\0';
	for (int i = 0; i < n; i++)
		if (!wire_append(again, sizeof(again), f[i]))
			goto out;
	if (n > 0) {
		/* wire_append leads with a tab: the line starts after it. */
		m = wire_split(again + 1, g);
		FUZZ_ASSERT(m == n);
		for (int i = 0; i < n; i++)
			FUZZ_ASSERT(!strcmp(f[i], g[i]));
	}
out:
	free(line);
	return 0;
}
