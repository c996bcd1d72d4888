/*
 * test_conv.c - both sides of the login conversation in one process, on
 * the generated test PKI at a fixed time: the verdicts, what the client
 * learns, and hostile or broken clients.
 */
#include "config.h"

#include <gnutls/gnutls.h>

#include "conv.h"
#include "fixtures.h"
#include "frame.h"
#include "host.h"
#include "testlib.h"

/* How the scripted transport misbehaves. */
enum evil {
	EV_NONE,
	EV_DECLINE,		/* empty answer to hello */
	EV_GARBAGE,		/* not an answer */
	EV_TRUNCATE,		/* base64 cut short after the first round */
	EV_OVERSIZE,		/* 1001 bytes */
	EV_ENDLESS,		/* "+" forever */
	EV_NEWLINE,		/* an answer with a newline inside */
	EV_EMPTY_LATER		/* empty answer after hello */
};

/* Which SSH host key the client says its ssh verified. */
enum bind {
	BIND_HOST,		/* one of the host's own keys */
	BIND_CERT,		/* a certificate blob of the host's key */
	BIND_OTHER,		/* another key: a relayed connection */
	BIND_NONE,		/* none sent at all */
	BIND_HOST_NO_OK,	/* the host's key; no word of a success */
	BIND_OTHER_NO_OK	/* relayed; no word of a success asked */
};

struct link {
	struct mtls_client	*client;
	enum evil		 evil;
	unsigned		 rounds;
	int			 client_err;
	int			 saw_host_data;
};

static int
roundtrip(void *ctx, const char *prompt, char **answer)
{
	struct link *l = ctx;
	struct mtls_err err = { 0, "" };
	int r;

	l->rounds++;
	/* A client gone wrong that asks for more forever, whatever comes. */
	if (l->evil == EV_ENDLESS && l->rounds > 1) {
		*answer = strdup("+");
		return *answer != NULL ? 0 : MTLS_E_NOMEM;
	}
	/* A person's terminal would show the prompt behind ssh's prefix. */
	{
		char *shown = NULL;

		ck_assert_int_ge(asprintf(&shown, "(alice@host) %s", prompt),
		    0);
		r = mtls_client_step(l->client, shown, answer, &err);
		free(shown);
	}
	if (r != 0) {
		l->client_err = r;
		*answer = strdup("");
		return *answer != NULL ? 0 : MTLS_E_NOMEM;
	}
	switch (l->evil) {
	case EV_DECLINE:
		(*answer)[0] = '\0';
		break;
	case EV_GARBAGE:
		free(*answer);
		*answer = strdup("hello there");
		break;
	case EV_TRUNCATE:
		/* cut inside a group: one character of a group is none */
		if (l->rounds == 2 && strlen(*answer) > 10) {
			size_t n = strlen(*answer) - 1;

			/* keep m < n characters, m % 5 == 1 */
			(*answer)[1 + (n - 1) - (n - 2) % 5] = '\0';
		}
		break;
	case EV_OVERSIZE:
		free(*answer);
		*answer = malloc(MTLS_FRAME_ANSWER_MAX + 2);
		memset(*answer, 'A', MTLS_FRAME_ANSWER_MAX + 1);
		(*answer)[0] = '.';
		(*answer)[MTLS_FRAME_ANSWER_MAX + 1] = '\0';
		break;
	case EV_ENDLESS:
		free(*answer);
		*answer = strdup("+");
		break;
	case EV_NEWLINE:
		if (l->rounds == 2) {
			char *a = NULL;

			ck_assert_int_ge(asprintf(&a, "%s\n", *answer), 0);
			free(*answer);
			*answer = a;
		}
		break;
	case EV_EMPTY_LATER:
		if (l->rounds == 2)
			(*answer)[0] = '\0';
		break;
	case EV_NONE:
		break;
	}
	return 0;
}

static int
lookup(void *ctx, const char *name, uid_t *uid)
{
	(void)ctx;
	if (strcmp(name, "root") == 0) {
		*uid = 0;
		return 0;
	}
	*uid = 1000;
	return 0;
}

struct row {
	const char	*cert;		/* client certificate and key prefix */
	const char	*keyof;		/* NULL: the same; else another key */
	const char	*user;		/* PAM_USER */
	const char	*hostname;	/* the name the person typed */
	enum evil	 evil;
	int		 expect;	/* server verdict */
	int		 outcome;	/* client: 1 ok, 0 denied, -1 none */
	enum bind	 bind;
};

/* An SSH wire blob: ssh-ed25519 with 32 bytes of seed, or its cert. */
static size_t
blob(unsigned char seed, int cert, unsigned char *out)
{
	static const char plain[] = "ssh-ed25519";
	static const char ctype[] = "ssh-ed25519-cert-v01@openssh.com";
	const char *t = cert ? ctype : plain;
	size_t n = 0, i;

#define U32(v) do { out[n++] = 0; out[n++] = 0; out[n++] = 0; \
	out[n++] = (unsigned char)(v); } while (0)
	U32(strlen(t));
	memcpy(out + n, t, strlen(t));
	n += strlen(t);
	if (cert) {
		U32(8);		/* nonce */
		memset(out + n, 0x55, 8);
		n += 8;
	}
	U32(32);
	for (i = 0; i < 32; i++)
		out[n++] = (unsigned char)(seed + i);
	if (cert) {
		U32(4);		/* the rest of a certificate, not read */
		memset(out + n, 0xaa, 4);
		n += 4;
	}
#undef U32
	return n;
}

static void
key_of(unsigned char seed, int cert, struct mtls_sshkey *k)
{
	unsigned char b[256];

	memset(k, 0, sizeof(*k));
	ck_assert_int_eq(mtls_sshkey_from_blob(b, blob(seed, cert, b), k), 0);
}

static const struct row rows[] = {
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NONE, 0, 1, BIND_HOST },
	{ "leaf-rsa2048", NULL, "carol", "host.example.com", EV_NONE, 0, 1, BIND_HOST },
	{ "leaf-ed25519", NULL, "dave", "host.example.com", EV_NONE, 0, 1, BIND_HOST },
	{ "leaf-good", NULL, "bob", "host.example.com", EV_NONE,
	    MTLS_E_WRONG_USER, 0, BIND_HOST },
	/* issuer_fingerprint=: the issuer of the path the host built */
	{ "leaf-good", NULL, "deploy", "host.example.com", EV_NONE, 0, 1,
	    BIND_HOST },
	{ "leaf-good", NULL, "ops", "host.example.com", EV_NONE,
	    MTLS_E_WRONG_USER, 0, BIND_HOST },
	{ "leaf-revoked", NULL, "revoked", "host.example.com", EV_NONE,
	    MTLS_E_CERT_REVOKED, 0, BIND_HOST },
	{ "leaf-expired", NULL, "expired", "host.example.com", EV_NONE,
	    MTLS_E_CERT_EXPIRED, 0, BIND_HOST },
	{ "leaf-other", NULL, "alice", "host.example.com", EV_NONE,
	    MTLS_E_CERT_UNTRUSTED, 0, BIND_HOST },
	{ "leaf-noeku", NULL, "noeku", "host.example.com", EV_NONE,
	    MTLS_E_CERT_NO_EKU, 0, BIND_HOST },
	{ "leaf-hostile-cn", NULL, "x", "host.example.com", EV_NONE,
	    MTLS_E_NO_MAPPING, 0, BIND_HOST },
	/* alice's certificate with bob's key: no proof of possession */
	{ "leaf-good", "leaf-bob", "alice", "host.example.com", EV_NONE,
	    MTLS_E_TLS, -1, BIND_HOST },
	/* a client without a certificate */
	{ NULL, NULL, "alice", "host.example.com", EV_NONE, MTLS_E_TLS, -1, BIND_HOST },
	/* the client refuses a host that does not carry the typed name */
	{ "leaf-good", NULL, "alice", "other.example.com", EV_NONE,
	    MTLS_E_PROTOCOL, -1, BIND_HOST },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_DECLINE,
	    MTLS_E_DECLINED, -1, BIND_HOST },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_GARBAGE,
	    MTLS_E_PROTOCOL, -1, BIND_HOST },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_TRUNCATE,
	    MTLS_E_PROTOCOL, -1, BIND_HOST },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_OVERSIZE,
	    MTLS_E_PROTOCOL, -1, BIND_HOST },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_ENDLESS,
	    MTLS_E_LIMIT, -1, BIND_HOST },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NEWLINE,
	    MTLS_E_PROTOCOL, -1, BIND_HOST },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_EMPTY_LATER,
	    MTLS_E_PROTOCOL, -1, BIND_HOST },
	/* the binding: the host's second key, as a key or a certificate */
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NONE, 0, 1,
	    BIND_CERT },
	/* a relayed connection: the key ssh met is not the host's */
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NONE,
	    MTLS_E_BINDING, 0, BIND_OTHER },
	/* a client that sends no binding */
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NONE,
	    MTLS_E_NO_BINDING, 0, BIND_NONE },
	/* a bad certificate and a relay: the certificate's reason */
	{ "leaf-revoked", NULL, "revoked", "host.example.com", EV_NONE,
	    MTLS_E_CERT_REVOKED, 0, BIND_OTHER },
	/*
	 * No word of a success asked (mtls ssh's real connection): none
	 * comes, and the conversation ends one round earlier; a refusal is
	 * still told, with its reason and, when relayed, the host's keys.
	 */
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NONE, 0, -1,
	    BIND_HOST_NO_OK },
	{ "leaf-rsa2048", NULL, "carol", "host.example.com", EV_NONE, 0, -1,
	    BIND_HOST_NO_OK },
	{ "leaf-good", NULL, "bob", "host.example.com", EV_NONE,
	    MTLS_E_WRONG_USER, 0, BIND_HOST_NO_OK },
	{ "leaf-revoked", NULL, "revoked", "host.example.com", EV_NONE,
	    MTLS_E_CERT_REVOKED, 0, BIND_HOST_NO_OK },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NONE,
	    MTLS_E_BINDING, 0, BIND_OTHER_NO_OK },
};

/*
 * Accounts from the common name, and for alice's address from the issuer
 * of the path that was built: deploy from inter, ops from its look-alike
 * under other-root (which this host does not trust).
 */
static struct mtls_conf *
server_conf(void)
{
	struct mtls_conf *c = NULL;
	struct mtls_err err = { 0, "" };
	char inter[80], twin[80], rules[512];

	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors,
	    fx("root.pem")), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->intermediates,
	    &c->n_intermediates, fx("inter.pem")), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->crls, &c->n_crls,
	    fx("root.crl")), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->crls, &c->n_crls,
	    fx("inter.crl")), 0);
	tl_fixture_fp("inter.pem", inter, sizeof(inter));
	tl_fixture_fp("inter-twin.pem", twin, sizeof(twin));
	snprintf(rules, sizeof(rules), "map from=cn\n"
	    "map user=deploy email=alice@example.com issuer_fingerprint=%s\n"
	    "map user=ops email=alice@example.com issuer_fingerprint=%s\n",
	    inter, twin);
	ck_assert_int_eq(mtls_conf_parse(c, "t", rules, strlen(rules), &err),
	    0);
	return c;
}

START_TEST(test_row)
{
	const struct row *r = &rows[_i];
	struct mtls_conf *conf = server_conf();
	struct mtls_verifier *v = NULL;
	struct mtls_err err = { 0, "" };
	gnutls_certificate_credentials_t host = NULL, cli = NULL;
	struct mtls_server_result res;
	struct mtls_server_params p;
	struct mtls_sshkeys keys;
	struct mtls_sshkey bound;
	struct link l;
	char cert[4200], key[4200], hkey[4200];
	const char *detail = NULL, *hk = NULL;
	int got, o, no_ok;

	/* The host key is copied: it must be 0600 to be loaded. */
	{
		char *dir = tl_mkdtemp();
		FILE *f;
		char buf[8192];
		size_t n;

		f = fopen(fx("server-good.key"), "r");
		ck_assert_ptr_nonnull(f);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		free(tl_write(dir, "host.key", buf, n, 0600));
		snprintf(hkey, sizeof(hkey), "%s/host.key", dir);
		ck_assert_int_ge(asprintf(&conf->host_key, "%s", hkey), 0);
		ck_assert_int_ge(asprintf(&conf->host_cert, "%s",
		    fx("server-good.pem")), 0);
		ck_assert_int_eq(mtls_host_load(conf, &host, &err), 0);
		tl_rmdir(dir);
	}
	ck_assert_int_eq(mtls_verifier_new(conf, &v, &err), 0);

	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&cli), 0);
	if (r->cert != NULL) {
		snprintf(cert, sizeof(cert), "%s", fx(r->cert));
		strcat(cert, ".pem");
		snprintf(key, sizeof(key), "%s", fx(r->keyof != NULL ?
		    r->keyof : r->cert));
		strcat(key, ".key");
		if (r->keyof != NULL)
			gnutls_certificate_set_flags(cli,
			    GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
		ck_assert_int_ge(gnutls_certificate_set_x509_key_file(cli,
		    cert, key, GNUTLS_X509_FMT_PEM), 0);
	}

	memset(&l, 0, sizeof(l));
	l.evil = r->evil;
	ck_assert_int_eq(mtls_client_new(v, cli, r->hostname, &l.client,
	    &err), 0);
	mtls_client_set_time(l.client, FX_NOW);
	/* The host has two keys; the client's ssh met one of them, or not. */
	memset(&keys, 0, sizeof(keys));
	key_of(1, 0, &keys.v[0]);
	key_of(2, 0, &keys.v[1]);
	keys.n = 2;
	memset(&bound, 0, sizeof(bound));
	no_ok = r->bind == BIND_HOST_NO_OK || r->bind == BIND_OTHER_NO_OK;
	if (no_ok)
		mtls_client_no_ok(l.client);
	if (r->bind == BIND_NONE)
		mtls_client_in_process(l.client);
	else {
		key_of(r->bind == BIND_OTHER || r->bind == BIND_OTHER_NO_OK ?
		    9 : 2, r->bind == BIND_CERT, &bound);
		ck_assert_int_eq(mtls_client_set_binding(l.client, &bound), 0);
	}

	memset(&p, 0, sizeof(p));
	p.conf = conf;
	p.verifier = v;
	p.host = host;
	p.user = r->user;
	p.roundtrip = roundtrip;
	p.ctx = &l;
	p.lookup = lookup;
	p.now = FX_NOW;
	p.ssh_keys = &keys;
	memset(&res, 0, sizeof(res));
	got = mtls_conv_server(&p, &res);
	ck_assert_msg(got == r->expect, "row %d: expected %s, got %s (%s)",
	    _i, mtls_errname(r->expect), mtls_errname(got),
	    mtls_err_msg(&res.err));
	ck_assert_int_eq(res.code, got);
	ck_assert_uint_le(res.rounds, mtls_conv_default_limits.max_rounds);
	o = mtls_client_outcome(l.client, &detail);
	ck_assert_msg(o == r->outcome, "row %d: client outcome %d", _i, o);
	if (o == 1)
		ck_assert_str_eq(detail, r->user);
	if (o == 0)
		ck_assert_str_eq(detail, mtls_errname(r->expect));
	/* The client learns that it was relayed, and the host's keys. */
	ck_assert_int_eq(mtls_client_relayed(l.client, &hk),
	    r->expect == MTLS_E_BINDING);
	if (r->expect == MTLS_E_BINDING) {
		ck_assert_ptr_nonnull(strstr(hk, keys.v[0].fp));
		ck_assert_ptr_nonnull(strstr(hk, keys.v[1].fp));
		ck_assert_str_eq(res.ssh_key, bound.fp);
	}
	if (got == 0 && r->bind != BIND_NONE)
		ck_assert_str_eq(res.ssh_key, keys.v[1].fp);
	/*
	 * Rounds: hello, the server's flight, and the outcome (done) unless
	 * no word of a success was asked; a P-256 or Ed25519 client's whole
	 * second flight fits one answer (no continuation), RSA's does not.
	 */
	if (got == 0 && strcmp(r->cert, "leaf-rsa2048") != 0)
		ck_assert_msg(res.rounds == (no_ok ? 2u : 3u), "row %d: %u "
		    "rounds", _i, res.rounds);
	if (got == 0 && strcmp(r->cert, "leaf-rsa2048") == 0)
		ck_assert_msg(res.rounds == (no_ok ? 3u : 4u), "row %d: %u "
		    "rounds", _i, res.rounds);
	ck_assert_uint_eq(l.rounds, res.rounds);
	if (got == 0 && r->bind != BIND_NONE)
		ck_assert_int_eq(mtls_client_flight_sent(l.client), 1);
	if (got == 0) {
		ck_assert_ptr_nonnull(res.id);
		ck_assert_uint_ge(res.n_chain, 1);
		ck_assert(mtls_accounts_has(&res.accounts, r->user));
	}
	if (strcmp(r->hostname, "host.example.com") != 0)
		ck_assert_int_eq(l.client_err, MTLS_E_HOST_REJECTED);
	/* A host refused by the client never received the certificate. */
	if (l.client_err == MTLS_E_HOST_REJECTED)
		ck_assert_uint_eq(res.n_chain, 0);

	mtls_server_result_clear(&res);
	mtls_client_free(l.client);
	mtls_sshkey_clear(&bound);
	mtls_sshkeys_clear(&keys);
	gnutls_certificate_free_credentials(cli);
	gnutls_certificate_free_credentials(host);
	mtls_verifier_free(v);
	mtls_conf_free(conf);
}
END_TEST

/*
 * The host's key must be the one its certificate names, whatever the kind
 * of key: each certificate with its own key loads, with another's is a
 * configuration error.
 */
static const struct {
	const char	*cert, *key;
	int		 want;
} host_rows[] = {
	{ "server-good", "server-good", 0 },
	{ "leaf-good", "leaf-good", 0 },
	{ "leaf-rsa2048", "leaf-rsa2048", 0 },
	{ "leaf-rsa1024", "leaf-rsa1024", 0 },
	{ "leaf-ed25519", "leaf-ed25519", 0 },
	{ "server-good", "leaf-good", MTLS_E_CONFIG },	/* both P-256 */
	{ "leaf-rsa2048", "leaf-rsa1024", MTLS_E_CONFIG },
	{ "leaf-rsa2048", "server-good", MTLS_E_CONFIG },
	{ "leaf-ed25519", "leaf-good", MTLS_E_CONFIG },
	{ "server-good", "leaf-ed25519", MTLS_E_CONFIG },
};

START_TEST(test_host_key)
{
	gnutls_certificate_credentials_t host = NULL;
	struct mtls_err err = { 0, "" };
	struct mtls_conf *conf = NULL;
	char name[64], *dir, buf[8192];
	size_t n;
	FILE *f;
	int r;

	ck_assert_int_eq(mtls_conf_new(&conf), 0);
	dir = tl_mkdtemp();
	snprintf(name, sizeof(name), "%s.key", host_rows[_i].key);
	ck_assert_ptr_nonnull(f = fopen(fx(name), "r"));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* A copy, 0600: a host key must be readable by its owner alone. */
	conf->host_key = tl_write(dir, "host.key", buf, n, 0600);
	snprintf(name, sizeof(name), "%s.pem", host_rows[_i].cert);
	ck_assert_ptr_nonnull(conf->host_cert = strdup(fx(name)));
	r = mtls_host_load(conf, &host, &err);
	ck_assert_msg(r == host_rows[_i].want, "row %d (%s with %s's key): "
	    "expected %d, got %d (%s)", _i, host_rows[_i].cert,
	    host_rows[_i].key, host_rows[_i].want, r, err.msg);
	if (r == 0)
		ck_assert_ptr_nonnull(host);
	else {
		ck_assert_ptr_null(host);
		ck_assert_msg(strstr(err.msg, "does not belong") != NULL,
		    "row %d: %s", _i, err.msg);
	}
	if (host != NULL)
		gnutls_certificate_free_credentials(host);
	mtls_conf_free(conf);
	tl_rmdir(dir);
}
END_TEST

/*
 * A hostile host, as the client sees it: every prompt out of sequence,
 * malformed, of version 1, or past the bound is a refusal, and after one
 * refusal nothing is answered, not even a prompt that is not ours.
 */
static const struct {
	const char	*prompts[4];	/* in turn; the last one fails */
	int		 expect;
} hostile[] = {
	{ { "[mtls/3] data 0 -" }, MTLS_E_PROTOCOL },
	{ { "[mtls/3] done 0 QUFB" }, MTLS_E_PROTOCOL },
	{ { "[mtls/3] hello 0 QUFB" }, MTLS_E_PROTOCOL },
	{ { "[mtls/3] hello 1 -" }, MTLS_E_PROTOCOL },
	/* a continuation when nothing of ours is pending */
	{ { "[mtls/3] hello 0 -", "[mtls/3] data 1 -" }, MTLS_E_PROTOCOL },
	{ { "[mtls/3] hello 0 -", "[mtls/3] hello 1 -" }, MTLS_E_PROTOCOL },
	{ { "[mtls/3] hello 0 -", "[mtls/3] data 5 QUFB" }, MTLS_E_PROTOCOL },
	{ { "[mtls/3] hello 0 -", "[mtls/3] done 1 QUFB" }, MTLS_E_PROTOCOL },
	{ { "[mtls/3] hello 0 -", "[mtls/3] data 1 !!!!" }, MTLS_E_PROTOCOL },
	{ { "[mtls/3] hello 64 -" }, MTLS_E_LIMIT },
	{ { "[mtls/1] hello 0 - Certificate login" }, MTLS_E_PROTOCOL },
	/* version 2: base64 answers, no longer spoken */
	{ { "[mtls/2] hello 0 - Certificate login" }, MTLS_E_PROTOCOL },
};

START_TEST(test_hostile_host)
{
	struct mtls_verifier *v = NULL;
	struct mtls_conf *conf = server_conf();
	struct mtls_err err = { 0, "" };
	gnutls_certificate_credentials_t cli = NULL;
	struct mtls_client *c = NULL;
	struct mtls_sshkey k;
	char *answer = NULL, cert[4200];
	size_t i;

	ck_assert_int_eq(mtls_verifier_new(conf, &v, &err), 0);
	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&cli), 0);
	snprintf(cert, sizeof(cert), "%s", fx("leaf-good.pem"));
	ck_assert_int_ge(gnutls_certificate_set_x509_key_file(cli, cert,
	    fx("leaf-good.key"), GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_eq(mtls_client_new(v, cli, "host.example.com", &c,
	    &err), 0);
	key_of(1, 0, &k);
	ck_assert_int_eq(mtls_client_set_binding(c, &k), 0);
	for (i = 0; i < 4 && hostile[_i].prompts[i + 1] != NULL; i++) {
		ck_assert_int_eq(mtls_client_step(c, hostile[_i].prompts[i],
		    &answer, &err), 0);
		free(answer);
	}
	ck_assert_int_eq(mtls_client_step(c, hostile[_i].prompts[i], &answer,
	    &err), hostile[_i].expect);
	ck_assert_ptr_null(answer);
	/* A password prompt after the refusal is not passed on. */
	ck_assert_int_eq(mtls_client_step(c, "(a@h) Password: ", &answer,
	    &err), MTLS_E_PROTOCOL);
	ck_assert_ptr_null(answer);
	mtls_client_free(c);
	mtls_sshkey_clear(&k);
	gnutls_certificate_free_credentials(cli);
	mtls_verifier_free(v);
	mtls_conf_free(conf);
}
END_TEST

/*
 * The binding extension as a host reads it: the flags byte and a key blob,
 * nothing else; a certificate blob stands for its key.
 */
START_TEST(test_binding_parse)
{
	unsigned char b[300], d[320];
	struct mtls_sshkey k, want;
	size_t n;
	int no_ok;

	key_of(2, 0, &want);
	n = blob(2, 0, b);
	memcpy(d + 1, b, n);
	d[0] = 0;
	ck_assert_int_eq(mtls_binding_parse(d, n + 1, &k, &no_ok), 0);
	ck_assert_int_eq(no_ok, 0);
	ck_assert(mtls_sshkey_equal(&k, &want));
	mtls_sshkey_clear(&k);
	d[0] = 1;
	ck_assert_int_eq(mtls_binding_parse(d, n + 1, &k, &no_ok), 0);
	ck_assert_int_eq(no_ok, 1);
	mtls_sshkey_clear(&k);
	/* an unknown flag, nothing after the flags, nothing at all */
	d[0] = 2;
	ck_assert_int_eq(mtls_binding_parse(d, n + 1, &k, &no_ok),
	    MTLS_E_PROTOCOL);
	d[0] = 0x81;
	ck_assert_int_eq(mtls_binding_parse(d, n + 1, &k, &no_ok),
	    MTLS_E_PROTOCOL);
	d[0] = 0;
	ck_assert_int_eq(mtls_binding_parse(d, 1, &k, &no_ok),
	    MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_binding_parse(d, 0, &k, &no_ok),
	    MTLS_E_PROTOCOL);
	/* a blob cut short, or with a byte too many */
	ck_assert_int_eq(mtls_binding_parse(d, n, &k, &no_ok),
	    MTLS_E_PROTOCOL);
	d[n + 1] = 0;
	ck_assert_int_eq(mtls_binding_parse(d, n + 2, &k, &no_ok),
	    MTLS_E_PROTOCOL);
	ck_assert_int_eq(no_ok, 0);
	/* a certificate of the key binds the key */
	n = blob(2, 1, b);
	memcpy(d + 1, b, n);
	ck_assert_int_eq(mtls_binding_parse(d, n + 1, &k, &no_ok), 0);
	ck_assert(mtls_sshkey_equal(&k, &want));
	mtls_sshkey_clear(&k);
	mtls_sshkey_clear(&want);
}
END_TEST

/* Without a binding the client does not start (nothing is signed). */
START_TEST(test_no_binding_client)
{
	struct mtls_verifier *v = NULL;
	struct mtls_conf *conf = server_conf();
	struct mtls_err err = { 0, "" };
	gnutls_certificate_credentials_t cli = NULL;
	struct mtls_client *c = NULL;
	char *answer = NULL;

	ck_assert_int_eq(mtls_verifier_new(conf, &v, &err), 0);
	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&cli), 0);
	ck_assert_int_eq(mtls_client_new(v, cli, "host.example.com", &c,
	    &err), 0);
	ck_assert_int_eq(mtls_client_step(c, "[mtls/3] hello 0 - x", &answer,
	    &err), MTLS_E_NO_BINDING);
	ck_assert_ptr_null(answer);
	mtls_client_free(c);
	gnutls_certificate_free_credentials(cli);
	mtls_verifier_free(v);
	mtls_conf_free(conf);
}
END_TEST

/*
 * Base64 of the frames: every byte value is accepted exactly when it is
 * in the alphabet, with its value, and any data survives the round trip.
 */
START_TEST(test_b64)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char data[256], back[256 + 3];
	char in[5], enc[4 * 86 + 1];
	const char *at;
	size_t len;
	int c, r;

	for (c = 0; c < 256; c++) {
		snprintf(in, sizeof(in), "AAA%c", c != 0 ? c : 'A');
		if (c == 0)
			in[3] = '\0';
		r = mtls_b64_decode(in, 4, back, sizeof(back), &len);
		at = c != 0 ? strchr(alphabet, c) : NULL;
		if (at != NULL) {
			ck_assert_msg(r == 0, "byte %d refused", c);
			ck_assert_uint_eq(len, 3);
			ck_assert_uint_eq(back[2], (unsigned)(at - alphabet));
		} else if (c == '=') {
			ck_assert_int_eq(r, 0);	/* "AAA=": one byte of padding */
			ck_assert_uint_eq(len, 2);
		} else
			ck_assert_msg(r == MTLS_E_PROTOCOL, "byte %d: %d", c, r);
		data[c] = (unsigned char)(255 - c);
	}
	for (len = 0; len <= sizeof(data); len++) {
		size_t got = 0;

		mtls_b64_encode(data, len, enc);
		ck_assert_uint_eq(strlen(enc), mtls_b64_encoded_len(len));
		ck_assert_int_eq(mtls_b64_decode(enc, strlen(enc), back,
		    sizeof(back), &got), 0);
		ck_assert_uint_eq(got, len);
		ck_assert_int_eq(memcmp(back, data, len), 0);
	}
}
END_TEST

/*
 * Base85 of the answers: every byte value is a digit exactly when it is
 * in the alphabet, with its value; any data survives the round trip; a
 * group over 2^32 - 1, a lone last character and a short last group that
 * is not the canonical encoding of its bytes are refused.
 */
START_TEST(test_b85)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
	unsigned char data[256], back[256 + 4];
	char in[6], enc[5 * 65 + 1];
	const char *at;
	size_t len, got;
	int c, r;

	ck_assert_uint_eq(strlen(alphabet), 85);
	for (c = 0; c < 256; c++) {
		memcpy(in, "0000", 4);
		in[4] = (char)c;
		r = mtls_b85_decode(in, 5, back, sizeof(back), &len);
		at = c != 0 ? strchr(alphabet, c) : NULL;
		if (at != NULL) {
			ck_assert_msg(r == 0, "byte %d refused", c);
			ck_assert_uint_eq(len, 4);
			ck_assert_uint_eq(back[3], (unsigned)(at - alphabet));
		} else
			ck_assert_msg(r == MTLS_E_PROTOCOL, "byte %d: %d", c, r);
		data[c] = (unsigned char)(c * 37 + 11);
	}
	for (len = 0; len <= sizeof(data); len++) {
		mtls_b85_encode(data, len, enc);
		ck_assert_uint_eq(strlen(enc), mtls_b85_encoded_len(len));
		ck_assert_int_eq(mtls_b85_decode(enc, strlen(enc), back,
		    sizeof(back), &got), 0);
		ck_assert_uint_eq(got, len);
		ck_assert_int_eq(memcmp(back, data, len), 0);
		ck_assert_ptr_null(strpbrk(enc, " \"'\\\n\r"));
	}
	/* 0xffffffff is "%nSc0"; the next value is not four bytes */
	memset(back, 0, 4);
	ck_assert_int_eq(mtls_b85_decode("%nSc0", 5, back, 4, &got), 0);
	ck_assert_mem_eq(back, "\xff\xff\xff\xff", 4);
	ck_assert_int_eq(mtls_b85_decode("%nSc1", 5, back, 4, &got),
	    MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_b85_decode("#####", 5, back, 4, &got),
	    MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_b85_decode("00000a", 6, back, sizeof(back),
	    &got), MTLS_E_PROTOCOL);
	/* one byte 0x00 is "00"; "01" decodes to it too, but is not it */
	ck_assert_int_eq(mtls_b85_decode("00", 2, back, 4, &got), 0);
	ck_assert_uint_eq(got, 1);
	ck_assert_int_eq(mtls_b85_decode("01", 2, back, 4, &got),
	    MTLS_E_PROTOCOL);
	/* too much for the room given */
	ck_assert_int_eq(mtls_b85_decode("0000000000", 10, back, 7, &got),
	    MTLS_E_TOO_LARGE);
}
END_TEST

/* Framing: round trips and refusals. */
START_TEST(test_frame)
{
	unsigned char data[MTLS_FRAME_CHUNK], *got = NULL;
	char *prompt = NULL, ans[MTLS_FRAME_ANSWER_MAX + 1];
	enum mtls_frame_verb verb;
	unsigned seq;
	size_t i, n;
	int more;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	ck_assert_int_eq(mtls_frame_prompt(MTLS_FRAME_DATA, 12, data, 100,
	    NULL, &prompt), 0);
	ck_assert_int_eq(mtls_frame_parse_prompt(prompt, &verb, &seq, &got,
	    &n), 0);
	ck_assert_int_eq(verb, MTLS_FRAME_DATA);
	ck_assert_uint_eq(seq, 12);
	ck_assert_uint_eq(n, 100);
	ck_assert_mem_eq(got, data, 100);
	free(got);
	free(prompt);
	ck_assert_int_eq(mtls_frame_parse_prompt("Password: ", &verb, &seq,
	    &got, &n), MTLS_E_NOT_OURS);
	ck_assert_int_eq(mtls_frame_parse_prompt("x[mtls/3] data 1 -", &verb,
	    &seq, &got, &n), MTLS_E_NOT_OURS);
	ck_assert_int_eq(mtls_frame_parse_prompt("Welcome\n(a@b) [mtls/3] "
	    "hello 0 - Certificate login", &verb, &seq, &got, &n), 0);
	ck_assert_int_eq(verb, MTLS_FRAME_HELLO);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(mtls_frame_parse_prompt("[mtls/3] data 01 -", &verb,
	    &seq, &got, &n), MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_frame_parse_prompt("[mtls/3] data 1 QQ=", &verb,
	    &seq, &got, &n), MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_frame_parse_prompt("[mtls/3] data 1 QR==",
	    &verb, &seq, &got, &n), MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_frame_parse_prompt("[mtls/3] nope 1 -", &verb,
	    &seq, &got, &n), MTLS_E_PROTOCOL);

	ck_assert_int_eq(mtls_frame_answer(1, data, MTLS_FRAME_CHUNK, ans,
	    sizeof(ans)), 0);
	ck_assert_uint_le(strlen(ans), MTLS_FRAME_ANSWER_MAX);
	ck_assert_int_eq(mtls_frame_parse_answer(ans, &more, data, &n), 0);
	ck_assert_int_eq(more, 1);
	ck_assert_uint_eq(n, MTLS_FRAME_CHUNK);
	ck_assert_int_eq(mtls_frame_answer(0, data, MTLS_FRAME_CHUNK + 1, ans,
	    sizeof(ans)), MTLS_E_INVAL);
	ck_assert_int_eq(mtls_frame_parse_answer("", &more, data, &n),
	    MTLS_E_DECLINED);
	ck_assert_int_eq(mtls_frame_parse_answer(".", &more, data, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(mtls_frame_parse_answer("x", &more, data, &n),
	    MTLS_E_PROTOCOL);
	/* one character is no group; a newline is no digit */
	ck_assert_int_eq(mtls_frame_parse_answer(".A", &more, data, &n),
	    MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_frame_parse_answer(".AAAAA\n", &more, data, &n),
	    MTLS_E_PROTOCOL);
	/* base85: four bytes in five characters */
	ck_assert_int_eq(mtls_frame_parse_answer(".HelloWorld", &more, data,
	    &n), 0);
	ck_assert_int_eq(more, 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(data, "\x86\x4f\xd2\x6f\xb5\x59\xf7\x5b", 8);
	/* the longest answer OpenSSH passes whole, and one byte more */
	memset(ans, '0', sizeof(ans));
	ans[0] = '+';
	ans[MTLS_FRAME_ANSWER_MAX] = '\0';
	ck_assert_int_eq(mtls_frame_parse_answer(ans, &more, data, &n), 0);
	ck_assert_uint_eq(n, MTLS_FRAME_CHUNK);
	ck_assert_uint_le(MTLS_FRAME_ANSWER_MAX + 1, 1023);
	{
		char big[MTLS_FRAME_ANSWER_MAX + 2];

		memset(big, '0', sizeof(big));
		big[0] = '.';
		big[MTLS_FRAME_ANSWER_MAX + 1] = '\0';
		ck_assert_int_eq(mtls_frame_parse_answer(big, &more, data, &n),
		    MTLS_E_PROTOCOL);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conv");
	TCase *tc = tcase_create("conv");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_frame);
	tcase_add_test(tc, test_b64);
	tcase_add_test(tc, test_b85);
	tcase_add_loop_test(tc, test_row, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_loop_test(tc, test_hostile_host, 0, sizeof(hostile) /
	    sizeof(hostile[0]));
	tcase_add_test(tc, test_no_binding_client);
	tcase_add_test(tc, test_binding_parse);
	tcase_add_loop_test(tc, test_host_key, 0, sizeof(host_rows) /
	    sizeof(host_rows[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	gnutls_global_init();
	return tl_run(suite());
}
