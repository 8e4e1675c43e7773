/* DBCLONE_* values (interpose/config.c): each input line is the value of
 * one variable, in the order below; the parse, and INCLUDE/EXCLUDE
 * matched against the last line. */
#include "fuzz.h"
#include "config.h"

static const char *const vars[] = {
	"DBCLONE_DEBUGLEVEL", "DBCLONE_DISABLE", "DBCLONE_ENGINES",
	"DBCLONE_INCLUDE", "DBCLONE_EXCLUDE", "DBCLONE_PER_PROCESS",
	"DBCLONE_STALE", "DBCLONE_ON_ERROR", "DBCLONE_SIGNAL", NULL};

struct values {
	const char *v[16];
};

static const char *lookup(const char *var, void *ctx)
{
	const struct values *vals = ctx;

	for (int i = 0; vars[i]; i++)
		if (!strcmp(var, vars[i]))
			return vals->v[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *save = NULL, *tok, error[512];
	struct values vals = {{NULL}};
	struct config cfg;
	int n = 0;

	for (tok = strtok_r(text, "\n", &save); tok && n < 15;
	     tok = strtok_r(NULL, "\n", &save))
		vals.v[n++] = tok;
	config_parse(&cfg, lookup, &vals, error, sizeof(error));
	FUZZ_ASSERT(!cfg.error || !strncmp(cfg.error, "dbclone: DBCLONE_", 17));
	FUZZ_ASSERT(cfg.debuglevel >= 0 && cfg.debuglevel <= 3);
	if (n)
		config_allows(&cfg, vals.v[n - 1]);
	config_free(&cfg);
	free(text);
	return 0;
}
