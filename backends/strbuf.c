/* A growable string for SQL batches; one_line() for server messages. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(struct strbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	b->cap = (b->len + more + 1) * 2;
	b->s = realloc(b->s, b->cap);
	if (!b->s)
		abort();
}

void strbuf_addn(struct strbuf *b, const char *text, size_t n)
{
	reserve(b, n);
	memcpy(b->s + b->len, text, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void strbuf_add(struct strbuf *b, const char *text)
{
	strbuf_addn(b, text ? text : "", text ? strlen(text) : 0);
}

void strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void strbuf_free(struct strbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void one_line(char *out, size_t outlen, const char *msg)
{
	size_t n;

	snprintf(out, outlen, "%s", msg ? msg : "");
	for (n = strlen(out); n && (out[n - 1] == '\n' || out[n - 1] == ' ');)
		out[--n] = '\0';
	for (char *c = out; *c; c++)
		if (*c == '\n')
			*c = ' ';
}
