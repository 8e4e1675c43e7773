/* A growing string, for the SQL batches the backends send in one round
 * trip. Allocation failure aborts: a half-built statement is never sent. */
#ifndef DBCLONE_STRBUF_H
#define DBCLONE_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *s;
	size_t len, cap;
};

void strbuf_add(struct strbuf *b, const char *text);
void strbuf_addn(struct strbuf *b, const char *text, size_t n);
void strbuf_addf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_free(struct strbuf *b);

/* Copies a server's message onto one line: inner newlines become spaces,
 * trailing ones and spaces go. NULL gives "". */
void one_line(char *out, size_t outlen, const char *msg);

#endif
