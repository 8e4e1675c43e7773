/* Where claims and offers live in a run's directory (claims.h). */
#include "claims.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t digest(uint64_t h, const char *s)
{
	/* FNV-1a; the separator keeps ("ab", "c") apart from ("a", "bc"). */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ '\t') * 0x100000001b3ULL;
}

bool claims_path(const char *dir, const char *engine, const char *source,
		 const char *key, char *out, size_t outlen)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int n;

	h = digest(digest(digest(h, engine), source), key);
	n = snprintf(out, outlen, "%s/claims/%016" PRIx64, dir, h);
	return n > 0 && (size_t)n < outlen;
}

bool offers_path(const char *dir, const char *id, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/offers/%s", dir, id);

	return n > 0 && (size_t)n < outlen;
}
