/* The SQL text dbclone writes itself for MariaDB (backends/engine/mariadb.c,
 * included for its static helpers): backtick quoting of any name, the
 * DEFINER strip, and the rewrite of a source's name in a stored body. */
#include "fuzz.h"
#include "../../backends/engine/mariadb.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *stmt;
	struct strbuf q = {0}, r = {0};
	size_t half = size / 2;

	add_ident(&q, text);
	/* A quoted name is one token: it starts and ends with a backtick,
	 * and every backtick inside is doubled. */
	FUZZ_ASSERT(q.len >= 2 && q.s[0] == '`' && q.s[q.len - 1] == '`');
	for (size_t i = 1; i + 1 < q.len; i++) {
		if (q.s[i] == '`') {
			FUZZ_ASSERT(q.s[i + 1] == '`' && i + 2 < q.len);
			i++;
		}
	}
	stmt = strdup(text);
	strip_definer(stmt);
	FUZZ_ASSERT(strlen(stmt) <= size);
	free(stmt);
	text[half] = '\0';
	if (half && !memchr(data, 0, half))
		add_rewritten(&r, text + half + 1 <= text + size ? text + half + 1 : "",
			      text, "dbclone_x");
	free(q.s);
	free(r.s);
	free(text);
	return 0;
}
