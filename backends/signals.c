/* The boundary signal's name, from DBCLONE_SIGNAL. */
#include "signals.h"

#include <signal.h>
#include <stdlib.h>
#include <strings.h>

int boundary_signal_from(const char *v)
{
	static const struct { const char *name; int sig; } names[] = {
		{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP},
		{"WINCH", SIGWINCH}, {"URG", SIGURG},
	};
	char *end;
	long num;

	if (!v || !*v)
		return SIGUSR2;
	if (!strcasecmp(v, "none"))
		return 0;
	if (!strncasecmp(v, "SIG", 3))
		v += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(v, names[i].name))
			return names[i].sig;
	num = strtol(v, &end, 10);
	if (*v && !*end && num >= SIGRTMIN && num <= SIGRTMAX)
		return (int)num;
	return -1;
}
