/* The library's constructor and its one fork handler, which takes every
 * library lock in the documented order (locks.h) around fork(). */
#include <pthread.h>

#include "boundary.h"
#include "locks.h"
#include "report.h"

/* The order is that of the nesting: the registry's lock is held while the
 * connection table is updated, and never taken under another; the table's,
 * the servers', an admin connection's (held while its server answers) and
 * the run socket's (held while the supervisor answers) and the SQLite VFS
 * shim's and the report's (report.c) have nothing taken under them. Taking the admin and socket locks makes a fork wait for a
 * clone, drop or request in flight in another thread (the dropper is
 * waited for first): the child never inherits a client library caught in
 * the middle of a call on a connection it cannot use. A clone another
 * thread was still making is forgotten in the child, which makes its own. */
static void (*const in_order[])(enum fork_phase) = {
	registry_at_fork,
	conns_at_fork,
	servers_at_fork,
	supervised_at_fork,
	sqlite_vfs_at_fork,
	report_at_fork,
};
#define N_MODULES (sizeof(in_order) / sizeof(in_order[0]))

void fork_one_lock(pthread_mutex_t *lock, enum fork_phase phase)
{
	if (phase == FORK_PREPARE)
		pthread_mutex_lock(lock);
	else if (phase == FORK_PARENT)
		pthread_mutex_unlock(lock);
	else
		pthread_mutex_init(lock, NULL);
}

static void prepare(void)
{
	for (size_t i = 0; i < N_MODULES; i++)
		in_order[i](FORK_PREPARE);
}

static void parent(void)
{
	for (size_t i = N_MODULES; i-- > 0;)
		in_order[i](FORK_PARENT);
}

static void child(void)
{
	for (size_t i = N_MODULES; i-- > 0;)
		in_order[i](FORK_CHILD);
}

/* The only constructor. Nothing else may depend on it having run: a hook
 * can be called before it, from another library's constructor; so the
 * hooks bind and configure themselves lazily (pthread_once). */
__attribute__((constructor)) static void library_init(void)
{
	pthread_atfork(prepare, parent, child);
	/* Here, so that the signal never kills a program that has not
	 * connected yet. */
	boundary_install();
}
