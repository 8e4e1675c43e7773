/* gc --older-than durations (backends/marker.c parse_duration). */
#include "fuzz.h"
#include "marker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	long s = -1;

	if (parse_duration(text, &s))
		FUZZ_ASSERT(s >= 0);
	free(text);
	return 0;
}
