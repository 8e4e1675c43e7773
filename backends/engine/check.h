/* dbclone doctor --pg / --mysql: the server side of cloning, checked
 * before a run needs it: may this account clone this source, is the
 * source busy, which copy path a clone takes. Each finding is said as
 * one line: a verdict ("ok", "no", "note") and the text, which for "no"
 * names the fix. */
#ifndef DBCLONE_CHECK_H
#define DBCLONE_CHECK_H

#include <stdbool.h>

#include "mariadb.h"
#include "pg.h"

typedef void check_say_fn(const char *verdict, const char *text, void *ctx);

/* conninfo: how the program connects (its dbname is the source).
 * False when a "no" was said. */
bool pg_check(const struct pg_api *api, const char *conninfo,
	      check_say_fn *say, void *ctx);

/* where: "user=app password=x host=h port=3306 socket=/path db=shop". */
bool mysql_check(const struct mysql_api *api, const char *where,
		 check_say_fn *say, void *ctx);

#endif
