/* Layers: which state a test key starts from (pure; layer.h). */
#include "layer.h"

#include <string.h>

#include "engine.h"

unsigned layer_copy_flags(const struct layer *l)
{
	return !l ? 0 : CLONE_FROM_LAYER | (l->live ? CLONE_LIVE : 0);
}

/* A layer copied from this very setup, stamped then, with no connect
 * under the setup key since. */
static bool taken_of(const struct layer *l, const char *setup,
		     unsigned long uses)
{
	return l && l->name[0] && setup && l->from[0] &&
	       !strcmp(l->from, setup) && l->uses == uses && l->stamped;
}

bool layer_needs_stamp(const struct layer *l, const char *setup,
		       unsigned long uses)
{
	return taken_of(l, setup, uses) && !l->stamp_once;
}

enum layer_choice layer_choose(const struct layer *l, const char *setup,
			       unsigned long uses, bool stamp_ok,
			       const char *stamp)
{
	if (!setup)
		/* Never connected in this epoch, or frozen in place and not
		 * connected since. */
		return l && l->name[0] ? LAYER_USE : LAYER_SOURCE;
	if (taken_of(l, setup, uses) &&
	    (l->stamp_once || (stamp_ok && !strcmp(l->stamp, stamp))))
		return LAYER_USE;
	return LAYER_TAKE;
}
