/* dbclone doctor PROGRAM: the binary a program name really runs (PATH,
 * symlinks, #! and wrapper scripts followed), and whether dbclone can
 * reach its connects. */
#ifndef DBCLONE_DOCTOR_PROGRAM_H
#define DBCLONE_DOCTOR_PROGRAM_H

#include <stdbool.h>

/* The verdict of a program: */
enum reach {
	REACH_LINKED,   /* links a client library dynamically: intercepted */
	REACH_RUNTIME,  /* an interpreter or a program that may load one at
			   run time: its drivers decide */
	REACH_NONE,     /* static, or not found: cannot be intercepted */
};

/* Says what program is and how dbclone reaches it, on stdout; quiet
 * prints only a verdict that is REACH_NONE. */
enum reach doctor_program(const char *program, bool quiet);

#endif
