/*
 * options.h - the arguments of pam_mtls.so in a PAM service file.
 *
 *	config=PATH	mtls.conf to read (default MTLS_DEFAULT_CONFIG)
 *	source=conv	where the client side runs (only conv for now)
 *	debug		log LOG_DEBUG messages too
 *
 * Parsing is strict: an unknown option, a bad value or a repeated option
 * is an error, and the module then denies (PAM_SERVICE_ERR).
 */
#ifndef PAM_MTLS_OPTIONS_H
#define PAM_MTLS_OPTIONS_H

#include "errors.h"

enum pmx_source {
	PMX_SOURCE_CONV = 1	/* TLS records inside conversation prompts */
};

struct pmx_opts {
	char		*config;	/* absolute path, malloc'd */
	enum pmx_source	 source;
	int		 debug;
};

/*
 * Fill o from argv.  o is reset first, so pmx_opts_clear() is always safe
 * afterwards, whatever the result.  Returns 0, MTLS_E_CONFIG (err says
 * which argument and why) or MTLS_E_NOMEM.  Pure: reads no file.
 */
int pmx_opts_parse(int argc, const char **argv, struct pmx_opts *o,
    struct mtls_err *err);

/* Free what o holds and reset it. */
void pmx_opts_clear(struct pmx_opts *o);

#endif /* PAM_MTLS_OPTIONS_H */
