/* Unit tests of which state a test key starts from (backends/layer.c):
 * the source, the setup's layer as it is, or the setup taken again. Ends
 * with the plain "N passed, N failed" line. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "layer.h"

static struct layer copied(const char *from, unsigned long uses,
			   bool stamped, const char *stamp)
{
	struct layer l = {0};

	snprintf(l.setup_key, sizeof(l.setup_key), "e0#0");
	snprintf(l.name, sizeof(l.name), "layer_1");
	snprintf(l.from, sizeof(l.from), "%s", from);
	snprintf(l.stamp, sizeof(l.stamp), "%s", stamp);
	l.stamped = stamped;
	l.uses = uses;
	return l;
}

static void no_setup_starts_from_the_source(void)
{
	CHECK(layer_choose(NULL, NULL, 0, false, "") == LAYER_SOURCE);
	CHECK(!layer_needs_stamp(NULL, NULL, 0));
}

static void a_first_setup_is_taken(void)
{
	CHECK(layer_choose(NULL, "setup_0", 1, false, "") == LAYER_TAKE);
}

static void a_layer_frozen_in_place_is_used_until_the_setup_connects(void)
{
	struct layer l = copied("", 0, false, "");

	/* The setup became the layer: no setup clone until a connect. */
	CHECK(layer_choose(&l, NULL, 0, false, "") == LAYER_USE);
	/* A connect under the setup key made a new setup from it. */
	CHECK(!layer_needs_stamp(&l, "setup_2", 1));
	CHECK(layer_choose(&l, "setup_2", 1, false, "") == LAYER_TAKE);
}

static void a_copied_layer_is_used_while_the_setup_is_unchanged(void)
{
	struct layer l = copied("setup_0", 3, true, "a:1");

	CHECK(layer_needs_stamp(&l, "setup_0", 3));
	CHECK(layer_choose(&l, "setup_0", 3, true, "a:1") == LAYER_USE);
	/* Written since (the stamp moved), or cannot be told. */
	CHECK(layer_choose(&l, "setup_0", 3, true, "a:2") == LAYER_TAKE);
	CHECK(layer_choose(&l, "setup_0", 3, false, "") == LAYER_TAKE);
	/* Connected since: taken again, without asking the stamp. */
	CHECK(!layer_needs_stamp(&l, "setup_0", 4));
	CHECK(layer_choose(&l, "setup_0", 4, true, "a:1") == LAYER_TAKE);
	/* Another setup clone than the one copied. */
	CHECK(layer_choose(&l, "setup_9", 3, true, "a:1") == LAYER_TAKE);
}

static void a_layer_taken_with_sessions_on_the_setup_is_taken_again(void)
{
	/* The stamp could not be told at the take (sessions were on it). */
	struct layer l = copied("setup_0", 1, false, "");

	CHECK(!layer_needs_stamp(&l, "setup_0", 1));
	CHECK(layer_choose(&l, "setup_0", 1, true, "") == LAYER_TAKE);
}

static void a_sessions_only_stamp_holds_without_asking(void)
{
	struct layer l = copied("setup_0", 2, true, "quiet");

	l.stamp_once = true;
	CHECK(!layer_needs_stamp(&l, "setup_0", 2));
	CHECK(layer_choose(&l, "setup_0", 2, false, "") == LAYER_USE);
	/* A connect since: taken again. */
	CHECK(layer_choose(&l, "setup_0", 3, false, "") == LAYER_TAKE);
	/* Sessions were on it at the take: never held. */
	l.stamped = false;
	CHECK(layer_choose(&l, "setup_0", 2, false, "") == LAYER_TAKE);
}

int main(void)
{
	no_setup_starts_from_the_source();
	a_first_setup_is_taken();
	a_layer_frozen_in_place_is_used_until_the_setup_connects();
	a_copied_layer_is_used_while_the_setup_is_unchanged();
	a_layer_taken_with_sessions_on_the_setup_is_taken_again();
	a_sessions_only_stamp_holds_without_asking();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
