/* The test key and its boundaries: DBCLONE_TEST and the boundary signal. */
#include "boundary.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "keys.h"
#include "log.h"

static atomic_uint signals_seen;
static atomic_bool replaced_warned;

static void on_boundary_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals_seen, 1);
}

static pthread_once_t installed = PTHREAD_ONCE_INIT;

static void install_once(void)
{
	const struct config *cfg = config_get();
	struct sigaction sa = {0}, old;

	if (cfg->disable || !cfg->boundary_signal)
		return;
	if (sigaction(cfg->boundary_signal, NULL, &old) == 0 &&
	    old.sa_handler != SIG_DFL)
		return; /* the program (or its parent's SIG_IGN) owns it */
	sa.sa_handler = on_boundary_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(cfg->boundary_signal, &sa, NULL);
}

/* From the library's constructor, or from the first connect when another
 * library's constructor connects before ours has run. */
void boundary_install(void)
{
	pthread_once(&installed, install_once);
}

/* A program that installs its own handler takes the signal from us: say
 * so once, since boundaries then only come from DBCLONE_TEST. */
static void check_handler(int sig)
{
	struct sigaction cur;

	if (!sig || atomic_load(&replaced_warned) ||
	    sigaction(sig, NULL, &cur) != 0 || cur.sa_handler == on_boundary_signal)
		return;
	if (!atomic_exchange(&replaced_warned, true))
		log_warn("the program replaced the handler of boundary signal %d; "
			 "signal boundaries are off in this process (set "
			 "DBCLONE_SIGNAL to a signal it leaves alone)", sig);
}

/* In the run supervisor's format (keys.h): a process that clones for
 * itself is a run of one user, itself, and has no `dbclone next`, so its
 * epoch stays 0 and the boundary signal moves its key through the count. */
void boundary_key(char *key, size_t keylen)
{
	char count[24];

	boundary_install();
	check_handler(config_get()->boundary_signal);
	snprintf(count, sizeof(count), "%u", atomic_load(&signals_seen));
	key_format(key, keylen, getenv("DBCLONE_TEST"), count, 0);
}

void boundary_base_key(char *key, size_t keylen)
{
	const char *base = getenv("DBCLONE_BASE");
	char count[24];

	key[0] = '\0';
	if (!base || !base[0])
		return;
	snprintf(count, sizeof(count), "%u", atomic_load(&signals_seen));
	key_format(key, keylen, base, count, 0);
}

unsigned boundary_signals(void)
{
	return atomic_load(&signals_seen);
}
