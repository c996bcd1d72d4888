/*
 * log.c - mtls_log() and its backends.
 */
#include "config.h"

#include <stdio.h>
#include <syslog.h>

#include "log.h"

static mtls_log_fn	 log_fn;
static void		*log_ctx;
static int		 log_max = LOG_INFO;

void
mtls_log_set_backend(mtls_log_fn fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

void
mtls_log_set_max_priority(int priority)
{
	log_max = priority;
}

void
mtls_vlog(int priority, const char *fmt, va_list ap)
{
	char line[1024];
	char *p;

	if (log_fn == NULL || priority > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One message, one line: never let input forge extra log lines. */
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	log_fn(log_ctx, priority, line);
}

void
mtls_log(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mtls_vlog(priority, fmt, ap);
	va_end(ap);
}

void
mtls_log_syslog(void *ctx, int priority, const char *line)
{
	(void)ctx;
	syslog(LOG_AUTHPRIV | priority, "%s", line);
}
