/* dbclone doctor PROGRAM: follows a program name to the binary that runs
 * (PATH, symlinks, "#!" and wrapper scripts, Debian's pg_wrapper), and
 * tells whether that binary's connects can be intercepted. */
#include "doctor_program.h"

#include <elf.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOPS 8

static const char *const client_libs[] = {"libpq.so", "libsqlite3.so",
					  "libmysqlclient.so", "libmariadb.so",
					  NULL};

/* Programs whose drivers load client libraries when a script imports
 * them, and what to expect of each. */
static const struct {
	const char *prefix, *drivers;
} interpreters[] = {
	{"python", "psycopg2 and psycopg 3 load libpq, sqlite3 loads libsqlite3, "
		   "mysqlclient (MySQLdb) loads libmariadb: intercepted; pg8000, "
		   "asyncpg and PyMySQL speak the protocol themselves: not"},
	{"perl", "DBD::Pg loads libpq, DBD::SQLite carries its own SQLite (not "
		 "intercepted), DBD::MariaDB and DBD::mysql load libmariadb"},
	{"ruby", "pg loads libpq, sqlite3 loads libsqlite3, mysql2 loads "
		 "libmariadb: intercepted"},
	{"php", "pdo_pgsql and pgsql load libpq, pdo_sqlite loads libsqlite3 "
		"(intercepted); mysqlnd speaks the protocol itself: not"},
	{"node", "node-postgres (pg) and mysql2 speak the protocol themselves: "
		 "not intercepted, unless pg-native (libpq) is used; "
		 "better-sqlite3 carries its own SQLite"},
	{"java", "JDBC drivers speak the protocol themselves: never "
		 "intercepted; sqlite-jdbc carries its own SQLite"},
	{"tclsh", "tdbc::postgres loads libpq, tdbc::sqlite3 libsqlite3"},
	{"Rscript", "RPostgres loads libpq, RSQLite carries its own SQLite"},
};

/* The path PATH gives name (as execvp would find it). */
static bool search_path(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return access(name, F_OK) == 0;
	}
	copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, outlen, "%s/%s", *dir ? dir : ".", name);
		found = access(out, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* Reads the start of path: an ELF header, or a "#!" line. */
static size_t head_of(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return n;
}

/* A dynamically linked ELF has a PT_INTERP program header. */
static bool elf_dynamic(const char *path)
{
	FILE *f = fopen(path, "rb");
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool dyn = false;

	if (!f)
		return false;
	if (fread(&eh, sizeof(eh), 1, f) == 1 && eh.e_ident[EI_CLASS] == ELFCLASS64) {
		for (int i = 0; i < eh.e_phnum && !dyn; i++) {
			if (fseek(f, (long)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize),
				  SEEK_SET) || fread(&ph, sizeof(ph), 1, f) != 1)
				break;
			dyn = ph.p_type == PT_INTERP;
		}
	}
	fclose(f);
	return dyn;
}

/* The client libraries ldd finds for path (no shell: any name is safe). */
static int linked_clients(const char *path, char *out, size_t outlen)
{
	int fds[2], found = 0, status;
	char line[1024];
	pid_t pid;
	FILE *p;

	out[0] = '\0';
	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return 0;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		/* ldd runs the program's loader: never with the library. */
		unsetenv("LD_PRELOAD");
		execlp("ldd", "ldd", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	p = fdopen(fds[0], "r");
	while (p && fgets(line, sizeof(line), p)) {
		for (int i = 0; client_libs[i]; i++) {
			size_t n = strlen(out);

			if (!strstr(line, client_libs[i]))
				continue;
			line[strcspn(line, "(\n")] = '\0';
			for (size_t e = strlen(line); e && line[e - 1] == ' ';)
				line[--e] = '\0';
			snprintf(out + n, outlen - n, "%s%s", n ? "; " : "",
				 line + strspn(line, " \t"));
			found++;
		}
	}
	if (p)
		fclose(p);
	waitpid(pid, &status, 0);
	return found;
}

/* Debian's pg_wrapper runs /usr/lib/postgresql/<version>/bin/<name> for
 * the cluster's version (the newest installed, without one). */
static bool pg_wrapper_target(const char *invoked, char *out, size_t outlen)
{
	const char *base = strrchr(invoked, '/');
	char pattern[PATH_MAX];
	glob_t g;
	bool found = false;

	snprintf(pattern, sizeof(pattern), "/usr/lib/postgresql/*/bin/%s",
		 base ? base + 1 : invoked);
	if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc) {
		/* glob sorts; "9.6" after "15" is not a concern on Debian 12. */
		snprintf(out, outlen, "%s", g.gl_pathv[g.gl_pathc - 1]);
		found = true;
	}
	globfree(&g);
	return found;
}

/* A shell wrapper that ends in "exec /abs/path ...": the path. */
static bool exec_target(const char *script, char *out, size_t outlen)
{
	FILE *f = fopen(script, "r");
	char line[1024], path[PATH_MAX];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		if (strncmp(p, "exec ", 5) ||
		    sscanf(p + 5, " %4095[^ \t\n\"';&|]", path) != 1 || path[0] != '/')
			continue;
		found = access(path, X_OK) == 0;
		if (found)
			snprintf(out, outlen, "%s", path);
	}
	if (f)
		fclose(f);
	return found;
}

static const char *interpreter_drivers(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(interpreters) / sizeof(interpreters[0]); i++)
		if (!strncmp(base, interpreters[i].prefix, strlen(interpreters[i].prefix)))
			return interpreters[i].drivers;
	return NULL;
}

/* as: the name the binary was reached by (an interpreter's, for a
 * script), which a shim named for its interpreter (pyenv's) is judged
 * by. */
static enum reach judge_elf(const char *program, const char *path,
			    const char *as, bool quiet)
{
	char libs[2048];
	const char *drivers;

	if (!elf_dynamic(path)) {
		printf("no: %s (%s) is statically linked: it carries its own client "
		       "library or speaks the protocol itself (a Go or Rust binary), "
		       "and dbclone cannot intercept it; build it against libpq, "
		       "libsqlite3 or libmariadb dynamically, or clone by hand\n",
		       program, path);
		return REACH_NONE;
	}
	if (linked_clients(path, libs, sizeof(libs))) {
		if (!quiet)
			printf("ok: %s (%s) links %s: its connects are intercepted\n",
			       program, path, libs);
		return REACH_LINKED;
	}
	/* A shim or wrapper named for its interpreter (pyenv's python3) is
	 * judged by that name. */
	if ((drivers = interpreter_drivers(path)) ||
	    (drivers = interpreter_drivers(as))) {
		if (!quiet)
			printf("loaded at run time: %s runs %s (%s), an "
			       "interpreter: its database drivers load client "
			       "libraries when a script imports them (%s); run "
			       "dbclone doctor -- %s ARGS to see what it does\n",
			       program, as, path, drivers, program);
		return REACH_RUNTIME;
	}
	if (!quiet)
		printf("maybe: %s (%s) links no client library: it is intercepted "
		       "only if it loads one at run time (dlopen); run dbclone "
		       "doctor -- %s ARGS to see\n", program, path, program);
	return REACH_RUNTIME;
}

/* One step: a "#!" script's wrapper target, or its interpreter (then
 * *interpreter is set). */
static bool next_hop(const char *path, const char *invoked, char *next,
		     size_t nextlen, bool *interpreter, bool quiet)
{
	char head[512], interp[PATH_MAX], arg[PATH_MAX] = "";
	const char *base;

	head_of(path, head, sizeof(head));
	head[strcspn(head, "\n")] = '\0';
	if (strncmp(head, "#!", 2) ||
	    sscanf(head + 2, " %4095s %4095s", interp, arg) < 1)
		return false;
	/* "#!/usr/bin/env python3": the interpreter is env's argument. */
	base = strrchr(interp, '/');
	if (!strcmp(base ? base + 1 : interp, "env") && arg[0] && arg[0] != '-')
		snprintf(interp, sizeof(interp), "%s", arg);
	if (strstr(path, "pg_wrapper") && pg_wrapper_target(invoked, next, nextlen)) {
		if (!quiet)
			printf("  %s is Debian's pg_wrapper, which runs %s\n", path, next);
		return true;
	}
	if (exec_target(path, next, nextlen)) {
		if (!quiet)
			printf("  %s is a wrapper script that runs %s\n", path, next);
		return true;
	}
	if (!quiet)
		printf("  %s is a script run by %s\n", path, interp);
	snprintf(next, nextlen, "%s", interp);
	*interpreter = true;
	return true;
}

enum reach doctor_program(const char *program, bool quiet)
{
	char path[PATH_MAX], real[PATH_MAX], next[PATH_MAX], head[8], as[PATH_MAX];
	bool interpreter = false;

	if (!search_path(program, path, sizeof(path))) {
		printf("no: %s is not found (PATH=%s); give its path\n", program,
		       getenv("PATH") ? getenv("PATH") : "");
		return REACH_NONE;
	}
	snprintf(as, sizeof(as), "%s", program);
	for (int hop = 0; hop < HOPS; hop++) {
		if (!realpath(path, real)) {
			printf("no: %s cannot be resolved\n", path);
			return REACH_NONE;
		}
		if (!quiet && strcmp(real, path))
			printf("  %s is %s\n", path, real);
		head_of(real, head, sizeof(head));
		if (!memcmp(head, ELFMAG, SELFMAG))
			return judge_elf(program, real, as, quiet);
		interpreter = false;
		if (!next_hop(real, program, next, sizeof(next), &interpreter, quiet)) {
			printf("no: %s is neither a program nor a \"#!\" script\n", real);
			return REACH_NONE;
		}
		if (!search_path(next, path, sizeof(path))) {
			printf("no: %s runs %s, which is not found\n", real, next);
			return REACH_NONE;
		}
		/* The first interpreter named is the one the script asked for:
		 * a shim behind it (pyenv's) is run by a shell. */
		if (interpreter && !interpreter_drivers(as))
			snprintf(as, sizeof(as), "%s", strrchr(next, '/') ?
				 strrchr(next, '/') + 1 : next);
	}
	printf("no: %s: too many wrappers to follow\n", program);
	return REACH_NONE;
}
