/* Finding the real client-library functions behind the hooks, and keeping
 * the hooks reachable however a program loads its client library. */
#ifndef DBCLONE_BIND_H
#define DBCLONE_BIND_H

#include <stdbool.h>
#include <stddef.h>

#define HIDDEN __attribute__((visibility("hidden")))
#define HOOK __attribute__((visibility("default")))

struct hook {
	const char *name;
	void *fn;
};
/* An entry of a hook table: HOOKED(PQfinish). */
#define HOOKED(fn) {#fn, (void *)fn}

/* Each engine's hooks, NULL-name terminated (interpose/pq.c ...). */
extern const struct hook pq_hooks[] HIDDEN;
extern const struct hook sqlite_hooks[] HIDDEN;
extern const struct hook mariadb_hooks[] HIDDEN;

/* The definition of name in a loaded object other than this library:
 * the next one in the global scope, else one loaded privately
 * (RTLD_LOCAL) under any file name. NULL if no loaded object has it. */
void *find_real_symbol(const char *name) HIDDEN;

/* Where one real function goes: {"PQfinish", (void **)&real_finish}. */
struct real_symbol {
	const char *name;
	void **slot;
};
#define REAL_SYMBOL(var, name) {name, (void **)&(var)}

/* Binds every slot of a NULL-name terminated table. A symbol no loaded
 * object defines leaves a one-line "dbclone:" error and returns false: the
 * hooks then fail their calls instead of crashing. */
bool bind_real_symbols(const struct real_symbol *syms,
		       const char *library) HIDDEN;

#endif
