/* The library's side of `dbclone run`: its one socket to the run
 * supervisor, and the requests sent on it (supervised.h). */
#include "supervised.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "boundary.h"
#include "claims.h"
#include "engine.h"
#include "config.h"
#include "keys.h"
#include "locks.h"
#include "testhook.h"
#include "log.h"
#include "wire.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int sock = -1;
/* What was read from sock past the line asked for: answers may queue up
 * (a claim's answer is read at the next boundary). */
static char inbuf[WIRE_MAX + 1];
static size_t inlen;
/* Answers to claims not read yet, oldest first: the engine and source
 * each was for (its next offer). */
#define PENDING 8
static struct {
	char engine[16];
	char source[1100];
} pending[PENDING];
static int npending;

static void offer_from(const char *engine, const char *source, char **f,
		       int n);

/* One line from sock, under the lock. */
static bool recv_line(char *line, size_t linelen)
{
	for (;;) {
		char *nl = memchr(inbuf, '\n', inlen);
		ssize_t r;

		if (nl) {
			size_t len = (size_t)(nl - inbuf);

			if (len + 1 > linelen)
				return false;
			memcpy(line, inbuf, len);
			line[len] = '\0';
			inlen -= len + 1;
			memmove(inbuf, nl + 1, inlen);
			return true;
		}
		if (inlen >= WIRE_MAX)
			return false; /* longer than the protocol allows */
		r = read(sock, inbuf + inlen, WIRE_MAX - inlen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		inlen += (size_t)r;
	}
}

static void close_socket(void)
{
	if (sock >= 0)
		close(sock);
	sock = -1;
	inlen = 0;
	npending = 0;
}

/* Reads the answers to earlier claims (they came long ago: a test ran
 * since), taking the offers they carry. Under the lock. */
static bool read_pending(void)
{
	char reply[WIRE_MAX], *f[WIRE_FIELDS];

	while (npending > 0) {
		int n;

		if (!recv_line(reply, sizeof(reply))) {
			close_socket();
			return false;
		}
		n = wire_split(reply, f);
		if (!strcmp(f[0], "ok"))
			offer_from(pending[0].engine, pending[0].source, f + 1,
				   n - 1);
		npending--;
		memmove(&pending[0], &pending[1], sizeof(pending[0]) * (size_t)npending);
	}
	return true;
}

bool supervised(void)
{
	const struct config *cfg = config_get();

	return cfg->socket && !cfg->per_process;
}

static void set_timeout(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* The hello, with the protocol's version: a supervisor of another
 * version is refused, in words that say so (one of version 1 answers a
 * bare "ok"; a later one "err" with its own words). */
static bool say_hello(const char *path, char *err, size_t errlen)
{
	char hello[64], reply[1024], *f[WIRE_FIELDS];
	int n;

	snprintf(hello, sizeof(hello), "hello\t%ld\t%d", (long)getpid(),
		 WIRE_VERSION);
	if (!wire_send(sock, hello) || !recv_line(reply, sizeof(reply))) {
		snprintf(err, errlen, "dbclone: DBCLONE_SOCKET %s does not answer "
			 "as a dbclone run; unset DBCLONE_SOCKET", path);
		return false;
	}
	n = wire_split(reply, f);
	if (!strcmp(f[0], "ok") && n >= 2 && atoi(f[1]) == WIRE_VERSION)
		return true;
	if (!strcmp(f[0], "err") && n >= 2)
		snprintf(err, errlen, "%s", f[1]);
	else if (!strcmp(f[0], "ok"))
		snprintf(err, errlen, "dbclone: the run at DBCLONE_SOCKET %s speaks "
			 "protocol %s, this library %d: the dbclone command and the "
			 "library (LD_PRELOAD) are of different versions; run it "
			 "with the library of the same build", path,
			 n >= 2 ? f[1] : "1", WIRE_VERSION);
	else
		snprintf(err, errlen, "dbclone: DBCLONE_SOCKET %s does not answer "
			 "as a dbclone run; unset DBCLONE_SOCKET", path);
	return false;
}

/* Called with the lock held. A socket of a dead run, or of another user,
 * is a clear error, never a hang. */
static bool open_socket(char *err, size_t errlen)
{
	const char *path = config_get()->socket;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;

	if (sock >= 0)
		return true;
	if (stat(path, &st) != 0 && errno == ENOENT) {
		snprintf(err, errlen, "dbclone: DBCLONE_SOCKET %s does not exist: "
			 "the run that set it is over; run the program under "
			 "dbclone run, or unset DBCLONE_SOCKET", path);
		return false;
	}
	/* Another user's run directory is closed to this user: a permission
	 * problem, not a run that is over. */
	if (stat(path, &st) != 0) {
		int e = errno;

		snprintf(err, errlen, "dbclone: cannot reach DBCLONE_SOCKET %s "
			 "(%s)%s; run the program as the run's user, or unset "
			 "DBCLONE_SOCKET", path, strerror(e),
			 e == EACCES || e == EPERM ? ": a permission problem: "
			 "another user's run, or a directory you may not enter"
			 : "");
		return false;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "dbclone: DBCLONE_SOCKET %s belongs to uid "
			 "%ld, not to you (uid %ld): another user's run; unset "
			 "DBCLONE_SOCKET", path, (long)st.st_uid, (long)geteuid());
		return false;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		snprintf(err, errlen, "dbclone: no run listens on DBCLONE_SOCKET %s "
			 "(%s): the run that set it is over; run the program under "
			 "dbclone run, or unset DBCLONE_SOCKET", path, strerror(errno));
		goto fail;
	}
	set_timeout(sock, 5);
	if (!say_hello(path, err, errlen))
		goto fail;
	/* Cloning may take a while: from now on, wait for it. */
	set_timeout(sock, 0);
	return true;
fail:
	close_socket();
	return false;
}

/* One request. True when the answer is "ok <fields...>" (split into f,
 * pointing into reply); else err says why: the run's own reason (its
 * kind, "err" or "busy", in *kind), or why the run could not be asked
 * (*kind "")). */
static bool ask(const char *line, char *reply, size_t replylen, char **f,
		const char **kind, char *err, size_t errlen)
{
	bool sent = false;
	int n;

	*kind = ""; /* no answer */
	pthread_mutex_lock(&lock);
	if (open_socket(err, errlen)) {
		sent = read_pending() && wire_send(sock, line) &&
		       recv_line(reply, replylen);
		if (!sent) {
			snprintf(err, errlen, "dbclone: the run supervisor went away "
				 "(%s); its run is over", config_get()->socket);
			close_socket();
		}
	}
	pthread_mutex_unlock(&lock);
	if (!sent)
		return false;
	n = wire_split(reply, f);
	for (int i = n; i < WIRE_FIELDS; i++)
		f[i] = NULL; /* fields the answer did not have */
	if (!strcmp(f[0], "ok"))
		return true;
	*kind = f[0];
	snprintf(err, errlen, "%s", n >= 2 ? f[1] :
		 "dbclone: the run supervisor sent a malformed reply");
	return false;
}

/* Appends spec, which is tab-led wire fields already, to line. */
static bool add_spec(char *line, size_t linelen, const char *spec)
{
	if (strlen(line) + strlen(spec) + 1 > linelen)
		return false;
	strcat(line, spec);
	return true;
}

/* The run's answers for this process's current test key, by engine and
 * source: a reconnect within the key asks nobody, since the run never
 * ends a key that is a live process's current one. It only tells the
 * run, without waiting ("used": what the setup and base rules count).
 * Emptied when the key changes, and by supervisor_forget. Not for the
 * epoch's key, which `dbclone next` moves without the process knowing. Under
 * the lock. */
#define ANSWERS 8
static char answers_key[3 * KEY_TEST_MAX + 32];
static struct answer {
	char engine[16];
	char source[1100];
	char name[512];
} answers[ANSWERS];
static int nanswers;

static struct answer *answer_for(const char *key, const char *engine,
				 const char *source)
{
	if (strcmp(key, answers_key)) {
		snprintf(answers_key, sizeof(answers_key), "%s", key);
		nanswers = 0;
		return NULL;
	}
	for (int i = 0; i < nanswers; i++)
		if (!strcmp(answers[i].engine, engine) &&
		    !strcmp(answers[i].source, source))
			return &answers[i];
	return NULL;
}

static void remember(const char *key, const char *engine, const char *source,
		     const char *name)
{
	struct answer *a;

	pthread_mutex_lock(&lock);
	if (!strcmp(key, answers_key) && nanswers < ANSWERS &&
	    strlen(source) < sizeof(a->source) && strlen(name) < sizeof(a->name)) {
		a = &answers[nanswers++];
		snprintf(a->engine, sizeof(a->engine), "%s", engine);
		snprintf(a->source, sizeof(a->source), "%s", source);
		snprintf(a->name, sizeof(a->name), "%s", name);
	}
	pthread_mutex_unlock(&lock);
}

void supervisor_forget(const char *engine, const char *source)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < nanswers; i++)
		if (!strcmp(answers[i].engine, engine) &&
		    !strcmp(answers[i].source, source))
			answers[i] = answers[--nanswers];
	pthread_mutex_unlock(&lock);
}

/* Clones the run reserved for this process's next new test key, by
 * engine and source (claims.h): claimed at that key's first connect,
 * without asking. Under the lock. */
static struct held_offer {
	char engine[16];
	char source[1100];
	char id[32];
	char name[512];
	char signals[24];
	char setup[1024]; /* the claim holds while its stamp is stamp */
	char stamp[256];
} held[ANSWERS];
static int noffers;

static struct held_offer *held_for(const char *engine, const char *source)
{
	for (int i = 0; i < noffers; i++)
		if (!strcmp(held[i].engine, engine) &&
		    !strcmp(held[i].source, source))
			return &held[i];
	return NULL;
}

static void drop_held(struct held_offer *o)
{
	*o = held[--noffers];
}

#define FITS(dst, src) (strlen(src) < sizeof(dst))

/* f: an answer's offer fields (id, clone, signals, stamp's setup, stamp),
 * n of them; none: the run reserved nothing more. */
static void offer_from(const char *engine, const char *source, char **f,
		       int n)
{
	struct held_offer *o = held_for(engine, source);

	if (n < 5 || !f[0][0])
		return;
	if (!o && noffers < ANSWERS)
		o = &held[noffers++];
	if (!o || !FITS(o->source, source) || !FITS(o->id, f[0]) ||
	    !FITS(o->name, f[1]) || !FITS(o->signals, f[2]) ||
	    !FITS(o->setup, f[3]) || !FITS(o->stamp, f[4])) {
		if (o)
			drop_held(o);
		return;
	}
	snprintf(o->engine, sizeof(o->engine), "%s", engine);
	snprintf(o->source, sizeof(o->source), "%s", source);
	snprintf(o->id, sizeof(o->id), "%s", f[0]);
	snprintf(o->name, sizeof(o->name), "%s", f[1]);
	snprintf(o->signals, sizeof(o->signals), "%s", f[2]);
	snprintf(o->setup, sizeof(o->setup), "%s", f[3]);
	snprintf(o->stamp, sizeof(o->stamp), "%s", f[4]);
}

/* Does the setup an offer was copied from hold still (a session left
 * open on it may have written it since)? */
static bool stamp_holds(const char *engine, const struct held_offer *o)
{
	const struct engine_ops *ops;
	char stamp[sizeof(o->stamp)];

	if (!o->setup[0])
		return true;
	ops = engine_by_name(engine);
	return ops && ops->stamp_local && ops->stamp(NULL, o->setup, stamp,
						     sizeof(stamp)) &&
	       !strcmp(stamp, o->stamp);
}

/* Claims the clone offered for engine and source as the clone of the new
 * test key (test, signals): true, with its name, when it is the key's
 * now. False leaves the asking to the caller: no offer, another process
 * bound the key first, or the run withdrew it. Under the lock. */
static bool claim(const char *engine, const char *source, const char *test,
		  const char *signals, char *name, size_t namelen)
{
	const char *dir = getenv("DBCLONE_RUN_DIR");
	char from[PATH_MAX], to[PATH_MAX], key[KEY_MAX], line[WIRE_MAX] = "";
	struct held_offer *o;

	if (!dir || sock < 0 || npending >= PENDING ||
	    !(o = held_for(engine, source)) || strcmp(o->signals, signals) ||
	    !stamp_holds(engine, o))
		return false;
	key_format(key, sizeof(key), test, signals, 0);
	if (!offers_path(dir, o->id, from, sizeof(from)) ||
	    !claims_path(dir, engine, source, key, to, sizeof(to)))
		return false;
	if (link(from, to) != 0) {
		if (errno == ENOENT)
			drop_held(o); /* withdrawn */
		return false;
	}
	/* Gone from the offers: never claimed twice. */
	unlink(from);
	test_phase("claimed", o->name);
	snprintf(name, namelen, "%s", o->name);
	wire_add(line, sizeof(line), "claimed");
	wire_add(line, sizeof(line), test);
	wire_add(line, sizeof(line), signals);
	wire_add(line, sizeof(line), o->id);
	snprintf(pending[npending].engine, sizeof(pending[0].engine), "%s", engine);
	snprintf(pending[npending].source, sizeof(pending[0].source), "%s", source);
	drop_held(o);
	if (!wire_send(sock, line)) {
		close_socket(); /* the run is over: asking says so */
		return false;
	}
	npending++;
	return true;
}

/* The answer known for key, told to the run as used (no reply is read);
 * false when there is none. */
static bool known(const char *key, const char *engine, const char *source,
		  const char *used, char *name, size_t namelen)
{
	struct answer *a;
	bool hit;

	pthread_mutex_lock(&lock);
	if ((hit = (a = answer_for(key, engine, source)) != NULL)) {
		snprintf(name, namelen, "%s", a->name);
		if (sock >= 0 && !wire_send(sock, used))
			close_socket();
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

bool supervisor_clone(const char *engine, const char *source, const char *spec,
		      char *name, size_t namelen, bool *busy, char *err,
		      size_t errlen)
{
	const char *test = boundary_test(), *base = getenv("DBCLONE_BASE");
	char line[WIRE_MAX] = "", reply[WIRE_MAX], count[24], *f[WIRE_FIELDS];
	char short_test[KEY_TEST_MAX] = "", short_base[KEY_TEST_MAX] = "";
	char key[sizeof(answers_key)];
	const char *kind;

	*busy = false;
	/* A test name of any length fits the line: the supervisor makes the
	 * same key of its short form (keys.h). */
	if (test)
		key_test_name(test, short_test, sizeof(short_test));
	if (base)
		key_test_name(base, short_base, sizeof(short_base));
	snprintf(count, sizeof(count), "%u", boundary_signals());
	snprintf(key, sizeof(key), "%s\t%s\t%s", short_test, count, short_base);
	wire_add(line, sizeof(line), "used");
	wire_add(line, sizeof(line), engine);
	wire_add(line, sizeof(line), short_test);
	wire_add(line, sizeof(line), count);
	wire_add(line, sizeof(line), short_base);
	if (short_test[0] && wire_add(line, sizeof(line), source) &&
	    known(key, engine, source, line, name, namelen))
		return true;
	if (short_test[0] && !short_base[0]) {
		bool claimed;

		pthread_mutex_lock(&lock);
		claimed = read_pending() && claim(engine, source, short_test,
						  count, name, namelen);
		pthread_mutex_unlock(&lock);
		if (claimed) {
			remember(key, engine, source, name);
			return true;
		}
	}
	line[0] = '\0';
	wire_add(line, sizeof(line), "clone");
	wire_add(line, sizeof(line), engine);
	wire_add(line, sizeof(line), short_test);
	wire_add(line, sizeof(line), count);
	wire_add(line, sizeof(line), short_base);
	if (!wire_add(line, sizeof(line), source) ||
	    !add_spec(line, sizeof(line), spec)) {
		snprintf(err, errlen, "dbclone: the request for %s is too long for "
			 "the run supervisor", source);
		return false;
	}
	if (!ask(line, reply, sizeof(reply), f, &kind, err, errlen)) {
		*busy = !strcmp(kind, "busy");
		return false;
	}
	snprintf(name, namelen, "%s", f[1] ? f[1] : "");
	if (short_test[0] && name[0])
		remember(key, engine, source, name);
	if (f[1] && f[2]) {
		int n = 2;

		while (n < WIRE_FIELDS && f[n])
			n++;
		pthread_mutex_lock(&lock);
		offer_from(engine, source, f + 2, n - 2);
		pthread_mutex_unlock(&lock);
	}
	return true;
}

bool supervisor_made(const char *engine, const char *name, double ms,
		     const char *spec, char *err, size_t errlen)
{
	char line[WIRE_MAX] = "", reply[WIRE_MAX], took[32], *f[WIRE_FIELDS];
	const char *kind;

	snprintf(took, sizeof(took), "%.3f", ms);
	wire_add(line, sizeof(line), "made");
	wire_add(line, sizeof(line), engine);
	wire_add(line, sizeof(line), name);
	if (!wire_add(line, sizeof(line), took) ||
	    !add_spec(line, sizeof(line), spec)) {
		snprintf(err, errlen, "dbclone: the record of clone %s is too long "
			 "for the run supervisor", name);
		return false;
	}
	if (ask(line, reply, sizeof(reply), f, &kind, err, errlen))
		return true;
	/* The run answered, and will not drop the clone (its marker, or a
	 * DBCLONE_DIR other than the run's, does not say it is this
	 * process's): it stays this process's own, dropped at its exit. */
	if (!strcmp(kind, "err"))
		log_warn("%s -- clone %s stays this process's to drop", err, name);
	return !strcmp(kind, "err");
}

void supervisor_dropped(const char *engine, const char *name)
{
	char line[WIRE_MAX] = "", reply[WIRE_MAX], err[256], *f[WIRE_FIELDS];
	const char *kind;

	wire_add(line, sizeof(line), "dropped");
	wire_add(line, sizeof(line), engine);
	/* A lost answer costs nothing: the supervisor's drop of a clone
	 * that is gone already is a no-op. */
	if (wire_add(line, sizeof(line), name))
		ask(line, reply, sizeof(reply), f, &kind, err, sizeof(err));
}

void supervisor_report(const char *line)
{
	char reply[WIRE_MAX], err[256], *f[WIRE_FIELDS];
	const char *kind;

	/* A run of an older build answers "unknown request": nothing lost. */
	if (config_get()->socket)
		ask(line, reply, sizeof(reply), f, &kind, err, sizeof(err));
}

/* The child of a fork must not speak on its parent's socket: it opens
 * its own, so that its exit is its own. */
void supervised_at_fork(enum fork_phase phase)
{
	if (phase == FORK_PREPARE) {
		pthread_mutex_lock(&lock);
	} else if (phase == FORK_PARENT) {
		pthread_mutex_unlock(&lock);
	} else {
		pthread_mutex_init(&lock, NULL);
		close_socket();
		/* The child's first request says hello on its own socket: its
		 * reconnects ask the run once, then are its own; the parent's
		 * offers stay the parent's. */
		nanswers = 0;
		noffers = 0;
	}
}
