/* The spec's wire form: one table of fields per engine, one encoder, one
 * decoder. */
#include "spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "wire.h"

#define FIELD(member) {offsetof(struct spec, member), \
		       sizeof(((struct spec *)0)->member), false}
#define NUMBER(member) {offsetof(struct spec, member), \
			sizeof(((struct spec *)0)->member), true}

static const struct spec_field pg_fields[] = {
	FIELD(pg.conninfo), FIELD(pg.dbname), FIELD(pg.role)};
static const struct spec_field sqlite_fields[] = {FIELD(sqlite.path)};
static const struct spec_field mysql_fields[] = {
	FIELD(mysql.host), NUMBER(mysql.port), FIELD(mysql.socket),
	FIELD(mysql.user), FIELD(mysql.password), FIELD(mysql.database)};

const struct spec_layout spec_layout_pg = {pg_fields, 3};
const struct spec_layout spec_layout_sqlite = {sqlite_fields, 1};
const struct spec_layout spec_layout_mysql = {mysql_fields, 6};

bool spec_encode(const struct spec *sp, char *line, size_t linelen)
{
	const struct spec_layout *l = sp->ops->layout;

	for (int i = 0; i < l->n; i++) {
		const char *at = (const char *)sp + l->fields[i].offset;
		char number[16];

		if (l->fields[i].number) {
			snprintf(number, sizeof(number), "%u", *(const unsigned *)at);
			at = number;
		}
		if (!wire_append(line, linelen, at))
			return false;
	}
	return true;
}

bool spec_decode(struct spec *sp, const struct engine_ops *ops,
		 char *const *fields, int n)
{
	const struct spec_layout *l = ops->layout;

	memset(sp, 0, sizeof(*sp));
	sp->ops = ops;
	if (n != l->n)
		return false;
	for (int i = 0; i < n; i++) {
		char *at = (char *)sp + l->fields[i].offset, *end;

		if (l->fields[i].number) {
			unsigned long v = strtoul(fields[i], &end, 10);

			if (*end || v > 65535)
				return false;
			*(unsigned *)at = (unsigned)v;
		} else if (strlen(fields[i]) >= l->fields[i].size) {
			return false;
		} else {
			strcpy(at, fields[i]);
		}
	}
	return true;
}
