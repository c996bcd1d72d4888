/*
 * options.c - parse pam_mtls.so's arguments (options.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "util.h"

#define PMX_PATH_MAX	4096

/* The value of "name=value" when arg starts with name=, else NULL. */
static const char *
opt_value(const char *arg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) == 0 && arg[n] == '=')
		return arg + n + 1;
	return NULL;
}

static int
opt_config(struct pmx_opts *o, const char *v, struct mtls_err *err)
{
	if (o->config != NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "config= given twice");
	if (v[0] != '/' || strnlen(v, PMX_PATH_MAX) >= PMX_PATH_MAX)
		return mtls_err_set(err, MTLS_E_CONFIG, "config=%.64s: not an "
		    "absolute path", v);
	if ((o->config = strdup(v)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	return 0;
}

static int
opt_source(struct pmx_opts *o, const char *v, struct mtls_err *err)
{
	if (o->source != 0)
		return mtls_err_set(err, MTLS_E_CONFIG, "source= given twice");
	if (strcmp(v, "conv") != 0)
		return mtls_err_set(err, MTLS_E_CONFIG, "source=%.64s: "
		    "unsupported (only source=conv is)", v);
	o->source = PMX_SOURCE_CONV;
	return 0;
}

int
pmx_opts_parse(int argc, const char **argv, struct pmx_opts *o,
    struct mtls_err *err)
{
	const char *v;
	int i, r = MTLS_E_CONFIG;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL) {
			r = mtls_err_set(err, MTLS_E_CONFIG, "argument %d is "
			    "missing", i + 1);
			goto out;
		}
		if ((v = opt_value(argv[i], "config")) != NULL)
			r = opt_config(o, v, err);
		else if ((v = opt_value(argv[i], "source")) != NULL)
			r = opt_source(o, v, err);
		else if (strcmp(argv[i], "debug") == 0)
			r = 0, o->debug = 1;
		else
			r = mtls_err_set(err, MTLS_E_CONFIG, "unknown option "
			    "\"%.64s\"", argv[i]);
		if (r != 0)
			goto out;
	}
	if (o->source == 0)
		o->source = PMX_SOURCE_CONV;
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
	memset(o, 0, sizeof(*o));
}
