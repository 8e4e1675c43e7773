/* Offers and claims on the run's side (claims.h): a ready clone reserved
 * for a process and a source, which the process claims for its next new
 * test key without asking; the claim files that bind every test key to
 * its one clone, whoever made the binding. Under the lock. */
#include "supervisor_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claims.h"

struct offer {
	const struct proc *p;
	struct origin *o;
	unsigned long layer; /* the id of what it was copied from (0: the
				golden) */
	char id[32];
	char name[PATH_MAX];
	char path[PATH_MAX];
	ino_t ino;    /* of the offer file, which a claim links to */
	bool claimed; /* linked before it could be withdrawn: the claim is on
			 its way, or its process died before it could tell */
	bool taken;   /* claimed, then taken in place as a layer by the run
			 (another process had been given it): the layer's
			 now, never dropped or unbound as the offer's */
	struct offer *next;
};

static struct offer *offers;
static char dir[PATH_MAX - 64]; /* room for what is put under it */
static unsigned long ids;
/* New offers are made: false once a claim file could not be written (a
 * key the run hands out unbound could be claimed a second time). */
static bool offering;

bool offers_start(const char *run_dir)
{
	char sub[PATH_MAX];

	if (!run_dir || strlen(run_dir) >= sizeof(dir))
		return false;
	snprintf(dir, sizeof(dir), "%s", run_dir);
	snprintf(sub, sizeof(sub), "%s/claims", dir);
	if (mkdir(sub, 0700) == 0) {
		snprintf(sub, sizeof(sub), "%s/offers", dir);
		if (mkdir(sub, 0700) == 0)
			return offering = true;
	}
	fprintf(stderr, "dbclone: cannot make %s (%s); every new test key asks "
		"the run: make TMPDIR a writable directory to let keys claim "
		"their clones\n", sub, strerror(errno));
	dir[0] = '\0';
	return false;
}

static bool key_path(const struct origin *o, const char *key, char *out,
		     size_t outlen)
{
	return dir[0] && !strncmp(key, "t:", 2) &&
	       claims_path(dir, o->spec.ops->name, o->source, key, out, outlen);
}

/* A new file at path holding text (its inode in *ino); errno when not. */
static bool write_new(const char *path, const char *text, ino_t *ino)
{
	size_t len = strlen(text);
	struct stat st;
	bool ok;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return false;
	ok = write(fd, text, len) == (ssize_t)len && fstat(fd, &st) == 0;
	close(fd);
	if (ok && ino)
		*ino = st.st_ino;
	if (!ok)
		unlink(path);
	return ok;
}

/* The clone in the claim file at path, when that file is one of o's
 * offers, linked there by a claim: never a name some other file says (a
 * client of the run could write one), nor a placeholder. */
static bool claimed_name(const struct origin *o, const char *path, char *name,
			 size_t namelen)
{
	struct stat st;
	const struct offer *off;

	if (lstat(path, &st) != 0)
		return false;
	for (off = offers; off; off = off->next)
		if (off->o == o && !off->taken && off->ino == st.st_ino)
			break;
	if (!off)
		return false;
	snprintf(name, namelen, "%s", off->name);
	return true;
}

bool claims_find(const struct origin *o, const char *key, char *name,
		 size_t namelen)
{
	char path[PATH_MAX];

	return key_path(o, key, path, sizeof(path)) &&
	       claimed_name(o, path, name, namelen);
}

bool claims_bind(const struct origin *o, const char *key, const char *name,
		 char *bound, size_t boundlen)
{
	char path[PATH_MAX];

	if (!key_path(o, key, path, sizeof(path)))
		return true;
	for (int tries = 0; tries < 2; tries++) {
		if (write_new(path, name, NULL))
			return true;
		if (errno != EEXIST)
			break;
		if (claimed_name(o, path, bound, boundlen))
			return false; /* a process claimed the key meanwhile */
		unlink(path); /* a placeholder, or not the run's */
	}
	/* A key the run hands out unbound could be claimed a second time:
	 * no more offers, and those out are withdrawn. */
	fprintf(stderr, "dbclone: cannot bind a key to its clone in %s/claims "
		"(%s); every new test key asks the run from now on: free space "
		"in TMPDIR\n", dir, strerror(errno));
	offering = false;
	offers_withdraw(NULL);
	return true;
}

bool claims_are(const struct origin *o, const char *key, ino_t ino)
{
	char path[PATH_MAX];
	struct stat st;

	return key_path(o, key, path, sizeof(path)) && lstat(path, &st) == 0 &&
	       st.st_ino == ino;
}

void claims_unbind(const struct origin *o, const char *key)
{
	char path[PATH_MAX];

	if (key_path(o, key, path, sizeof(path)))
		unlink(path);
}

void claims_block(const struct origin *o, const char *key)
{
	char path[PATH_MAX];

	if (key_path(o, key, path, sizeof(path))) {
		unlink(path);
		write_new(path, "", NULL);
	}
}

/* The claim file that is a link of off's file, found by its inode: its
 * process died between the claim and telling it. */
static void unbind_orphan(const struct offer *off)
{
	char sub[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(sub, sizeof(sub), "%s/claims", dir);
	if (!(d = opendir(sub)))
		return;
	while ((e = readdir(d)))
		if (e->d_ino == off->ino) {
			snprintf(path, sizeof(path), "%s/%s", sub, e->d_name);
			if (lstat(path, &st) == 0 && st.st_ino == off->ino)
				unlink(path);
		}
	closedir(d);
}

/* Takes off's file away: true when a process had claimed it first (its
 * link came before the rename, and it holds the file now). */
static bool withdraw(struct offer *off)
{
	char gone[PATH_MAX + 8];
	struct stat st;
	bool claimed;

	snprintf(gone, sizeof(gone), "%s.gone", off->path);
	if (rename(off->path, gone) != 0)
		return true; /* the claimant linked it and took it away */
	claimed = stat(gone, &st) == 0 && st.st_nlink > 1;
	unlink(gone);
	return claimed;
}

static void unlink_offer(struct offer *off)
{
	for (struct offer **q = &offers; *q; q = &(*q)->next)
		if (*q == off) {
			*q = off->next;
			return;
		}
}

/* A reserved clone nobody claimed goes back to its pool while what it
 * was copied from is still what keys start from (a process that asked
 * once and ended, a withdrawal that changed nothing for it), else it is
 * dropped. */
static void give_back(struct offer *off)
{
	struct origin *o = off->o;
	struct sv_layer *l = off->layer ? layer_by_id(o, off->layer) : NULL;

	if ((off->layer && !l) || o->npool >= pool_depth(o) ||
	    o->npool >= POOL_MAX) {
		drop_soon(&o->spec, off->name, 0);
		return;
	}
	snprintf(o->pool[o->npool], sizeof(o->pool[0]), "%s", off->name);
	o->pool_layer[o->npool] = l;
	o->pool_ms[o->npool++] = 0; /* counted when it was first taken */
}

void offers_withdraw(const struct origin *o)
{
	for (struct offer *next, *off = offers; off; off = next) {
		next = off->next;
		if ((o && off->o != o) || off->claimed || off->taken)
			continue;
		if ((off->claimed = withdraw(off)))
			continue; /* its claim is on its way: served as it comes */
		unlink_offer(off);
		give_back(off);
		free(off);
	}
}

/* Is name handed out for a key (a claim another process was given
 * through its binding)? Its claim is told of from now on: a key that
 * ended meanwhile goes now (key_over passed it by). */
static bool handed_name(const struct origin *o, const char *name)
{
	for (struct handed **q = &sv.handed, *h; (h = *q); q = &h->next) {
		if (h->origin != o || strcmp(h->name, name))
			continue;
		h->claim_pending = false;
		if (h->over) {
			*q = h->next;
			claims_unbind(o, h->key);
			drop_soon(&o->spec, h->name, 0);
			free(h);
		}
		return true;
	}
	return false;
}

void offers_taken(const struct origin *o, const char *name)
{
	for (struct offer *off = offers; off; off = off->next)
		if (off->o == o && !strcmp(off->name, name))
			off->taken = true;
}

void offers_gone(const struct proc *p)
{
	for (struct offer *next, *off = offers; off; off = next) {
		next = off->next;
		if (off->p != p)
			continue;
		unlink_offer(off);
		if (off->taken) {
			free(off);
			continue;
		}
		if (!off->claimed)
			off->claimed = withdraw(off);
		/* A claim nobody was told of: no test can be on it but one
		 * that adopted it through its binding (handed_for). */
		if (!off->claimed) {
			give_back(off);
		} else if (!handed_name(off->o, off->name)) {
			unbind_orphan(off);
			drop_soon(&off->o->spec, off->name, 0);
		}
		free(off);
	}
}

struct origin *offer_origin(const struct proc *p, const char *id)
{
	for (struct offer *off = offers; off; off = off->next)
		if (off->p == p && !strcmp(off->id, id))
			return off->o;
	return NULL;
}

bool offer_claimed(const struct proc *p, const char *id, struct origin **o,
		   char *name, size_t namelen, ino_t *ino, bool *taken)
{
	for (struct offer *off = offers; off; off = off->next)
		if (off->p == p && !strcmp(off->id, id)) {
			unlink_offer(off);
			*o = off->o;
			*ino = off->ino;
			*taken = off->taken;
			snprintf(name, namelen, "%s", off->name);
			/* Gone already when the claimant took it away. */
			unlink(off->path);
			free(off);
			return true;
		}
	return false;
}

static bool has_offer(const struct proc *p, const struct origin *o)
{
	for (const struct offer *off = offers; off; off = off->next)
		if (off->p == p && off->o == o)
			return true;
	return false;
}

/* The offer's file holds the clone's name: a claim links to it. */
static bool write_offer(struct offer *off)
{
	return offers_path(dir, off->id, off->path, sizeof(off->path)) &&
	       write_new(off->path, off->name, &off->ino);
}

void offer_make(const struct proc *p, struct origin *o, const char *signals,
		char *line, size_t linelen)
{
	char setup_key[KEY_MAX], setup[PATH_MAX], stamp[256];
	struct sv_layer *from;
	struct offer *off;

	if (!offering || has_offer(p, o))
		return;
	snprintf(setup_key, sizeof(setup_key), "e%u#%s", sv.keys.epoch, signals);
	if (!layer_for_offer(o, setup_key, &from, setup, sizeof(setup), stamp,
			     sizeof(stamp)))
		return;
	if (!(off = calloc(1, sizeof(*off)))) {
		layer_unpin(o, from);
		return;
	}
	if (!pool_take(o, from, off->name, sizeof(off->name))) {
		layer_unpin(o, from);
		free(off);
		return;
	}
	off->layer = from ? from->id : 0;
	layer_unpin(o, from);
	snprintf(off->id, sizeof(off->id), "%ld-%lu", p->pid, ++ids);
	if (!write_offer(off)) {
		drop_soon(&o->spec, off->name, 0);
		free(off);
		return;
	}
	off->p = p;
	off->o = o;
	off->next = offers;
	offers = off;
	pthread_cond_broadcast(&sv.wake); /* the pool refills */
	wire_add(line, linelen, off->id);
	wire_add(line, linelen, off->name);
	wire_add(line, linelen, signals);
	wire_add(line, linelen, setup);
	wire_add(line, linelen, stamp);
}

void offers_end(void)
{
	offers_withdraw(NULL);
	/* Claimed ones nobody was told of: their clones go with the run. */
	while (offers) {
		struct offer *off = offers;

		offers = off->next;
		if (!off->taken && !handed_name(off->o, off->name))
			drop_soon(&off->o->spec, off->name, 0);
		free(off);
	}
}

void offers_cleanup(void)
{
	char sub[PATH_MAX], path[PATH_MAX * 2];
	const char *subs[] = {"claims", "offers"};
	struct dirent *e;
	DIR *d;

	if (!dir[0])
		return;
	for (int i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		if (!(d = opendir(sub)))
			continue;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", sub, e->d_name);
				unlink(path);
			}
		closedir(d);
		rmdir(sub);
	}
}
