/*
 * options.h - the arguments of pam_mtls.so in a PAM service file.
 *
 *	config=PATH		mtls.conf to read (default MTLS_DEFAULT_CONFIG)
 *	source=conv|token|file	where the client side runs (default conv)
 *	token=URI		source=token: a pkcs11: URI naming the token
 *	pkcs11_module=PATH	source=token: load this module only, instead
 *				of the modules p11-kit is configured with
 *	wait=SECONDS		source=token: wait up to this long (0..600)
 *				for the token to be inserted (default 0)
 *	cert=PATH key=PATH	source=file: the certificate and key files
 *	debug			log LOG_DEBUG messages too
 *
 * Parsing is strict: an unknown option, a bad value, a repeated option or
 * an option that does not belong to the chosen source is an error, and
 * the module then denies (PAM_SERVICE_ERR).
 */
#ifndef PAM_MTLS_OPTIONS_H
#define PAM_MTLS_OPTIONS_H

#include "errors.h"

enum pmx_source {
	PMX_SOURCE_CONV = 1,	/* TLS records inside conversation prompts */
	PMX_SOURCE_TOKEN,	/* both sides in the module, key on a token */
	PMX_SOURCE_FILE		/* both sides in the module, key in a file */
};

#define PMX_WAIT_MAX	600

struct pmx_opts {
	char		*config;	/* absolute path, malloc'd */
	enum pmx_source	 source;
	char		*token;		/* pkcs11: URI, malloc'd */
	char		*module;	/* absolute path, malloc'd */
	unsigned	 wait;		/* seconds */
	int		 wait_set;
	char		*cert;		/* absolute path, malloc'd */
	char		*key;		/* absolute path, malloc'd */
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
