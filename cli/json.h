/* JSON output of the command (ls --json, the run's summary). */
#ifndef DBCLONE_JSON_H
#define DBCLONE_JSON_H

#include <stdio.h>

/* s as a JSON string, quoted and escaped. */
void json_string(FILE *f, const char *s);

#endif
