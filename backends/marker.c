#include "marker.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* FNV-1a: a short, stable digest of the host name for clone names. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static const char *host_name(void)
{
	static char name[256];

	if (!name[0] && gethostname(name, sizeof(name) - 1) != 0)
		strcpy(name, "unknown");
	return name;
}

bool clone_name(const char *source, unsigned long seq, size_t maxlen,
		char *out, size_t outlen)
{
	static time_t started;
	char tail[64];
	size_t room, n = 0;
	const char *base;

	if (!started)
		started = time(NULL);
	/* The tag keeps names from two hosts, or from a reused pid, apart. */
	snprintf(tail, sizeof(tail), "_%08x%04x_%ld_%lu",
		 fnv1a(host_name()), (unsigned)(started & 0xffff),
		 (long)getpid(), seq);
	if (maxlen >= outlen)
		maxlen = outlen - 1;
	if (strlen(CLONE_PREFIX) + strlen(tail) > maxlen)
		return false;
	room = maxlen - strlen(CLONE_PREFIX) - strlen(tail);
	if (room > 20)
		room = 20;

	/* SQLite sources are paths: name the clone after the file. */
	base = strrchr(source, '/');
	base = base ? base + 1 : source;
	strcpy(out, CLONE_PREFIX);
	for (const char *p = base; *p && n < room; p++) {
		unsigned char c = (unsigned char)*p;

		out[strlen(CLONE_PREFIX) + n++] =
			isalnum(c) ? (char)tolower(c) : '_';
	}
	out[strlen(CLONE_PREFIX) + n] = '\0';
	strcat(out, tail);
	return true;
}

bool is_clone_name(const char *name)
{
	return strncmp(name, CLONE_PREFIX, strlen(CLONE_PREFIX)) == 0;
}

int marker_format(const struct marker *m, char *out, size_t outlen)
{
	return snprintf(out, outlen,
			"dbclone v1 host=%s pid=%ld run=%s created=%lld source=%s",
			m->host, (long)m->pid, m->run, (long long)m->created,
			m->source);
}

/* Copies the value of "key=" up to the next space. */
static bool field(const char *text, const char *key, char *out, size_t outlen)
{
	const char *p = strstr(text, key);
	size_t n;

	if (!p)
		return false;
	p += strlen(key);
	n = strcspn(p, " ");
	if (n >= outlen)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

bool marker_parse(const char *text, struct marker *m)
{
	char num[32];
	const char *src;
	char *end;

	memset(m, 0, sizeof(*m));
	if (!text || strncmp(text, "dbclone v1 ", 11) != 0)
		return false;
	if (!field(text, " host=", m->host, sizeof(m->host)) ||
	    !field(text, " run=", m->run, sizeof(m->run)))
		return false;
	if (!field(text, " pid=", num, sizeof(num)))
		return false;
	m->pid = (pid_t)strtol(num, &end, 10);
	if (*end || m->pid <= 0)
		return false;
	if (!field(text, " created=", num, sizeof(num)))
		return false;
	m->created = (time_t)strtoll(num, &end, 10);
	if (*end)
		return false;
	/* The source comes last and may hold spaces. */
	src = strstr(text, " source=");
	if (!src)
		return false;
	snprintf(m->source, sizeof(m->source), "%s", src + 8);
	return true;
}

void marker_for_self(struct marker *m, const char *source)
{
	const char *run = getenv("DBCLONE_RUN");

	memset(m, 0, sizeof(*m));
	snprintf(m->host, sizeof(m->host), "%s", host_name());
	m->pid = getpid();
	m->created = time(NULL);
	if (run && *run && !strchr(run, ' '))
		snprintf(m->run, sizeof(m->run), "%s", run);
	else
		snprintf(m->run, sizeof(m->run), "pid%ld", (long)getpid());
	snprintf(m->source, sizeof(m->source), "%s", source);
}

bool marker_owner_gone(const struct marker *m)
{
	return strncmp(m->run, "kept-", 5) != 0 && !strcmp(m->host, host_name()) &&
	       kill(m->pid, 0) != 0 && errno != EPERM;
}

bool parse_duration(const char *text, long *seconds)
{
	char *end;
	long v;

	if (!text || !isdigit((unsigned char)*text))
		return false;
	v = strtol(text, &end, 10);
	switch (*end) {
	case '\0':
	case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	default: return false;
	}
	if (*end && end[1])
		return false;
	*seconds = v;
	return true;
}
