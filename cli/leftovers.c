/* What dead runs and processes left (leftovers.h). */
#include "leftovers.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"

/* What the journal names, grouped by server: one admin connection and
 * one list per server. */
struct journaled {
	const struct engine_ops *ops;
	char clone[PATH_MAX];
	char where[1024];
	bool done;
};

struct journal_lines {
	struct journaled *items;
	size_t n, cap;
};

static void note_line(const char *engine, const char *clone, const char *where,
		      void *ctx)
{
	struct journal_lines *j = ctx;
	const struct engine_ops *ops = engine_by_name(engine);

	if (!ops)
		return;
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 16;
		if (!(j->items = realloc(j->items, j->cap * sizeof(*j->items))))
			abort();
	}
	j->items[j->n].ops = ops;
	j->items[j->n].done = false;
	snprintf(j->items[j->n].clone, sizeof(j->items[j->n].clone), "%s", clone);
	snprintf(j->items[j->n].where, sizeof(j->items[j->n].where), "%s", where);
	j->n++;
}

static bool same_server(const struct journaled *a, const struct journaled *b)
{
	return a->ops == b->ops && !strcmp(a->where, b->where);
}

/* The clones of one server in the journal: those that still exist and
 * whose marker names run are dropped. One admin connection. */
static int sweep_server(struct journal_lines *j, const struct journaled *first,
			const char *run)
{
	const struct engine_ops *ops = first->ops;
	struct failure f = {0};
	struct spec sp;
	void *admin = NULL;
	int dropped = 0;

	if (!ops->from_description(&sp, first->where) ||
	    (ops->admin_open && !ops->admin_open(&sp, &admin, &f))) {
		fprintf(stderr, "%s\n", f.why);
		return 0;
	}
	for (size_t i = 0; i < j->n; i++) {
		struct journaled *e = &j->items[i];
		char text[MARKER_MAX];
		struct marker m;

		if (e->done || !same_server(e, first))
			continue;
		e->done = true;
		if (!engine_read_marker(ops, admin, e->clone, text, sizeof(text)) ||
		    !marker_parse(text, &m) || m.state == MARKER_KEPT ||
		    strcmp(m.run, run))
			continue;
		if (ops->drop(admin, e->clone, &f))
			dropped++;
		else
			fprintf(stderr, "%s\n", f.why);
	}
	if (admin)
		ops->admin_close(admin);
	return dropped;
}

/* Removes what a run directory holds (journal, socket, owner, and the
 * files in its claims and offers: claims.h), then the directory. */
static void remove_dir(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX + 300];

		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (unlink(path) != 0 && errno == EISDIR && depth < 1)
				remove_dir(path, depth + 1);
		}
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* A clone recorded in the journal that still exists belongs to a process
 * that never reached its exit handler. */
int sweep_run_dir(const char *dir, const char *run)
{
	struct journal_lines j = {0};
	int dropped = 0;

	journal_read(dir, note_line, &j);
	for (size_t i = 0; i < j.n; i++)
		if (!j.items[i].done)
			dropped += sweep_server(&j, &j.items[i], run);
	free(j.items);
	remove_dir(dir, 0);
	return dropped;
}

void run_dir_owner(const char *dir)
{
	char path[PATH_MAX + 16], text[MARKER_MAX];
	struct marker m;
	FILE *f;

	marker_for_self(&m, dir);
	m.state = MARKER_INTENT; /* v2: with the supervisor's start */
	marker_format(&m, text, sizeof(text));
	snprintf(path, sizeof(path), "%s/owner", dir);
	if ((f = fopen(path, "we"))) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
}

/* Is the supervisor of a run directory gone? Its owner record says; a
 * directory without one (an older dbclone's, or one being made) is dead
 * when nothing listens on its socket. */
static bool run_dir_dead(const char *dir, const struct stat *st)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char path[PATH_MAX + 320], text[MARKER_MAX] = "";
	struct marker m;
	bool dead;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/owner", dir);
	if ((f = fopen(path, "re"))) {
		dead = fgets(text, sizeof(text), f) && marker_parse(text, &m) &&
		       marker_owner_gone(&m);
		fclose(f);
		return dead;
	}
	snprintf(path, sizeof(path), "%s/socket", dir);
	if (strlen(path) >= sizeof(addr.sun_path))
		return false;
	strcpy(addr.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	dead = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 &&
	       (errno == ECONNREFUSED ||
		(errno == ENOENT && time(NULL) - st->st_mtime > 60));
	close(fd);
	return dead;
}

int sweep_stale_runs(bool dry_run, bool tell)
{
	const char *tmp = getenv("TMPDIR");
	char base[PATH_MAX];
	struct dirent *e;
	int removed = 0;
	DIR *d;

	snprintf(base, sizeof(base), "%s", tmp && *tmp ? tmp : "/tmp");
	if (!(d = opendir(base)))
		return 0;
	while ((e = readdir(d))) {
		char dir[PATH_MAX + 300];
		struct stat st;

		if (strncmp(e->d_name, "dbclone-run-", 12))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
		/* Only this user's own directories, never through a symlink. */
		if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid() || !run_dir_dead(dir, &st))
			continue;
		if (tell)
			printf("%s run directory %s (its supervisor is gone)\n",
			       dry_run ? "would remove" : "removed", dir);
		/* What its journal names is marked with dead owners, or
		 * intended by them: the sweeps by marker and intent drop it,
		 * and say so. */
		if (!dry_run)
			remove_dir(dir, 0);
		removed++;
	}
	closedir(d);
	return removed;
}
