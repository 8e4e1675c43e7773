/* Markers read back from the database comments and marker files anyone
 * may write (backends/marker.c): parsed, and what parses formats and
 * parses again to the same marker; clone names made of any source. */
#include "fuzz.h"
#include "marker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), out[MARKER_MAX], name[128];
	struct marker m, again;

	if (marker_parse(text, &m)) {
		int n = marker_format(&m, out, sizeof(out));

		if (n > 0 && (size_t)n < sizeof(out)) {
			FUZZ_ASSERT(marker_parse(out, &again));
			FUZZ_ASSERT(!strcmp(m.source, again.source) &&
				    !strcmp(m.run, again.run) &&
				    !strcmp(m.host, again.host) &&
				    m.pid == again.pid && m.state == again.state);
		}
	}
	for (size_t max = 20; max <= 100; max += 40)
		if (clone_name(text, size, max, name, sizeof(name)))
			FUZZ_ASSERT(strlen(name) <= max && is_clone_name(name));
	free(text);
	return 0;
}
