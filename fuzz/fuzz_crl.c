/*
 * fuzz_crl.c - a CRL file as it may arrive from a distribution point:
 * arbitrary bytes (PEM or DER, one CRL or several) configured as a `crl`
 * beside the test PKI (FIXTURES, default tests/fixtures), loaded by
 * mtls_verifier_new() (parsing, serial extraction, the walk over its
 * extensions and its entries', issuer search and signature check) and
 * used for a verification, with and without a CRL index directory (which
 * a CRL that verifies is indexed into).  The same bytes also go to the
 * extension walk directly, as the DER of one CRL: through the verifier it
 * only sees what GnuTLS could parse.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crlindex.h"
#include "fuzz.h"
#include "verify.h"
#include "verify_int.h"

#define FX_NOW	((time_t)1767225600)

static char dir[64], crl[128];
static gnutls_x509_crt_t *leaf;
static unsigned n_leaf;

static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return;
}

static void
init(void)
{
	struct mtls_err err;

	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof(dir), "/tmp/fuzz-crl.XXXXXX");
	if (mkdtemp(dir) == NULL)
		__builtin_trap();
	atexit(cleanup);
	mtls_crlidx_settle = -1;
	snprintf(crl, sizeof(crl), "%s/x.crl", dir);
	if (mtls_load_crts(fuzz_fixture("leaf-good.pem"), "certificate", 0,
	    &leaf, &n_leaf, &err) != 0)
		__builtin_trap();	/* the fixtures are missing */
}

static struct mtls_verifier *
verifier(int cached)
{
	struct mtls_verifier *v = NULL;
	struct mtls_conf *c = fuzz_pki_conf();
	struct mtls_err err;

	(void)mtls_conf_list_add(&c->crls, &c->n_crls,
	    fuzz_fixture("root.crl"));
	(void)mtls_conf_list_add(&c->crls, &c->n_crls, crl);
	if (cached) {
		c->crl_cache_off = 0;
		c->crl_cache = strdup(dir);
	}
	(void)mtls_verifier_new(c, &v, &err);
	mtls_conf_free(c);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtls_verifier *v;
	struct mtls_err err;
	const char *why;
	unsigned scope;
	int fd, k;

	if (size > 256 * 1024)
		return 0;
	init();
	if (mtls_vfy_crl_scan(data, size, &scope, &why) != 0 && why == NULL)
		__builtin_trap();	/* a refusal always says why */
	if ((fd = open(crl, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		__builtin_trap();
	if (write(fd, data, size) != (ssize_t)size || close(fd) != 0)
		__builtin_trap();
	for (k = 0; k < 2; k++) {
		if ((v = verifier(k)) == NULL)
			continue;
		/*
		 * leaf-good is issued by inter; its CRL can only come from
		 * these bytes, which must then verify.
		 */
		(void)mtls_verify_crts(v, leaf, n_leaf, FX_NOW, 0, &err, NULL);
		mtls_verifier_free(v);
	}
	return 0;
}
