/* The test key, and the boundaries that change it: DBCLONE_TEST, and the
 * boundary signal (DBCLONE_SIGNAL). */
#ifndef DBCLONE_BOUNDARY_H
#define DBCLONE_BOUNDARY_H

#include <stddef.h>

#include "bind.h"

/* Installs the boundary signal handler (from the library constructor, so
 * that the signal never kills a program that has not connected yet). */
void boundary_install(void) HIDDEN;

/* The current test key (keys.h's key_format): DBCLONE_TEST's value and
 * the number of boundary signals seen. keylen: KEY_MAX. */
void boundary_key(char *key, size_t keylen) HIDDEN;

/* The key DBCLONE_BASE names (keys.h), "" when it is unset: the key whose
 * clone a new key starts from instead of the setup. */
void boundary_base_key(char *key, size_t keylen) HIDDEN;

/* How many boundary signals this process has seen. */
unsigned boundary_signals(void) HIDDEN;

#endif
