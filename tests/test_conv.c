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
		if (l->rounds == 2 && strlen(*answer) > 10)
			(*answer)[strlen(*answer) - 5] = '\0';
		break;
	case EV_OVERSIZE:
		free(*answer);
		*answer = malloc(1002);
		memset(*answer, 'A', 1001);
		(*answer)[0] = '.';
		(*answer)[1001] = '\0';
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
};

static const struct row rows[] = {
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NONE, 0, 1 },
	{ "leaf-rsa2048", NULL, "carol", "host.example.com", EV_NONE, 0, 1 },
	{ "leaf-ed25519", NULL, "dave", "host.example.com", EV_NONE, 0, 1 },
	{ "leaf-good", NULL, "bob", "host.example.com", EV_NONE,
	    MTLS_E_WRONG_USER, 0 },
	{ "leaf-revoked", NULL, "revoked", "host.example.com", EV_NONE,
	    MTLS_E_CERT_REVOKED, 0 },
	{ "leaf-expired", NULL, "expired", "host.example.com", EV_NONE,
	    MTLS_E_CERT_EXPIRED, 0 },
	{ "leaf-other", NULL, "alice", "host.example.com", EV_NONE,
	    MTLS_E_CERT_UNTRUSTED, 0 },
	{ "leaf-noeku", NULL, "noeku", "host.example.com", EV_NONE,
	    MTLS_E_CERT_NO_EKU, 0 },
	{ "leaf-hostile-cn", NULL, "x", "host.example.com", EV_NONE,
	    MTLS_E_NO_MAPPING, 0 },
	/* alice's certificate with bob's key: no proof of possession */
	{ "leaf-good", "leaf-bob", "alice", "host.example.com", EV_NONE,
	    MTLS_E_TLS, -1 },
	/* a client without a certificate */
	{ NULL, NULL, "alice", "host.example.com", EV_NONE, MTLS_E_TLS, -1 },
	/* the client refuses a host that does not carry the typed name */
	{ "leaf-good", NULL, "alice", "other.example.com", EV_NONE,
	    MTLS_E_PROTOCOL, -1 },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_DECLINE,
	    MTLS_E_DECLINED, -1 },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_GARBAGE,
	    MTLS_E_PROTOCOL, -1 },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_TRUNCATE,
	    MTLS_E_PROTOCOL, -1 },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_OVERSIZE,
	    MTLS_E_PROTOCOL, -1 },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_ENDLESS,
	    MTLS_E_LIMIT, -1 },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_NEWLINE,
	    MTLS_E_PROTOCOL, -1 },
	{ "leaf-good", NULL, "alice", "host.example.com", EV_EMPTY_LATER,
	    MTLS_E_PROTOCOL, -1 },
};

static struct mtls_conf *
server_conf(void)
{
	static const char rules[] = "map from=cn\n";
	struct mtls_conf *c = NULL;
	struct mtls_err err = { 0, "" };

	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors,
	    fx("root.pem")), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->intermediates,
	    &c->n_intermediates, fx("inter.pem")), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->crls, &c->n_crls,
	    fx("root.crl")), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->crls, &c->n_crls,
	    fx("inter.crl")), 0);
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
	struct link l;
	char cert[4200], key[4200], hkey[4200];
	const char *detail = NULL;
	int got, o;

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

	memset(&p, 0, sizeof(p));
	p.conf = conf;
	p.verifier = v;
	p.host = host;
	p.user = r->user;
	p.roundtrip = roundtrip;
	p.ctx = &l;
	p.lookup = lookup;
	p.now = FX_NOW;
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
	gnutls_certificate_free_credentials(cli);
	gnutls_certificate_free_credentials(host);
	mtls_verifier_free(v);
	mtls_conf_free(conf);
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
	ck_assert_int_eq(mtls_frame_parse_prompt("x[mtls/1] data 1 -", &verb,
	    &seq, &got, &n), MTLS_E_NOT_OURS);
	ck_assert_int_eq(mtls_frame_parse_prompt("Welcome\n(a@b) [mtls/1] "
	    "hello 0 - Certificate login", &verb, &seq, &got, &n), 0);
	ck_assert_int_eq(verb, MTLS_FRAME_HELLO);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(mtls_frame_parse_prompt("[mtls/1] data 01 -", &verb,
	    &seq, &got, &n), MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_frame_parse_prompt("[mtls/1] data 1 QQ=", &verb,
	    &seq, &got, &n), MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_frame_parse_prompt("[mtls/1] data 1 QR==",
	    &verb, &seq, &got, &n), MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_frame_parse_prompt("[mtls/1] nope 1 -", &verb,
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
	ck_assert_int_eq(mtls_frame_parse_answer(".AAA", &more, data, &n),
	    MTLS_E_PROTOCOL);
	ck_assert_int_eq(mtls_frame_parse_answer(".AAAA\n", &more, data, &n),
	    MTLS_E_PROTOCOL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("conv");
	TCase *tc = tcase_create("conv");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_frame);
	tcase_add_loop_test(tc, test_row, 0, sizeof(rows) / sizeof(rows[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	gnutls_global_init();
	return tl_run(suite());
}
