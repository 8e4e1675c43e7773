/* DBCLONE_* configuration, read once per process. DBCLONE_TEST is the one
 * variable read at every connect (boundary.c). */
#ifndef DBCLONE_CONFIG_H
#define DBCLONE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum engine_bit { ENGINE_PG = 1, ENGINE_SQLITE = 2, ENGINE_MYSQL = 4 };
enum stale_mode { STALE_WAIT, STALE_TERMINATE };

struct config {
	bool disable;
	int debuglevel;
	const char *log_path;
	unsigned engines;
	char **include; /* NULL-terminated globs, or NULL */
	char **exclude;
	const char *pg_admin;
	const char *mysql_admin;
	const char *socket;  /* DBCLONE_SOCKET: the run supervisor's */
	bool per_process;    /* DBCLONE_PER_PROCESS: clone here, not there */
	enum stale_mode stale;
	bool passthrough_on_error;
	int boundary_signal; /* 0: none */
	const char *test_from; /* DBCLONE_TEST_FROM: the harness's variable
				  that names the test, or NULL */
	/* The first invalid value, as the one-line error every intercepted
	 * connect then fails with; NULL when all is well. */
	const char *error;
};

const struct config *config_get(void) __attribute__((visibility("hidden")));

/* Where config_parse reads a variable's value (NULL: unset). */
typedef const char *config_lookup_fn(const char *var, void *ctx);

/* The parse behind config_get, callable alone (a fuzz target): fills *cfg
 * from lookup; the first invalid value's "dbclone:" line goes to error
 * and cfg->error. Values point into what lookup returned; config_free
 * frees the lists. */
void config_parse(struct config *cfg, config_lookup_fn *lookup, void *ctx,
		  char *error, size_t errlen) __attribute__((visibility("hidden")));
void config_free(struct config *cfg) __attribute__((visibility("hidden")));

/* Does DBCLONE_INCLUDE / DBCLONE_EXCLUDE allow cloning source? */
bool config_allows(const struct config *cfg, const char *source)
	__attribute__((visibility("hidden")));

/* Does DBCLONE_INCLUDE name source itself (not through a wildcard)? */
bool config_includes_by_name(const struct config *cfg, const char *source)
	__attribute__((visibility("hidden")));

#endif
