/* Intents: the record before a clone exists, and the sweep of those whose
 * owner is gone (intent.h). */
#include "intent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "journal.h"
#include "sqlite.h"
#include "testhook.h"

#define INTENT_HEAD "dbclone intent v1\n"

bool intent_dir(bool create, char *out, size_t outlen, struct failure *f)
{
	char base[PATH_MAX];
	struct stat st;

	/* Beside the SQLite copies: the same checked, private place. */
	if (!sqlite_clone_dir(create, base, sizeof(base), f->why, sizeof(f->why))) {
		f->kind = FAIL_REFUSED;
		return false;
	}
	if ((size_t)snprintf(out, outlen, "%s/intents", base) >= outlen)
		return fail(f, FAIL_INVALID, "dbclone: DBCLONE_DIR %s is too "
			    "long a path; set DBCLONE_DIR to a shorter one", base);
	if (create && mkdir(out, 0700) != 0 && errno != EEXIST)
		return fail(f, errno == ENOSPC ? FAIL_BUSY : FAIL_REFUSED,
			    "dbclone: cannot create %s (%s); set DBCLONE_DIR to "
			    "a writable directory", out, strerror(errno));
	if (lstat(out, &st) != 0)
		return fail(f, FAIL_REFUSED, "dbclone: cannot use %s (%s)", out,
			    strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return fail(f, FAIL_REFUSED, "dbclone: %s is not a directory of "
			    "yours; remove it", out);
	return true;
}

int intent_format(const struct intent *in, char *out, size_t outlen)
{
	char owner[MARKER_MAX];
	struct marker m = in->owner;

	m.state = MARKER_INTENT; /* always v2: v1 cannot say it */
	marker_format(&m, owner, sizeof(owner));
	if (strchr(in->name, '\n') || strchr(in->where, '\n') ||
	    strchr(owner, '\n'))
		return -1;
	return snprintf(out, outlen, INTENT_HEAD "engine=%s\nkind=%s\nname=%s\n"
			"where=%s\nowner=%s\n", in->ops->name,
			in->kind == INTENT_DROP ? "drop" : "create", in->name,
			in->where, owner);
}

/* One "key=value" line of a record into in; false for a bad value. */
static bool parse_line(char *line, struct intent *in, int *seen)
{
	char *eq = strchr(line, '=');
	const char *v;

	if (!eq)
		return false;
	*eq = '\0';
	v = eq + 1;
	if (!strcmp(line, "engine")) {
		*seen |= 1;
		return (in->ops = engine_by_name(v)) != NULL;
	}
	if (!strcmp(line, "kind")) {
		*seen |= 2;
		in->kind = !strcmp(v, "drop") ? INTENT_DROP : INTENT_CREATE;
		return !strcmp(v, "drop") || !strcmp(v, "create");
	}
	if (!strcmp(line, "name")) {
		*seen |= 4;
		return *v && (size_t)snprintf(in->name, sizeof(in->name), "%s", v) <
				     sizeof(in->name);
	}
	if (!strcmp(line, "where")) {
		*seen |= 8;
		return (size_t)snprintf(in->where, sizeof(in->where), "%s", v) <
		       sizeof(in->where);
	}
	if (!strcmp(line, "owner")) {
		*seen |= 16;
		return marker_parse(v, &in->owner) && in->owner.version == 2;
	}
	return true; /* room for later fields */
}

bool intent_parse(const char *text, struct intent *in)
{
	char copy[INTENT_MAX], *line, *save = NULL;
	int seen = 0;

	memset(in, 0, sizeof(*in));
	if (!text || strncmp(text, INTENT_HEAD, strlen(INTENT_HEAD)) ||
	    strlen(text) >= sizeof(copy))
		return false;
	strcpy(copy, text + strlen(INTENT_HEAD));
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!parse_line(line, in, &seen))
			return false;
	/* Only a clone name of dbclone's is ever dropped by intent. */
	if (seen != 31)
		return false;
	if (strchr(in->name, '/'))
		return is_clone_name(strrchr(in->name, '/') + 1);
	return is_clone_name(in->name);
}

/* The record's file in dir: one per clone, named after its engine and
 * name. */
static bool record_path(const struct intent *in, const char *dir,
			char *path, size_t pathlen, struct failure *f)
{
	const char *base = strrchr(in->name, '/');

	base = base ? base + 1 : in->name;
	if ((size_t)snprintf(path, pathlen, "%s/%s-%s", dir, in->ops->name,
			     base) >= pathlen)
		return fail(f, FAIL_INVALID, "dbclone: %s is too long a path", dir);
	return true;
}

/* Must the record reach the disk before its clone is made? Only what can
 * outlive a crash of the machine while the record does not: a clone on a
 * server. A clone that is files beside the intents (SQLite) is created
 * after its record on the same file system, whose journal keeps
 * namespace changes in order: the clone's name does not outlive a crash
 * without its record's. Nothing on tmpfs outlives one at all. Unsynced,
 * a record is still whole and visible to every other process (gc, the
 * next run) from its rename on, which is all a killed process needs. */
static bool must_sync(const struct intent *in, const char *dir)
{
	struct statfs st;

	if (in->ops->files_beside_intents)
		return false;
	return statfs(dir, &st) != 0 ||
	       (st.f_type != TMPFS_MAGIC && st.f_type != RAMFS_MAGIC);
}

/* Written aside (O_EXCL, so two writers never share a file), fsync'd if
 * it must be, renamed into place, and then the directory fsync'd: a
 * reader sees a whole record or none. */
static bool write_file(const char *dir, const char *path, const char *text,
		       size_t n, bool sync, struct failure *f)
{
	char tmp[PATH_MAX + 64];
	const char *base = strrchr(path, '/') + 1;
	int fd, dfd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%ld.%s", dir, (long)getpid(), base);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		unlink(tmp); /* this pid's own, from an earlier life */
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0 || write(fd, text, n) != (ssize_t)n || (sync && fsync(fd) != 0))
		err = errno ? errno : EIO;
	if (fd >= 0 && close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err) {
		unlink(tmp);
		return fail(f, err == ENOSPC || err == EDQUOT ? FAIL_BUSY :
			    FAIL_REFUSED, "dbclone: cannot record the intent to "
			    "clone in %s (%s), and never clones without one; "
			    "free space there, or set DBCLONE_DIR to a writable "
			    "directory", dir, strerror(err));
	}
	if (sync && (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return true;
}

/* in's record into dir, which intent_dir checked. */
static bool write_in(struct intent *in, const char *dir, struct failure *f)
{
	char text[INTENT_MAX];
	int n = intent_format(in, text, sizeof(text));

	if (n < 0 || (size_t)n >= sizeof(text))
		return fail(f, FAIL_INVALID, "dbclone: cannot record the intent "
			    "to clone %s: a name or server too long", in->name);
	if (!record_path(in, dir, in->path, sizeof(in->path), f))
		return false;
	return write_file(dir, in->path, text, (size_t)n, must_sync(in, dir), f);
}

bool intent_write(struct intent *in, struct failure *f)
{
	char dir[PATH_MAX];

	return intent_dir(true, dir, sizeof(dir), f) && write_in(in, dir, f);
}

void intent_remove(const struct intent *in)
{
	if (in->path[0])
		unlink(in->path);
}

/* A writer's temporary file (".PID.name") whose writer is gone. */
static void remove_if_orphan(const char *dir, const char *entry)
{
	char path[PATH_MAX + 300];
	long pid = strtol(entry + 1, NULL, 10);

	if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
		snprintf(path, sizeof(path), "%s/%s", dir, entry);
		unlink(path);
	}
}

static bool read_record(const char *path, struct intent *in)
{
	char text[INTENT_MAX];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	return strlen(path) < sizeof(in->path) && intent_parse(text, in) &&
	       strcpy(in->path, path);
}

void intent_each(intent_fn fn, void *ctx)
{
	char dir[PATH_MAX];
	struct failure f;
	struct dirent *e;
	DIR *d;

	if (!intent_dir(false, dir, sizeof(dir), &f) || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX + 300];
		struct intent in;

		if (e->d_name[0] == '.') {
			if (e->d_name[1] && e->d_name[1] != '.')
				remove_if_orphan(dir, e->d_name);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (read_record(path, &in))
			fn(&in, ctx);
	}
	closedir(d);
}

/* in for a clone of sp named after seq, owned as m says; dir the
 * intents directory. */
static bool intent_for(struct intent *in, const struct spec *sp,
		       unsigned long seq, const struct marker *m, char *dir,
		       size_t dirlen, struct failure *f)
{
	memset(in, 0, sizeof(*in));
	in->ops = sp->ops;
	in->owner = *m;
	/* An unusable DBCLONE_DIR is said as such, before anything else. */
	if (!intent_dir(true, dir, dirlen, f))
		return false;
	if (!sp->ops->clone_name(sp, seq, in->name, sizeof(in->name)))
		return fail(f, FAIL_INVALID, "dbclone: no room for a clone name");
	sp->ops->describe(sp, in->where, sizeof(in->where));
	return true;
}

bool intent_clone(void *admin, const struct spec *sp, const char *from,
		  unsigned long seq, unsigned flags, const struct marker *m,
		  char *name, size_t namelen, struct failure *f)
{
	const struct engine_ops *ops = sp->ops;
	struct failure again = {0};
	struct intent in;
	char dir[PATH_MAX];

	if (!intent_for(&in, sp, seq, m, dir, sizeof(dir), f) ||
	    !write_in(&in, dir, f))
		return false;
	test_phase("intent", in.name);
	if (!ops->clone(admin, sp, from, seq, flags, m, name, namelen, f)) {
		/* Proven gone, or the intent stays for gc and the next run. */
		if (ops->drop(admin, in.name, &again))
			intent_remove(&in);
		return false;
	}
	test_phase("made", name);
	/* Under a run, in the run's journal before the intent goes: a kill
	 * between the two leaves it to the run's final sweep. A name that is
	 * not the intent's would be a bug in the engine's clone_name: the
	 * intent then stays, and nothing is lost. */
	journal_record(ops->name, name, in.where);
	if (!strcmp(name, in.name))
		intent_remove(&in);
	return true;
}

void intent_drop_pending(const struct spec *sp, const char *name)
{
	struct intent in = {.ops = sp->ops, .kind = INTENT_DROP};
	struct failure f;

	marker_for_self(&in.owner, sp->ops->source(sp));
	snprintf(in.name, sizeof(in.name), "%s", name);
	sp->ops->describe(sp, in.where, sizeof(in.where));
	intent_write(&in, &f);
}

/* ---- the sweep ---------------------------------------------------------- */

/* What a sweep acts on, collected first: one admin connection per server
 * (engine and description) for all of them. */
struct swept {
	intent_pick pick;
	void *ctx;
	struct {
		struct intent in;
		char why[64];
		bool exists;
	} *items;
	size_t n, cap;
};

static void pick_intent(struct intent *in, void *vctx)
{
	struct swept *s = vctx;
	const char *why = s->pick(in, s->ctx);

	if (!why)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		if (!(s->items = realloc(s->items, s->cap * sizeof(*s->items))))
			abort();
	}
	s->items[s->n].in = *in;
	s->items[s->n].exists = false;
	snprintf(s->items[s->n].why, sizeof(s->items[s->n].why), "%s", why);
	s->n++;
}

static bool same_server(const struct intent *a, const struct intent *b)
{
	return a->ops == b->ops && !strcmp(a->where, b->where);
}

/* The sweep of one server's intents, as its list tells which exist. */
struct on_server {
	struct swept *s;
	size_t first;
};

static void note_existing(const char *name, const char *marker, void *vctx)
{
	struct on_server *o = vctx;
	struct marker m;

	/* A name is only a name: a clone that carries a live owner's (or a
	 * kept) marker is not the dead owner's, whatever its intent says. */
	if (marker && marker_parse(marker, &m) &&
	    (m.state == MARKER_KEPT || !marker_owner_gone(&m)))
		return;
	for (size_t i = o->first; i < o->s->n; i++)
		if (o->s->items[i].why[0] && !strcmp(o->s->items[i].in.name, name) &&
		    same_server(&o->s->items[i].in, &o->s->items[o->first].in))
			o->s->items[i].exists = true;
}

/* Ends the creators of the server's intended clones, then lists what
 * exists: a clone still being created for a killed owner is then either
 * listed or never made. False with f filled when the server is out of
 * reach. */
static bool settle_server(struct on_server *o, void **admin, struct failure *f)
{
	const struct intent *one = &o->s->items[o->first].in;
	const struct engine_ops *ops = one->ops;
	struct spec sp;

	*admin = NULL;
	if (!ops->from_description(&sp, one->where))
		return fail(f, FAIL_INVALID, "dbclone: cannot reach the server "
			    "of intent %s (%s)", one->path, one->where);
	if (ops->admin_open && !ops->admin_open(&sp, admin, f))
		return false;
	for (size_t i = o->first; ops->end_creators && i < o->s->n; i++)
		if (o->s->items[i].why[0] && same_server(&o->s->items[i].in, one))
			ops->end_creators(*admin, o->s->items[i].in.name);
	return ops->list(*admin, note_existing, o, f);
}

/* Drops the existing clones of the intents of first's server, with one
 * admin connection, and removes the intents of those gone; marks them
 * done (why emptied). Returns how many clones were dropped. */
static int sweep_server(struct swept *s, size_t first, engine_sweep_done done,
			void *ctx)
{
	struct on_server o = {s, first};
	const struct intent one = s->items[first].in;
	struct failure f = {0};
	void *admin;
	bool reached = settle_server(&o, &admin, &f);
	int dropped = 0;

	for (size_t i = first; i < s->n; i++) {
		struct intent *in = &s->items[i].in;
		struct failure why = {0};
		bool ok = reached;

		if (!s->items[i].why[0] || !same_server(in, &one))
			continue;
		if (ok && s->items[i].exists && !(ok = in->ops->drop(admin, in->name, &why)))
			f = why;
		if (ok)
			intent_remove(in);
		dropped += ok && s->items[i].exists;
		if (done && (!ok || s->items[i].exists))
			done(in->ops, in->name, s->items[i].why, ok ? NULL : f.why, ctx);
		s->items[i].why[0] = '\0';
	}
	if (admin)
		one.ops->admin_close(admin);
	return dropped;
}

int intent_sweep(intent_pick pick, engine_sweep_done done, void *ctx)
{
	struct swept s = {.pick = pick, .ctx = ctx};
	int dropped = 0;

	intent_each(pick_intent, &s);
	for (size_t i = 0; i < s.n; i++)
		if (s.items[i].why[0])
			dropped += sweep_server(&s, i, done, ctx);
	free(s.items);
	return dropped;
}

const char *intent_owner_gone(const struct intent *in, void *ctx)
{
	(void)ctx;
	if (!marker_owner_gone(&in->owner))
		return NULL;
	return in->kind == INTENT_DROP ? "its drop failed and its owner is gone" :
					 "its owner process is gone";
}
