/* Prints what ctor_plugin's constructor reached, before main: "pg DB" and
 * "sqlite PATH". */
#include <stdio.h>

const char *ctor_pg_database(void);
const char *ctor_sqlite_file(void);

int main(void)
{
	printf("pg %s\n", ctor_pg_database());
	printf("sqlite %s\n", ctor_sqlite_file());
	return 0;
}
