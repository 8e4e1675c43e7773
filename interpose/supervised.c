/* The library's side of `dbclone run`: its one socket to the run
 * supervisor, and the requests sent on it (supervised.h). */
#include "supervised.h"

#include <errno.h>
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
#include "config.h"
#include "keys.h"
#include "locks.h"
#include "log.h"
#include "wire.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int sock = -1;

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
	if (!wire_send(sock, hello) || !wire_recv(sock, reply, sizeof(reply))) {
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
	if (sock >= 0)
		close(sock);
	sock = -1;
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
		sent = wire_send(sock, line) && wire_recv(sock, reply, replylen);
		if (!sent) {
			snprintf(err, errlen, "dbclone: the run supervisor went away "
				 "(%s); its run is over", config_get()->socket);
			close(sock);
			sock = -1;
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
		if (sock >= 0 && !wire_send(sock, used)) {
			close(sock);
			sock = -1;
		}
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

bool supervisor_clone(const char *engine, const char *source, const char *spec,
		      char *name, size_t namelen, bool *busy, char *err,
		      size_t errlen)
{
	const char *test = getenv("DBCLONE_TEST"), *base = getenv("DBCLONE_BASE");
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
		if (sock >= 0)
			close(sock);
		sock = -1;
		/* The child's first request says hello on its own socket: its
		 * reconnects ask the run once, then are its own. */
		nanswers = 0;
	}
}
