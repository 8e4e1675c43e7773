/* Symbol binding, and the dlopen/dlsym hooks.
 *
 * Drivers load client libraries privately (RTLD_LOCAL: Python and Perl
 * extensions), where dlsym(RTLD_NEXT) cannot see them; with RTLD_DEEPBIND
 * (PHP 8), which binds a plugin to its own libpq past any preload; or look
 * functions up themselves with dlsym (ctypes). */
#include "bind.h"
#include "log.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void *(*dlsym_fn)(void *, const char *);
typedef void *(*dlopen_fn)(const char *, int);

static dlsym_fn real_dlsym;
static dlopen_fn real_dlopen;

/* dlvsym is not hooked, so it reaches libc's dlsym and dlopen; the symbol
 * versions are glibc's current one and the x86-64 original. */
static void *libc_symbol(const char *name)
{
	void *fn = dlvsym(RTLD_NEXT, name, "GLIBC_2.34");

	return fn ? fn : dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
}

static pthread_once_t dl_bound = PTHREAD_ONCE_INIT;
static Dl_info self; /* this library, as the loader knows it */

/* libc's dlsym and dlopen, looked up by whichever thread needs them first
 * (each finds the same), without pthread_once: the dlsym hook is called
 * by a sanitizer runtime while it sets itself up (ThreadSanitizer looks
 * up what it intercepts with dlsym(RTLD_NEXT)), before its own
 * pthread_once interceptor can run. */
static void bind_libc_dl(void)
{
	if (!__atomic_load_n(&real_dlsym, __ATOMIC_ACQUIRE))
		__atomic_store_n(&real_dlsym, (dlsym_fn)libc_symbol("dlsym"),
				 __ATOMIC_RELEASE);
	if (!__atomic_load_n(&real_dlopen, __ATOMIC_ACQUIRE))
		__atomic_store_n(&real_dlopen, (dlopen_fn)libc_symbol("dlopen"),
				 __ATOMIC_RELEASE);
}

static void bind_dl_once(void)
{
	dladdr((void *)bind_dl_once, &self);
}

/* Once, whichever thread gets here first: a dlsym hook may be called
 * before the library's constructor (the sanitizer runtime, another
 * library's constructor). */
static void bind_dl(void)
{
	bind_libc_dl();
	pthread_once(&dl_bound, bind_dl_once);
}

static const void *own_base(void)
{
	bind_dl();
	return self.dli_fbase;
}

static bool is_ours(void *fn)
{
	Dl_info info;

	return dladdr(fn, &info) && info.dli_fbase == own_base();
}

struct search {
	const char *name;
	void *found;
};

static int search_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct search *s = arg;
	void *handle, *fn;

	(void)size;
	if (!info->dlpi_name || !info->dlpi_name[0] ||
	    (const void *)info->dlpi_addr == own_base())
		return 0;
	/* NOLOAD: only a handle on what is already there, never a load. */
	handle = real_dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
	if (!handle)
		return 0;
	fn = real_dlsym(handle, s->name);
	dlclose(handle);
	if (fn && !is_ours(fn)) {
		s->found = fn;
		return 1;
	}
	return 0;
}

void *find_real_symbol(const char *name)
{
	struct search s = {name, NULL};
	void *fn;

	bind_dl();
	if (!real_dlsym || !real_dlopen)
		return NULL;
	fn = real_dlsym(RTLD_NEXT, name);
	if (fn && !is_ours(fn))
		return fn;
	dl_iterate_phdr(search_object, &s);
	return s.found;
}

bool bind_real_symbols(const struct real_symbol *syms, const char *library)
{
	for (; syms->name; syms++) {
		*syms->slot = find_real_symbol(syms->name);
		if (!*syms->slot) {
			log_error("dbclone: cannot find the real %s in any loaded "
				  "%s; run the program without dbclone "
				  "(DBCLONE_DISABLE=1) and report it", syms->name,
				  library);
			return false;
		}
	}
	return true;
}

static void *hook_named(const char *name)
{
	static const struct hook *const tables[] = {pq_hooks, sqlite_hooks,
							 mariadb_hooks};

	if (!name)
		return NULL;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct hook *h = tables[t]; h->name; h++)
			if (strcmp(h->name, name) == 0)
				return h->fn;
	return NULL;
}

/* glibc's dlopen and dlsym look at their caller (RTLD_NEXT, the caller's
 * RUNPATH), so the pass-through calls below are tail calls: the real
 * function sees the program's return address, not ours. */

HOOK void *dlsym(void *handle, const char *name)
{
	void *hook;

	bind_libc_dl();
	/* A lookup in a client library's own handle (ctypes, psycopg 3) gets
	 * the hook; RTLD_DEFAULT finds the hook anyway, and RTLD_NEXT is a
	 * wrapper asking for what is behind it. */
	if (handle != RTLD_NEXT && handle != RTLD_DEFAULT &&
	    (hook = hook_named(name)) && real_dlsym(handle, name))
		return hook;
	return real_dlsym(handle, name);
}

HOOK void *dlopen(const char *file, int flags)
{
	bind_libc_dl();
	/* RTLD_DEEPBIND would bind the object to its own client library,
	 * past the hooks. */
	return real_dlopen(file, flags & ~RTLD_DEEPBIND);
}
