/*
 * log.h - the one logging call of mtls, with pluggable backends.
 *
 * common/ never writes to stdout or stderr itself: it calls mtls_log(), and
 * the program that links it chooses where messages go (pam_syslog in the
 * PAM module, syslog for daemons, stderr for the command-line tool).
 * Messages must never contain secrets: no private keys, PINs or PEM data.
 */
#ifndef MTLS_LOG_H
#define MTLS_LOG_H

#include <stdarg.h>
#include <syslog.h>	/* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

/* A backend receives a syslog priority and a formatted, NUL-ended line. */
typedef void (*mtls_log_fn)(void *ctx, int priority, const char *line);

/*
 * Install a backend for this process (NULL discards everything, which is
 * the default).  ctx is passed back unchanged.  Not thread-safe: call it
 * before any thread logs.
 */
void mtls_log_set_backend(mtls_log_fn fn, void *ctx);

/* Messages above this priority (e.g. LOG_DEBUG when max is LOG_INFO) are dropped. */
void mtls_log_set_max_priority(int priority);

/* Format and hand a message to the backend; thread-safe if the backend is. */
void mtls_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mtls_vlog(int priority, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Backend that sends to syslog(3) with facility authpriv; ctx is unused. */
void mtls_log_syslog(void *ctx, int priority, const char *line);

#endif /* MTLS_LOG_H */
