/* The unit tests' one assertion: counts, and names what failed. */
#ifndef DBCLONE_CHECK_H
#define DBCLONE_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (cond) {                                                  \
			passed++;                                            \
		} else {                                                     \
			failed++;                                            \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__,     \
				__LINE__, #cond);                            \
		}                                                            \
	} while (0)

#endif
