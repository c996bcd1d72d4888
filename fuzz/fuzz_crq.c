/*
 * fuzz_crq.c - a certificate request as `mtls ca sign` reads it: PEM
 * import, self-signature check, key policy (ca_crq_load).  The loader
 * reads a path, so each input goes through one temporary file.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/abstract.h>

#include "ca.h"
#include "fuzz.h"

static char fuzz_path[64];

static void
remove_file(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_pubkey_t pub = NULL;
	struct mtls_err err;
	FILE *f;
	int fd;

	if (size > 64 * 1024)
		return 0;
	if (fuzz_path[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(fuzz_path, sizeof(fuzz_path), "%s/fuzz-crq-XXXXXX",
		    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
		if ((fd = mkstemp(fuzz_path)) < 0)
			abort();
		close(fd);
		atexit(remove_file);
	}
	if ((f = fopen(fuzz_path, "wb")) == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (ca_crq_load(fuzz_path, &pub, &err) == 0 && pub == NULL)
		__builtin_trap();
	gnutls_pubkey_deinit(pub);
	return 0;
}
