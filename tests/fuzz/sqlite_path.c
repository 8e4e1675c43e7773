/* SQLite file names and file: URIs as programs pass them
 * (backends/engine/sqlite.c, included for its URI parser): resolved, and
 * a clone's path rewritten into a URI parses back to that path with the
 * query kept. */
#include "fuzz.h"
#include "../../backends/engine/sqlite.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = fuzz_string(data, size), out[PATH_MAX + 1200];
	char path[PATH_MAX], query[1024];
	struct sqlite_source src;

	sqlite_resolve(name, size & 1, &src);
	/* Any bytes as a clone's path, with the input's query. */
	memset(&src, 0, sizeof(src));
	src.uri = true;
	snprintf(src.path, sizeof(src.path), "%s", name);
	snprintf(src.query, sizeof(src.query), "%.*s", (int)strcspn(name, "#"),
		 name);
	sqlite_rewrite(&src, name, out, sizeof(out));
	if (strlen(name) < 300 && name[0]) {
		FUZZ_ASSERT(parse_uri(out, path, sizeof(path), query, sizeof(query)));
		FUZZ_ASSERT(!strcmp(path, name));
	}
	query_has(name, "mode", "memory");
	free(name);
	return 0;
}
