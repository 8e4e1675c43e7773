/* SQLite: resolve a source file, copy it, drop, list, mark. */
#include "sqlite.h"
#include "testhook.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CLONE_SUFFIX ".sqlite"
#define MARKER_SUFFIX ".dbclone"

/* ---- which opens are clones of a file ---------------------------------- */

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* SQLite's URI rules: "file:" then an optional //localhost authority, a
 * percent-encoded path, then ?query and #fragment. */
static bool parse_uri(const char *uri, char *path, size_t pathlen,
		      char *query, size_t querylen)
{
	const char *p = uri + 5, *end = p + strcspn(p, "?#");
	size_t n = 0;

	if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
		const char *slash = memchr(p + 2, '/', (size_t)(end - p - 2));
		size_t alen;

		if (!slash)
			return false;
		alen = (size_t)(slash - p - 2);
		if (alen && !(alen == 9 && !strncmp(p + 2, "localhost", 9)))
			return false;
		p = slash;
	}
	for (; p < end && n + 1 < pathlen; p++) {
		if (*p == '%' && end - p > 2 && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
			path[n++] = (char)(hex(p[1]) * 16 + hex(p[2]));
			p += 2;
		} else {
			path[n++] = *p;
		}
	}
	path[n] = '\0';
	query[0] = '\0';
	if (*end == '?')
		snprintf(query, querylen, "%.*s", (int)strcspn(end + 1, "#"), end + 1);
	return true;
}

/* Does the query hold key=value (as SQLite reads it)? */
static bool query_has(const char *query, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);

	for (const char *p = query; *p; p += strcspn(p, "&"), p += *p == '&') {
		if (!strncmp(p, key, klen) && p[klen] == '=' &&
		    !strncmp(p + klen + 1, value, vlen) &&
		    (p[klen + 1 + vlen] == '&' || !p[klen + 1 + vlen]))
			return true;
	}
	return false;
}

/* The last name made absolute, with the file it named: a program opens
 * the same name at every test, and realpath() reads every component's
 * link (five system calls for /dev/shm/x/app.db) where two stat() calls
 * tell that the name and the path still reach the same file. Only ever
 * tried (trylock): a busy cache, or one a fork caught locked, is skipped,
 * never waited for. */
static pthread_mutex_t resolved_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[PATH_MAX];
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino;
} resolved;

static bool same_file(const struct stat *a, dev_t dev, ino_t ino)
{
	return a->st_dev == dev && a->st_ino == ino;
}

static bool absolute_path(const char *name, const struct stat *st, char *out)
{
	struct stat again;
	bool hit;

	if (pthread_mutex_trylock(&resolved_lock) == 0) {
		hit = !strcmp(resolved.name, name) &&
		      same_file(st, resolved.dev, resolved.ino);
		if (hit)
			strcpy(out, resolved.path);
		pthread_mutex_unlock(&resolved_lock);
		if (hit && stat(out, &again) == 0 &&
		    same_file(&again, st->st_dev, st->st_ino))
			return true;
	}
	if (!realpath(name, out))
		return false;
	if (strlen(name) < sizeof(resolved.name) &&
	    pthread_mutex_trylock(&resolved_lock) == 0) {
		strcpy(resolved.name, name);
		strcpy(resolved.path, out);
		resolved.dev = st->st_dev;
		resolved.ino = st->st_ino;
		pthread_mutex_unlock(&resolved_lock);
	}
	return true;
}

bool sqlite_resolve(const char *filename, bool uri, struct sqlite_source *src)
{
	char path[PATH_MAX];
	struct stat st;

	memset(src, 0, sizeof(*src));
	if (!filename || !*filename || !strcmp(filename, ":memory:"))
		return false;
	if (uri && !strncmp(filename, "file:", 5)) {
		if (!parse_uri(filename, path, sizeof(path), src->query,
			       sizeof(src->query)))
			return false;
		if (query_has(src->query, "mode", "memory") ||
		    query_has(src->query, "vfs", "memdb"))
			return false;
		src->uri = true;
	} else {
		snprintf(path, sizeof(path), "%s", filename);
	}
	if (!path[0] || !strcmp(path, ":memory:"))
		return false;
	/* A file that does not exist yet is being created: nothing to copy. */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	return absolute_path(path, &st, src->path);
}

void sqlite_rewrite(const struct sqlite_source *src, const char *clone,
		    char *out, size_t outlen)
{
	size_t n;

	if (!src->uri) {
		snprintf(out, outlen, "%s", clone);
		return;
	}
	/* An absolute path gets an empty authority: "file:" and "//x/..."
	 * would read x as a host. */
	n = (size_t)snprintf(out, outlen, clone[0] == '/' ? "file://" : "file:");
	for (const unsigned char *c = (const unsigned char *)clone;
	     *c && n + 4 < outlen; c++) {
		if (isalnum(*c) || strchr("/-_.~", *c))
			out[n++] = (char)*c;
		else
			n += (size_t)snprintf(out + n, outlen - n, "%%%02X", *c);
	}
	out[n] = '\0';
	if (src->query[0])
		snprintf(out + n, outlen - n, "?%s", src->query);
}

/* ---- where clones live ------------------------------------------------- */

static bool check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) != 0) {
		snprintf(err, errlen, "dbclone: cannot use DBCLONE_DIR %s (%s); "
			 "set DBCLONE_DIR to a directory of yours", dir,
			 strerror(errno));
		return false;
	}
	/* Another user's directory, or a symlink planted in /tmp, would put
	 * copies of the data where someone else can read or swap them. */
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "dbclone: DBCLONE_DIR %s is a symlink; "
			 "remove it, or set DBCLONE_DIR to a real directory of "
			 "yours", dir);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "dbclone: DBCLONE_DIR %s is not a directory; "
			 "remove it, or set DBCLONE_DIR to a directory", dir);
		return false;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "dbclone: DBCLONE_DIR %s belongs to uid %ld, "
			 "not to you (uid %ld); remove it, or set DBCLONE_DIR to "
			 "a directory of yours", dir, (long)st.st_uid,
			 (long)geteuid());
		return false;
	}
	return true;
}

bool sqlite_clone_dir(bool create, char *out, size_t outlen, char *err,
		      size_t errlen)
{
	const char *dir = getenv("DBCLONE_DIR"), *tmp = getenv("TMPDIR");

	if (dir && *dir)
		snprintf(out, outlen, "%s", dir);
	else
		snprintf(out, outlen, "%s/dbclone-%ld", tmp && *tmp ? tmp : "/tmp",
			 (long)geteuid());
	if (create && mkdir(out, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "dbclone: cannot create DBCLONE_DIR %s (%s); "
			 "set DBCLONE_DIR to a writable directory", out,
			 strerror(errno));
		return false;
	}
	return check_dir(out, err, errlen);
}

/* ---- the copy ---------------------------------------------------------- */

static bool has_content(const char *path, const char *suffix)
{
	char side[PATH_MAX + 16];
	struct stat st;

	snprintf(side, sizeof(side), "%s%s", path, suffix);
	return stat(side, &st) == 0 && st.st_size > 0;
}

/* A new file of ours, mode 0600 whatever the umask (which may take bits
 * off, never add them back): copies and markers hold the source's data. */
static int create_private(const char *path, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600), e;

	if (fd >= 0 && fchmod(fd, 0600) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The bytes of the open file in, by reflink where the file system shares
 * extents, else copy_file_range. Returns 0, or the errno; ENOTSUP means
 * "use another way", not a failure. */
static int copy_fd(int in, const char *to)
{
	int out = create_private(to, O_EXCL), rc = 0;
	off_t at = 0;
	ssize_t n;

	if (out < 0)
		return errno;
	if (ioctl(out, FICLONE, in) != 0) {
		/* At explicit offsets: the copy starts at byte 0 whatever
		 * the descriptor's own offset. */
		while ((n = copy_file_range(in, &at, out, NULL, 1 << 30, 0)) > 0)
			;
		if (n < 0) {
			rc = errno;
			if (!at && (rc == EXDEV || rc == ENOSYS || rc == EINVAL ||
				    rc == EOPNOTSUPP))
				rc = ENOTSUP;
		}
	}
	if (close(out) != 0 && !rc)
		rc = errno;
	if (rc)
		unlink(to);
	return rc;
}

static int copy_bytes(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), rc;

	if (in < 0)
		return errno;
	rc = copy_fd(in, to);
	close(in);
	return rc;
}

/* ---- a read lock without a connection ---------------------------------- */

/* The lock bytes of SQLite's unix VFS (os_unix.c, "locking"): a reader
 * holds a read lock on the shared range; a writer must write-lock all of
 * it (EXCLUSIVE) before it writes the database file, and takes the
 * PENDING byte first so that new readers wait for it. */
#define SQ_PENDING_BYTE 0x40000000
#define SQ_SHARED_FIRST (SQ_PENDING_BYTE + 2)
#define SQ_SHARED_SIZE 510
/* How long a writer's commit may keep the copy waiting (in 1 ms steps)
 * before the copy goes through SQLite, which then says "locked". */
#define SQ_LOCK_TRIES 2000

static int ofd_lock(int fd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET,
			   .l_start = start, .l_len = len};

	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* SHARED, taken as SQLite takes it. An open file description's lock
 * (OFD): a classic POSIX lock would belong to the process, and go with
 * the close of any descriptor of the file, including the program's own
 * connections'. */
static bool ofd_shared(int fd)
{
	const struct timespec ms = {0, 1000000};

	for (int i = 0; i < SQ_LOCK_TRIES; i++) {
		if (ofd_lock(fd, F_RDLCK, SQ_PENDING_BYTE, 1) == 0) {
			bool ok = ofd_lock(fd, F_RDLCK, SQ_SHARED_FIRST,
					   SQ_SHARED_SIZE) == 0;

			ofd_lock(fd, F_UNLCK, SQ_PENDING_BYTE, 1);
			if (ok)
				return true;
		}
		if (errno != EAGAIN && errno != EACCES)
			return false; /* no OFD locks here: SQLite's way */
		nanosleep(&ms, NULL);
	}
	return false;
}

/* Is a -journal beside path one that a reader would have to roll back
 * (or one being written)? Not when it is absent, empty or zeroed
 * (journal_mode TRUNCATE and PERSIST after a commit). */
static bool journal_in_use(const char *path)
{
	char side[PATH_MAX + 16];
	unsigned char first = 0;
	int fd;

	snprintf(side, sizeof(side), "%s-journal", path);
	if ((fd = open(side, O_RDONLY | O_CLOEXEC)) < 0)
		return errno != ENOENT;
	if (pread(fd, &first, 1, 0) < 0)
		first = 1;
	close(fd);
	return first != 0;
}

/* The source opened and read-locked as SQLite's readers lock it, when its
 * file alone holds its committed state: a rollback-journal database
 * (header bytes 18-19) with no journal in use. Then no writer can write
 * the file until the descriptor is closed, and its bytes are the copy.
 * -1 for everything else (WAL, a hot or live journal, not a database, a
 * file system without OFD locks, a writer holding on): SQLite's read
 * transaction decides, and says what is wrong. */
static int locked_for_copy(const char *path)
{
	unsigned char head[100];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* The header and the journal are looked at under the lock: a hot
	 * journal can only be rolled back, and a WAL switch made, under
	 * EXCLUSIVE, which the lock keeps out. */
	if (ofd_shared(fd) && pread(fd, head, sizeof(head), 0) == sizeof(head) &&
	    !memcmp(head, "SQLite format 3", 16) && head[18] == 1 &&
	    head[19] == 1 && !journal_in_use(path) && !has_content(path, "-wal"))
		return fd;
	close(fd);
	return -1;
}

/* What SQLite and dbclone keep next to a copy. */
static void remove_side_files(const char *clone)
{
	static const char *const sides[] = {"-wal", "-shm", "-journal",
					    MARKER_SUFFIX};
	char path[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", clone, sides[i]);
		unlink(path);
	}
}

static void remove_clone_files(const char *clone)
{
	unlink(clone);
	remove_side_files(clone);
}

/* SQLite's own page-by-page copy: what a WAL with frames needs, since the
 * committed rows are partly in the -wal file. */
static int backup_copy(const struct sqlite_api *api, sqlite3 *from,
		       const char *to, char *why, size_t whylen)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int fd, rc;

	/* Made here, 0600 whatever the umask: SQLite would create it 0644 less
	 * the umask, and gives its -wal, -shm and -journal the mode of the
	 * database file. An empty file is an empty database to SQLite. */
	fd = create_private(to, O_EXCL);
	if (fd < 0 || close(fd) != 0) {
		int e = errno;

		snprintf(why, whylen, "%s", strerror(e));
		return e == ENOSPC || e == EDQUOT ? SQLITE_FULL : SQLITE_CANTOPEN;
	}
	rc = api->open_v2(to, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		b = api->backup_init(dst, "main", from, "main");
		if (!b) {
			rc = SQLITE_ERROR;
		} else {
			rc = api->backup_step(b, -1);
			rc = api->backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE ?
				     SQLITE_OK : rc == SQLITE_DONE ? SQLITE_ERROR : rc;
		}
	}
	snprintf(why, whylen, "%s", dst ? api->errmsg(dst) : "out of memory");
	api->close(dst);
	return rc;
}

static bool write_marker(const char *clone, const struct marker *m)
{
	char path[PATH_MAX + 16], text[MARKER_MAX];
	int fd, n = marker_format(m, text, sizeof(text));
	bool ok;

	snprintf(path, sizeof(path), "%s%s", clone, MARKER_SUFFIX);
	fd = create_private(path, O_EXCL);
	if (fd < 0)
		return false;
	ok = write(fd, text, (size_t)n) == n;
	ok &= close(fd) == 0;
	return ok;
}

static void say_full(const char *dir, const char *source, char *err,
		     size_t errlen)
{
	snprintf(err, errlen, "dbclone: no space left in DBCLONE_DIR %s to clone "
		 "%s; free some space, or set DBCLONE_DIR to a file system with "
		 "room", dir, source);
}

bool sqlite_clone_path(const char *dir, const char *source, unsigned long seq,
		       char *out, size_t outlen)
{
	char name[128];

	return clone_name(source, seq, 100, name, sizeof(name)) &&
	       (size_t)snprintf(out, outlen, "%s/%s" CLONE_SUFFIX, dir, name) <
		       outlen;
}

/* The copy under SQLite's own read transaction: what a WAL, a journal
 * in use, or a file without OFD locks needs. Returns 0 or an errno, with
 * why; -1 when the source cannot be read, with err and *code filled. */
static int copy_through_sqlite(const struct sqlite_api *api,
			       const struct sqlite_source *src,
			       const char *clone, char *why, size_t whylen,
			       int *code, char *err, size_t errlen)
{
	sqlite3 *rd = NULL;
	char *msg = NULL;
	int rc, copied;
	bool logical;

	rc = api->open_v2(src->path, &rd, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "dbclone: cannot read source %s (%s); make it "
			 "readable, or leave it out with DBCLONE_EXCLUDE", src->path,
			 rd ? api->errmsg(rd) : "out of memory");
		api->close(rd);
		return -1;
	}
	/* The read transaction keeps writers from committing to the file (or
	 * checkpointing past it) while it is copied. Reading the schema
	 * cookie takes it and checks the header, without parsing the schema
	 * (which costs more than copying a small file). */
	rc = api->exec(rd, "BEGIN; PRAGMA schema_version", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_NOTADB) {
			*code = SQLITE_NOTADB;
			snprintf(err, errlen, "dbclone: %s is not an SQLite database "
				 "(%s); point the program at a database file, or "
				 "leave it out with DBCLONE_EXCLUDE", src->path,
				 msg ? msg : "file is not a database");
		} else {
			snprintf(err, errlen, "dbclone: cannot read source %s (%s); "
				 "make it readable, or leave it out with "
				 "DBCLONE_EXCLUDE", src->path, msg ? msg : "error");
		}
		api->free(msg);
		api->close(rd);
		return -1;
	}

	logical = has_content(src->path, "-wal") || has_content(src->path, "-journal");
	test_phase("create", clone);
	copied = logical ? ENOTSUP : copy_bytes(src->path, clone);
	if (copied == ENOTSUP) {
		rc = backup_copy(api, rd, clone, why, whylen);
		copied = rc == SQLITE_OK ? 0 : (rc & 0xff) == SQLITE_FULL ? ENOSPC : EIO;
	} else {
		snprintf(why, whylen, "%s", strerror(copied));
	}
	api->exec(rd, "COMMIT", NULL, NULL, NULL);
	api->close(rd);
	return copied;
}

bool sqlite_clone(const struct sqlite_api *api, const struct sqlite_source *src,
		  const char *dir, unsigned long seq, const struct marker *m,
		  char *clone, size_t clonelen, int *code, char *err,
		  size_t errlen)
{
	char why[300];
	int fd, copied = ENOTSUP;

	*code = SQLITE_CANTOPEN;
	/* Named after the source the marker names, also when copying a
	 * golden copy of it. */
	if (!sqlite_clone_path(dir, m->source, seq, clone, clonelen)) {
		snprintf(err, errlen, "dbclone: DBCLONE_DIR %s is too long a path; "
			 "set DBCLONE_DIR to a shorter one", dir);
		return false;
	}
	/* A lock on the file rather than a connection to it: opening the
	 * source through SQLite costs more than copying a small file. */
	if ((fd = locked_for_copy(src->path)) >= 0) {
		test_phase("create", clone);
		copied = copy_fd(fd, clone);
		close(fd);
		snprintf(why, sizeof(why), "%s", strerror(copied));
	}
	if (copied == ENOTSUP &&
	    (copied = copy_through_sqlite(api, src, clone, why, sizeof(why),
					  code, err, errlen)) < 0)
		return false;

	if (!copied)
		test_phase("created", clone);
	if (!copied && !write_marker(clone, m))
		copied = errno ? errno : EIO;
	if (copied) {
		remove_clone_files(clone);
		if (copied == ENOSPC || copied == EDQUOT) {
			*code = SQLITE_FULL;
			say_full(dir, src->path, err, errlen);
		} else {
			snprintf(err, errlen, "dbclone: cannot copy %s into DBCLONE_DIR "
				 "%s (%s); check that directory", src->path, dir, why);
		}
		return false;
	}
	return true;
}

/* Descriptors of the files stamps read, kept open in a program's
 * process: closing a descriptor drops every POSIX lock the process holds
 * on its file, and the program's own SQLite connection on a setup holds
 * SQLite's locks by them (a process claiming a clone stamps the setup it
 * may have open). Keyed by device and inode; one whose file is gone is
 * closed (nobody can lock a file with no name), one the program closed or
 * reused is forgotten, and one of them goes when all are taken. The run
 * supervisor, which holds no SQLite lock, keeps none (sqlite_stamps_keep). */
#define KEPT 16
static struct kept {
	dev_t dev;
	ino_t ino;
	int fd;
} kept[KEPT];
static int nkept;
static bool keeping = true;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

void sqlite_stamps_keep(bool keep)
{
	keeping = keep;
}

/* Under kept_lock. */
static void forget_gone(void)
{
	struct stat st;

	for (int i = 0; i < nkept;) {
		bool ours = fstat(kept[i].fd, &st) == 0 &&
			    st.st_dev == kept[i].dev && st.st_ino == kept[i].ino;

		if (ours && st.st_nlink > 0) {
			i++;
			continue;
		}
		if (ours)
			close(kept[i].fd);
		kept[i] = kept[--nkept];
	}
}

/* Reads len bytes at off of path (whose stat is st) into b through a kept
 * descriptor; -1 when there is none to be had (the caller opens its own). */
static ssize_t kept_pread(const char *path, const struct stat *st,
			  unsigned char *b, size_t len, off_t off)
{
	ssize_t got = -1;
	int fd = -1;

	/* A fork that caught another thread here leaves it locked in the
	 * child: that child reads with a descriptor of its own. */
	if (!keeping || pthread_mutex_trylock(&kept_lock) != 0)
		return -1;
	forget_gone();
	for (int i = 0; i < nkept && fd < 0; i++)
		if (kept[i].dev == st->st_dev && kept[i].ino == st->st_ino)
			fd = kept[i].fd;
	if (fd < 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (nkept == KEPT)
			close(kept[--nkept].fd);
		kept[nkept++] = (struct kept){st->st_dev, st->st_ino, fd};
	}
	if (fd >= 0)
		got = pread(fd, b, len, off);
	pthread_mutex_unlock(&kept_lock);
	return fd >= 0 ? got : -1;
}

/* Bytes [off, off + len) of path (whose stat is st) as hex ("-" when the
 * file has none). */
static void hex_of(const char *path, const struct stat *st, off_t off,
		   size_t len, char *out)
{
	unsigned char b[32];
	ssize_t got = kept_pread(path, st, b, len, off);

	if (got < 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		got = fd >= 0 ? pread(fd, b, len, off) : -1;
		if (fd >= 0)
			close(fd);
	}
	if (got != (ssize_t)len) {
		strcpy(out, "-");
		return;
	}
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

bool sqlite_stamp(const char *path, char *out, size_t outlen)
{
	char wal[PATH_MAX], counter[9], walhead[65];
	struct stat db, w = {0};

	if (stat(path, &db) != 0 ||
	    (size_t)snprintf(wal, sizeof(wal), "%s-wal", path) >= sizeof(wal))
		return false;
	hex_of(path, &db, 24, 4, counter);
	if (stat(wal, &w) == 0)
		hex_of(wal, &w, 0, 32, walhead);
	else
		strcpy(walhead, "-");
	return (size_t)snprintf(out, outlen, "%lu:%lld:%s:%lld:%s",
				(unsigned long)db.st_ino, (long long)db.st_size,
				counter, (long long)w.st_size, walhead) < outlen;
}

bool sqlite_drop(const char *clone, char *err, size_t errlen)
{
	if (unlink(clone) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "dbclone: cannot remove clone %s (%s)", clone,
			 strerror(errno));
		return false;
	}
	remove_side_files(clone);
	return true;
}

bool sqlite_write_marker(const char *clone, const struct marker *m)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32], text[MARKER_MAX];
	int fd, n = marker_format(m, text, sizeof(text));
	bool ok;

	/* Written aside and renamed: a reader sees the old marker or the new
	 * one, never half of one. */
	snprintf(path, sizeof(path), "%s%s", clone, MARKER_SUFFIX);
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	fd = create_private(tmp, O_TRUNC);
	if (fd < 0)
		return false;
	ok = write(fd, text, (size_t)n) == n;
	ok &= close(fd) == 0;
	if (ok && rename(tmp, path) == 0)
		return true;
	unlink(tmp);
	return false;
}

bool sqlite_read_marker(const char *clone, char *out, size_t outlen)
{
	char path[PATH_MAX + 16];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s%s", clone, MARKER_SUFFIX);
	if (!(f = fopen(path, "r")))
		return false;
	ok = fgets(out, (int)outlen, f) != NULL;
	fclose(f);
	return ok;
}

bool sqlite_list(const char *dir, clone_list_fn fn, void *ctx, char *err,
		 size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		if (errno == ENOENT)
			return true; /* no clone was ever made here */
		snprintf(err, errlen, "dbclone: cannot list DBCLONE_DIR %s (%s)",
			 dir, strerror(errno));
		return false;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), s = strlen(CLONE_SUFFIX);
		char path[PATH_MAX + 256], marker[MARKER_MAX];

		if (!is_clone_name(e->d_name) || n <= s ||
		    strcmp(e->d_name + n - s, CLONE_SUFFIX) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fn(path, sqlite_read_marker(path, marker, sizeof(marker)) ? marker
									    : NULL,
		   ctx);
	}
	closedir(d);
	return true;
}
