/* The library's logger: DBCLONE_DEBUGLEVEL (0 errors, 1 warnings, 2 one line
 * per redirect, 3 trace) to DBCLONE_LOG or standard error. */
#ifndef DBCLONE_LOG_H
#define DBCLONE_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_TRACE = 3 };

void log_line(enum log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), visibility("hidden")));

#define log_error(...) log_line(LOG_ERROR, __func__, __VA_ARGS__)
#define log_warn(...) log_line(LOG_WARN, __func__, __VA_ARGS__)
#define log_info(...) log_line(LOG_INFO, __func__, __VA_ARGS__)
#define log_trace(...) log_line(LOG_TRACE, __func__, __VA_ARGS__)

#endif
