/* The library's logger: one line per message, with level, program and pid (log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static const char *program_name(void)
{
	extern char *program_invocation_short_name;

	return program_invocation_short_name ? program_invocation_short_name : "?";
}

void log_line(enum log_level level, const char *func, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "trace"};
	const struct config *cfg = config_get();
	int saved = errno, fd = STDERR_FILENO;
	char line[2048], *text;
	va_list ap;
	size_t n;

	if ((int)level > cfg->debuglevel)
		return;
	n = (size_t)snprintf(line, sizeof(line), "dbclone[%s:%ld] %s",
			     program_name(), (long)getpid(), names[level]);
	if (level >= LOG_TRACE)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", func);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ": ");
	text = line + n;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	/* Error texts are written for the program ("dbclone: ..."); the prefix
	 * above already says who speaks. */
	if (strncmp(text, "dbclone: ", 9) == 0)
		memmove(text, text + 9, strlen(text + 9) + 1);
	n = strlen(line);
	line[n++] = '\n';

	if (cfg->log_path) {
		fd = open(cfg->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0600);
		if (fd < 0)
			fd = STDERR_FILENO;
	}
	/* One write per line, so lines from several processes never mix. */
	if (write(fd, line, n) < 0) {
		/* nowhere left to say it */
	}
	if (fd != STDERR_FILENO)
		close(fd);
	errno = saved;
}
