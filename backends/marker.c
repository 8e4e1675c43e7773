/* Clone names, markers (v1 and v2) and durations. */
#include "marker.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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

/* The library calls these from many threads: what is read once is read
 * under pthread_once. */
static pthread_once_t self_once = PTHREAD_ONCE_INIT;
static char self_host[256];
static time_t self_started;

static void read_self(void)
{
	if (gethostname(self_host, sizeof(self_host) - 1) != 0)
		strcpy(self_host, "unknown");
	self_started = time(NULL);
}

static const char *host_name(void)
{
	pthread_once(&self_once, read_self);
	return self_host;
}

/* Field 22 of /proc/PID/stat, after the command name (which may hold
 * spaces and parentheses, hence the last ')'). 0 when unknown. */
static unsigned long long process_start(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')'))) {
		for (int field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		if (p)
			start = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return start;
}

bool clone_name(const char *source, unsigned long seq, size_t maxlen,
		char *out, size_t outlen)
{
	char tail[64];
	size_t room, n = 0;
	const char *base;

	host_name(); /* and self_started */
	/* The tag keeps names from two hosts, or from a reused pid, apart. */
	snprintf(tail, sizeof(tail), "_%08x%04x_%ld_%lu",
		 fnv1a(host_name()), (unsigned)(self_started & 0xffff),
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

static const char *const state_names[] = {"made", "intent", "kept"};

int marker_format(const struct marker *m, char *out, size_t outlen)
{
	/* v1 read "run=kept-R" as kept: a made clone of a run so named is
	 * written as v2, or it would read back as kept. */
	if (m->state == MARKER_MADE && !m->layer[0] &&
	    strncmp(m->run, "kept-", 5) != 0)
		return snprintf(out, outlen,
				"dbclone v1 host=%s pid=%ld run=%s created=%lld "
				"source=%s", m->host, (long)m->pid, m->run,
				(long long)m->created, m->source);
	return snprintf(out, outlen,
			"dbclone v2 host=%s pid=%ld start=%llu run=%s state=%s "
			"layer=%s created=%lld source=%s",
			m->host, (long)m->pid, m->start, m->run,
			state_names[m->state], m->layer, (long long)m->created,
			m->source);
}

static bool parse_number(const char *text, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	return *text && !*end && !errno && *out >= 0;
}

static bool copy_value(char *out, size_t outlen, const char *value)
{
	if (strlen(value) >= outlen)
		return false;
	strcpy(out, value);
	return true;
}

/* The fields every version has, as bits of what parse_field saw. */
enum { HAS_HOST = 1, HAS_PID = 2, HAS_RUN = 4, HAS_CREATED = 8, HAS_ALL = 15 };

/* One "key=value" of the marker's head into m. Unknown keys are room for
 * later versions. */
static bool parse_field(const char *key, const char *value, struct marker *m,
			int *seen)
{
	long long n = 0;

	if (!strcmp(key, "host"))
		return (*seen |= HAS_HOST) && copy_value(m->host, sizeof(m->host), value);
	if (!strcmp(key, "run"))
		return (*seen |= HAS_RUN) && copy_value(m->run, sizeof(m->run), value);
	if (!strcmp(key, "pid")) {
		*seen |= HAS_PID;
		m->pid = parse_number(value, &n) ? (pid_t)n : 0;
		return m->pid > 0;
	}
	if (!strcmp(key, "created")) {
		*seen |= HAS_CREATED;
		if (!parse_number(value, &n))
			return false;
		m->created = (time_t)n;
		return true;
	}
	if (m->version < 2)
		return true;
	if (!strcmp(key, "start")) {
		if (!parse_number(value, &n))
			return false;
		m->start = (unsigned long long)n;
		return true;
	}
	if (!strcmp(key, "layer"))
		return copy_value(m->layer, sizeof(m->layer), value);
	if (!strcmp(key, "state")) {
		for (size_t i = 0; i < sizeof(state_names) / sizeof(*state_names); i++)
			if (!strcmp(value, state_names[i])) {
				m->state = (enum marker_state)i;
				return true;
			}
		return false;
	}
	return true;
}

bool marker_parse(const char *text, struct marker *m)
{
	char head[MARKER_MAX], *tok, *save = NULL;
	const char *src;
	int seen = 0;

	memset(m, 0, sizeof(*m));
	if (!text || strncmp(text, "dbclone v", 9) != 0 ||
	    (text[9] != '1' && text[9] != '2') || text[10] != ' ')
		return false;
	m->version = text[9] - '0';
	/* The source comes last and may hold spaces, even " run=". */
	if (!(src = strstr(text, " source=")) || src - text < 11 ||
	    (size_t)(src - text) >= sizeof(head))
		return false;
	memcpy(head, text + 11, (size_t)(src - text - 11));
	head[src - text - 11] = '\0';
	for (tok = strtok_r(head, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return false;
		*eq = '\0';
		if (!parse_field(tok, eq + 1, m, &seen))
			return false;
	}
	if (seen != HAS_ALL)
		return false;
	snprintf(m->source, sizeof(m->source), "%s", src + 8);
	/* v1 said "kept" in the run's name. */
	if (m->version == 1 && !strncmp(m->run, "kept-", 5)) {
		m->state = MARKER_KEPT;
		memmove(m->run, m->run + 5, strlen(m->run + 5) + 1);
	}
	return true;
}

void marker_set_layer(struct marker *m, const char *name)
{
	const char *slash = strrchr(name, '/');

	snprintf(m->layer, sizeof(m->layer), "%s", slash ? slash + 1 : name);
}

void marker_for_self(struct marker *m, const char *source)
{
	const char *run = getenv("DBCLONE_RUN");

	memset(m, 0, sizeof(*m));
	snprintf(m->host, sizeof(m->host), "%s", host_name());
	m->pid = getpid();
	{
		/* The process's start time does not change: read once per
		 * process (and thread, without a lock). */
		static __thread pid_t known_pid;
		static __thread unsigned long long known_start;

		if (known_pid != m->pid) {
			known_start = process_start(m->pid);
			known_pid = m->pid;
		}
		m->start = known_start;
	}
	m->created = time(NULL);
	if (run && *run && !strchr(run, ' '))
		snprintf(m->run, sizeof(m->run), "%s", run);
	else
		snprintf(m->run, sizeof(m->run), "pid%ld", (long)getpid());
	snprintf(m->source, sizeof(m->source), "%s", source);
}

bool marker_owner_gone(const struct marker *m)
{
	if (m->state == MARKER_KEPT || strcmp(m->host, host_name()) != 0)
		return false;
	if (kill(m->pid, 0) != 0 && errno != EPERM)
		return true;
	return m->start && process_start(m->pid) &&
	       process_start(m->pid) != m->start;
}

bool parse_duration(const char *text, long *seconds)
{
	char *end;
	long v, unit;

	if (!text || !isdigit((unsigned char)*text))
		return false;
	errno = 0;
	v = strtol(text, &end, 10);
	switch (*end) {
	case '\0':
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return false;
	}
	/* Too long a time is malformed, not a wrapped-around one. */
	if ((*end && end[1]) || errno == ERANGE || v > LONG_MAX / unit)
		return false;
	*seconds = v * unit;
	return true;
}
