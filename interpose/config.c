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

/* One parse: where values come from, where the result and the first
 * error go. */
struct parse {
	struct config *cfg;
	config_lookup_fn *lookup;
	void *ctx;
	char *error;
	size_t errlen;
};

static void invalid(struct parse *p, const char *var, const char *value,
		    const char *fix)
{
	if (p->cfg->error)
		return;
	snprintf(p->error, p->errlen, "dbclone: %s=\"%s\" is not valid; %s",
		 var, value, fix);
	p->cfg->error = p->error;
}

static const char *env(struct parse *p, const char *var)
{
	const char *v = p->lookup(var, p->ctx);

	return v && *v ? v : NULL;
}

/* The values the error text names, and no others. */
static bool parse_bool(struct parse *p, const char *var, bool fallback)
{
	const char *v = env(p, var);

	if (!v)
		return fallback;
	if (!strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on"))
		return true;
	if (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "off"))
		return false;
	invalid(p, var, v, "use 1, yes, true or on; or 0, no, false or off");
	return fallback;
}

/* Splits a comma-separated list, in one block (the pointers, then the
 * copy they point into): one free() frees it. NULL when unset. */
static char **split_list(const char *value)
{
	char **list, *copy, *tok, *save = NULL;
	size_t n = 0, len;

	if (!value)
		return NULL;
	len = strlen(value);
	list = calloc(1, (len + 2) * sizeof(char *) + len + 1);
	if (!list)
		abort();
	copy = memcpy((char *)(list + len + 2), value, len + 1);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		list[n++] = tok;
	return list;
}

static unsigned parse_engines(struct parse *p)
{
	const char *v = env(p, "DBCLONE_ENGINES");
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
		invalid(p, "DBCLONE_ENGINES", v,
			"use a comma-separated list of pg, sqlite, mysql");
	return bits & (ENGINE_PG | ENGINE_SQLITE | ENGINE_MYSQL);
}

static int parse_signal(struct parse *p)
{
	const char *v = env(p, "DBCLONE_SIGNAL");
	int sig = boundary_signal_from(v);

	if (sig >= 0)
		return sig;
	invalid(p, "DBCLONE_SIGNAL", v, SIGNAL_NAMES_HELP);
	return SIGUSR2;
}

/* A value out of a list of words, or the first of them when unset. */
static int parse_word(struct parse *p, const char *var, const char *const *words,
		      const char *fix)
{
	const char *v = env(p, var);

	if (!v)
		return 0;
	for (int i = 0; words[i]; i++)
		if (!strcmp(v, words[i]))
			return i;
	invalid(p, var, v, fix);
	return 0;
}

/* DBCLONE_TEST_FROM names an environment variable; anything else is a
 * mistake that would silently key nothing. */
static const char *parse_variable_name(struct parse *p, const char *var)
{
	const char *v = env(p, var);
	size_t n;

	if (!v)
		return NULL;
	n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789_");
	if (v[n] || (v[0] >= '0' && v[0] <= '9')) {
		invalid(p, var, v, "name the environment variable your harness "
			"sets per test, e.g. DBCLONE_TEST_FROM=TEST_NAME");
		return NULL;
	}
	return v;
}

void config_parse(struct config *c, config_lookup_fn *lookup, void *ctx,
		  char *error, size_t errlen)
{
	static const char *const stale[] = {"wait", "terminate", NULL};
	static const char *const on_error[] = {"fail", "passthrough", NULL};
	struct parse p = {c, lookup, ctx, error, errlen};
	const char *v;

	memset(c, 0, sizeof(*c));
	c->debuglevel = 1;
	if ((v = env(&p, "DBCLONE_DEBUGLEVEL"))) {
		if (strlen(v) == 1 && v[0] >= '0' && v[0] <= '3')
			c->debuglevel = v[0] - '0';
		else
			invalid(&p, "DBCLONE_DEBUGLEVEL", v, "use 0, 1, 2 or 3");
	}
	c->log_path = env(&p, "DBCLONE_LOG");
	c->disable = parse_bool(&p, "DBCLONE_DISABLE", false);
	c->engines = parse_engines(&p);
	c->include = split_list(env(&p, "DBCLONE_INCLUDE"));
	c->exclude = split_list(env(&p, "DBCLONE_EXCLUDE"));
	c->pg_admin = env(&p, "DBCLONE_PG_ADMIN");
	c->mysql_admin = env(&p, "DBCLONE_MYSQL_ADMIN");
	c->socket = env(&p, "DBCLONE_SOCKET");
	c->per_process = parse_bool(&p, "DBCLONE_PER_PROCESS", false);
	c->stale = parse_word(&p, "DBCLONE_STALE", stale, "use wait or terminate") ?
		STALE_TERMINATE : STALE_WAIT;
	c->passthrough_on_error = parse_word(&p, "DBCLONE_ON_ERROR", on_error,
					     "use fail or passthrough") == 1;
	c->boundary_signal = parse_signal(&p);
	c->test_from = parse_variable_name(&p, "DBCLONE_TEST_FROM");
}

void config_free(struct config *c)
{
	free(c->include);
	free(c->exclude);
	c->include = c->exclude = NULL;
}

static const char *from_environment(const char *var, void *ctx)
{
	(void)ctx;
	return getenv(var);
}

static void load(void)
{
	config_parse(&cfg, from_environment, NULL, error_text, sizeof(error_text));
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
