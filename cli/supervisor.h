/* The run supervisor: the parent of a shared `dbclone run`. Library
 * instances ask it (DBCLONE_SOCKET) for the clone of a source under a test
 * key; it makes one golden copy per source, keeps a pool of ready clones
 * made in the background, decides when a key's clone is over, and drops
 * everything when the command ends. */
#ifndef DBCLONE_SUPERVISOR_H
#define DBCLONE_SUPERVISOR_H

#include <stdbool.h>
#include <sys/types.h>

/* What to keep when CMD ends: nothing, the last key's clones when CMD
 * failed, or always. */
enum keep { KEEP_NEVER, KEEP_FAILED, KEEP_ALWAYS };

/* Serves the run until child exits; returns its wait status. listen_fd is
 * the bound, listening socket. In a per_process run the processes clone
 * for themselves: it only drops what a process left when its socket
 * closes, and what is left when CMD ends. */
int supervise(int listen_fd, pid_t child, int pool_size, enum keep keep,
	      bool per_process);

#endif
