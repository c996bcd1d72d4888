/*
 * errors.c - messages for MTLS_E_* codes and the mtls_err detail struct.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

struct errinfo {
	int		 code;
	const char	*name;
	const char	*msg;
};

static const struct errinfo errtab[] = {
#define MTLS_ERR_ROW(sym, val, name, msg) { (val), (name), (msg) },
	MTLS_ERROR_LIST(MTLS_ERR_ROW)
#undef MTLS_ERR_ROW
};

static const struct errinfo *
lookup(int code)
{
	size_t i;

	for (i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].code == code)
			return &errtab[i];
	return NULL;
}

const char *
mtls_strerror(int code)
{
	const struct errinfo *ei = lookup(code);

	return ei != NULL ? ei->msg : "unknown error";
}

const char *
mtls_errname(int code)
{
	const struct errinfo *ei = lookup(code);

	return ei != NULL ? ei->name : "unknown";
}

int
mtls_error_is_rejection(int code)
{
	return code <= MTLS_E_CERT_MALFORMED && code >= MTLS_E_WRONG_USER;
}

int
mtls_err_set(struct mtls_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	if (fmt == NULL) {
		snprintf(e->msg, sizeof(e->msg), "%s", mtls_strerror(code));
		return code;
	}
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *
mtls_err_msg(const struct mtls_err *e)
{
	if (e == NULL)
		return "unknown error";
	if (e->msg[0] != '\0')
		return e->msg;
	return mtls_strerror(e->code);
}
