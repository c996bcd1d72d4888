/*
 * cmd_ca.c - mtls ca: the organization's own CA (init, issue, revoke, crl,
 * list), and mtls req, which makes a key and a certificate request for it
 * where the key is to stay.  The directory layout and the index format are
 * in ca.h and ca.c.
 *
 * Order of writes: whatever a SIGKILL interrupts, the CA stays usable.  A
 * new certificate goes to certs/SERIAL.pem before the index names it (an
 * unnamed file in certs/ is harmless and its serial is never reused); a
 * revocation reaches crl.pem before the index; crlnumber goes up before the
 * CRL that carries the number is written.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "ca.h"
#include "p11.h"
#include "cli.h"
#include "util.h"
#include "verify.h"

#define MAX_SAN		16
#define NAME_MAX_LEN	64	/* of a CA's name and organization */
#define DNS_MAX		253
#define EMAIL_MAX	254
#define BACKDATE	300	/* notBefore: 5 minutes ago, for clock skew */

enum {
	OPT_NAME, OPT_ORG, OPT_KEY_TYPE, OPT_DAYS, OPT_USER, OPT_HOST,
	OPT_EMAIL, OPT_UID, OPT_DNS, OPT_OUT, OPT_REASON, OPT_NEXT_UPDATE,
	OPT_KEY_OUT, OPT_ROOT, OPT_PKCS11, OPT_LABEL, OPT_HELP
};

#define F(o)	(1u << (o))

struct opts {
	const char		*sub;		/* "issue", "req", ... */
	const char		*dir;
	const char		*arg;		/* revoke's SERIAL|CERTFILE */
	const char		*name, *org, *user, *host, *uid, *out;
	const char		*key_out;	/* req's --key-out */
	const char		*pkcs11;	/* req's --pkcs11 URI */
	const char		*label;		/* and its --label */
	const char		*root;		/* init-intermediate's --root */
	const char		*email[MAX_SAN];
	size_t			 n_email;
	const char		*dns[MAX_SAN];
	size_t			 n_dns;
	enum ca_key_type	 key_type;
	unsigned long		 days;		/* 0: the command's default */
	unsigned long		 next_update;
	const char		*reason;
	time_t			 now;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: mtls ca init DIR --name NAME [--org ORG] "
	    "[--key-type TYPE] [--days N]\n"
	    "       mtls ca init-intermediate DIR --root ROOTDIR --name NAME "
	    "[--org ORG]\n"
	    "                     [--key-type TYPE] [--days N]\n"
	    "       mtls ca issue DIR --user NAME|--host FQDN --out PREFIX "
	    "[--days N]\n"
	    "                     [--email ADDR]... [--uid NAME] "
	    "[--dns NAME]... [--key-type TYPE]\n"
	    "       mtls ca sign DIR REQ --user NAME|--host FQDN --out CERT "
	    "[--days N]\n"
	    "                    [--email ADDR]... [--uid NAME] "
	    "[--dns NAME]...\n"
	    "       mtls ca revoke DIR SERIAL|CERTFILE [--reason REASON]\n"
	    "       mtls ca crl DIR [--next-update DAYS]\n"
	    "       mtls ca list DIR\n\n"
	    "Run the organization's CA in DIR. init makes a self-signed root "
	    "(default\necdsa-p256, 3650 days); init-intermediate makes a CA "
	    "signed by the root in\nROOTDIR, recorded there, with "
	    "DIR/chain.pem; issue makes a key PREFIX.key\nand a "
	    "certificate PREFIX.pem for a person (clientAuth) or a host\n"
	    "(serverAuth), 365 days by default; sign certifies the public "
	    "key of a\nrequest from mtls req, with the names given here, "
	    "not those in the request;\nrevoke marks a certificate revoked "
	    "and re-signs DIR/crl.pem; crl re-signs the\nCRL (nextUpdate in "
	    "30 days by default); list prints the inventory. TYPE:\n"
	    "ecdsa-p256, ecdsa-p384, ed25519, rsa-3072. REASON: unspecified, "
	    "keyCompromise,\naffiliationChanged, superseded, "
	    "cessationOfOperation, privilegeWithdrawn.\n\n"
	    "Exit status: 0 done, 1 refused or failed (nothing changed), "
	    "2 usage error.\n");
}

static void
usage_req(FILE *f)
{
	fprintf(f, "usage: mtls req --user NAME|--host FQDN --key-out FILE "
	    "--out REQ [--email ADDR]...\n"
	    "                [--uid NAME] [--dns NAME]... [--key-type TYPE]\n"
	    "       mtls req --user NAME|--host FQDN --pkcs11 URI "
	    "[--label LABEL] --out REQ ...\n\n"
	    "Generate a private key into FILE (mode 0600), or on the PKCS#11 "
	    "token that\nURI names (PIN from the URI's pin-value, or asked "
	    "on the terminal), and a\nPKCS#10 certificate request REQ (PEM) "
	    "signed by it, naming the person or\nhost, for \"mtls ca sign\": "
	    "the key never leaves this machine or the token.\nNeither file "
	    "may exist. TYPE: ecdsa-p256 (default), ecdsa-p384, ed25519,\n"
	    "rsa-3072.\n\n"
	    "Exit status: 0 done, 1 failed (nothing written), 2 usage "
	    "error.\n");
}

/* "mtls ca" or "mtls req": the prefix of every message. */
static const char *cmd_name = "ca";

static int __attribute__((format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mtls %s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

static int
failed(const struct mtls_err *e)
{
	fprintf(stderr, "mtls %s: %s\n", cmd_name, mtls_err_msg(e));
	return EXIT_REJECTED;
}

/* A CA name or organization: printable, no '\' or ',' trouble in DNs. */
static int
label_valid(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || strlen(s) > NAME_MAX_LEN)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

/* A DNS name: labels of [A-Za-z0-9-], no hyphen at either end. */
static int
dns_valid(const char *s)
{
	size_t len = strlen(s), lab = 0, i;

	if (len == 0 || len > DNS_MAX || s[len - 1] == '.')
		return 0;
	for (i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return 0;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && lab > 0))
			lab++;
		else
			return 0;
	}
	return 1;
}

/*
 * A DNS name for a host, and not an IP address written as one: the last
 * label is no number (decimal, or 0x hexadecimal), or mtls verify would
 * refuse the certificate (ip-as-dns-name).
 */
static int
host_valid(const char *s)
{
	const char *last = strrchr(s, '.');

	last = last != NULL ? last + 1 : s;
	if (last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
		last += 2 + strspn(last + 2, "0123456789abcdefABCDEF");
	else
		last += strspn(last, "0123456789");
	return dns_valid(s) && *last != '\0';
}

/* local@domain: printable local part without spaces, a DNS domain. */
static int
email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	const char *p;

	if (at == NULL || at == s || strlen(s) > EMAIL_MAX ||
	    !dns_valid(at + 1))
		return 0;
	for (p = s; p < at; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"\\(),:;<>[]", *p))
			return 0;
	return 1;
}

static const struct {
	const char	*name;
} reasons[] = {
	{ "unspecified" }, { "keyCompromise" }, { "affiliationChanged" },
	{ "superseded" }, { "cessationOfOperation" }, { "privilegeWithdrawn" },
};

static int
reason_valid(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(s, reasons[i].name) == 0)
			return 1;
	return 0;
}

/* Parse options; allowed is a mask of F(OPT_*).  Returns 0 or EXIT_USAGE. */
static int
parse(int argc, char **argv, unsigned allowed, int nargs,
    const char *operands, struct opts *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 256 + OPT_NAME },
		{ "org", required_argument, NULL, 256 + OPT_ORG },
		{ "key-type", required_argument, NULL, 256 + OPT_KEY_TYPE },
		{ "days", required_argument, NULL, 256 + OPT_DAYS },
		{ "user", required_argument, NULL, 256 + OPT_USER },
		{ "host", required_argument, NULL, 256 + OPT_HOST },
		{ "email", required_argument, NULL, 256 + OPT_EMAIL },
		{ "uid", required_argument, NULL, 256 + OPT_UID },
		{ "dns", required_argument, NULL, 256 + OPT_DNS },
		{ "out", required_argument, NULL, 256 + OPT_OUT },
		{ "reason", required_argument, NULL, 256 + OPT_REASON },
		{ "next-update", required_argument, NULL,
		    256 + OPT_NEXT_UPDATE },
		{ "key-out", required_argument, NULL, 256 + OPT_KEY_OUT },
		{ "root", required_argument, NULL, 256 + OPT_ROOT },
		{ "pkcs11", required_argument, NULL, 256 + OPT_PKCS11 },
		{ "label", required_argument, NULL, 256 + OPT_LABEL },
		{ "help", no_argument, NULL, 256 + OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	int c, opt;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		opt = c == 'h' ? OPT_HELP : c - 256;
		if (opt == OPT_HELP) {
			(nargs == 0 ? usage_req : usage)(stdout);
			exit(0);
		}
		if (c == '?' || c < 256 || (allowed & F(opt)) == 0)
			return bad("%s: unknown or incomplete option '%s' "
			    "(see mtls %s --help)", argv[0], argv[optind - 1],
			    cmd_name);
		switch (opt) {
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_ORG:
			o->org = optarg;
			break;
		case OPT_KEY_TYPE:
			if (ca_key_type_parse(optarg, &o->key_type) != 0)
				return bad("--key-type %s: expected "
				    "ecdsa-p256, ecdsa-p384, ed25519 or "
				    "rsa-3072", optarg);
			break;
		case OPT_DAYS:
		case OPT_NEXT_UPDATE:
			if (mtls_parse_uint(optarg, 1, 36500, opt == OPT_DAYS ?
			    &o->days : &o->next_update) != 0)
				return bad("--%s %s: expected a number of days "
				    "(1 to 36500)", opt == OPT_DAYS ? "days" :
				    "next-update", optarg);
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_HOST:
			o->host = optarg;
			break;
		case OPT_EMAIL:
		case OPT_DNS:
			if ((opt == OPT_EMAIL ? o->n_email : o->n_dns) >=
			    MAX_SAN)
				return bad("at most %d --email and %d --dns",
				    MAX_SAN, MAX_SAN);
			if (opt == OPT_EMAIL)
				o->email[o->n_email++] = optarg;
			else
				o->dns[o->n_dns++] = optarg;
			break;
		case OPT_UID:
			o->uid = optarg;
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_KEY_OUT:
			o->key_out = optarg;
			break;
		case OPT_ROOT:
			o->root = optarg;
			break;
		case OPT_PKCS11:
			if (strncmp(optarg, "pkcs11:", 7) != 0)
				return bad("--pkcs11 %s: expected a pkcs11: "
				    "URI", optarg);
			o->pkcs11 = optarg;
			break;
		case OPT_LABEL:
			o->label = optarg;
			break;
		case OPT_REASON:
			if (!reason_valid(optarg))
				return bad("--reason %s: unknown reason (see "
				    "mtls ca --help)", optarg);
			o->reason = optarg;
			break;
		}
	}
	if (argc - optind != nargs)
		return bad("%s: expected %s", argv[0], operands);
	o->sub = argv[0];
	o->dir = nargs > 0 ? argv[optind] : NULL;
	o->arg = nargs > 1 ? argv[optind + 1] : NULL;
	return 0;
}

/* Wipe and free a datum that holds a private key.  NULL-safe. */
static void
datum_wipe(gnutls_datum_t *d)
{
	if (d->data != NULL) {
		gnutls_memset(d->data, 0, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

static int
write_file(const char *dir, const char *name, const gnutls_datum_t *d,
    mode_t mode, struct mtls_err *err)
{
	char path[4096];
	int r;

	if ((r = ca_path(dir, name, path, sizeof(path), err)) != 0)
		return r;
	return mtls_file_write_atomic(path, d->data, d->size, mode, err);
}

/* 16 random bytes, positive, first byte nonzero (so 16 bytes in DER). */
static int
new_serial(const struct ca *ca, gnutls_x509_crt_t crt, char *hex,
    struct mtls_err *err)
{
	unsigned char serial[CA_SERIAL_LEN];
	int ret, tries;

	for (tries = 0; tries < 16; tries++) {
		if ((ret = gnutls_rnd(GNUTLS_RND_NONCE, serial,
		    sizeof(serial))) < 0)
			return mtls_err_set(err, MTLS_E_CRYPTO, "random: %s",
			    gnutls_strerror(ret));
		serial[0] &= 0x7f;
		if (serial[0] == 0)
			serial[0] = 1;
		mtls_hex(serial, sizeof(serial), 0, hex);
		if (ca == NULL || !ca_serial_used(ca, hex))
			break;
	}
	if (tries == 16)
		return mtls_err_set(err, MTLS_E_INTERNAL, "no unused serial");
	if ((ret = gnutls_x509_crt_set_serial(crt, serial,
	    sizeof(serial))) < 0)
		return mtls_err_set(err, MTLS_E_CRYPTO, "serial: %s",
		    gnutls_strerror(ret));
	return 0;
}

/* Version, serial, validity, public key and its SKI: common to all. */
static int
crt_base(const struct ca *ca, gnutls_x509_crt_t crt,
    gnutls_pubkey_t key, time_t from, time_t to, char *serial,
    struct mtls_err *err)
{
	unsigned char id[CA_KEYID_MAX];
	size_t idlen = sizeof(id);
	int ret, r;

	if ((r = new_serial(ca, crt, serial, err)) != 0)
		return r;
	if ((ret = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (ret = gnutls_x509_crt_set_activation_time(crt, from)) < 0 ||
	    (ret = gnutls_x509_crt_set_expiration_time(crt, to)) < 0 ||
	    (ret = gnutls_x509_crt_set_pubkey(crt, key)) < 0 ||
	    (ret = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, id,
	    &idlen)) < 0 ||
	    (ret = gnutls_x509_crt_set_subject_key_id(crt, id, idlen)) < 0)
		return mtls_err_set(err, MTLS_E_CRYPTO, "certificate: %s",
		    gnutls_strerror(ret));
	return 0;
}

static int
set_rdn(gnutls_x509_crt_t crt, const char *oid, const char *v)
{
	return gnutls_x509_crt_set_dn_by_oid(crt, oid, 0, v,
	    (unsigned int)strlen(v));
}

/* to, cut at the end of the issuer's own validity. */
static time_t
not_after(const struct ca *issuer, time_t to)
{
	time_t end = gnutls_x509_crt_get_expiration_time(issuer->crt);

	return end != (time_t)-1 && to > end ? end : to;
}

/*
 * Record what ca issued: its copy in certs/SERIAL.pem first, then the
 * index entry of the given kind.
 */
static int
record(struct ca *ca, gnutls_x509_crt_t crt, const char *serial,
    const char *kind, const gnutls_datum_t *pem, struct mtls_err *e)
{
	gnutls_datum_t dn = { NULL, 0 };
	struct ca_entry ent;
	char name[CA_SERIAL_HEX + 16];
	int ret, r;

	memset(&ent, 0, sizeof(ent));
	if ((ret = gnutls_x509_crt_get_dn3(crt, &dn, 0)) < 0) {
		r = mtls_err_set(e, MTLS_E_CRYPTO, "%s", gnutls_strerror(ret));
		goto out;
	}
	snprintf(ent.serial, sizeof(ent.serial), "%s", serial);
	ent.status = 'V';
	ent.not_after = gnutls_x509_crt_get_expiration_time(crt);
	strcpy(ent.reason, "-");
	snprintf(ent.kind, sizeof(ent.kind), "%s", kind);
	ent.subject = (char *)dn.data;
	snprintf(name, sizeof(name), "certs/%s.pem", serial);
	if ((r = write_file(ca->dir, name, pem, 0644, e)) != 0 ||
	    (r = ca_add(ca, &ent, e)) != 0 || (r = ca_index_save(ca, e)) != 0)
		goto out;
	r = 0;
 out:
	gnutls_free(dn.data);
	return r;
}

static int
init_check(const struct opts *o)
{
	if (o->name == NULL)
		return bad("%s: --name is required", o->sub);
	if (!label_valid(o->name) || (o->org != NULL && !label_valid(o->org)))
		return bad("%s: --name and --org take 1 to %d printable "
		    "ASCII characters", o->sub, NAME_MAX_LEN);
	return 0;
}

/* Make dir (0700) and dir/certs, and lock dir: *out, a CA yet empty. */
static int
ca_dir_make(const char *dir, struct ca **out, struct mtls_err *e)
{
	char path[4096];
	int fd = -1, r;

	*out = NULL;
	if (mkdir(dir, 0700) == 0 ? chmod(dir, 0700) != 0 : errno != EEXIST) {
		r = mtls_err_set(e, MTLS_E_IO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	/* An existing directory is adopted only if it is safely ours. */
	if ((r = ca_dir_check(dir, e)) != 0)
		goto out;
	if ((fd = ca_lock(dir, e)) < 0) {
		r = fd;
		goto out;
	}
	if (ca_exists(dir)) {	/* made while we waited for the lock */
		r = mtls_err_set(e, MTLS_E_INVAL, "%s already holds a CA", dir);
		goto out;
	}
	if ((r = ca_path(dir, "certs", path, sizeof(path), e)) != 0)
		goto out;
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		r = mtls_err_set(e, MTLS_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((r = ca_dir_check(path, e)) != 0)
		goto out;
	if ((r = ca_new(dir, fd, out, e)) != 0)
		goto out;
	fd = -1;
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * The certificate of the new CA ca, for pub, into ca->crt (with ca->ski):
 * self-signed when root is NULL; else signed by root, with pathLen 0 and
 * the root's key identifier, and ending no later than the root.
 */
static int
ca_crt_make(struct ca *ca, const struct ca *root, const struct opts *o,
    gnutls_pubkey_t pub, char *serial, struct mtls_err *e)
{
	const struct ca *issuer = root != NULL ? root : ca;
	time_t to = o->now + (time_t)o->days * 86400;
	int ret, r;

	if ((ret = gnutls_x509_crt_init(&ca->crt)) < 0)
		return mtls_err_set(e, MTLS_E_CRYPTO, "%s",
		    gnutls_strerror(ret));
	if (root != NULL)
		to = not_after(root, to);
	if ((r = crt_base(root, ca->crt, pub, o->now - BACKDATE, to, serial,
	    e)) != 0)
		return r;
	ca->ski_len = sizeof(ca->ski);
	if ((o->org != NULL && (ret = set_rdn(ca->crt,
	    GNUTLS_OID_X520_ORGANIZATION_NAME, o->org)) < 0) ||
	    (ret = set_rdn(ca->crt, GNUTLS_OID_X520_COMMON_NAME,
	    o->name)) < 0 ||
	    (ret = gnutls_x509_crt_set_basic_constraints(ca->crt, 1,
	    root != NULL ? 0 : -1)) < 0 ||
	    (ret = gnutls_x509_crt_set_key_usage(ca->crt,
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0 ||
	    (ret = gnutls_x509_crt_get_subject_key_id(ca->crt, ca->ski,
	    &ca->ski_len, NULL)) < 0 ||
	    (ret = gnutls_x509_crt_set_authority_key_id(ca->crt, issuer->ski,
	    issuer->ski_len)) < 0)
		return mtls_err_set(e, MTLS_E_CRYPTO, "%s",
		    gnutls_strerror(ret));
	return ca_sign_crt(issuer, ca->crt, e);
}

/* DIR/chain.pem: the intermediate's certificate, then its root's. */
static int
chain_write(const struct ca *ca, const struct ca *root,
    const gnutls_datum_t *cpem, struct mtls_err *e)
{
	gnutls_datum_t rpem = { NULL, 0 }, chain = { NULL, 0 };
	int ret, r;

	if ((ret = gnutls_x509_crt_export2(root->crt, GNUTLS_X509_FMT_PEM,
	    &rpem)) < 0) {
		r = mtls_err_set(e, MTLS_E_CRYPTO, "%s", gnutls_strerror(ret));
		goto out;
	}
	chain.size = cpem->size + rpem.size;
	if ((chain.data = malloc(chain.size)) == NULL) {
		r = mtls_err_set(e, MTLS_E_NOMEM, NULL);
		goto out;
	}
	memcpy(chain.data, cpem->data, cpem->size);
	memcpy(chain.data + cpem->size, rpem.data, rpem.size);
	r = write_file(ca->dir, "chain.pem", &chain, 0644, e);
 out:
	free(chain.data);
	gnutls_free(rpem.data);
	return r;
}

/*
 * Create the CA in o->dir: a self-signed root, or, with root, an
 * intermediate that the root signs and records (kind ca) before o->dir
 * gets its files.  ca.pem last: until it and ca.key exist, this is no CA.
 */
static int
ca_create(struct opts *o, struct ca *root)
{
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, cpem = { NULL, 0 };
	struct mtls_err e = { 0, "" };
	struct ca *ca = NULL;
	char serial[2 * CA_SERIAL_LEN + 1];
	int ret, rc = EXIT_REJECTED;

	if (o->days == 0)
		o->days = 3650;
	if (ca_exists(o->dir)) {
		fprintf(stderr, "mtls ca: %s already holds a CA (ca.key or "
		    "ca.pem exists); nothing changed\n", o->dir);
		return EXIT_REJECTED;
	}
	if (ca_dir_make(o->dir, &ca, &e) != 0 ||
	    ca_keygen(o->key_type, &xkey, &kpem, &e) != 0 ||
	    ca_keypair(xkey, &ca->key, &pub, &e) != 0 ||
	    ca_crt_make(ca, root, o, pub, serial, &e) != 0)
		goto fail;
	if ((ret = gnutls_x509_crt_export2(ca->crt, GNUTLS_X509_FMT_PEM,
	    &cpem)) < 0) {
		mtls_err_set(&e, MTLS_E_CRYPTO, "%s", gnutls_strerror(ret));
		goto fail;
	}
	if (root != NULL && record(root, ca->crt, serial, "ca", &cpem,
	    &e) != 0)
		goto fail;
	if (ca_index_save(ca, &e) != 0 ||
	    ca_crl_write(ca, o->now, 30, &e) != 0 ||
	    write_file(o->dir, "ca.key", &kpem, 0600, &e) != 0 ||
	    (root != NULL && chain_write(ca, root, &cpem, &e) != 0) ||
	    write_file(o->dir, "ca.pem", &cpem, 0644, &e) != 0)
		goto fail;
	printf("%s: CA \"%s\" created, serial %s%s%s\n", o->dir, o->name,
	    serial, root != NULL ? ", signed by " : "",
	    root != NULL ? root->dir : "");
	rc = 0;
	goto out;
 fail:
	failed(&e);
 out:
	ca_free(ca);
	datum_wipe(&kpem);
	gnutls_free(cpem.data);
	gnutls_pubkey_deinit(pub);
	gnutls_x509_privkey_deinit(xkey);
	return rc;
}

static int
ca_init(struct opts *o)
{
	int rc;

	if ((rc = init_check(o)) != 0)
		return rc;
	return ca_create(o, NULL);
}

/* An intermediate CA under the root in o->root; it may not have its own. */
static int
ca_init_intermediate(struct opts *o)
{
	struct mtls_err e = { 0, "" };
	struct ca *root = NULL;
	int rc;

	if ((rc = init_check(o)) != 0)
		return rc;
	if (o->root == NULL)
		return bad("%s: --root ROOTDIR is required", o->sub);
	if (ca_open(o->root, &root, &e) != 0)
		return failed(&e);
	if (gnutls_x509_crt_check_issuer(root->crt, root->crt) != 1) {
		mtls_err_set(&e, MTLS_E_INVAL, "%s is not a root CA (an "
		    "intermediate may not sign another); nothing changed",
		    o->root);
		rc = failed(&e);
	} else
		rc = ca_create(o, root);
	ca_free(root);
	return rc;
}

struct san {
	gnutls_x509_subject_alt_name_t	 type;
	const char			*name;
};

#define MAX_SANS	(1 + 2 * MAX_SAN)

/* The SANs o asks for, in order: the host, every --dns, every --email. */
static size_t
sans(const struct opts *o, struct san *out)
{
	size_t i, n = 0;

	if (o->host != NULL)
		out[n++] = (struct san){ GNUTLS_SAN_DNSNAME, o->host };
	for (i = 0; i < o->n_dns; i++)
		out[n++] = (struct san){ GNUTLS_SAN_DNSNAME, o->dns[i] };
	for (i = 0; i < o->n_email; i++)
		out[n++] = (struct san){ GNUTLS_SAN_RFC822NAME, o->email[i] };
	return n;
}

/* Subject, SANs and purpose of a user or host certificate. */
static int
leaf_names(const struct ca *ca, const struct opts *o, gnutls_x509_crt_t crt,
    struct mtls_err *err)
{
	struct san san[MAX_SANS];
	char org[256];
	size_t i, n, sz = sizeof(org);
	int ret;

	/* RDNs in DER order O, UID, CN: printed as CN=..,UID=..,O=.. */
	ret = gnutls_x509_crt_get_dn_by_oid(ca->crt,
	    GNUTLS_OID_X520_ORGANIZATION_NAME, 0, 0, org, &sz);
	if (ret == 0)
		ret = set_rdn(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, org);
	else if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		ret = 0;
	if (ret == 0 && o->uid != NULL)
		ret = set_rdn(crt, GNUTLS_OID_LDAP_UID, o->uid);
	if (ret == 0)
		ret = set_rdn(crt, GNUTLS_OID_X520_COMMON_NAME,
		    o->user != NULL ? o->user : o->host);
	n = sans(o, san);
	for (i = 0; ret == 0 && i < n; i++)
		ret = gnutls_x509_crt_set_subject_alt_name(crt, san[i].type,
		    san[i].name, (unsigned)strlen(san[i].name),
		    GNUTLS_FSAN_APPEND);
	if (ret == 0)
		ret = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	if (ret == 0)
		ret = gnutls_x509_crt_set_key_usage(crt,
		    GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (ret == 0)
		ret = gnutls_x509_crt_set_key_purpose_oid(crt, o->user != NULL ?
		    GNUTLS_KP_TLS_WWW_CLIENT : GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (ret == 0)
		ret = gnutls_x509_crt_set_authority_key_id(crt, ca->ski,
		    ca->ski_len);
	if (ret < 0)
		return mtls_err_set(err, MTLS_E_CRYPTO, "certificate: %s",
		    gnutls_strerror(ret));
	return 0;
}

/* The identity options of issue, sign and req. */
static int
ident_check(const struct opts *o)
{
	const char *s = o->sub;
	size_t i;

	if ((o->user == NULL) == (o->host == NULL))
		return bad("%s: exactly one of --user and --host", s);
	if (o->out == NULL)
		return bad("%s: --out is required", s);
	if (o->user != NULL && !mtls_name_valid(o->user, strlen(o->user)))
		return bad("%s: --user %s: not a valid user name "
		    "([a-z_][a-z0-9_-]{0,31})", s, o->user);
	if (o->uid != NULL && (o->user == NULL ||
	    !mtls_name_valid(o->uid, strlen(o->uid))))
		return bad("%s: --uid %s: only with --user, and a valid "
		    "user name", s, o->uid);
	if (o->host != NULL && !host_valid(o->host))
		return bad("%s: --host %s: not a DNS name", s, o->host);
	if (o->host != NULL && o->n_email > 0)
		return bad("%s: --email is for --user certificates", s);
	if (o->user != NULL && o->n_dns > 0)
		return bad("%s: --dns is for --host certificates", s);
	for (i = 0; i < o->n_dns; i++)
		if (!host_valid(o->dns[i]))
			return bad("%s: --dns %s: not a DNS name", s,
			    o->dns[i]);
	for (i = 0; i < o->n_email; i++)
		if (!email_valid(o->email[i]))
			return bad("%s: --email %s: not an e-mail address", s,
			    o->email[i]);
	return 0;
}

/* Refuse an output file that exists: never overwrite a key. */
static int
out_free(const char *path, struct mtls_err *e)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return mtls_err_set(e, MTLS_E_INVAL, "%s exists; nothing "
		    "changed", path);
	return 0;
}

/* PREFIX.key and PREFIX.pem must not exist: never overwrite a key. */
static int
out_paths(const char *prefix, char *key, char *pem, size_t size,
    struct mtls_err *e)
{
	if ((size_t)snprintf(key, size, "%s.key", prefix) >= size ||
	    (size_t)snprintf(pem, size, "%s.pem", prefix) >= size)
		return mtls_err_set(e, MTLS_E_TOO_LARGE, "%s: too long",
		    prefix);
	if (out_free(key, e) != 0 || out_free(pem, e) != 0)
		return MTLS_E_INVAL;
	return 0;
}

/*
 * Make, sign and record the certificate for pub with the identity in o:
 * the same profile for issue and sign.  keyp and kpem: the key to write
 * before anything else (issue), or NULL (sign).  Then certs/SERIAL.pem,
 * the index, and pemp.
 */
static int
leaf_issue(struct ca *ca, const struct opts *o, gnutls_pubkey_t pub,
    const char *pemp, const char *keyp, const gnutls_datum_t *kpem,
    struct mtls_err *e)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t cpem = { NULL, 0 };
	char serial[CA_SERIAL_HEX + 1];
	time_t to;
	int ret, r;

	to = not_after(ca, o->now + (time_t)(o->days != 0 ? o->days : 365) *
	    86400);
	if ((ret = gnutls_x509_crt_init(&crt)) < 0) {
		r = mtls_err_set(e, MTLS_E_CRYPTO, "%s", gnutls_strerror(ret));
		goto out;
	}
	if ((r = crt_base(ca, crt, pub, o->now - BACKDATE, to, serial,
	    e)) != 0 || (r = leaf_names(ca, o, crt, e)) != 0 ||
	    (r = ca_sign_crt(ca, crt, e)) != 0)
		goto out;
	if ((ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
	    &cpem)) < 0) {
		r = mtls_err_set(e, MTLS_E_CRYPTO, "%s", gnutls_strerror(ret));
		goto out;
	}
	/* the key first, so no indexed certificate lacks its key */
	if ((keyp != NULL && (r = mtls_file_write_atomic(keyp, kpem->data,
	    kpem->size, 0600, e)) != 0) ||
	    (r = record(ca, crt, serial, o->user != NULL ? "user" : "host",
	    &cpem, e)) != 0 ||
	    (r = mtls_file_write_atomic(pemp, cpem.data, cpem.size, 0644,
	    e)) != 0)
		goto out;
	printf("%s: serial %s, %s\n", pemp, serial,
	    ca->ent[ca->n_ent - 1].subject);
	r = 0;
 out:
	gnutls_free(cpem.data);
	gnutls_x509_crt_deinit(crt);
	return r;
}

static int
ca_issue(struct opts *o)
{
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_privkey_t key = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t kpem = { NULL, 0 };
	struct mtls_err e = { 0, "" };
	struct ca *ca = NULL;
	char keyp[4096], pemp[4096];
	int rc;

	if ((rc = ident_check(o)) != 0)
		return rc;
	rc = EXIT_REJECTED;
	if (ca_open(o->dir, &ca, &e) != 0 ||
	    out_paths(o->out, keyp, pemp, sizeof(keyp), &e) != 0 ||
	    ca_keygen(o->key_type, &xkey, &kpem, &e) != 0 ||
	    ca_keypair(xkey, &key, &pub, &e) != 0 ||
	    leaf_issue(ca, o, pub, pemp, keyp, &kpem, &e) != 0)
		rc = failed(&e);
	else
		rc = 0;
	datum_wipe(&kpem);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(key);
	gnutls_x509_privkey_deinit(xkey);
	ca_free(ca);
	return rc;
}

/*
 * Sign a request: only its public key is taken (after its self-signature
 * verifies); the names come from the options, as for issue.
 */
static int
ca_signreq(struct opts *o)
{
	gnutls_pubkey_t pub = NULL;
	struct mtls_err e = { 0, "" };
	struct ca *ca = NULL;
	int rc;

	if ((rc = ident_check(o)) != 0)
		return rc;
	if (out_free(o->out, &e) != 0 || ca_crq_load(o->arg, &pub, &e) != 0 ||
	    ca_open(o->dir, &ca, &e) != 0 ||
	    leaf_issue(ca, o, pub, o->out, NULL, NULL, &e) != 0)
		rc = failed(&e);
	else
		rc = 0;
	gnutls_pubkey_deinit(pub);
	ca_free(ca);
	return rc;
}

/* SERIAL, or a certificate file whose serial is meant. */
static int
target_serial(const char *arg, char *serial, struct mtls_err *e)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int r;

	if (access(arg, F_OK) != 0) {
		if (ca_serial_norm(arg, serial) != 0)
			return mtls_err_set(e, MTLS_E_INVAL, "%s: neither a "
			    "serial number (hex) nor a certificate file", arg);
		return 0;
	}
	if ((r = mtls_load_crts(arg, "certificate", 0, &crts, &n, e)) != 0)
		return r;
	r = ca_crt_serial(crts[0], serial);
	mtls_crts_free(crts, n);
	if (r != 0)
		return mtls_err_set(e, r, "%s: unusable serial number", arg);
	return 0;
}

static int
ca_revoke(struct opts *o)
{
	struct mtls_err e = { 0, "" };
	struct ca_entry *ent;
	struct ca *ca = NULL;
	char serial[CA_SERIAL_HEX + 1];
	int rc = EXIT_REJECTED;

	if (target_serial(o->arg, serial, &e) != 0 ||
	    ca_open(o->dir, &ca, &e) != 0)
		goto fail;
	if ((ent = ca_find(ca, serial)) == NULL) {
		mtls_err_set(&e, MTLS_E_NOT_FOUND, "%s: serial %s was not "
		    "issued by this CA; nothing changed", o->dir, serial);
		goto fail;
	}
	if (ent->status == 'R') {
		mtls_err_set(&e, MTLS_E_INVAL, "serial %s is already revoked; "
		    "nothing changed", serial);
		goto fail;
	}
	ent->status = 'R';
	ent->revoked_at = o->now;
	snprintf(ent->reason, sizeof(ent->reason), "%s",
	    o->reason != NULL ? o->reason : "unspecified");
	/* the CRL first: the revocation takes effect as early as it can */
	if (ca_crl_write(ca, o->now, o->next_update != 0 ? o->next_update : 30,
	    &e) != 0 || ca_index_save(ca, &e) != 0)
		goto fail;
	printf("serial %s revoked (%s); CRL %lu written\n", serial,
	    ent->reason, ca->crl_number);
	rc = 0;
	goto out;
 fail:
	failed(&e);
 out:
	ca_free(ca);
	return rc;
}

static int
ca_crl(struct opts *o)
{
	struct mtls_err e = { 0, "" };
	struct ca *ca = NULL;
	int rc = EXIT_REJECTED;

	if (ca_open(o->dir, &ca, &e) != 0 ||
	    ca_crl_write(ca, o->now, o->next_update != 0 ? o->next_update : 30,
	    &e) != 0) {
		failed(&e);
		goto out;
	}
	printf("%s/crl.pem: CRL %lu written\n", o->dir, ca->crl_number);
	rc = 0;
 out:
	ca_free(ca);
	return rc;
}

static int
ca_list(struct opts *o)
{
	struct mtls_err e = { 0, "" };
	struct ca *ca = NULL;
	char t[32], rt[32];
	size_t i;

	if (ca_open(o->dir, &ca, &e) != 0)
		return failed(&e);
	for (i = 0; i < ca->n_ent; i++) {
		const struct ca_entry *x = &ca->ent[i];

		mtls_format_time(x->not_after, t, sizeof(t));
		printf("%s\t%s\t%s\t%s\t%s", x->serial, x->status == 'R' ?
		    "revoked" : x->not_after < o->now ? "expired" : "valid",
		    t, x->kind, x->subject);
		if (x->status == 'R') {
			mtls_format_time(x->revoked_at, rt, sizeof(rt));
			printf("\trevoked %s %s", rt, x->reason);
		}
		printf("\n");
	}
	ca_free(ca);
	return 0;
}

/* Subject and SANs of a request: what the holder asks for. */
static int
req_names(const struct opts *o, gnutls_x509_crq_t crq)
{
	struct san san[MAX_SANS];
	size_t i, n;
	int ret = 0;

	if (o->uid != NULL)
		ret = gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_LDAP_UID,
		    0, o->uid, (unsigned)strlen(o->uid));
	if (ret == 0)
		ret = gnutls_x509_crq_set_dn_by_oid(crq,
		    GNUTLS_OID_X520_COMMON_NAME, 0,
		    o->user != NULL ? o->user : o->host,
		    (unsigned)strlen(o->user != NULL ? o->user : o->host));
	n = sans(o, san);
	for (i = 0; ret == 0 && i < n; i++)
		ret = gnutls_x509_crq_set_subject_alt_name(crq, san[i].type,
		    san[i].name, (unsigned)strlen(san[i].name),
		    GNUTLS_FSAN_APPEND);
	return ret;
}

/* A PKCS#10 request for pub, signed by key, as PEM into *pem. */
static int
req_make(const struct opts *o, gnutls_privkey_t key, gnutls_pubkey_t pub,
    gnutls_datum_t *pem, struct mtls_err *e)
{
	gnutls_x509_crq_t crq = NULL;
	int ret, r;

	if ((ret = gnutls_x509_crq_init(&crq)) < 0 ||
	    (ret = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (ret = req_names(o, crq)) < 0 ||
	    (ret = gnutls_x509_crq_set_pubkey(crq, pub)) < 0 ||
	    (ret = gnutls_x509_crq_privkey_sign(crq, key, ca_sign_hash(key),
	    0)) < 0 ||
	    (ret = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM,
	    pem)) < 0) {
		r = mtls_err_set(e, MTLS_E_CRYPTO, "request: %s",
		    gnutls_strerror(ret));
		goto out;
	}
	r = 0;
 out:
	gnutls_x509_crq_deinit(crq);
	return r;
}

/* The key to FILE (0600) first, then the request. */
static int
req_file(struct opts *o)
{
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_privkey_t key = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, rpem = { NULL, 0 };
	struct mtls_err e = { 0, "" };
	int rc = EXIT_REJECTED;

	if (out_free(o->key_out, &e) != 0 || out_free(o->out, &e) != 0 ||
	    ca_keygen(o->key_type, &xkey, &kpem, &e) != 0 ||
	    ca_keypair(xkey, &key, &pub, &e) != 0 ||
	    req_make(o, key, pub, &rpem, &e) != 0 ||
	    mtls_file_write_atomic(o->key_out, kpem.data, kpem.size, 0600,
	    &e) != 0 ||
	    mtls_file_write_atomic(o->out, rpem.data, rpem.size, 0644, &e) != 0)
		goto fail;
	printf("%s: request for %s %s; key in %s\n", o->out,
	    o->user != NULL ? "user" : "host",
	    o->user != NULL ? o->user : o->host, o->key_out);
	rc = 0;
	goto out;
 fail:
	failed(&e);
 out:
	datum_wipe(&kpem);
	gnutls_free(rpem.data);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(key);
	gnutls_x509_privkey_deinit(xkey);
	return rc;
}

/*
 * The key generated on the token, then the request signed there.  When
 * the request cannot be made or written, the key is removed again.
 */
static int
req_token(struct opts *o)
{
	gnutls_datum_t rpem = { NULL, 0 };
	struct mtls_err e = { 0, "" };
	struct p11_key *k = NULL;
	const char *label = o->label != NULL ? o->label :
	    o->user != NULL ? o->user : o->host;
	int rc = EXIT_REJECTED;

	if (out_free(o->out, &e) != 0 ||
	    p11_keygen(o->pkcs11, o->key_type, label, &k, &e) != 0)
		goto fail;
	if (req_make(o, p11_key_priv(k), p11_key_pub(k), &rpem, &e) != 0 ||
	    mtls_file_write_atomic(o->out, rpem.data, rpem.size, 0644,
	    &e) != 0) {
		p11_key_destroy(k, NULL);
		goto fail;
	}
	printf("%s: request for %s %s; key on the token:\n%s\n", o->out,
	    o->user != NULL ? "user" : "host",
	    o->user != NULL ? o->user : o->host, p11_key_uri(k));
	rc = 0;
	goto out;
 fail:
	failed(&e);
 out:
	gnutls_free(rpem.data);
	p11_key_free(k);
	return rc;
}

/* mtls req: a key in a file or on a token, and a request signed by it. */
static int
req(struct opts *o)
{
	int rc;

	if ((rc = ident_check(o)) != 0)
		return rc;
	if ((o->key_out == NULL) == (o->pkcs11 == NULL))
		return bad("exactly one of --key-out FILE and --pkcs11 URI");
	if (o->label != NULL && (o->pkcs11 == NULL || !label_valid(o->label)))
		return bad("--label: only with --pkcs11, 1 to %d printable "
		    "ASCII characters", NAME_MAX_LEN);
	return o->pkcs11 != NULL ? req_token(o) : req_file(o);
}

int
cmd_req(int argc, char **argv)
{
	struct opts o;

	cmd_name = "req";
	memset(&o, 0, sizeof(o));
	o.key_type = CA_KEY_P256;
	o.now = time(NULL);
	if (parse(argc, argv, F(OPT_USER) | F(OPT_HOST) | F(OPT_EMAIL) |
	    F(OPT_UID) | F(OPT_DNS) | F(OPT_KEY_TYPE) | F(OPT_OUT) |
	    F(OPT_KEY_OUT) | F(OPT_PKCS11) | F(OPT_LABEL), 0, "no operands",
	    &o) != 0)
		return EXIT_USAGE;
	return req(&o);
}

static const struct {
	const char	*name;
	int		(*fn)(struct opts *);
	unsigned	 allowed;
	int		 nargs;
	const char	*operands;
} subs[] = {
	{ "init", ca_init, F(OPT_NAME) | F(OPT_ORG) | F(OPT_KEY_TYPE) |
	    F(OPT_DAYS), 1, "DIR" },
	{ "init-intermediate", ca_init_intermediate, F(OPT_ROOT) | F(OPT_NAME) |
	    F(OPT_ORG) | F(OPT_KEY_TYPE) | F(OPT_DAYS), 1, "DIR" },
	{ "issue", ca_issue, F(OPT_USER) | F(OPT_HOST) | F(OPT_DAYS) |
	    F(OPT_EMAIL) | F(OPT_UID) | F(OPT_DNS) | F(OPT_KEY_TYPE) |
	    F(OPT_OUT), 1, "DIR" },
	{ "sign", ca_signreq, F(OPT_USER) | F(OPT_HOST) | F(OPT_DAYS) |
	    F(OPT_EMAIL) | F(OPT_UID) | F(OPT_DNS) | F(OPT_OUT), 2,
	    "DIR and REQ" },
	{ "revoke", ca_revoke, F(OPT_REASON) | F(OPT_NEXT_UPDATE), 2,
	    "DIR and SERIAL|CERTFILE" },
	{ "crl", ca_crl, F(OPT_NEXT_UPDATE), 1, "DIR" },
	{ "list", ca_list, 0, 1, "DIR" },
};

int
cmd_ca(int argc, char **argv)
{
	struct opts o;
	size_t i;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		memset(&o, 0, sizeof(o));
		o.key_type = CA_KEY_P256;
		o.now = time(NULL);
		if ((rc = parse(argc - 1, argv + 1, subs[i].allowed,
		    subs[i].nargs, subs[i].operands, &o)) != 0)
			return rc;
		return subs[i].fn(&o);
	}
	return bad("unknown subcommand '%s' (see mtls ca --help)", argv[1]);
}
