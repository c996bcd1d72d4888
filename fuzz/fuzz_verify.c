/*
 * fuzz_verify.c - chain verification (what the server does with the
 * certificates a client presents, and the client with the host's) on
 * arbitrary DER: the input is a list of certificates, each preceded by its
 * length in two octets, big-endian.  The verifier is the test PKI's
 * (FIXTURES, default tests/fixtures) at its fixed instant.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "verify.h"

#define FX_NOW	((time_t)1767225600)

static struct mtls_verifier *
verifier(void)
{
	static struct mtls_verifier *v;
	struct mtls_conf *c;
	struct mtls_err err;

	if (v != NULL)
		return v;
	c = fuzz_pki_conf();
	if (mtls_conf_list_add(&c->crls, &c->n_crls,
	    fuzz_fixture("root.crl")) != 0 ||
	    mtls_conf_list_add(&c->crls, &c->n_crls,
	    fuzz_fixture("inter.crl")) != 0 ||
	    mtls_verifier_new(c, &v, &err) != 0)
		__builtin_trap();	/* the fixtures are missing */
	mtls_conf_free(c);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_datum_t certs[MTLS_MAX_CHAIN_IN + 1];
	struct mtls_chain_info info;
	struct mtls_err err;
	size_t n = 0, len;
	int r;

	if (size > 256 * 1024)
		return 0;
	while (size >= 2 && n < MTLS_MAX_CHAIN_IN + 1) {
		len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		certs[n].data = (unsigned char *)data;
		certs[n].size = (unsigned)len;
		n++;
		data += len;
		size -= len;
	}
	memset(&info, 0, sizeof(info));
	r = mtls_verify_der(verifier(), certs, n, FX_NOW, MTLS_PURPOSE_CLIENT,
	    &err, &info);
	if (r == 0 && (n == 0 || info.n < 2))
		__builtin_trap();	/* accepted without a path */
	mtls_chain_info_clear(&info);
	(void)mtls_verify_der(verifier(), certs, n, FX_NOW,
	    MTLS_PURPOSE_SERVER, &err, NULL);
	return 0;
}
