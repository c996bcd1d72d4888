/*
 * cmd_config.c - mtls config check.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "host.h"
#include "verify.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: mtls config check [--config FILE] [--at TIME]\n\n"
	    "Parse the configuration file (default " MTLS_DEFAULT_CONFIG "), "
	    "load every file\nit names, and report what would make logins "
	    "fail: CRLs that do not verify\nor are out of date, trust "
	    "anchors that are not CA certificates.\n\n"
	    "Exit status: 0 usable, 1 loaded but logins would fail, 2 the "
	    "file or\nsomething it names cannot be loaded.\n");
}

static void
problem(void *ctx, int code, const char *msg)
{
	(void)ctx;
	printf("  problem (%s): %s\n", mtls_errname(code), msg);
}

int
cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = MTLS_DEFAULT_CONFIG;
	struct mtls_conf *c = NULL;
	struct mtls_verifier *v = NULL;
	struct mtls_err e = { 0, "" };
	time_t at = time(NULL);
	size_t np;
	int ch, rc = EXIT_USAGE;

	if ((ch = cli_expect_verb(argc, argv, "check", usage)) >= 0)
		return ch;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "+h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'a':
			if (mtls_parse_time(optarg, &at) != 0) {
				fprintf(stderr, "mtls config check: --at %s: "
				    "bad time\n", optarg);
				return EXIT_USAGE;
			}
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
	if (mtls_conf_load(path, &c, &e) != 0 ||
	    mtls_verifier_new(c, &v, &e) != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		goto out;
	}
	printf("%s: %zu trust anchor file%s, %zu intermediate file%s, "
	    "%zu CRL file%s, %zu map rule%s\n", path, c->n_anchors,
	    c->n_anchors == 1 ? "" : "s", c->n_intermediates,
	    c->n_intermediates == 1 ? "" : "s", c->n_crls,
	    c->n_crls == 1 ? "" : "s", c->n_rules, c->n_rules == 1 ? "" : "s");
	if (c->n_rules == 0)
		printf("  note: no map rules: no certificate maps to any "
		    "account\n");
	np = mtls_verifier_problems(v, at, problem, NULL);
	if (c->host_cert != NULL || c->host_key != NULL) {
		int hr = mtls_host_check(c, v, at, &e);

		if (hr != 0 && !mtls_error_is_rejection(hr)) {
			fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
			goto out;
		}
		if (hr != 0) {
			printf("  problem (%s): host certificate %s: %s\n",
			    mtls_errname(hr), c->host_cert, mtls_err_msg(&e));
			np++;
		} else
			printf("  host certificate %s: OK for serverAuth\n",
			    c->host_cert);
	}
	if (np == 0) {
		printf("  OK\n");
		rc = 0;
	} else
		rc = EXIT_REJECTED;
 out:
	mtls_verifier_free(v);
	mtls_conf_free(c);
	return rc;
}
