/*
 * cli.c - option parsing and loading shared by mtls verify and mtls map.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "log.h"
#include "util.h"

enum { OPT_CONFIG = 256, OPT_CA, OPT_UNTRUSTED, OPT_CRL, OPT_AT,
    OPT_PURPOSE, OPT_JSON, OPT_HOST };

static const struct option longopts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "untrusted", required_argument, NULL, OPT_UNTRUSTED },
	{ "crl", required_argument, NULL, OPT_CRL },
	{ "at", required_argument, NULL, OPT_AT },
	{ "purpose", required_argument, NULL, OPT_PURPOSE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void __attribute__((format(printf, 3, 4), noreturn))
bad(const char *which, void (*usage)(FILE *), const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mtls %s: ", which);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(EXIT_USAGE);
}

static void
push(const char **list, size_t *n, const char *v, const char *which,
    void (*usage)(FILE *))
{
	if (*n >= MTLS_CONF_MAX_FILES)
		bad(which, usage, "too many files (%s)", v);
	list[(*n)++] = v;
}

int
cli_parse(int argc, char **argv, const char *which, void (*usage)(FILE *),
    struct cli_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->at = time(NULL);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_CA:
			push(o->ca, &o->n_ca, optarg, which, usage);
			break;
		case OPT_UNTRUSTED:
			push(o->untrusted, &o->n_untrusted, optarg, which,
			    usage);
			break;
		case OPT_CRL:
			push(o->crl, &o->n_crl, optarg, which, usage);
			break;
		case OPT_AT:
			if (mtls_parse_time(optarg, &o->at) != 0)
				bad(which, usage, "--at %s: expected Unix "
				    "seconds or an RFC 3339 time such as "
				    "2026-01-01T00:00:00Z", optarg);
			break;
		case OPT_PURPOSE:
			if (strcmp(optarg, "client") == 0)
				o->purpose = MTLS_PURPOSE_CLIENT;
			else if (strcmp(optarg, "server") == 0)
				o->purpose = MTLS_PURPOSE_SERVER;
			else if (strcmp(optarg, "any") == 0)
				o->purpose = MTLS_PURPOSE_ANY;
			else
				bad(which, usage, "--purpose %s: expected "
				    "client, server or any", optarg);
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_HOST:
			if (strcmp(which, "verify") != 0)
				bad(which, usage, "--host is an option of mtls "
				    "verify");
			if (*optarg == '\0')
				bad(which, usage, "--host needs a host name");
			o->host = optarg;
			break;
		case 'v':
			o->verbose = 1;
			mtls_log_set_max_priority(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			bad(which, usage, "unknown or incomplete option '%s'",
			    argv[optind - 1]);
		}
	}
	if (o->host != NULL && o->purpose == MTLS_PURPOSE_CLIENT)
		bad(which, usage, "--host checks a host certificate: it goes "
		    "with --purpose server (the default with --host)");
	if (o->host != NULL && o->purpose == 0)
		o->purpose = MTLS_PURPOSE_SERVER;
	if (optind != argc - 1)
		bad(which, usage, "%s", optind >= argc ?
		    "a certificate file is required" :
		    "exactly one certificate file is expected");
	o->cert = argv[optind];
	return 0;
}

static int
replace_list(char ***list, size_t *n, const char *const *src, size_t ns)
{
	size_t i;

	mtls_conf_list_clear(list, n);
	for (i = 0; i < ns; i++)
		if (mtls_conf_list_add(list, n, src[i]) != 0)
			return -1;
	return 0;
}

struct mtls_conf *
cli_conf(const struct cli_opts *o)
{
	struct mtls_conf *c = NULL;
	struct mtls_err e = { 0, "" };
	int r;

	/* Without --config, --ca means "no configuration file at all". */
	if (o->config != NULL || o->n_ca == 0)
		r = mtls_conf_read(o->config != NULL ? o->config :
		    MTLS_DEFAULT_CONFIG, &c, &e);
	else
		r = mtls_conf_new(&c);
	if (r != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		mtls_conf_free(c);
		return NULL;
	}
	if ((o->n_ca > 0 && replace_list(&c->anchors, &c->n_anchors, o->ca,
	    o->n_ca) != 0) ||
	    (o->n_untrusted > 0 && replace_list(&c->intermediates,
	    &c->n_intermediates, o->untrusted, o->n_untrusted) != 0) ||
	    (o->n_crl > 0 && replace_list(&c->crls, &c->n_crls, o->crl,
	    o->n_crl) != 0)) {
		fprintf(stderr, "mtls: out of memory\n");
		mtls_conf_free(c);
		return NULL;
	}
	if (mtls_conf_check(c, &e) != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		mtls_conf_free(c);
		return NULL;
	}
	return c;
}

int
cli_chain(const struct cli_opts *o, gnutls_x509_crt_t **out, unsigned *n,
    struct mtls_err *err)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned got = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = mtls_load_crts(o->cert, "certificate", 0, &crts, &got,
	    err)) != 0) {
		if (r != MTLS_E_CERT_MALFORMED)
			fprintf(stderr, "mtls: %s\n", mtls_err_msg(err));
		return r;
	}
	if (got > MTLS_MAX_CHAIN_IN) {
		fprintf(stderr, "mtls: %s: more than %d certificates\n",
		    o->cert, MTLS_MAX_CHAIN_IN);
		mtls_crts_free(crts, got);
		return MTLS_E_TOO_LARGE;
	}
	*out = crts;
	*n = got;
	return 0;
}

void
json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; p != NULL && *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int
cli_expect_verb(int argc, char **argv, const char *verb,
    void (*usage)(FILE *))
{
	if (argc >= 2 && strcmp(argv[1], verb) == 0)
		return -1;
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return EXIT_USAGE;
}

int
cli_parse_verb(int argc, char **argv, const char *verb, int force_ok,
    void (*usage)(FILE *), struct cli_verb *o)
{
	static const struct option verb_opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	o->config = MTLS_DEFAULT_CONFIG;
	o->at = time(NULL);
	o->force = 0;
	if ((ch = cli_expect_verb(argc, argv, verb, usage)) >= 0)
		return ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "+h", verb_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'a':
			if (mtls_parse_time(optarg, &o->at) != 0) {
				fprintf(stderr, "mtls %s %s: --at %s: bad time\n",
				    argv[0], verb, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if (!force_ok) {
				usage(stderr);
				return EXIT_USAGE;
			}
			o->force = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

void
cli_problem(void *ctx, int code, const char *msg)
{
	(void)ctx;
	printf("  problem (%s): %s\n", mtls_errname(code), msg);
}
