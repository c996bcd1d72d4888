/*
 * fuzz_der.c - identity extraction from an arbitrary DER certificate, as
 * a TLS peer would present it.
 */
#include "config.h"

#include <gnutls/gnutls.h>

#include "fuzz.h"
#include "identity.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtls_identity *id = NULL;
	struct mtls_err err;
	gnutls_datum_t der;

	der.data = (unsigned char *)data;
	der.size = (unsigned int)size;
	if (size > 1024 * 1024)
		return 0;
	if (mtls_identity_from_der(&der, &id, &err) == 0 && id == NULL)
		__builtin_trap();	/* success must hand over an identity */
	mtls_identity_free(id);
	return 0;
}
