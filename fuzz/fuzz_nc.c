/*
 * fuzz_nc.c - name constraints as a constraining CA may write them, and
 * the names of a certificate below it: the input is a NameConstraints
 * extension's DER, preceded by its length in two octets, big-endian,
 * then a subjectAltName extension's DER.  Both are parsed by the strict
 * DER reader of verify_nc.c and every name is checked against every
 * subtree.
 */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "verify_int.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	int r;

	if (size < 2 || size > 128 * 1024)
		return 0;
	len = (size_t)data[0] << 8 | data[1];
	data += 2;
	size -= 2;
	if (len > size)
		len = size;
	r = mtls_vfy_nc_match(data, len, data + len, size - len);
	if (r > 0 || (r < 0 && !mtls_error_is_rejection(r)))
		__builtin_trap();	/* only 0 or a rejection */
	return 0;
}
