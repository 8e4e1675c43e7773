/* Layers: the state a test key starts from (issue 14's rule).
 *
 *   The setup is the clone of the current epoch: what is written with no
 *   DBCLONE_TEST. A test key starts from the setup as it is when the key
 *   first connects; with no setup in the epoch, from the source. Taking
 *   the setup never changes its data.
 *
 * Taking it makes a layer: a frozen state that the key's clone (and the
 * pool's, and later keys') are copied from. PostgreSQL freezes the setup
 * clone itself (its sessions cut): the setup key's next connect gets a
 * fresh copy of the layer, which goes on as the setup. MariaDB and SQLite
 * copy the live setup itself, consistently, for each key (and the pool):
 * their layer is the setup as it stands (live), which costs no copy of
 * its own. A layer is taken again for the next key when the setup may
 * have been written since: another connect under the setup key, or a
 * stamp (engine.h) that changed or cannot be told.
 *
 * This file only decides (pure): the library's registry and the run
 * supervisor keep the records and do the copies. */
#ifndef DBCLONE_LAYER_H
#define DBCLONE_LAYER_H

#include <limits.h>
#include <stdbool.h>

#include "keys.h"

struct layer {
	char setup_key[KEY_MAX]; /* the epoch key it was taken from */
	char name[PATH_MAX];     /* the frozen copy keys are cloned from */
	char from[PATH_MAX];     /* the setup clone copied ("": in place) */
	char stamp[256];         /* the setup's stamp when copied */
	bool stamped;            /* stamp could be told */
	bool stamp_once;         /* the take's stamp holds while no connect
				    came since (engine.h stamp_at_take_only) */
	unsigned long uses;      /* the setup's connects when taken */
	bool live;               /* name is the live setup itself: copied
				    with CLONE_LIVE, never dropped as a
				    layer */
};

/* The flags a copy from l takes (engine.h's CLONE_*). */
unsigned layer_copy_flags(const struct layer *l);

enum layer_choice {
	LAYER_SOURCE, /* no setup: from the source (the run's golden) */
	LAYER_USE,    /* from the layer as it is */
	LAYER_TAKE,   /* take the setup (again), then from the new layer */
};

/* For a test key's first connect: l is the setup key's newest layer
 * (NULL: none), setup the setup key's clone now (NULL: none), uses its
 * connects so far, stamp_ok/stamp its stamp now (asked only when
 * layer_needs_stamp says so). */
enum layer_choice layer_choose(const struct layer *l, const char *setup,
			       unsigned long uses, bool stamp_ok,
			       const char *stamp);

/* Whether layer_choose would look at the setup's stamp: a layer copied
 * from this very setup, with no connect since. */
bool layer_needs_stamp(const struct layer *l, const char *setup,
		       unsigned long uses);

#endif
