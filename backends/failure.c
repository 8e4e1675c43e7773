/* The kind of a failure, from SQLSTATE, MariaDB error numbers and SQLite
 * result codes. */
#include "failure.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

bool fail(struct failure *f, enum fail_kind kind, const char *fmt, ...)
{
	va_list ap;

	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	return false;
}

enum fail_kind fail_kind_sqlstate(const char *s)
{
	if (!s || strlen(s) != 5)
		return FAIL_INVALID;
	/* 53100 disk full, 53200 out of memory, 53300 too many connections,
	 * 53400 configuration limit exceeded */
	if (!strncmp(s, "53", 2))
		return FAIL_BUSY;
	/* 42501 insufficient privilege; class 28: authorization */
	if (!strcmp(s, "42501") || !strncmp(s, "28", 2))
		return FAIL_REFUSED;
	/* class 08: connection exception; 57P01-57P03: admin shutdown,
	 * crash shutdown, cannot connect now */
	if (!strncmp(s, "08", 2) || !strcmp(s, "57P01") || !strcmp(s, "57P02") ||
	    !strcmp(s, "57P03"))
		return FAIL_GONE;
	return FAIL_INVALID;
}

enum fail_kind fail_kind_mysql(unsigned int err)
{
	switch (err) {
	case 0:
		return FAIL_NONE;
	case 1040: /* ER_CON_COUNT_ERROR: too many connections */
	case 1021: /* ER_DISK_FULL */
	case 1114: /* ER_RECORD_FILE_FULL: the table is full */
	case 1041: /* ER_OUT_OF_RESOURCES */
	case 1203: /* ER_TOO_MANY_USER_CONNECTIONS */
	case 1226: /* ER_USER_LIMIT_REACHED */
		return FAIL_BUSY;
	case 1044: /* ER_DBACCESS_DENIED_ERROR */
	case 1045: /* ER_ACCESS_DENIED_ERROR */
	case 1142: /* ER_TABLEACCESS_DENIED_ERROR */
	case 1227: /* ER_SPECIFIC_ACCESS_DENIED_ERROR */
		return FAIL_REFUSED;
	case 2002: /* CR_CONNECTION_ERROR */
	case 2003: /* CR_CONN_HOST_ERROR */
	case 2006: /* CR_SERVER_GONE_ERROR */
	case 2013: /* CR_SERVER_LOST */
	case 1053: /* ER_SERVER_SHUTDOWN */
		return FAIL_GONE;
	default:
		return FAIL_INVALID;
	}
}

enum fail_kind fail_kind_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return FAIL_NONE;
	case SQLITE_FULL:
	case SQLITE_NOMEM:
		return FAIL_BUSY;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return FAIL_REFUSED;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		return FAIL_GONE;
	default:
		return FAIL_INVALID;
	}
}
