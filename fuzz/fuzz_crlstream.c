/*
 * fuzz_crlstream.c - the one-pass CRL reader (crlstream.c) against the
 * whole parse it stands in for.  Arbitrary bytes are a CRL file beside
 * the test PKI (FIXTURES); the reader walks them directly (its own
 * invariants: sorted serials, a header no larger than the file), then a
 * verifier loads them once read in one pass and once parsed whole by
 * GnuTLS, and every CRL record must come out the same: status and reason,
 * issuer, scope, dates and the revoked serials.  A difference traps.
 * The first run also compares every CRL of the test PKI, which are signed
 * by its live keys (the corpus's signatures are of an earlier PKI).
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crlstream.h"
#include "fuzz.h"
#include "verify.h"
#include "verify_int.h"

static char dir[64], crl[128];

static void
cleanup(void)
{
	unlink(crl);
	rmdir(dir);
}

static void one(const uint8_t *data, size_t size);

/* Every *.crl of the test PKI, through one(). */
static void
fixtures(void)
{
	char path[4096];
	unsigned char *buf;
	struct dirent *de;
	size_t n, len;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "%s", fuzz_fixture(""));
	if ((d = opendir(path)) == NULL)
		return;
	if ((buf = malloc(1024 * 1024)) == NULL)
		__builtin_trap();
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".crl") != 0 ||
		    (f = fopen(fuzz_fixture(de->d_name), "rb")) == NULL)
			continue;
		len = fread(buf, 1, 1024 * 1024, f);
		fclose(f);
		one(buf, len);
	}
	closedir(d);
	free(buf);
}

static void
init(void)
{
	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof(dir), "/tmp/fuzz-crlstream.XXXXXX");
	if (mkdtemp(dir) == NULL)
		__builtin_trap();
	atexit(cleanup);
	snprintf(crl, sizeof(crl), "%s/x.crl", dir);
	fixtures();
}

static struct mtls_verifier *
verifier(int stream)
{
	struct mtls_verifier *v = NULL;
	struct mtls_conf *c = fuzz_pki_conf();
	struct mtls_err err;

	(void)mtls_conf_list_add(&c->crls, &c->n_crls, crl);
	mtls_vfy_crl_stream = stream;
	(void)mtls_verifier_new(c, &v, &err);
	mtls_vfy_crl_stream = 1;
	mtls_conf_free(c);
	return v;
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
compare(const struct mtls_verifier *a, const struct mtls_verifier *b)
{
	size_t i;

	if ((a == NULL) != (b == NULL))
		__builtin_trap();
	if (a == NULL)
		return;
	if (a->n_crls != b->n_crls)
		__builtin_trap();
	for (i = 0; i < a->n_crls; i++) {
		const struct crl *x = &a->crls[i], *y = &b->crls[i];

		if (x->status != y->status || !same_str(x->why, y->why) ||
		    memcmp(x->ca, y->ca, sizeof(x->ca)) != 0 ||
		    x->scope != y->scope || x->this_update != y->this_update ||
		    x->next_update != y->next_update ||
		    x->n_serials != y->n_serials ||
		    (x->n_serials > 0 && memcmp(x->serials, y->serials,
		    x->n_serials * sizeof(*x->serials)) != 0))
			__builtin_trap();
	}
}

static void
one(const uint8_t *data, size_t size)
{
	struct mtls_verifier *whole, *stream;
	struct mtls_crlstream cs;
	size_t i;
	int fd, r;

	if ((fd = open(crl, O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0)
		__builtin_trap();
	if (write(fd, data, size) != (ssize_t)size)
		__builtin_trap();
	r = mtls_crlstream_read(fd, size, size, &cs);
	if (close(fd) != 0)
		__builtin_trap();
	if (r == 0) {
		if (cs.header == NULL || cs.header_len > size)
			__builtin_trap();
		for (i = 1; i < cs.n_serials; i++)
			if (mtls_serial_cmp(&cs.serials[i - 1],
			    &cs.serials[i]) > 0)
				__builtin_trap();
	} else if (r != MTLS_CRLSTREAM_OTHER && r != MTLS_E_CRL_MALFORMED &&
	    r != MTLS_E_NOMEM)
		__builtin_trap();
	mtls_crlstream_clear(&cs);
	whole = verifier(0);
	stream = verifier(1);
	compare(whole, stream);
	mtls_verifier_free(whole);
	mtls_verifier_free(stream);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024 * 1024)
		return 0;
	init();
	one(data, size);
	return 0;
}
