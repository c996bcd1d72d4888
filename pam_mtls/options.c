/*
 * options.c - parse pam_mtls.so's arguments (options.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "util.h"

#define PMX_PATH_MAX	4096
#define PMX_URI_MAX	4096

/* The value of "name=value" when arg starts with name=, else NULL. */
static const char *
opt_value(const char *arg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) == 0 && arg[n] == '=')
		return arg + n + 1;
	return NULL;
}

/* An absolute path into *dst, once. */
static int
opt_path(char **dst, const char *name, const char *v, struct mtls_err *err)
{
	if (*dst != NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s= given twice",
		    name);
	if (v[0] != '/' || strnlen(v, PMX_PATH_MAX) >= PMX_PATH_MAX)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s=%.64s: not an "
		    "absolute path", name, v);
	if ((*dst = strdup(v)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	return 0;
}

static int
opt_token(struct pmx_opts *o, const char *v, struct mtls_err *err)
{
	if (o->token != NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "token= given twice");
	if (strncmp(v, "pkcs11:", 7) != 0 ||
	    strnlen(v, PMX_URI_MAX) >= PMX_URI_MAX)
		return mtls_err_set(err, MTLS_E_CONFIG, "token=%.64s: not a "
		    "pkcs11: URI", v);
	/* A PIN in a service file would be readable by everyone. */
	if (strstr(v, "pin-value=") != NULL || strstr(v, "pin-source=") != NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "token=: the URI may "
		    "not hold a PIN");
	if ((o->token = strdup(v)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	return 0;
}

static int
opt_wait(struct pmx_opts *o, const char *v, struct mtls_err *err)
{
	unsigned long n;

	if (o->wait_set)
		return mtls_err_set(err, MTLS_E_CONFIG, "wait= given twice");
	if (mtls_parse_uint(v, 0, PMX_WAIT_MAX, &n) != 0)
		return mtls_err_set(err, MTLS_E_CONFIG, "wait=%.64s: not a "
		    "number of seconds from 0 to %d", v, PMX_WAIT_MAX);
	o->wait = (unsigned)n;
	o->wait_set = 1;
	return 0;
}

static const struct {
	const char	*name;
	enum pmx_source	 source;
} sources[] = {
	{ "conv", PMX_SOURCE_CONV },
	{ "token", PMX_SOURCE_TOKEN },
	{ "file", PMX_SOURCE_FILE },
};

static int
opt_source(struct pmx_opts *o, const char *v, struct mtls_err *err)
{
	size_t i;

	if (o->source != 0)
		return mtls_err_set(err, MTLS_E_CONFIG, "source= given twice");
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(v, sources[i].name) == 0) {
			o->source = sources[i].source;
			return 0;
		}
	return mtls_err_set(err, MTLS_E_CONFIG, "source=%.64s: unknown "
	    "(conv, token or file)", v);
}

static int
opt_one(struct pmx_opts *o, const char *arg, struct mtls_err *err)
{
	const char *v;

	if ((v = opt_value(arg, "config")) != NULL)
		return opt_path(&o->config, "config", v, err);
	if ((v = opt_value(arg, "source")) != NULL)
		return opt_source(o, v, err);
	if ((v = opt_value(arg, "token")) != NULL)
		return opt_token(o, v, err);
	if ((v = opt_value(arg, "pkcs11_module")) != NULL)
		return opt_path(&o->module, "pkcs11_module", v, err);
	if ((v = opt_value(arg, "wait")) != NULL)
		return opt_wait(o, v, err);
	if ((v = opt_value(arg, "cert")) != NULL)
		return opt_path(&o->cert, "cert", v, err);
	if ((v = opt_value(arg, "key")) != NULL)
		return opt_path(&o->key, "key", v, err);
	if (strcmp(arg, "debug") == 0) {
		o->debug = 1;
		return 0;
	}
	return mtls_err_set(err, MTLS_E_CONFIG, "unknown option \"%.64s\"",
	    arg);
}

/* Each source takes its own options and no other's. */
static int
opt_cross(const struct pmx_opts *o, struct mtls_err *err)
{
	int tok = o->source == PMX_SOURCE_TOKEN;
	int file = o->source == PMX_SOURCE_FILE;

	if (tok && o->token == NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "source=token needs "
		    "token=pkcs11:...");
	if (file && (o->cert == NULL || o->key == NULL))
		return mtls_err_set(err, MTLS_E_CONFIG, "source=file needs "
		    "cert= and key=");
	if (!tok && (o->token != NULL || o->module != NULL || o->wait_set))
		return mtls_err_set(err, MTLS_E_CONFIG, "token=, "
		    "pkcs11_module= and wait= belong to source=token");
	if (!file && (o->cert != NULL || o->key != NULL))
		return mtls_err_set(err, MTLS_E_CONFIG, "cert= and key= "
		    "belong to source=file");
	return 0;
}

int
pmx_opts_parse(int argc, const char **argv, struct pmx_opts *o,
    struct mtls_err *err)
{
	int i, r = MTLS_E_CONFIG;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL) {
			r = mtls_err_set(err, MTLS_E_CONFIG, "argument %d is "
			    "missing", i + 1);
			goto out;
		}
		if ((r = opt_one(o, argv[i], err)) != 0)
			goto out;
	}
	if (o->source == 0)
		o->source = PMX_SOURCE_CONV;
	if ((r = opt_cross(o, err)) != 0)
		goto out;
	if (o->config == NULL &&
	    (o->config = strdup(MTLS_DEFAULT_CONFIG)) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	r = 0;
 out:
	return r;
}

void
pmx_opts_clear(struct pmx_opts *o)
{
	if (o == NULL)
		return;
	free(o->config);
	free(o->token);
	free(o->module);
	free(o->cert);
	free(o->key);
	memset(o, 0, sizeof(*o));
}
