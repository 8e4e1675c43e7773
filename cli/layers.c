/* The run's layers: which state a new test key's clone is copied from,
 * and taking the setup (layer.h has the rule). Under the lock, except
 * where said; the round trips to the server are made with it let go. */
#include "supervisor_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new layer, with an id no other layer of the run has had. */
static struct sv_layer *new_layer(void)
{
	static unsigned long ids;
	struct sv_layer *l = calloc(1, sizeof(*l));

	if (l)
		l->id = ++ids;
	return l;
}

struct sv_layer *layer_by_id(struct origin *o, unsigned long id)
{
	for (struct sv_layer *l = o->layers; l; l = l->next)
		if (l->id == id && !l->retired)
			return l;
	return NULL;
}

static struct sv_layer *current_layer(struct origin *o, const char *setup_key)
{
	for (struct sv_layer *l = o->layers; l; l = l->next)
		if (!l->retired && !strcmp(l->l.setup_key, setup_key))
			return l;
	return NULL;
}

/* Where a new epoch starts: the snapshot, pinned, or NULL (the golden). */
static struct sv_layer *epoch_start(struct origin *o)
{
	if (o->base)
		o->base->pins++;
	return o->base;
}

static void unlink_layer(struct origin *o, struct sv_layer *l)
{
	for (struct sv_layer **q = &o->layers; *q; q = &(*q)->next)
		if (*q == l) {
			*q = l->next;
			break;
		}
}

/* Clone name of o goes: onto the list at now (its caller drops it), else
 * in the background. */
static void doom(struct origin *o, const char *name, struct doomed **now)
{
	struct doomed *d;

	if (now && (d = calloc(1, sizeof(*d)))) {
		d->spec = o->spec;
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->next = *now;
		*now = d;
	} else {
		drop_soon(&o->spec, name, 0);
	}
}

/* Goes once nothing is copied from it. */
static void drop_if_done(struct origin *o, struct sv_layer *l,
			 struct doomed **now)
{
	if (!l->retired || l->pins)
		return;
	unlink_layer(o, l);
	/* A live layer is the setup itself: its key's end drops it. */
	if (!l->l.live)
		doom(o, l->l.name, now);
	free(l);
}

/* Ready clones made from l (all but those made from keep, with
 * all_but) are of a state no key starts from any more. */
static void drop_pool_of(struct origin *o, const struct sv_layer *l,
			 bool all_but, struct doomed **now)
{
	for (int i = 0; i < o->npool;) {
		if ((o->pool_layer[i] == l) == all_but) {
			i++;
			continue;
		}
		doom(o, o->pool[i], now);
		o->npool--;
		memcpy(o->pool[i], o->pool[o->npool], sizeof(o->pool[i]));
		o->pool_layer[i] = o->pool_layer[o->npool];
		o->pool_ms[i] = o->pool_ms[o->npool];
	}
}

static void retire(struct origin *o, struct sv_layer *l, struct doomed **now)
{
	l->retired = true;
	/* Reserved clones may be of it: a claim of one would start a key
	 * from a state it does not start from any more. */
	offers_withdraw(o);
	if (o->fill_layer == l)
		o->fill_layer = NULL;
	drop_pool_of(o, l, false, now);
	drop_if_done(o, l, now);
}

void layer_unpin(struct origin *o, struct sv_layer *l)
{
	if (l && !--l->pins)
		drop_if_done(o, l, NULL);
}

void layers_end(const char *setup_key, struct doomed **now)
{
	for (struct origin *o = sv.origins; o; o = o->next) {
		struct sv_layer *l = o->layers, *next;

		for (; l; l = next) {
			next = l->next;
			if (!l->retired && !l->is_base &&
			    !strcmp(l->l.setup_key, setup_key))
				retire(o, l, now);
		}
	}
}

bool pool_take(struct origin *o, const struct sv_layer *l, char *name,
	       size_t namelen)
{
	for (int i = o->npool - 1; i >= 0; i--) {
		if (o->pool_layer[i] != l)
			continue;
		snprintf(name, namelen, "%s", o->pool[i]);
		sv.hidden_ms += o->pool_ms[i];
		pool_taken(o);
		o->npool--;
		memcpy(o->pool[i], o->pool[o->npool], sizeof(o->pool[i]));
		o->pool_layer[i] = o->pool_layer[o->npool];
		o->pool_ms[i] = o->pool_ms[o->npool];
		return true;
	}
	return false;
}

/* The sessions a take in place ended: said once per take, on stderr. */
static void say_cut(const struct origin *o, const char *setup,
		    const char *setup_key, const char *key, const char *cut)
{
	char test[KEY_MAX], base[KEY_MAX];

	key_name_shown(key, test, sizeof(test));
	key_name_shown(setup_key, base, sizeof(base));
	if (key[0] == '(')
		fprintf(stderr, "dbclone: cut the session(s) still open on the "
			"setup %s of %s to take the snapshot: %s\n", setup,
			spec_source(&o->spec), cut);
	else if (base[0])
		fprintf(stderr, "dbclone: cut the session(s) still open on %s, "
			"the clone of DBCLONE_BASE key \"%s\" of %s, so that test "
			"\"%s\" starts from it: %s; close its connections before "
			"the first test on it\n", setup, base, spec_source(&o->spec),
			test, cut);
	else
		fprintf(stderr, "dbclone: cut the session(s) still open on the "
			"setup %s of %s so that test \"%s\" starts from it: %s; "
			"close the setup's connections before the first test\n",
			setup, spec_source(&o->spec), test, cut);
}

/* Takes the setup (named setup, with uses hand-outs): frozen in place
 * where the engine can, else copied consistently. The new layer replaces
 * the setup key's older ones, and the pool fills from it. */
static struct sv_layer *take(struct origin *o, const char *setup_key,
			     const char *setup, unsigned long uses,
			     const char *key, char *err, size_t errlen)
{
	struct sv_layer *l = new_layer(), *old;
	char cut[1024];
	bool in_place, ok;

	if (!l) {
		snprintf(err, errlen, "dbclone: the run supervisor is out of memory");
		return NULL;
	}
	snprintf(l->l.setup_key, sizeof(l->l.setup_key), "%s", setup_key);
	pthread_mutex_unlock(&sv.lock);
	l->l.stamped = engine_stamp(&o->spec, setup, l->l.stamp,
				    sizeof(l->l.stamp));
	l->l.stamp_once = o->spec.ops->stamp_at_take_only;
	ok = engine_take_in_place(&o->spec, setup, &in_place, cut, sizeof(cut),
				  err, errlen);
	pthread_mutex_lock(&sv.lock);
	if (ok && in_place) {
		struct handed *h;

		if (cut[0])
			say_cut(o, setup, setup_key, key, cut);
		snprintf(l->l.name, sizeof(l->l.name), "%s", setup);
		/* The setup key's next connect gets a fresh copy of it. */
		for (struct handed **q = &sv.handed; (h = *q); q = &h->next)
			if (h->origin == o && !strcmp(h->name, setup)) {
				*q = h->next;
				/* A base's key is a test key: no offer of a
				 * process may be claimed for it now. */
				claims_block(o, h->key);
				if (h->claim_pending)
					offers_taken(o, h->name);
				free(h);
				break;
			}
	} else if (ok) {
		/* Keys (and the pool) copy the live setup, consistently:
		 * no copy of its own. */
		snprintf(l->l.name, sizeof(l->l.name), "%s", setup);
		snprintf(l->l.from, sizeof(l->l.from), "%s", setup);
		l->l.uses = uses;
		l->l.live = true;
	}
	if (!ok) {
		free(l);
		return NULL;
	}
	for (struct sv_layer *next, *q = o->layers; (old = q); q = next) {
		next = old->next;
		if (!old->retired && !old->is_base &&
		    !strcmp(old->l.setup_key, setup_key))
			retire(o, old, NULL);
	}
	l->next = o->layers;
	o->layers = l;
	o->fill_layer = l;
	/* The golden's ready clones too: keys of this epoch start from l. */
	drop_pool_of(o, l, true, NULL);
	pthread_cond_broadcast(&sv.wake); /* the pool refills from it */
	return l;
}

/* The setup key's clone, once no request is making it; NULL when it has
 * none. */
static struct handed *setup_clone(struct origin *o, const char *setup_key)
{
	for (;;) {
		struct handed *h;

		for (h = sv.handed; h; h = h->next)
			if (h->origin == o && !strcmp(h->key, setup_key))
				break;
		if (!h || h->ready)
			return h;
		pthread_cond_wait(&sv.wake, &sv.lock);
	}
}

/* The choice for a test key, with o->layer_busy held. */
static bool choose(struct origin *o, const char *setup_key, const char *key,
		   struct sv_layer **from, char *err, size_t errlen)
{
	struct sv_layer *l = current_layer(o, setup_key);
	struct handed *h = setup_clone(o, setup_key);
	char setup[PATH_MAX], stamp[256] = "";
	unsigned long uses = h ? h->uses : 0;
	bool stamp_ok = false;

	snprintf(setup, sizeof(setup), "%s", h ? h->name : "");
	if (l)
		l->pins++; /* kept while the lock is let go */
	if (layer_needs_stamp(l ? &l->l : NULL, h ? setup : NULL, uses)) {
		pthread_mutex_unlock(&sv.lock);
		stamp_ok = engine_stamp(&o->spec, setup, stamp, sizeof(stamp));
		pthread_mutex_lock(&sv.lock);
	}
	switch (layer_choose(l ? &l->l : NULL, h ? setup : NULL, uses, stamp_ok,
			     stamp)) {
	case LAYER_SOURCE:
		layer_unpin(o, l);
		*from = epoch_start(o);
		return true;
	case LAYER_USE:
		*from = l;
		return true;
	case LAYER_TAKE:
		break;
	}
	layer_unpin(o, l);
	if (!(*from = take(o, setup_key, setup, uses, key, err, errlen)))
		return false;
	(*from)->pins++;
	return true;
}

static bool has_state(struct origin *o, const char *key)
{
	for (struct handed *h = sv.handed; h; h = h->next)
		if (h->origin == o && !strcmp(h->key, key))
			return true;
	return current_layer(o, key) != NULL;
}

/* What key starts from: the nearest of its bases (DBCLONE_BASE, that
 * key's own base, ...) with a clone or a layer of o (a module fixture
 * may have connected to one database and not another), else its setup. */
static void parent_of(struct origin *o, const char *key, char *parent,
		      size_t parentlen)
{
	const char *base = keys_base_of(&sv.keys, key);

	for (int depth = 0; base[0] && depth < 16; depth++) {
		if (has_state(o, base)) {
			snprintf(parent, parentlen, "%s", base);
			return;
		}
		base = keys_base_of(&sv.keys, base);
	}
	keys_setup_of(&sv.keys, key, parent, parentlen);
}

bool layer_for_key(struct origin *o, const char *key, struct sv_layer **from,
		   char *err, size_t errlen)
{
	char setup_key[KEY_MAX];
	bool ok;

	while (o->layer_busy)
		pthread_cond_wait(&sv.wake, &sv.lock);
	/* A setup or base frozen in place goes on from its layer. */
	if ((*from = current_layer(o, key)) && !(*from)->l.live) {
		(*from)->pins++;
		return true;
	}
	parent_of(o, key, setup_key, sizeof(setup_key));
	if (!strcmp(setup_key, key)) {
		/* The setup itself starts where its epoch does. */
		*from = epoch_start(o);
		return true;
	}
	o->layer_busy = true;
	ok = choose(o, setup_key, key, from, err, errlen);
	o->layer_busy = false;
	pthread_cond_broadcast(&sv.wake);
	return ok;
}

bool layer_for_offer(struct origin *o, const char *setup_key,
		     struct sv_layer **from, char *setup, size_t setuplen,
		     char *stamp, size_t stamplen)
{
	struct sv_layer *l = current_layer(o, setup_key);
	const struct handed *h;
	unsigned long uses;

	if (o->layer_busy)
		return false;
	for (h = sv.handed; h; h = h->next)
		if (h->origin == o && !strcmp(h->key, setup_key))
			break;
	if (h && !h->ready)
		return false;
	uses = h ? h->uses : 0;
	setup[0] = stamp[0] = '\0';
	if (layer_needs_stamp(l ? &l->l : NULL, h ? h->name : NULL, uses)) {
		/* Only a stamp the process can read itself can be checked at
		 * its claim. */
		if (!o->spec.ops->stamp_local || !l->l.stamped)
			return false;
		snprintf(setup, setuplen, "%s", h->name);
		snprintf(stamp, stamplen, "%s", l->l.stamp);
	}
	switch (layer_choose(l ? &l->l : NULL, h ? h->name : NULL, uses, true,
			     l ? l->l.stamp : "")) {
	case LAYER_SOURCE:
		*from = epoch_start(o);
		return true;
	case LAYER_USE:
		*from = l;
		l->pins++;
		return true;
	case LAYER_TAKE:
		break;
	}
	return false;
}

/* The current epoch's setup key of o (an epoch key with a clone or a
 * layer); false when nothing connected to o in this epoch. */
static bool epoch_setup(struct origin *o, char *key, size_t keylen)
{
	const struct handed *newest = NULL;
	char setup[KEY_MAX];

	for (const struct handed *h = sv.handed; h; h = h->next) {
		keys_setup_of(&sv.keys, h->key, setup, sizeof(setup));
		if (h->origin == o && !strcmp(setup, h->key) &&
		    (!newest || h->handed_at > newest->handed_at))
			newest = h;
	}
	if (newest) {
		snprintf(key, keylen, "%s", newest->key);
		return true;
	}
	for (const struct sv_layer *l = o->layers; l; l = l->next) {
		keys_setup_of(&sv.keys, l->l.setup_key, setup, sizeof(setup));
		if (!l->retired && !strcmp(setup, l->l.setup_key)) {
			snprintf(key, keylen, "%s", l->l.setup_key);
			return true;
		}
	}
	return false;
}

/* A frozen copy of the live layer l (unpinned), pinned; NULL with err. A
 * snapshot must outlive the setup it was taken of. */
static struct sv_layer *frozen_copy(struct origin *o, struct sv_layer *l,
				    char *err, size_t errlen)
{
	struct sv_layer *copy = new_layer();
	char from[PATH_MAX];
	double ms;
	bool ok;

	snprintf(from, sizeof(from), "%s", l->l.name);
	layer_unpin(o, l);
	if (!copy) {
		snprintf(err, errlen, "dbclone: the run supervisor is out of memory");
		return NULL;
	}
	ok = copy_unlocked(&o->spec, from, CLONE_FREEZE | CLONE_LIVE,
			   copy->l.name, &ms, err, errlen);
	if (!ok) {
		free(copy);
		return NULL;
	}
	snprintf(copy->l.setup_key, sizeof(copy->l.setup_key), "%s",
		 l->l.setup_key);
	copy->pins = 1;
	copy->next = o->layers;
	o->layers = copy;
	return copy;
}

/* o's setup, taken (or its layer, when unchanged), becomes its base. */
static bool snapshot_one(struct origin *o, char *err, size_t errlen)
{
	char setup_key[KEY_MAX];
	struct sv_layer *l;
	bool ok;

	while (o->layer_busy)
		pthread_cond_wait(&sv.wake, &sv.lock);
	if (!epoch_setup(o, setup_key, sizeof(setup_key)))
		return true; /* its state is its base's, or the source's */
	o->layer_busy = true;
	ok = choose(o, setup_key, "(snapshot)", &l, err, errlen);
	o->layer_busy = false;
	pthread_cond_broadcast(&sv.wake);
	if (!ok)
		return false;
	if (l && l->l.live && !(l = frozen_copy(o, l, err, errlen)))
		return false;
	if (l && l != o->base) {
		struct sv_layer *old = o->base;

		l->is_base = true;
		o->base = l;
		if (old) {
			old->is_base = false;
			retire(o, old, NULL);
		}
	}
	layer_unpin(o, l);
	return true;
}

int layers_snapshot(char *err, size_t errlen)
{
	int n = 0;

	for (struct origin *o = sv.origins; o; o = o->next) {
		if (!snapshot_one(o, err, errlen))
			return -1;
		n += o->base != NULL;
	}
	return n;
}

bool layer_freeze_for_pool(struct origin *o)
{
	struct sv_layer *live = o->fill_layer, *l;
	char setup[PATH_MAX], err[1024];
	double ms;
	bool ok;

	if (!live || !live->l.live || live->freeze_tried ||
	    !o->spec.ops->freeze_layers || !(l = new_layer()))
		return false;
	live->freeze_tried = true;
	/* The same setup, stamp and connects as the live layer: a key uses
	 * it only while the setup is as it was then (layer_choose). */
	l->l = live->l;
	l->l.live = false;
	snprintf(setup, sizeof(setup), "%s", live->l.name);
	live->pins++;
	ok = copy_unlocked(&o->spec, setup, CLONE_FREEZE | CLONE_LIVE, l->l.name,
			   &ms, err, sizeof(err));
	if (!ok || live->retired || o->fill_layer != live) {
		if (ok)
			drop_soon(&o->spec, l->l.name, 0);
		free(l);
		layer_unpin(o, live);
		return true;
	}
	l->next = o->layers;
	o->layers = l;
	o->fill_layer = l;
	/* Ready clones of the live setup are as good: the same state. */
	for (int i = 0; i < o->npool; i++)
		if (o->pool_layer[i] == live)
			o->pool_layer[i] = l;
	retire(o, live, NULL);
	layer_unpin(o, live);
	return true;
}
