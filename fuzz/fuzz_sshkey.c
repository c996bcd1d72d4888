/*
 * fuzz_sshkey.c - the SSH public key parsers on arbitrary bytes, taken
 * as a wire blob, as a binding extension (a flags byte and a blob: what a
 * client sends in its ClientHello) and as a .pub line (what a host key
 * file holds).  A key that parses must be a plain
 * key whose canonical blob parses back into itself, also as a line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "fuzz.h"
#include "sshkey.h"

/* The properties every parsed key has; traps when one does not hold. */
static void
check_key(const struct mtls_sshkey *k)
{
	struct mtls_sshkey again, line;
	char *b64 = NULL, *text = NULL;
	int n;

	memset(&again, 0, sizeof(again));
	memset(&line, 0, sizeof(line));
	if (k->blob == NULL || k->len == 0 || k->len > MTLS_SSHKEY_BLOB_MAX ||
	    strncmp(k->fp, "SHA256:", 7) != 0 || strlen(k->fp) != 50 ||
	    strcmp(mtls_sshkey_type_label(k), "unknown") == 0)
		__builtin_trap();
	if (mtls_sshkey_from_blob(k->blob, k->len, &again) != 0 ||
	    !mtls_sshkey_equal(k, &again) || strcmp(k->fp, again.fp) != 0 ||
	    strcmp(k->type, again.type) != 0)
		__builtin_trap();
	if ((b64 = mtls_sshkey_base64(k)) == NULL)
		goto out;	/* out of memory */
	if ((n = asprintf(&text, "%s %s comment\r\n", k->type, b64)) < 0) {
		text = NULL;
		goto out;
	}
	if (mtls_sshkey_from_line(text, (size_t)n, &line) != 0 ||
	    !mtls_sshkey_equal(k, &line))
		__builtin_trap();
 out:
	mtls_sshkey_clear(&again);
	mtls_sshkey_clear(&line);
	free(b64);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtls_sshkey k;

	if (size > 2 * MTLS_SSHKEY_LINE_MAX)
		return 0;
	/* data is not NUL-terminated: both parsers must honour size */
	if (mtls_sshkey_from_blob(data, size, &k) == 0)
		check_key(&k);
	else if (k.blob != NULL)
		__builtin_trap();
	mtls_sshkey_clear(&k);
	/* the binding: the same key as the blob after its flags byte */
	{
		struct mtls_sshkey b;
		int no_ok = 0, r;

		r = mtls_binding_parse(data, size, &k, &no_ok);
		if (r == 0) {
			check_key(&k);
			if (data[0] > 1 || no_ok != data[0] ||
			    mtls_sshkey_from_blob(data + 1, size - 1, &b) != 0 ||
			    !mtls_sshkey_equal(&k, &b))
				__builtin_trap();
			mtls_sshkey_clear(&b);
		} else if (k.blob != NULL)
			__builtin_trap();
		mtls_sshkey_clear(&k);
	}
	if (mtls_sshkey_from_line((const char *)data, size, &k) == 0)
		check_key(&k);
	else if (k.blob != NULL)
		__builtin_trap();
	mtls_sshkey_clear(&k);
	return 0;
}
