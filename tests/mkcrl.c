/*
 * mkcrl.c - write a CRL with many entries, or one that is wrong in one
 * chosen way, for tests/crl-stream.sh and bench/crl_bench.sh.  The DER is
 * written by hand (GnuTLS's CRL writer would take seconds at a million
 * entries, and cannot write most of the faults); the signature is made
 * with the CA's key over the bytes written.
 *
 * usage: mkcrl [options] CA.pem CA.key COUNT OUT
 *   --der              DER instead of PEM
 *   --this T --next T  thisUpdate, nextUpdate (Unix seconds)
 *   --serial-len L     octets of each generated serial (default 16)
 *   --revoke CERT      list CERT's serial too (repeatable)
 *   --unsorted         entries in descending order
 *   --duplicate        the first entry twice
 *   --entry-critical   the first entry has an unknown critical extension
 *   --bad-signature    flip a bit of the signature
 *   --alg-mismatch     tbsCertList names another algorithm than the one
 *                      that signed it (and that signatureAlgorithm names)
 *   --long-length      entries' lengths in a non-minimal long form
 *   --bad-length       the last entry claims one octet more than it has
 *   --serial-form F    generated serials with a leading zero octet
 *                      (F = zero) or negative (F = negative)
 *   --empty-exts       the first entry has an empty crlEntryExtensions
 *   --truncate N       drop the last N octets of the DER
 *   --trailing N       append N octets after the DER
 *   --number N         cRLNumber N (default 1; at most 2^31 - 1)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "derbuf.h"

#define MAX_REVOKE	16

/* The DER of an OID's content from its dotted text. */
static void
oid(struct derbuf *b, const char *text)
{
	unsigned char o[64], t[10];
	unsigned long a, c;
	size_t n = 0, k;
	char *end;

	a = strtoul(text, &end, 10);
	c = strtoul(end + 1, &end, 10);
	o[n++] = (unsigned char)(a * 40 + c);
	while (*end == '.') {
		c = strtoul(end + 1, &end, 10);
		k = 0;
		do {
			t[k++] = (unsigned char)(c & 0x7f);
			c >>= 7;
		} while (c > 0);
		while (k-- > 0)
			o[n++] = (unsigned char)(t[k] | (k > 0 ? 0x80 : 0));
	}
	derbuf_tlv(b, 0x06, o, n);
}

/* AlgorithmIdentifier for sign: RSA carries NULL parameters. */
static void
algid(struct derbuf *b, gnutls_sign_algorithm_t sign)
{
	struct derbuf a = DERBUF_INIT;
	static const unsigned char null[] = { 0x05, 0x00 };

	oid(&a, gnutls_sign_get_oid(sign));
	if (gnutls_sign_get_pk_algorithm(sign) == GNUTLS_PK_RSA)
		derbuf_put(&a, null, sizeof(null));
	derbuf_wrap(b, 0x30, &a);
	free(a.p);
}

static void
die(const char *what, int r)
{
	fprintf(stderr, "mkcrl: %s: %s\n", what, r < 0 ? gnutls_strerror(r) :
	    "failed");
	exit(2);
}

static gnutls_datum_t
load(const char *path)
{
	gnutls_datum_t d = { NULL, 0 };
	int r;

	if ((r = gnutls_load_file(path, &d)) < 0)
		die(path, r);
	return d;
}

struct opts {
	int	 der, unsorted, duplicate, entry_critical, bad_sig, mismatch;
	int	 long_len, bad_len, empty_exts;
	const char *form;
	long	 truncate, trailing;
	time_t	 this_update, next_update;
	size_t	 serial_len;
	unsigned long number;
	const char *revoke[MAX_REVOKE];
	int	 n_revoke;
};

/*
 * One entry: serial s of len octets; the first one may carry extras.
 * extra: octets its length claims beyond its content.
 */
static void
entry(struct derbuf *list, const unsigned char *s, size_t len, time_t when,
    int critical, int long_len, size_t extra)
{
	static const unsigned char none[] = { 0x30, 0x00 };
	static const unsigned char ext[] = {
		/* SEQUENCE { SEQUENCE { 1.3.6.1.4.1.99999.1, TRUE, "" } } */
		0x30, 0x13, 0x30, 0x11, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04,
		0x01, 0x86, 0x8d, 0x1f, 0x01, 0x01, 0x01, 0x01, 0xff, 0x04,
		0x00
	};
	struct derbuf e = DERBUF_INIT;

	derbuf_tlv(&e, 0x02, s, len);
	derbuf_utctime(&e, when);
	if (critical == 1)
		derbuf_put(&e, ext, sizeof(ext));
	else if (critical == 2)
		derbuf_put(&e, none, sizeof(none));
	derbuf_tl(list, 0x30, e.len + extra, long_len);
	derbuf_put(list, e.p, e.len);
	free(e.p);
}

/* The i-th generated serial: positive, len octets, increasing with i. */
static void
serial_of(size_t i, unsigned char *s, size_t len)
{
	size_t k;

	memset(s, 0, len);
	s[0] = 0x3c;
	for (k = 0; k < 8 && k + 1 < len; k++)
		s[len - 1 - k] = (unsigned char)(i >> (8 * k));
}

static void
entries(struct derbuf *list, const struct opts *o, size_t count)
{
	unsigned char s[64], rs[64];
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	size_t i, k, rl;
	int r;

	for (k = 0; k < count; k++) {
		i = o->unsorted ? count - 1 - k : k;
		serial_of(i + 1, s, o->serial_len);
		if (o->form != NULL && strcmp(o->form, "zero") == 0)
			s[0] = 0;
		else if (o->form != NULL)
			s[0] = 0xc3;
		entry(list, s, o->serial_len, o->this_update - 3600,
		    k == 0 ? o->entry_critical ? 1 : o->empty_exts ? 2 : 0 : 0,
		    o->long_len,
		    k + 1 == count && o->n_revoke == 0 && o->bad_len);
	}
	if (o->duplicate && count > 0) {
		serial_of(o->unsorted ? count : 1, s, o->serial_len);
		entry(list, s, o->serial_len, o->this_update - 3600, 0,
		    o->long_len, 0);
	}
	for (k = 0; k < (size_t)o->n_revoke; k++) {
		d = load(o->revoke[k]);
		rl = sizeof(rs);
		if ((r = gnutls_x509_crt_init(&crt)) < 0 ||
		    (r = gnutls_x509_crt_import(crt, &d,
		    GNUTLS_X509_FMT_PEM)) < 0 ||
		    (r = gnutls_x509_crt_get_serial(crt, rs, &rl)) < 0)
			die(o->revoke[k], r);
		entry(list, rs, rl, o->this_update - 3600, 0, o->long_len,
		    k + 1 == (size_t)o->n_revoke && o->bad_len);
		gnutls_x509_crt_deinit(crt);
		gnutls_free(d.data);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: mkcrl [options] CA.pem CA.key COUNT OUT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct derbuf tbs = DERBUF_INIT, body = DERBUF_INIT;
	struct derbuf crl = DERBUF_INIT, t = DERBUF_INIT;
	gnutls_x509_crt_t ca;
	gnutls_x509_privkey_t xkey;
	gnutls_privkey_t key;
	gnutls_datum_t d, dn, sig, data, pem;
	gnutls_sign_algorithm_t sign, other;
	unsigned char ski[64], num[6];
	size_t num_len;
	size_t ski_len = sizeof(ski), count;
	FILE *f;
	int i, r, pk;

	memset(&o, 0, sizeof(o));
	o.this_update = time(NULL) - 60;
	o.next_update = o.this_update + 7 * 86400;
	o.serial_len = 16;
	o.number = 1;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--der") == 0)
			o.der = 1;
		else if (strcmp(a, "--unsorted") == 0)
			o.unsorted = 1;
		else if (strcmp(a, "--duplicate") == 0)
			o.duplicate = 1;
		else if (strcmp(a, "--entry-critical") == 0)
			o.entry_critical = 1;
		else if (strcmp(a, "--bad-signature") == 0)
			o.bad_sig = 1;
		else if (strcmp(a, "--alg-mismatch") == 0)
			o.mismatch = 1;
		else if (strcmp(a, "--long-length") == 0)
			o.long_len = 1;
		else if (strcmp(a, "--bad-length") == 0)
			o.bad_len = 1;
		else if (strcmp(a, "--empty-exts") == 0)
			o.empty_exts = 1;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(a, "--this") == 0)
			o.this_update = (time_t)atol(argv[++i]);
		else if (strcmp(a, "--next") == 0)
			o.next_update = (time_t)atol(argv[++i]);
		else if (strcmp(a, "--serial-len") == 0)
			o.serial_len = (size_t)atol(argv[++i]);
		else if (strcmp(a, "--truncate") == 0)
			o.truncate = atol(argv[++i]);
		else if (strcmp(a, "--trailing") == 0)
			o.trailing = atol(argv[++i]);
		else if (strcmp(a, "--serial-form") == 0)
			o.form = argv[++i];
		else if (strcmp(a, "--number") == 0)
			o.number = strtoul(argv[++i], NULL, 10);
		else if (strcmp(a, "--revoke") == 0 && o.n_revoke < MAX_REVOKE)
			o.revoke[o.n_revoke++] = argv[++i];
		else
			usage();
	}
	if (argc - i != 4 || o.serial_len < 9 || o.serial_len > 20 ||
	    o.number > 0x7fffffffUL)
		usage();
	/* cRLNumber: a minimal positive INTEGER of at most four octets. */
	num_len = 2;
	{
		unsigned long n = o.number;
		int k = 4;

		while (k > 1 && (n >> (8 * (k - 1))) == 0)
			k--;
		num[0] = 0x02;
		num[1] = (unsigned char)k;
		if (((n >> (8 * (k - 1))) & 0x80) != 0) {
			num[1]++;
			num[num_len++] = 0;
		}
		while (k-- > 0)
			num[num_len++] = (unsigned char)(n >> (8 * k));
	}
	count = (size_t)strtoul(argv[i + 2], NULL, 10);

	d = load(argv[i]);
	if ((r = gnutls_x509_crt_init(&ca)) < 0 ||
	    (r = gnutls_x509_crt_import(ca, &d, GNUTLS_X509_FMT_PEM)) < 0 ||
	    (r = gnutls_x509_crt_get_raw_dn(ca, &dn)) < 0 ||
	    (r = gnutls_x509_crt_get_subject_key_id(ca, ski, &ski_len,
	    NULL)) < 0)
		die(argv[i], r);
	gnutls_free(d.data);
	d = load(argv[i + 1]);
	if ((r = gnutls_x509_privkey_init(&xkey)) < 0 ||
	    (r = gnutls_x509_privkey_import(xkey, &d,
	    GNUTLS_X509_FMT_PEM)) < 0 ||
	    (r = gnutls_privkey_init(&key)) < 0 ||
	    (r = gnutls_privkey_import_x509(key, xkey, 0)) < 0)
		die(argv[i + 1], r);
	gnutls_free(d.data);
	pk = gnutls_privkey_get_pk_algorithm(key, NULL);
	sign = pk == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_SIGN_EDDSA_ED25519 :
	    gnutls_pk_to_sign(pk, GNUTLS_DIG_SHA256);
	other = pk == GNUTLS_PK_RSA ? GNUTLS_SIGN_RSA_SHA384 :
	    GNUTLS_SIGN_ECDSA_SHA384;

	/* tbsCertList */
	derbuf_tlv(&body, 0x02, "\x01", 1);
	algid(&body, o.mismatch ? other : sign);
	derbuf_put(&body, dn.data, dn.size);
	derbuf_utctime(&body, o.this_update);
	derbuf_utctime(&body, o.next_update);
	entries(&t, &o, count);
	derbuf_wrap(&body, 0x30, &t);
	{
		struct derbuf exts = DERBUF_INIT, x = DERBUF_INIT;
		struct derbuf v = DERBUF_INIT, k = DERBUF_INIT;

		/* authorityKeyIdentifier { [0] keyIdentifier } */
		derbuf_tlv(&k, 0x80, ski, ski_len);
		derbuf_wrap(&v, 0x30, &k);
		derbuf_tlv(&x, 0x06, "\x55\x1d\x23", 3);
		derbuf_wrap(&x, 0x04, &v);
		derbuf_wrap(&exts, 0x30, &x);
		derbuf_tlv(&x, 0x06, "\x55\x1d\x14", 3);
		derbuf_tlv(&x, 0x04, num, num_len);
		derbuf_wrap(&exts, 0x30, &x);
		derbuf_wrap(&x, 0x30, &exts);
		derbuf_wrap(&body, 0xa0, &x);
		free(exts.p);
		free(x.p);
		free(v.p);
		free(k.p);
	}
	derbuf_wrap(&tbs, 0x30, &body);
	if (tbs.failed) {
		perror("mkcrl");
		exit(2);
	}

	data.data = tbs.p;
	data.size = (unsigned)tbs.len;
	if ((r = gnutls_privkey_sign_data2(key, sign, 0, &data, &sig)) < 0)
		die("signing", r);
	if (o.bad_sig)
		sig.data[sig.size / 2] ^= 0x01;
	derbuf_put(&t, tbs.p, tbs.len);
	algid(&t, sign);
	derbuf_tl(&t, 0x03, sig.size + 1, 0);
	derbuf_put(&t, "", 1);
	derbuf_put(&t, sig.data, sig.size);
	derbuf_wrap(&crl, 0x30, &t);
	if (o.truncate > 0 && (size_t)o.truncate < crl.len)
		crl.len -= (size_t)o.truncate;
	for (; o.trailing > 0; o.trailing--)
		derbuf_put(&crl, "\x05", 1);
	if (crl.failed) {
		perror("mkcrl");
		exit(2);
	}

	if ((f = fopen(argv[i + 3], "w")) == NULL) {
		perror(argv[i + 3]);
		return 2;
	}
	if (o.der)
		fwrite(crl.p, 1, crl.len, f);
	else {
		data.data = crl.p;
		data.size = (unsigned)crl.len;
		if ((r = gnutls_pem_base64_encode2("X509 CRL", &data,
		    &pem)) < 0)
			die("PEM", r);
		fwrite(pem.data, 1, pem.size, f);
		gnutls_free(pem.data);
	}
	if (fclose(f) != 0) {
		perror(argv[i + 3]);
		return 2;
	}
	gnutls_free(sig.data);
	gnutls_free(dn.data);
	gnutls_privkey_deinit(key);
	gnutls_x509_privkey_deinit(xkey);
	gnutls_x509_crt_deinit(ca);
	free(tbs.p);
	free(body.p);
	free(crl.p);
	free(t.p);
	return 0;
}
