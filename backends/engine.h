/* One table of operations per engine (in the manner of nss_wrapper's
 * struct nwrap_ops), and what is built once on top of it: the sweep of
 * clones whose owner is gone. Whoever needs an engine goes through here;
 * engine_by_name() is the one place that compares engine names.
 *
 * An "admin" is the engine's own admin connection (PGconn, MYSQL), or
 * NULL for an engine that needs none (SQLite). The engines are reached
 * through the api tables given to engine_bind(), never by name. */
#ifndef DBCLONE_ENGINE_H
#define DBCLONE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "failure.h"
#include "marker.h"
#include "spec.h"

struct pg_api;
struct mysql_api;
struct sqlite_api;

typedef clone_list_fn engine_list_fn;

/* How clone() copies: CLONE_FREEZE makes the copy a frozen one that
 * others are cloned from (a golden, a layer: PostgreSQL makes it a
 * template nobody may connect to); CLONE_LIVE says that from is a live
 * clone other sessions may be writing (the setup), which the copy must
 * read consistently without changing it. CLONE_FROM_LAYER: from is a
 * layer, which the clone's marker names (dbclone ls shows it). */
enum { CLONE_FREEZE = 1, CLONE_LIVE = 2, CLONE_FROM_LAYER = 4 };

struct engine_ops {
	const char *name; /* on the wire and in the journal: pg, sqlite, mysql */
	const struct spec_layout *layout;

	/* The source's name as the engine knows it (database or path). */
	const char *(*source)(const struct spec *sp);
	/* Where the source's server is, without password (the run journal's
	 * "where"), and a spec that reaches it again from that. */
	void (*describe)(const struct spec *sp, char *out, size_t outlen);
	bool (*from_description)(struct spec *sp, const char *where);
	/* Did the user name a server of this engine (environment)? Then not
	 * reaching it is an error for ls and gc, else it is left out. */
	bool (*server_named)(void);

	/* An admin connection for sp (NULL: the engine needs none); a key
	 * that tells two servers or accounts apart, for a cache. */
	bool (*admin_open)(const struct spec *sp, void **admin,
			   struct failure *f);
	bool (*admin_alive)(void *admin);
	void (*admin_close)(void *admin);
	void (*admin_key)(const struct spec *sp, char *out, size_t outlen);

	/* The name clone() gives the clone of sp made after seq (SQLite: its
	 * path in DBCLONE_DIR), known before the clone exists: its intent
	 * (intent.h) names it. False when it does not fit. */
	bool (*clone_name)(const struct spec *sp, unsigned long seq, char *name,
			   size_t namelen);
	/* Copies from (a clone, golden or layer; NULL: the source) into a
	 * new clone named after seq, with marker m, as flags say (CLONE_*).
	 * Nothing is left on failure. */
	bool (*clone)(void *admin, const struct spec *sp, const char *from,
		      unsigned long seq, unsigned flags, const struct marker *m,
		      char *name, size_t namelen, struct failure *f);
	/* Taking a layer (layer.h) of a live clone, the setup, without
	 * changing its data. take_in_place: the engine freezes the clone
	 * itself, after ending the sessions still on it (named in cut, ""
	 * when there were none); NULL: the engine copies it instead, with
	 * clone(CLONE_FREEZE | CLONE_LIVE). */
	bool (*take_in_place)(void *admin, const char *name, char *cut,
			      size_t cutlen, struct failure *f);
	/* A stamp of a live clone that changes whenever it is written; false
	 * when that cannot be told now (sessions are on it). NULL for an
	 * engine that takes in place (a frozen layer is never written). */
	bool (*stamp)(void *admin, const char *name, char *out, size_t outlen);
	/* Clones of a frozen copy are much faster than of a live one
	 * (MariaDB: by files, or over several connections): a run freezes
	 * a live setup's copy for its pool, in the background. */
	bool freeze_layers;
	/* The stamp only tells whether sessions are on the clone (MariaDB):
	 * one that found none at the take, with no connect under the key
	 * since (every connect is counted), still holds, unasked. */
	bool stamp_at_take_only;
	/* The stamp is read from a file the process can read itself (no
	 * admin): a process claiming a clone checks it (claims.h). */
	bool stamp_local;
	/* Its clones are files in DBCLONE_DIR, on the file system of the
	 * intents (intent.h): their intents need no fsync. */
	bool files_beside_intents;
	/* Optional (NULL: nothing to pay). What the first connect to a new
	 * clone costs, paid by the run's pool before the clone is ready
	 * (PostgreSQL's first connect to a database builds its relation
	 * cache file and reads its catalogs): one session as the clone's
	 * user, closed before it returns, never on the source or a golden. */
	void (*warm)(void *admin, const struct spec *sp, const char *name);
	bool (*drop)(void *admin, const char *name, struct failure *f);
	/* Without an admin connection: would a drop of name cost more than
	 * starting a thread to do it off the program's path? NULL: never. */
	bool (*drop_is_slow)(const char *name);
	/* Before a clone known only by its intent is dropped: ends the
	 * server's sessions still running a statement that creates it (a
	 * killed client's CREATE DATABASE goes on without it) and waits for
	 * them. NULL when the drop waits for them itself (MariaDB's metadata
	 * locks) or there is no server. */
	void (*end_creators)(void *admin, const char *name);
	bool (*list)(void *admin, engine_list_fn fn, void *ctx,
		     struct failure *f);
	/* NULL: engine_read_marker finds it in the list. */
	bool (*read_marker)(void *admin, const char *name, char *out,
			    size_t outlen);
	bool (*write_marker)(void *admin, const char *name,
			     const struct marker *m);
	/* A command that connects to a kept clone (no password in it). */
	void (*connect_command)(const struct spec *sp, const char *name,
				char *out, size_t outlen);
};

extern const struct engine_ops engine_pg, engine_sqlite, engine_mysql;

/* NULL-terminated, in the order ls and gc visit them. */
extern const struct engine_ops *const engines[];

/* The engine of that name, or NULL. */
const struct engine_ops *engine_by_name(const char *name);

/* The client libraries' functions, for every engine operation, one
 * library at a time (the library binds each when the program loads it:
 * a program that only uses SQLite never needs libpq); admin is the
 * engine's DBCLONE_*_ADMIN as the caller read and validated it (NULL:
 * unset). engine_bind() binds all three, with the environment's. */
void engine_bind_pg(const struct pg_api *api, const char *admin);
void engine_bind_mysql(const struct mysql_api *api, const char *admin);
void engine_bind_sqlite(const struct sqlite_api *api);
void engine_bind(const struct pg_api *pg, const struct mysql_api *mysql,
		 const struct sqlite_api *sqlite);
extern const struct pg_api *engine_pg_api;
extern const struct mysql_api *engine_mysql_api;
extern const struct sqlite_api *engine_sqlite_api;
/* DBCLONE_PG_ADMIN, DBCLONE_MYSQL_ADMIN as bound; NULL when unset. */
extern const char *engine_pg_admin, *engine_mysql_admin;

/* The marker text of one clone; false if it has none or is gone. */
bool engine_read_marker(const struct engine_ops *ops, void *admin,
			const char *name, char *out, size_t outlen);

/* Which listed clones a sweep drops: NULL to leave it, else why (for
 * the report). Only clones with a marker are ever asked about. */
typedef const char *(*engine_sweep_pick)(const char *name,
					 const struct marker *m, void *ctx);
/* After each drop: err NULL when it worked. */
typedef void (*engine_sweep_done)(const struct engine_ops *ops,
				  const char *name, const char *why,
				  const char *err, void *ctx);

/* Lists the clones of admin's server (ops), then drops those pick
 * chooses; returns how many were dropped, -1 if the list failed (f). */
int engine_sweep(const struct engine_ops *ops, void *admin,
		 engine_sweep_pick pick, engine_sweep_done done, void *ctx,
		 struct failure *f);

/* pick: a clone whose owner (on this host) is gone. */
const char *engine_owner_gone(const char *name, const struct marker *m,
			      void *ctx);

#endif
