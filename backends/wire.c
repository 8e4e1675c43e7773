/* The supervisor protocol's lines: fields, escapes, send and receive. */
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static bool add_field(char *line, size_t linelen, const char *field, bool tab)
{
	size_t n = strlen(line);

	if (tab && n + 1 < linelen)
		line[n++] = '\t';
	for (const char *p = field ? field : ""; *p; p++) {
		if (n + 4 >= linelen)
			return false;
		if (*p == '%' || *p == '\t' || *p == '\n')
			n += (size_t)snprintf(line + n, linelen - n, "%%%02X",
					      (unsigned char)*p);
		else
			line[n++] = *p;
	}
	line[n] = '\0';
	return true;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

bool wire_add(char *line, size_t linelen, const char *field)
{
	return add_field(line, linelen, field, line[0] != '\0');
}

bool wire_append(char *line, size_t linelen, const char *field)
{
	return add_field(line, linelen, field, true);
}

int wire_split(char *line, char **fields)
{
	char *p = line;
	int n = 0;

	while (n < WIRE_FIELDS) {
		char *end = strchr(p, '\t'), *w = p;

		if (end)
			*end = '\0';
		fields[n++] = p;
		/* Unescaping only shortens: w never passes r. */
		for (char *r = p; *r; r++) {
			if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
				*w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
				r += 2;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		if (!end)
			break;
		p = end + 1;
	}
	return n;
}

bool wire_send(int fd, const char *line)
{
	char buf[WIRE_MAX + 2];
	size_t n = strlen(line), done = 0;

	if (n > WIRE_MAX)
		return false;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	while (done < n) {
		/* A peer gone before the answer is a failed send, not a
		 * SIGPIPE that kills the sender. */
		ssize_t w = send(fd, buf + done, n - done, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		done += (size_t)w;
	}
	return true;
}

/* In chunks: each side sends one line and waits for the answer, so a read
 * never takes in part of a next line. */
bool wire_recv(int fd, char *line, size_t linelen)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, line + n, linelen - 1 - n);
		char *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n += (size_t)r;
		line[n] = '\0';
		if ((nl = memchr(line, '\n', n))) {
			*nl = '\0';
			return true;
		}
		if (n + 1 >= linelen)
			return false; /* longer than the protocol allows */
	}
}

static double monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Takes the first line out of r into line, if r holds a whole one. */
static bool take_line(struct wire_reader *r, char *line)
{
	char *nl = memchr(r->buf, '\n', r->len);
	size_t n;

	if (!nl)
		return false;
	n = (size_t)(nl - r->buf);
	memcpy(line, r->buf, n);
	line[n] = '\0';
	r->len -= n + 1;
	memmove(r->buf, nl + 1, r->len);
	r->begun = monotonic_ms(); /* what follows began no later than now */
	return true;
}

enum wire_read wire_read_line(int fd, struct wire_reader *r, char *line,
			      int idle_ms, int stall_ms)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int wait = idle_ms;
		ssize_t got;

		if (take_line(r, line))
			return WIRE_LINE;
		if (r->len >= WIRE_MAX)
			return WIRE_TOO_LONG;
		if (r->len) {
			double left = r->begun + stall_ms - monotonic_ms();

			wait = left > 0 ? (int)left + 1 : 0;
		}
		got = poll(&pfd, 1, wait);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return WIRE_CLOSED;
		if (got == 0)
			return WIRE_STALLED;
		got = read(fd, r->buf + r->len, WIRE_MAX - r->len);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return WIRE_CLOSED;
		if (!r->len)
			r->begun = monotonic_ms();
		r->len += (size_t)got;
	}
}
