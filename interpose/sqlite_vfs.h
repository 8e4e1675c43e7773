/* SQLite below its open calls: a shim over the registered VFSes that sends
 * the files SQLite opens by itself (ATTACH, also through a file: URI) to
 * the test key's copies, by the policy every open follows (hook.c). */
#ifndef DBCLONE_SQLITE_VFS_H
#define DBCLONE_SQLITE_VFS_H

#include <stdbool.h>
#include <stddef.h>

#include "bind.h"
#include "locks.h"

/* Registers the shim once, as the default VFS and in front of every VFS
 * registered so far (but memdb), under their own names; false when it
 * cannot be: the open must then be refused, since an ATTACH would reach
 * the real file. Called by each hooked open before the real one. */
bool sqlite_vfs_ready(void) HIDDEN;

/* interpose/sqlite.c: the policy for a file SQLite opens by name (name as
 * SQLite passes it to xFullPathname: a path, any URI already decoded).
 * SQLITE_OK with out set to the copy's path, the copy tracked with ticket
 * as its handle (given back with clone_detach()); SQLITE_NOTFOUND when the
 * file passes through; else the open is refused (the "dbclone:" line is
 * in the log) with that result code. */
int sqlite_attach_path(const char *name, const void *ticket, char *out,
		       size_t outlen) HIDDEN;

#endif
