/* The boundary signal's name, as DBCLONE_SIGNAL spells it: shared by the
 * library (which catches it) and `dbclone next` (which sends it). */
#ifndef DBCLONE_SIGNALS_H
#define DBCLONE_SIGNALS_H

#define SIGNAL_NAMES_HELP \
	"use USR1, USR2, HUP, WINCH, URG, a real-time signal number, or none"

/* USR2 when unset; 0 for "none"; -1 when the value is not valid. */
int boundary_signal_from(const char *value);

#endif
