/* Test keys: the one key format, and when a key is over (pure). */
#include "keys.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* When a key was first handed out and last used (the logical clock). */
struct key_record {
	char key[KEY_MAX];
	char base[KEY_MAX]; /* DBCLONE_BASE's key at its first use ("": the
			       setup) */
	unsigned long first, last;
	struct key_record *next;
};

/* A test name of at most outlen - 1 bytes: as it is when it fits, else
 * its head and a digest of the whole, so that two long names that share a
 * head stay two keys. */
void key_test_name(const char *test, char *out, size_t outlen)
{
	size_t n = strlen(test);
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	if (n < outlen) {
		memcpy(out, test, n + 1);
		return;
	}
	for (const char *p = test; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(out, outlen, "%.*s~%016llx", (int)(outlen - 18), test,
		 (unsigned long long)h);
}

void key_format(char *out, size_t outlen, const char *test,
		const char *signals, unsigned epoch)
{
	if (test && test[0]) {
		char name[KEY_TEST_MAX];

		key_test_name(test, name, sizeof(name));
		snprintf(out, outlen, "t:%s#%.20s", name, signals);
	} else {
		snprintf(out, outlen, "e%u#%.20s", epoch, signals);
	}
}

static bool epoch_key(const char *key)
{
	return key[0] == 'e';
}

/* The boundary signals a key was made under: what follows its last '#'
 * (a test name may hold '#' itself). */
static const char *signals_of(const char *key)
{
	const char *hash = strrchr(key, '#');

	return hash ? hash + 1 : "";
}

static bool current_anywhere(const struct keys *ks, const char *key)
{
	for (const struct key_user *u = ks->users; u; u = u->next)
		if (!strcmp(u->key, key))
			return true;
	return false;
}

void keys_setup_of(const struct keys *ks, const char *key, char *out,
		   size_t outlen)
{
	snprintf(out, outlen, "e%u#%s", ks->epoch, signals_of(key));
}

static const struct key_record *record_of(const struct keys *ks,
					 const char *key)
{
	for (const struct key_record *k = ks->known; k; k = k->next)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

const char *keys_base_of(const struct keys *ks, const char *key)
{
	const struct key_record *r = record_of(ks, key);

	return r ? r->base : "";
}

/* Is layer what from starts from: one of its bases, their bases (at most
 * 16 deep), or the setup under them? */
static bool under(const struct keys *ks, const char *from, const char *layer)
{
	const struct key_record *r = record_of(ks, from);
	char setup[KEY_MAX];

	for (int depth = 0; r && r->base[0] && depth < 16; depth++) {
		if (!strcmp(r->base, layer))
			return true;
		r = record_of(ks, r->base);
	}
	keys_setup_of(ks, from, setup, sizeof(setup));
	return !strcmp(setup, layer) && strcmp(from, layer);
}

/* The first key handed out last, or NULL. */
static const struct key_record *newest_key(const struct keys *ks)
{
	const struct key_record *n = NULL;

	for (const struct key_record *k = ks->known; k; k = k->next)
		if (!n || k->first > n->first)
			n = k;
	return n;
}

/* A layer lives while keys start from it: an epoch key is the setup its
 * test keys start from, a key named in DBCLONE_BASE the base of its
 * children. It is not over when a key on top of it is handed out, only
 * once neither the newest key nor any process's current key starts from
 * it (for a setup: its epoch ended, with keys_next_epoch or a process's
 * own count of boundary signals). */
static bool layer_lives(const struct keys *ks, const char *key)
{
	const struct key_record *n = newest_key(ks);

	if (n && under(ks, n->key, key))
		return true;
	for (const struct key_user *u = ks->users; u; u = u->next)
		if (u->key[0] && under(ks, u->key, key))
			return true;
	return false;
}

/* Ends the record at *link: the caller hears of it, the record goes. */
static void end_record(struct key_record **link, key_over_fn *over, void *ctx)
{
	struct key_record *gone = *link;

	*link = gone->next;
	if (over)
		over(gone->key, ctx);
	free(gone);
}

/* Ends key whether it has a record or not: a key the table could not
 * record (out of memory) may still have clones. */
static void end_key(struct keys *ks, const char *key, key_over_fn *over,
		    void *ctx)
{
	for (struct key_record **k = &ks->known; *k; k = &(*k)->next) {
		if (!strcmp((*k)->key, key)) {
			end_record(k, over, ctx);
			return;
		}
	}
	if (over)
		over(key, ctx);
}

/* A key no live process has as its current one is over once a newer key
 * has been handed out since its last use. */
static void end_stale(struct keys *ks, key_over_fn *over, void *ctx)
{
	unsigned long newest = 0;

	for (struct key_record *k = ks->known; k; k = k->next)
		if (k->first > newest)
			newest = k->first;
	for (struct key_record **k = &ks->known; *k;) {
		if (newest > (*k)->last && !current_anywhere(ks, (*k)->key) &&
		    !layer_lives(ks, (*k)->key))
			end_record(k, over, ctx);
		else
			k = &(*k)->next;
	}
}

void keys_join(struct keys *ks, struct key_user *u)
{
	u->key[0] = '\0';
	u->next = ks->users;
	ks->users = u;
}

bool keys_use(struct keys *ks, struct key_user *u, const char *key,
	      key_over_fn *over, void *ctx)
{
	return keys_use_on(ks, u, key, "", over, ctx);
}

bool keys_use_on(struct keys *ks, struct key_user *u, const char *key,
		 const char *base, key_over_fn *over, void *ctx)
{
	struct key_record *k;
	bool new_key = false;

	for (k = ks->known; k; k = k->next)
		if (!strcmp(k->key, key))
			break;
	if (!k && (k = calloc(1, sizeof(*k)))) {
		snprintf(k->key, sizeof(k->key), "%s", key);
		/* A key is never its own base. */
		snprintf(k->base, sizeof(k->base), "%s",
			 base && strcmp(base, key) ? base : "");
		k->first = ++ks->clock;
		k->next = ks->known;
		ks->known = k;
		new_key = true;
	}
	if (k)
		k->last = ++ks->clock;
	if (strcmp(u->key, key)) {
		char old[KEY_MAX];

		snprintf(old, sizeof(old), "%s", u->key);
		snprintf(u->key, sizeof(u->key), "%s", key);
		/* The process moved on: its old key is over if nobody has it. */
		if (old[0] && !current_anywhere(ks, old) && !layer_lives(ks, old))
			end_key(ks, old, over, ctx);
	}
	if (new_key)
		end_stale(ks, over, ctx);
	return new_key;
}

void keys_leave(struct keys *ks, struct key_user *u, key_over_fn *over,
		void *ctx)
{
	for (struct key_user **q = &ks->users; *q; q = &(*q)->next) {
		if (*q == u) {
			*q = u->next;
			break;
		}
	}
	end_stale(ks, over, ctx);
}

unsigned keys_next_epoch(struct keys *ks, key_over_fn *over, void *ctx)
{
	for (struct key_record **k = &ks->known; *k;) {
		if (epoch_key((*k)->key))
			end_record(k, over, ctx);
		else
			k = &(*k)->next;
	}
	return ++ks->epoch;
}

const char *keys_last(const struct keys *ks)
{
	const struct key_record *last = NULL;

	for (const struct key_record *k = ks->known; k; k = k->next)
		if (!last || k->last > last->last)
			last = k;
	return last ? last->key : NULL;
}

void keys_end_all(struct keys *ks, key_over_fn *over, void *ctx)
{
	while (ks->known)
		end_record(&ks->known, over, ctx);
}
