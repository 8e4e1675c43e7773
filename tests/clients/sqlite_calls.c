/* Opens a database file through each SQLite open call and prints the file
 * each handle really uses: "CALL PATH" per line. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report(const char *call, int rc, sqlite3 *db)
{
	const char *file = db ? sqlite3_db_filename(db, "main") : NULL;

	if (rc != SQLITE_OK)
		printf("%s failed %d: %s\n", call, rc, db ? sqlite3_errmsg(db) : "no handle");
	else
		printf("%s %s\n", call, file ? file : "(none)");
	sqlite3_close(db);
}

int main(int argc, char **argv)
{
	unsigned short wide[4096];
	sqlite3 *db = NULL;
	size_t i;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH\n", argv[0]);
		return 2;
	}
	rc = sqlite3_open(argv[1], &db);
	report("sqlite3_open", rc, db);
	/* ASCII paths: widening each byte is UTF-16. */
	for (i = 0; argv[1][i] && i + 1 < sizeof(wide) / sizeof(wide[0]); i++)
		wide[i] = (unsigned char)argv[1][i];
	wide[i] = 0;
	db = NULL;
	rc = sqlite3_open16(wide, &db);
	report("sqlite3_open16", rc, db);
	db = NULL;
	rc = sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL);
	report("sqlite3_open_v2(ro)", rc, db);
	db = NULL;
	rc = sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, "unix-dotfile");
	report("sqlite3_open_v2(vfs)", rc, db);
	return 0;
}
