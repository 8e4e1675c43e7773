/* DBCLONE_* configuration, read and checked once per process (config.h). */
#include "config.h"
#include "signals.h"

#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct config cfg;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char error_text[512];

static void invalid(const char *var, const char *value, const char *fix)
{
	if (cfg.error)
		return;
	snprintf(error_text, sizeof(error_text),
		 "dbclone: %s=\"%s\" is not valid; %s", var, value, fix);
	cfg.error = error_text;
}

static const char *env(const char *var)
{
	const char *v = getenv(var);

	return v && *v ? v : NULL;
}

static bool parse_bool(const char *var, bool fallback)
{
	const char *v = env(var);

	if (!v)
		return fallback;
	if (!strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on"))
		return true;
	if (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "off"))
		return false;
	invalid(var, v, "use 1 or 0");
	return fallback;
}

/* Splits a comma-separated list; NULL when the variable is unset. */
static char **split_list(const char *value)
{
	char **list, *copy, *tok, *save = NULL;
	size_t n = 0;

	if (!value)
		return NULL;
	copy = strdup(value);
	list = calloc(strlen(value) + 2, sizeof(char *));
	if (!copy || !list)
		abort();
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		list[n++] = tok;
	return list;
}

static unsigned parse_engines(void)
{
	const char *v = env("DBCLONE_ENGINES");
	char *copy, *name, *save = NULL;
	unsigned bits = 0;

	if (!v)
		return ENGINE_PG | ENGINE_SQLITE | ENGINE_MYSQL;
	if (!(copy = strdup(v)))
		abort();
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		if (!strcmp(name, "pg") || !strcmp(name, "postgresql"))
			bits |= ENGINE_PG;
		else if (!strcmp(name, "sqlite"))
			bits |= ENGINE_SQLITE;
		else if (!strcmp(name, "mysql") || !strcmp(name, "mariadb"))
			bits |= ENGINE_MYSQL;
		else
			bits |= 1u << 31; /* unknown: reported below */
	}
	free(copy);
	if (!bits || bits >> 31)
		invalid("DBCLONE_ENGINES", v,
			"use a comma-separated list of pg, sqlite, mysql");
	return bits & (ENGINE_PG | ENGINE_SQLITE | ENGINE_MYSQL);
}

static int parse_signal(void)
{
	const char *v = env("DBCLONE_SIGNAL");
	int sig = boundary_signal_from(v);

	if (sig >= 0)
		return sig;
	invalid("DBCLONE_SIGNAL", v, SIGNAL_NAMES_HELP);
	return SIGUSR2;
}

static void load(void)
{
	const char *v;

	cfg.debuglevel = 1;
	if ((v = env("DBCLONE_DEBUGLEVEL"))) {
		if (strlen(v) == 1 && v[0] >= '0' && v[0] <= '3')
			cfg.debuglevel = v[0] - '0';
		else
			invalid("DBCLONE_DEBUGLEVEL", v, "use 0, 1, 2 or 3");
	}
	cfg.log_path = env("DBCLONE_LOG");
	cfg.disable = parse_bool("DBCLONE_DISABLE", false);
	cfg.engines = parse_engines();
	cfg.include = split_list(env("DBCLONE_INCLUDE"));
	cfg.exclude = split_list(env("DBCLONE_EXCLUDE"));
	cfg.pg_admin = env("DBCLONE_PG_ADMIN");
	cfg.mysql_admin = env("DBCLONE_MYSQL_ADMIN");
	cfg.socket = env("DBCLONE_SOCKET");
	cfg.per_process = parse_bool("DBCLONE_PER_PROCESS", false);
	cfg.stale = STALE_WAIT;
	if ((v = env("DBCLONE_STALE"))) {
		if (!strcmp(v, "terminate"))
			cfg.stale = STALE_TERMINATE;
		else if (strcmp(v, "wait"))
			invalid("DBCLONE_STALE", v, "use wait or terminate");
	}
	if ((v = env("DBCLONE_ON_ERROR"))) {
		if (!strcmp(v, "passthrough"))
			cfg.passthrough_on_error = true;
		else if (strcmp(v, "fail"))
			invalid("DBCLONE_ON_ERROR", v, "use fail or passthrough");
	}
	cfg.boundary_signal = parse_signal();
}

const struct config *config_get(void)
{
	pthread_once(&once, load);
	return &cfg;
}

static bool matches_any(char **globs, const char *source)
{
	for (; globs && *globs; globs++)
		if (fnmatch(*globs, source, 0) == 0)
			return true;
	return false;
}

bool config_allows(const struct config *c, const char *source)
{
	if (c->include && !matches_any(c->include, source))
		return false;
	return !matches_any(c->exclude, source);
}

bool config_includes_by_name(const struct config *c, const char *source)
{
	for (char **g = c->include; g && *g; g++)
		if (!strcmp(*g, source))
			return true;
	return false;
}
