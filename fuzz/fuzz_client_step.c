/*
 * fuzz_client_step.c - the person's side of a login (mtls ssh, and
 * pam_mtls for local logins) fed whatever a hostile server sends: the
 * input is a series of prompts, one a line, each handed to
 * mtls_client_step() as a conversation would.  The client holds the test
 * PKI's leaf-good and trusts its root (FIXTURES, default tests/fixtures),
 * so a replayed server flight reaches the host certificate checks.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "fuzz.h"

#define FX_NOW	((time_t)1767225600)
#define MAX_PROMPTS	80

static struct mtls_verifier *v;
static gnutls_certificate_credentials_t cred;
static struct mtls_sshkey bound;	/* the key "ssh" verified */

#define BOUND_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJppJCjk0pZptBOFhYX" \
	"jXmt/U67W7l2KdduWj1Vnocm"

static void
init(void)
{
	struct mtls_conf *c;
	struct mtls_err err;

	if (v != NULL)
		return;
	c = fuzz_pki_conf();
	c->crl_required = 0;
	if (mtls_verifier_new(c, &v, &err) != 0)
		__builtin_trap();	/* the fixtures are missing */
	mtls_conf_free(c);
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_certificate_set_x509_key_file(cred,
	    fuzz_fixture("leaf-good.pem"), fuzz_fixture("leaf-good.key"),
	    GNUTLS_X509_FMT_PEM) < 0 ||
	    mtls_sshkey_from_line(BOUND_KEY, strlen(BOUND_KEY), &bound) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtls_client *c = NULL;
	struct mtls_err err;
	const char *detail, *line, *end, *stop;
	char *text, *answer;
	unsigned k;
	int r, o;

	if (size > 128 * 1024)
		return 0;
	init();
	if ((text = fuzz_strndup(data, size)) == NULL)
		return 0;
	if (mtls_client_new(v, cred, "host.example.com", &c, &err) != 0)
		__builtin_trap();
	mtls_client_set_time(c, FX_NOW);
	if (mtls_client_set_binding(c, &bound) != 0)
		__builtin_trap();
	stop = text + size;
	for (line = text, k = 0; line < stop && k < MAX_PROMPTS; k++) {
		if ((end = memchr(line, '\n', (size_t)(stop - line))) == NULL)
			end = stop;
		text[end - text] = '\0';
		answer = NULL;
		r = mtls_client_step(c, line, &answer, &err);
		if (r == 0 && answer == NULL)
			__builtin_trap();	/* success hands an answer */
		free(answer);
		if (r != 0 && r != MTLS_E_NOT_OURS)
			break;
		line = end + 1;
	}
	o = mtls_client_outcome(c, &detail);
	if (o == 1 && (detail == NULL || strlen(detail) == 0))
		__builtin_trap();
	(void)mtls_client_host_subject(c);
	mtls_client_free(c);
	free(text);
	return 0;
}
