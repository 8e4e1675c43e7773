/* The SQL text dbclone writes itself for PostgreSQL (backends/engine/pg.c,
 * included for its static helpers): a database setting's value, split
 * into one literal per list element. libpq's own quoting is not ours to
 * fuzz: the literal quoting here is a stand-in that counts elements. */
#include "fuzz.h"
#include "../../backends/engine/pg.c"

static char *literal(PGconn *conn, const char *text, size_t len)
{
	char *s = malloc(len * 2 + 3);
	size_t n = 0;

	(void)conn;
	if (!s)
		abort();
	s[n++] = '\'';
	for (size_t i = 0; i < len; i++) {
		FUZZ_ASSERT(text[i] != '\0');
		if (text[i] == '\'')
			s[n++] = '\'';
		s[n++] = text[i];
	}
	s[n++] = '\'';
	s[n] = '\0';
	return s;
}

static void freemem(void *p)
{
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = fuzz_string(data, size);
	struct pg_api api = {.escapeLiteral = literal, .freemem = freemem};
	struct strbuf b = {0};

	add_setting_value(&api, NULL, &b, size & 1 ? "search_path" : "work_mem",
			  value);
	FUZZ_ASSERT(b.len == 0 || b.s[b.len - 1] == '\'');
	free(b.s);
	free(value);
	return 0;
}
