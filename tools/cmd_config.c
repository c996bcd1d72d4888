/*
 * cmd_config.c - mtls config check.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "host.h"
#include "sshkey.h"
#include "verify.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: mtls config check [--config FILE] [--at TIME]\n\n"
	    "Parse the configuration file (default " MTLS_DEFAULT_CONFIG "), "
	    "load every file\nit names, and report what would make logins "
	    "fail: CRLs that do not verify\nor are out of date, trust "
	    "anchors that are not CA certificates.  With a host\n"
	    "certificate, list the SSH host keys that logins are bound to "
	    "(ssh_host_key).\n\n"
	    "Exit status: 0 usable, 1 loaded but logins would fail, 2 the "
	    "file or\nsomething it names cannot be loaded.\n");
}

/*
 * The SSH host keys that logins are bound to, one line each; a file that
 * cannot be used, or no key at all, is a problem (SSH logins would be
 * refused).  The number of problems, or -1 when out of memory.
 */
static int
ssh_keys_check(const struct mtls_conf *c)
{
	struct mtls_sshkeys ks;
	struct mtls_err e = { 0, "" };
	size_t i;
	int r;

	memset(&ks, 0, sizeof(ks));
	r = mtls_sshkeys_load(c, &ks, &e);
	if (r == MTLS_E_NOMEM) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		return -1;
	}
	if (r != 0)
		cli_problem(NULL, r, mtls_err_msg(&e));
	for (i = 0; i < ks.n; i++)
		printf("  ssh host key %s: %s %s\n", ks.path[i],
		    mtls_sshkey_type_label(&ks.v[i]), ks.v[i].fp);
	mtls_sshkeys_clear(&ks);
	return r != 0;
}

int
cmd_config(int argc, char **argv)
{
	struct cli_verb o;
	struct mtls_conf *c = NULL;
	struct mtls_verifier *v = NULL;
	struct mtls_err e = { 0, "" };
	const char *path;
	time_t at;
	size_t np;
	int rc = EXIT_USAGE, r;

	if ((r = cli_parse_verb(argc, argv, "check", 0, usage, &o)) >= 0)
		return r;
	path = o.config;
	at = o.at;
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
	np = mtls_verifier_problems(v, at, cli_problem, NULL);
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
	if (c->host_cert != NULL) {
		int sr = ssh_keys_check(c);

		if (sr < 0)
			goto out;
		np += (size_t)sr;
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
