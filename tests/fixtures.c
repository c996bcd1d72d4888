/*
 * fixtures.c - generate the test PKI described in fixtures.h.
 *
 * One table lists every certificate, issuers before what they sign.  A row
 * is a profile (CA, client leaf, server leaf) plus the few fields and quirk
 * flags that make it differ from a good certificate, so each broken fixture
 * reads as "the good one, except ...".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "derbuf.h"
#include "fixtures.h"
#include "fixtures_nc.h"

#define ORG		",O=mtls test"
#define OID_UPN		"1.3.6.1.4.1.311.20.2.3"
#define OID_SAN		"2.5.29.17"
#define OID_BC		"2.5.29.19"
#define OID_AKI		"2.5.29.35"
#define OID_POLICY_CONS	"2.5.29.36"
#define OID_AIA		"1.3.6.1.5.5.7.1.1"
#define OID_UNKNOWN	"1.3.6.1.4.1.55555.1"
/* Stands for a second SAN until the DER is patched (same encoded length). */
#define OID_SAN_TWIN	"2.5.29.99"

#define SERIAL_LEN	16
#define KEYID_MAX	64	/* SHA-1 key ids are 20 bytes; room to spare */
#define LIST_FILE	"fixtures.txt"

enum profile {
	P_CA,
	P_CLIENT,
	P_SERVER
};

enum keytype {
	K_EC,			/* ECDSA P-256: fast, so the default */
	K_RSA2048,
	K_RSA1024,
	K_ED25519
};

enum san {
	S_NONE,
	S_ALICE,		/* email, UPN, URI and DNS name */
	S_BOB,			/* email only */
	S_IP_DNS		/* "192.0.2.1" as a DNS name */
};

/* Ways a row departs from its profile. */
#define Q_PATHLEN0	0x0001	/* pathLenConstraint 0 */
#define Q_CA_FALSE	0x0002	/* CA profile, but basicConstraints CA:FALSE */
#define Q_CA_TRUE	0x0004	/* leaf profile, but basicConstraints CA:TRUE */
#define Q_NO_SKI	0x0008
#define Q_NO_AKI	0x0010
#define Q_RAND_AKI	0x0020	/* AKI of random bytes, not the issuer's SKI */
#define Q_NO_EKU	0x0040
#define Q_SHA1		0x0080	/* signed with SHA-1 */
#define Q_BAD_SAN	0x0100	/* rfc822Name with an embedded NUL */
#define Q_V1		0x0200	/* X.509 v1, no extensions */
#define Q_CRIT_EXT	0x0400	/* an unknown critical extension */
#define Q_FORGED	0x0800	/* issuer's name and AKI, someone else's key */
#define Q_NUL_CN	0x1000	/* CN "ali\0ce" after the DN */
#define Q_AKI_CRIT	0x2000	/* authorityKeyIdentifier critical */
#define Q_BC_NONCRIT	0x4000	/* basicConstraints not critical */
#define Q_AIA		0x8000	/* authorityInfoAccess (caIssuers) */
#define Q_AIA_CRIT	0x10000	/* ...marked critical */
#define Q_SAN_CRIT	0x20000	/* the SAN extension marked critical */
#define Q_POLICY_CONS	0x40000	/* policyConstraints, critical */
#define Q_POLICY_NONCRIT 0x80000 /* policyConstraints, not critical */
#define Q_SERIAL_ZERO	0x100000 /* serial number 0 (patched DER) */
#define Q_SERIAL_NEG	0x200000 /* a negative serial number */
#define Q_SAN_GARBAGE	0x400000 /* a SAN extension that is not DER */
#define Q_DUP_SAN	0x800000 /* two SAN extensions (patched DER) */
#define Q_SIG_MISMATCH	0x1000000 /* outer signature algorithm is not the
				   * one in tbsCertificate (patched DER) */
#define Q_BOOL_ONE	0x2000000 /* basicConstraints' critical TRUE as
				   * 0x01, not DER's 0xff (patched DER) */
#define Q_PATCHED	(Q_DUP_SAN | Q_SIG_MISMATCH | Q_SERIAL_ZERO | \
	Q_BOOL_ONE)

/*
 * One subject attribute given as DER (tag, length, value), to write string
 * types and contents that gnutls_x509_crt_set_dn() would not.
 */
struct rawattr {
	const char		*oid;
	const unsigned char	*der;
	size_t			 len;
};

#define MAX_RAW		2

struct certspec {
	const char	*name;		/* file name without ".pem" */
	const char	*dn;		/* subject, RFC 4514 */
	struct rawattr	 raw[MAX_RAW];	/* after dn, in order */
	const char	*issuer;	/* an earlier row; NULL: self-signed */
	enum profile	 profile;
	enum keytype	 key;
	enum san	 san;
	unsigned int	 ku;		/* key usage; 0: the profile's */
	const char	*eku;		/* sole key purpose; NULL: profile's */
	unsigned int	 quirks;
	time_t		 from;		/* validity; 0: the profile's */
	time_t		 to;
	const char	*nc;		/* fixtures_nc.h extensions, or NULL */
	const char	*same_key;	/* an earlier row whose key it reuses */
};

/* Subject attribute values, DER-encoded. */
static const unsigned char bmp_root[] = {	/* BMPString "root" */
	0x1e, 0x08, 0, 'r', 0, 'o', 0, 'o', 0, 't'
};
static const unsigned char bmp_alice[] = {	/* BMPString "alice" */
	0x1e, 0x0a, 0, 'a', 0, 'l', 0, 'i', 0, 'c', 0, 'e'
};
static const unsigned char utf8_alice[] = {	/* UTF8String "alice" */
	0x0c, 0x05, 'a', 'l', 'i', 'c', 'e'
};
static const unsigned char utf8_bob[] = {	/* UTF8String "bob" */
	0x0c, 0x03, 'b', 'o', 'b'
};
static const unsigned char utf8_nul[] = {	/* UTF8String "ali\0ce" */
	0x0c, 0x06, 'a', 'l', 'i', 0, 'c', 'e'
};
static const unsigned char printable_alice[] = { /* PrintableString */
	0x13, 0x05, 'a', 'l', 'i', 'c', 'e'
};

#define OID_CN		GNUTLS_OID_X520_COMMON_NAME
#define OID_UID		"0.9.2342.19200300.100.1.1"
#define RAW(o, v)	{ (o), (v), sizeof(v) }
#define RAW2(o, a, b)	.raw = { RAW(o, a), RAW(o, b) }

#define CA(n, d, i)	.name = (n), .dn = (d), .issuer = (i), .profile = P_CA
#define LEAF(n, d, i)	.name = (n), .dn = (d), .issuer = (i), \
			.profile = P_CLIENT

static const struct certspec certs[] = {
	{ CA("root", "CN=Test Root CA" ORG, NULL) },
	{ CA("inter", "CN=Test Intermediate CA" ORG, "root") },
	/* the same CA again: its name and key, a new serial and validity */
	{ CA("inter-reissue", "CN=Test Intermediate CA" ORG, "root"),
	    .same_key = "inter", .from = 1748736000, .to = 2082758400 },
	{ CA("other-root", "CN=Other Root CA,O=elsewhere", NULL) },
	{ CA("inter-a", "CN=Deep A" ORG, "root") },
	{ CA("inter-b", "CN=Deep B" ORG, "inter-a") },
	{ CA("inter-c", "CN=Deep C" ORG, "inter-b") },
	/* a cross-certificate for inter, from another CA under the root */
	{ CA("inter-cross", "CN=Test Intermediate CA" ORG, "inter-a"),
	    .same_key = "inter" },
	{ CA("inter-pl0", "CN=Pathlen Zero CA" ORG, "root"),
	    .quirks = Q_PATHLEN0 },
	{ CA("sub-pl0", "CN=Under Pathlen Zero" ORG, "inter-pl0") },
	{ CA("inter-notca", "CN=Not A CA" ORG, "root"), .quirks = Q_CA_FALSE },
	{ CA("inter-nocertsign", "CN=No CertSign CA" ORG, "root"),
	    .ku = GNUTLS_KEY_CRL_SIGN },
	{ CA("inter-noski", "CN=No SKI CA" ORG, "root"), .quirks = Q_NO_SKI },
	{ CA("root-notca", "CN=Not CA Root" ORG, NULL), .quirks = Q_CA_FALSE },
	/* inter's name, under the other root, with a key of its own */
	{ CA("inter-twin", "CN=Test Intermediate CA" ORG, "other-root") },
	/* CAs whose extended key usage restricts what they may issue */
	{ CA("inter-eku-server", "CN=Server Only CA" ORG, "root"),
	    .eku = GNUTLS_KP_TLS_WWW_SERVER },
	{ CA("sub-eku-server", "CN=Under Server Only" ORG,
	    "inter-eku-server") },
	{ CA("inter-eku-client", "CN=Client Only CA" ORG, "root"),
	    .eku = GNUTLS_KP_TLS_WWW_CLIENT },
	{ CA("inter-eku-any", "CN=Any Purpose CA" ORG, "root"),
	    .eku = GNUTLS_KP_ANY },
	{ CA("root-eku-server", "CN=Server Only Root CA" ORG, NULL),
	    .eku = GNUTLS_KP_TLS_WWW_SERVER },
	/* CAs that break a structure rule of RFC 5280 */
	{ CA("inter-empty-dn", "", "root"), .san = S_BOB,
	    .quirks = Q_SAN_CRIT },
	{ CA("inter-bc-noncrit", "CN=Noncritical BC CA" ORG, "root"),
	    .quirks = Q_BC_NONCRIT },
	{ CA("inter-policy", "CN=Policy Constraints CA" ORG, "root"),
	    .quirks = Q_POLICY_CONS },
	{ CA("inter-policy-noncrit", "CN=Noncritical Policy CA" ORG, "root"),
	    .quirks = Q_POLICY_NONCRIT },

	{ LEAF("leaf-good", "CN=alice,UID=alice" ORG, "inter"),
	    .san = S_ALICE },
	{ LEAF("leaf-bob", "CN=bob" ORG, "inter"), .san = S_BOB },
	{ LEAF("leaf-rsa2048", "CN=carol" ORG, "inter"), .key = K_RSA2048 },
	{ LEAF("leaf-ed25519", "CN=dave" ORG, "inter"), .key = K_ED25519 },
	{ LEAF("leaf-expired", "CN=expired" ORG, "inter"),
	    .to = 1764547200 },		/* 2025-12-01 */
	{ LEAF("leaf-notyet", "CN=notyet" ORG, "inter"),
	    .from = 1780272000 },	/* 2026-06-01 */
	{ LEAF("leaf-revoked", "CN=revoked" ORG, "inter") },
	{ LEAF("leaf-other", "CN=alice" ORG, "other-root") },
	/* alice's name, SANs, issuer and AKI: only the signature is wrong */
	{ LEAF("leaf-impostor", "CN=alice,UID=alice" ORG, "inter"),
	    .san = S_ALICE, .quirks = Q_FORGED },
	{ LEAF("leaf-noeku", "CN=noeku" ORG, "inter"), .quirks = Q_NO_EKU },
	{ LEAF("leaf-server-eku", "CN=server-eku" ORG, "inter"),
	    .eku = GNUTLS_KP_TLS_WWW_SERVER },
	{ LEAF("leaf-ca", "CN=ca" ORG, "inter"), .quirks = Q_CA_TRUE },
	{ LEAF("leaf-certsign", "CN=certsign" ORG, "inter"),
	    .ku = GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN },
	{ LEAF("leaf-no-ds", "CN=no-ds" ORG, "inter"),
	    .ku = GNUTLS_KEY_KEY_ENCIPHERMENT },
	{ LEAF("leaf-sha1", "CN=sha1" ORG, "inter"), .quirks = Q_SHA1 },
	{ LEAF("leaf-rsa1024", "CN=rsa1024" ORG, "inter"), .key = K_RSA1024 },
	{ LEAF("leaf-noaki", "CN=noaki" ORG, "inter"), .quirks = Q_NO_AKI },
	{ LEAF("leaf-akimismatch", "CN=akimismatch" ORG, "inter"),
	    .quirks = Q_RAND_AKI },
	{ LEAF("leaf-badsan", "CN=badsan" ORG, "inter"), .quirks = Q_BAD_SAN },
	{ LEAF("leaf-v1", "CN=v1" ORG, "inter"), .quirks = Q_V1 },
	{ LEAF("leaf-critext", "CN=critext" ORG, "inter"),
	    .quirks = Q_CRIT_EXT },
	{ LEAF("leaf-deep", "CN=deep" ORG, "inter-c") },
	{ LEAF("leaf-pl0", "CN=pl0" ORG, "sub-pl0") },
	{ LEAF("leaf-notca-issuer", "CN=notca-issuer" ORG, "inter-notca") },
	{ LEAF("leaf-nocertsign-issuer", "CN=nocertsign-issuer" ORG,
	    "inter-nocertsign") },
	/* no AKI follows from the issuer having no SKI */
	{ LEAF("leaf-noski-issuer", "CN=noski-issuer" ORG, "inter-noski") },
	{ LEAF("leaf-notca-root", "CN=notca-root" ORG, "root-notca") },
	{ LEAF("leaf-direct", "CN=erin" ORG, "root") },
	{ LEAF("leaf-uid-only", "UID=frank" ORG, "inter") },
	{ LEAF("leaf-hostile-cn", "CN=../x" ORG, "inter") },
	{ LEAF("leaf-upper-cn", "CN=Alice" ORG, "inter") },
	{ LEAF("leaf-long-cn", "CN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" ORG,
	    "inter") },
	{ LEAF("leaf-colon-cn", "CN=a:b" ORG, "inter") },
	{ LEAF("leaf-root-cn", "CN=root" ORG, "inter") },
	/* two RDNs, alice before bob in the DER */
	{ LEAF("leaf-two-cn", "CN=bob,CN=alice" ORG, "inter") },
	{ LEAF("leaf-nul-cn", "O=mtls test", "inter"), .quirks = Q_NUL_CN },
	/*
	 * Two CNs (UIDs) each, one of which a reader that knows only some
	 * string types or refuses a NUL would skip, or of two string types.
	 * UID=carol (CN=carol) is there to show the other field unharmed.
	 */
	{ LEAF("leaf-bmp-cn-first", "UID=carol" ORG, "inter"),
	    RAW2(OID_CN, bmp_root, utf8_alice) },
	{ LEAF("leaf-bmp-cn-second", "UID=carol" ORG, "inter"),
	    RAW2(OID_CN, utf8_alice, bmp_root) },
	{ LEAF("leaf-nul-cn-pair", "UID=carol" ORG, "inter"),
	    RAW2(OID_CN, utf8_nul, utf8_bob) },
	{ LEAF("leaf-mixed-cn", "UID=carol" ORG, "inter"),
	    RAW2(OID_CN, printable_alice, utf8_bob) },
	{ LEAF("leaf-bmp-cn", "UID=carol" ORG, "inter"),
	    .raw = { RAW(OID_CN, bmp_alice) } },
	{ LEAF("leaf-bmp-uid-first", "CN=carol" ORG, "inter"),
	    RAW2(OID_UID, bmp_root, utf8_alice) },
	{ LEAF("leaf-bmp-uid-second", "CN=carol" ORG, "inter"),
	    RAW2(OID_UID, utf8_alice, bmp_root) },
	{ LEAF("leaf-nul-uid-pair", "CN=carol" ORG, "inter"),
	    RAW2(OID_UID, utf8_nul, utf8_bob) },
	{ LEAF("leaf-mixed-uid", "CN=carol" ORG, "inter"),
	    RAW2(OID_UID, printable_alice, utf8_bob) },
	/* alice's name under the look-alike intermediate */
	{ LEAF("leaf-twin", "CN=alice,UID=alice" ORG, "inter-twin"),
	    .san = S_ALICE },
	{ LEAF("leaf-eku-server-ca", "CN=eku-server-ca" ORG,
	    "inter-eku-server") },
	{ LEAF("leaf-eku-server-sub", "CN=eku-server-sub" ORG,
	    "sub-eku-server") },
	{ LEAF("leaf-eku-client-ca", "CN=eku-client-ca" ORG,
	    "inter-eku-client") },
	{ LEAF("leaf-eku-any-ca", "CN=eku-any-ca" ORG, "inter-eku-any") },
	{ LEAF("leaf-eku-server-root", "CN=eku-server-root" ORG,
	    "root-eku-server") },
	{ .name = "server-eku-server-ca", .dn = "CN=host.example.com" ORG,
	    .issuer = "inter-eku-server", .profile = P_SERVER },
	{ .name = "server-eku-client-ca", .dn = "CN=host.example.com" ORG,
	    .issuer = "inter-eku-client", .profile = P_SERVER },
	{ LEAF("leaf-aki-crit", "CN=aki-crit" ORG, "inter"),
	    .quirks = Q_AKI_CRIT },
	{ LEAF("leaf-empty-dn-issuer", "CN=empty-dn-issuer" ORG,
	    "inter-empty-dn") },
	{ LEAF("leaf-aia", "CN=aia" ORG, "inter"), .quirks = Q_AIA },
	{ LEAF("leaf-aia-crit", "CN=aia-crit" ORG, "inter"),
	    .quirks = Q_AIA | Q_AIA_CRIT },
	{ LEAF("leaf-bc-noncrit-issuer", "CN=bc-noncrit-issuer" ORG,
	    "inter-bc-noncrit") },
	{ LEAF("leaf-ip-dns", "CN=ip-dns" ORG, "inter"), .san = S_IP_DNS },
	/* an empty subject is allowed with a critical SAN only */
	{ LEAF("leaf-empty-dn", "", "inter"), .san = S_BOB,
	    .quirks = Q_SAN_CRIT },
	{ LEAF("leaf-empty-dn-san-noncrit", "", "inter"), .san = S_BOB },
	{ LEAF("leaf-policy-issuer", "CN=policy-issuer" ORG, "inter-policy") },
	{ LEAF("leaf-policy-noncrit-issuer", "CN=policy-noncrit-issuer" ORG,
	    "inter-policy-noncrit") },
	{ LEAF("leaf-serial-zero", "CN=serial-zero" ORG, "inter"),
	    .quirks = Q_SERIAL_ZERO },
	{ LEAF("leaf-serial-neg", "CN=serial-neg" ORG, "inter"),
	    .quirks = Q_SERIAL_NEG },
	/* not DER: GnuTLS takes it, and encoded again it is another one */
	{ LEAF("leaf-bool-one", "CN=bool-one" ORG, "inter"),
	    .quirks = Q_BOOL_ONE },
	/* GnuTLS cannot parse these three */
	{ LEAF("leaf-san-garbage", "CN=san-garbage" ORG, "inter"),
	    .quirks = Q_SAN_GARBAGE },
	{ LEAF("leaf-dup-san", "CN=dup-san" ORG, "inter"), .san = S_BOB,
	    .quirks = Q_DUP_SAN },
	{ LEAF("leaf-sig-mismatch", "CN=sig-mismatch" ORG, "inter"),
	    .quirks = Q_SIG_MISMATCH },
	{ .name = "server-good", .dn = "CN=host.example.com" ORG,
	    .issuer = "inter", .profile = P_SERVER },

	/*
	 * Name constraints: CAs that constrain (or whose constraints are
	 * wrong), CAs below them, and leaves inside and outside.
	 */
	{ CA("nc-dn", "CN=Partner CA,O=Partner Inc", "root"),
	    .nc = "p:dn:O=Partner Inc" },
	{ CA("nc-dn-sub", "CN=Sub CA,O=Example Corp", "nc-dn") },
	{ CA("nc-dnx", "CN=Guard CA" ORG, "root"), .nc = "x:dn8:O=Evil Corp" },
	{ CA("nc-root", "CN=NC Root CA,O=Partner Inc", NULL),
	    .nc = "p:dn:O=Partner Inc" },
	{ CA("nc-names", "CN=Names CA" ORG, "root"),
	    .nc = "p:dns:example.com;p:email:example.com;"
	    "p:ip:10.0.0.0/255.0.0.0;p:uri:.example.com;x:dns:bad.example.com" },
	{ CA("nc-names-sub-dns", "CN=Sub DNS CA" ORG, "nc-names"),
	    .nc = "san:dns:ca.evil.org" },
	{ CA("nc-names-sub-email", "CN=Sub Email CA" ORG, "nc-names"),
	    .nc = "san:email:ca@evil.org" },
	{ CA("nc-names-sub-ip", "CN=Sub IP CA" ORG, "nc-names"),
	    .nc = "san:ip:192.168.0.1" },
	{ CA("nc-names-sub-excl", "CN=Sub Excluded CA" ORG, "nc-names"),
	    .nc = "san:dns:ca.bad.example.com" },
	{ CA("nc-upn", "CN=UPN CA" ORG, "root"),
	    .nc = "p:upn:alice@EXAMPLE.COM" },
	{ CA("nc-noncrit", "CN=Noncritical CA" ORG, "root"),
	    .nc = "noncrit;p:dns:example.com" },
	{ CA("nc-bad-dot", "CN=Leading Dot CA" ORG, "root"),
	    .nc = "p:dns:.example.com" },
	{ CA("nc-bad-empty", "CN=Empty DNS CA" ORG, "root"), .nc = "x:dns:" },
	{ CA("nc-bad-mask", "CN=Bad Mask CA" ORG, "root"),
	    .nc = "p:ip:10.0.0.0/255.0.255.0" },
	{ CA("nc-bad-min", "CN=Minimum CA" ORG, "root"),
	    .nc = "min;p:dns:example.com" },
	{ CA("nc-bad-none", "CN=No Subtrees CA" ORG, "root"), .nc = "empty" },
	{ CA("nc-many", "CN=Many CA" ORG, "root"), .nc = "p:many:65" },
	{ CA("nc-64", "CN=Sixty-four CA" ORG, "root"), .nc = "p:many:64" },
	{ CA("nc-prod-a", "CN=Product A CA" ORG, "root"), .nc = "p:many:16" },
	{ CA("nc-prod-b", "CN=Product B CA" ORG, "nc-prod-a"),
	    .nc = "p:many:16" },

	{ LEAF("nc-dn-ok", "CN=alice,O=Partner Inc", "nc-dn") },
	{ LEAF("nc-dn-case", "CN=alice,O=PARTNER   INC", "nc-dn") },
	{ LEAF("nc-dn-deeper", "CN=alice,OU=People,O=Partner Inc", "nc-dn") },
	{ LEAF("nc-dn-out", "CN=alice,O=Example Corp", "nc-dn") },
	{ LEAF("nc-dn-notprefix", "CN=alice,O=Partner Inc,C=US", "nc-dn") },
	{ LEAF("nc-dn-san", "CN=alice,O=Partner Inc", "nc-dn"),
	    .nc = "san:dn:O=Example Corp" },
	{ LEAF("nc-dn-sub-leaf", "CN=alice,O=Partner Inc", "nc-dn-sub") },
	{ LEAF("nc-dnx-evil", "CN=alice,O=Evil Corp", "nc-dnx") },
	{ LEAF("nc-dnx-case", "CN=alice,O=EVIL  CORP", "nc-dnx") },
	/* full-width letters: "Evil" once NFKC-normalized */
	{ LEAF("nc-dnx-wide", "CN=alice,O=\xef\xbc\xa5\xef\xbd\x96"
	    "\xef\xbd\x89\xef\xbd\x8c Corp", "nc-dnx") },
	{ LEAF("nc-dnx-good", "CN=alice,O=Good Corp", "nc-dnx") },
	{ LEAF("nc-root-ok", "CN=alice,O=Partner Inc", "nc-root") },
	{ LEAF("nc-root-out", "CN=alice,O=Example Corp", "nc-root") },
	{ LEAF("nc-names-ok", "CN=alice" ORG, "nc-names"),
	    .nc = "san:dns:alice.example.com;san:email:alice@example.com;"
	    "san:ip:10.1.2.3;san:uri:https://id.example.com/users/alice" },
	{ LEAF("nc-names-dns", "CN=alice" ORG, "nc-names"),
	    .nc = "san:dns:alice.example.org" },
	{ LEAF("nc-names-excl", "CN=alice" ORG, "nc-names"),
	    .nc = "san:dns:x.bad.example.com" },
	{ LEAF("nc-names-wild", "CN=alice" ORG, "nc-names"),
	    .nc = "san:dns:*.example.com" },
	{ LEAF("nc-names-ip6", "CN=alice" ORG, "nc-names"),
	    .nc = "san:ip:2001:db8::1" },
	{ LEAF("nc-names-email", "CN=alice" ORG, "nc-names"),
	    .nc = "san:email:alice@example.org" },
	{ LEAF("nc-names-dnmail", "CN=alice,EMAIL=alice@evil.org" ORG,
	    "nc-names") },
	{ LEAF("nc-names-urn", "CN=alice" ORG, "nc-names"),
	    .nc = "san:uri:urn:example:alice" },
	/* a host certificate named by its CN alone */
	{ LEAF("nc-names-server", "CN=host.evil.org" ORG, "nc-names"),
	    .eku = GNUTLS_KP_TLS_WWW_SERVER },
	{ LEAF("nc-names-sub-dns-leaf", "CN=alice" ORG, "nc-names-sub-dns") },
	{ LEAF("nc-names-sub-email-leaf", "CN=alice" ORG,
	    "nc-names-sub-email") },
	{ LEAF("nc-names-sub-ip-leaf", "CN=alice" ORG, "nc-names-sub-ip") },
	{ LEAF("nc-names-sub-excl-leaf", "CN=alice" ORG,
	    "nc-names-sub-excl") },
	{ LEAF("nc-upn-leaf", "CN=alice" ORG, "nc-upn"), .san = S_ALICE },
	{ LEAF("nc-in-leaf", "CN=alice" ORG, "inter"),
	    .nc = "p:dns:example.com" },
	{ LEAF("nc-noncrit-leaf", "CN=alice" ORG, "nc-noncrit") },
	{ LEAF("nc-bad-dot-leaf", "CN=alice" ORG, "nc-bad-dot") },
	{ LEAF("nc-bad-empty-leaf", "CN=alice" ORG, "nc-bad-empty") },
	{ LEAF("nc-bad-mask-leaf", "CN=alice" ORG, "nc-bad-mask") },
	{ LEAF("nc-bad-min-leaf", "CN=alice" ORG, "nc-bad-min") },
	{ LEAF("nc-bad-none-leaf", "CN=alice" ORG, "nc-bad-none") },
	{ LEAF("nc-many-leaf", "CN=alice" ORG, "nc-many"),
	    .nc = "san:dns:dns1.example.com" },
	{ LEAF("nc-64-leaf", "CN=alice" ORG, "nc-64"), .nc = "san:many:64" },
	{ LEAF("nc-65-leaf", "CN=alice" ORG, "nc-64"), .nc = "san:many:65" },
	{ LEAF("nc-prod-leaf", "CN=alice" ORG, "nc-prod-b"),
	    .nc = "san:dns:dns1.example.com" },
};

#define NCERTS	(sizeof(certs) / sizeof(certs[0]))

struct crlspec {
	const char	*name;		/* file name without ".crl" */
	const char	*issuer;
	time_t		 this_update;	/* 0: FX_CRL_THIS */
	time_t		 next_update;	/* 0: FX_CRL_NEXT */
	const char	*revoked;	/* a leaf listed as revoked, or NULL */
	int		 forged;	/* signed by a key not the issuer's */
};

static const struct crlspec crls[] = {
	{ "root", "root", 0, 0, NULL, 0 },
	{ "inter", "inter", 0, 0, "leaf-revoked", 0 },
	{ "inter-stale", "inter", 1764028800, 1766620800, NULL, 0 },
	{ "inter-notyet", "inter", 1769904000, 1772323200, NULL, 0 },
	{ "inter-forged", "inter", 0, 0, NULL, 1 },
	{ "deep-a", "inter-a", 0, 0, NULL, 0 },
	{ "deep-b", "inter-b", 0, 0, NULL, 0 },
	{ "deep-c", "inter-c", 0, 0, NULL, 0 },
	{ "other-root", "other-root", 0, 0, NULL, 0 },
	{ "inter-twin", "inter-twin", 0, 0, NULL, 0 },
	/* current by nextUpdate, but 92 days old at FX_NOW */
	{ "inter-old", "inter", 1759276800, 1780272000, NULL, 0 },
};

#define NCRLS	(sizeof(crls) / sizeof(crls[0]))

/*
 * CRLs with extensions GnuTLS cannot write, in the CRL or in its entry:
 * made as DER by hand (make_raw_crl), each the conforming CRL (AKI and a
 * non-critical cRLNumber) except for its flags.
 */
#define RC_NO_NUMBER	0x0001	/* no cRLNumber */
#define RC_CRIT_NUMBER	0x0002	/* a critical cRLNumber */
#define RC_CRIT_EXT	0x0004	/* an unknown critical extension */
#define RC_OTHER_EXT	0x0008	/* an unknown non-critical extension */
#define RC_ENTRY_CRIT	0x0010	/* the entry: unknown critical extension */
#define RC_ENTRY_REASON	0x0020	/* the entry: a reasonCode */
#define RC_DELTA	0x0040	/* deltaCRLIndicator */
#define RC_IDP_USERS	0x0080	/* issuingDistributionPoint with ... */
#define RC_IDP_CAS	0x0100	/*   onlyContainsCACerts */
#define RC_IDP_ATTRS	0x0200	/*   onlyContainsAttributeCerts */
#define RC_IDP_REASONS	0x0400	/*   onlySomeReasons */
#define RC_IDP_DP	0x0800	/*   a distributionPoint name */
#define RC_IDP_INDIRECT	0x1000	/*   indirectCRL */

struct rawcrlspec {
	const char	*name;		/* file name without ".crl" */
	const char	*issuer;	/* an ECDSA CA */
	const char	*revoked;	/* a leaf listed as revoked, or NULL */
	unsigned int	 flags;
};

static const struct rawcrlspec rawcrls[] = {
	{ "inter-raw", "inter", "leaf-revoked",
	    RC_OTHER_EXT | RC_ENTRY_REASON },
	{ "inter-bad-nonumber", "inter", NULL, RC_NO_NUMBER },
	{ "inter-bad-critnumber", "inter", NULL, RC_CRIT_NUMBER },
	{ "inter-bad-critext", "inter", NULL, RC_CRIT_EXT },
	{ "inter-bad-entry-critext", "inter", "leaf-bob", RC_ENTRY_CRIT },
	{ "inter-delta", "inter", NULL, RC_DELTA },
	{ "inter-users", "inter", NULL, RC_IDP_USERS },
	{ "root-users", "root", NULL, RC_IDP_USERS },
	{ "inter-cas", "inter", NULL, RC_IDP_CAS },
	{ "inter-cas-revoked", "inter", "leaf-revoked", RC_IDP_CAS },
	{ "inter-attrs", "inter", NULL, RC_IDP_ATTRS },
	{ "inter-reasons", "inter", NULL, RC_IDP_REASONS },
	{ "inter-dp", "inter", NULL, RC_IDP_DP },
	{ "inter-indirect", "inter", NULL, RC_IDP_INDIRECT },
};

#define NRAWCRLS	(sizeof(rawcrls) / sizeof(rawcrls[0]))

static const char *const deep_chain[] = { "inter-a", "inter-b", "inter-c" };
static const char *const pl0_chain[] = { "sub-pl0", "inter-pl0" };
/* leaves presented with another copy of their issuer */
static const char *const good_reissue[] = { "leaf-good", "inter-reissue" };
static const char *const revoked_reissue[] = { "leaf-revoked",
    "inter-reissue" };
static const char *const revoked_cross[] = { "leaf-revoked", "inter-cross",
    "inter-a" };

/*
 * SubjectAltName ::= SEQUENCE { rfc822Name [1] IA5String }, the name being
 * "alice\0@example.com" (18 bytes).  GnuTLS will not encode a NUL in a
 * name, so the extension is written as raw DER.
 */
static const unsigned char bad_san[] = {
	0x30, 0x14,
	0x81, 0x12,
	'a', 'l', 'i', 'c', 'e', 0x00, '@',
	'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'
};

/* SubjectAltName ::= SEQUENCE { dNSName [2] of 16 bytes, but 4 follow } */
static const unsigned char garbage_san[] = {
	0x30, 0x06, 0x82, 0x10, 'a', '.', 'e', 'x'
};

/* PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] 0 } */
static const unsigned char policy_cons[] = { 0x30, 0x03, 0x80, 0x01, 0x00 };

/* The second SAN of leaf-dup-san, SEQUENCE { rfc822Name "a@example.com" } */
static const unsigned char twin_san[] = {
	0x30, 0x0f, 0x81, 0x0d,
	'a', '@', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'
};

/* The OIDs of OID_SAN_TWIN and OID_SAN as DER, to patch one into the other */
static const unsigned char oid_san_twin[] = { 0x06, 0x03, 0x55, 0x1d, 0x63 };
static const unsigned char oid_san[] = { 0x06, 0x03, 0x55, 0x1d, 0x11 };

/* AlgorithmIdentifier { ecdsa-with-SHA384 } */
static const unsigned char alg_ecdsa_sha384[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03
};

static const unsigned char der_null[] = { 0x05, 0x00 };

/* What a made certificate leaves behind for the ones it signs. */
struct made {
	gnutls_x509_crt_t	 crt;
	gnutls_privkey_t	 key;
	unsigned char		 ski[KEYID_MAX];
	size_t			 ski_len;	/* 0: no SKI extension */
};

struct fx {
	const char	*dir;
	const char	*cur;		/* file being written, for messages */
	FILE		*list;		/* fixtures.txt */
	struct made	 made[NCERTS];
};

/* Report a failed GnuTLS call (ret < 0) and return -1. */
static int
fx_fail(struct fx *fx, const char *what, int ret)
{
	fprintf(stderr, "fixtures: %s/%s: %s: %s\n", fx->dir, fx->cur, what,
	    ret < 0 ? gnutls_strerror(ret) : strerror(errno));
	return -1;
}

/* Index of the certificate called name in certs[], or -1. */
static int
cert_index(const char *name)
{
	size_t i;

	for (i = 0; i < NCERTS; i++)
		if (strcmp(certs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Open dir/name for writing, truncated.  The fchmod() gives the exact mode
 * even when the file already exists or the umask is unusual: keys must
 * stay 0600 for the tests that check the key file's mode.
 */
static int
file_open(struct fx *fx, const char *name, mode_t mode)
{
	char path[4096];
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		return -1;
	if (fchmod(fd, mode) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the PEM of each certificate in names[] to dir/file, in order. */
static int
write_certs(struct fx *fx, const char *file, const char *const *names,
    size_t n)
{
	gnutls_datum_t pem = { NULL, 0 };
	size_t i;
	int fd = -1, idx, ret, r = -1;

	fx->cur = file;
	if ((fd = file_open(fx, file, 0644)) == -1) {
		fx_fail(fx, "open", 0);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((idx = cert_index(names[i])) == -1 ||
		    fx->made[idx].crt == NULL) {
			fprintf(stderr, "fixtures: %s: no certificate %s\n",
			    file, names[i]);
			goto out;
		}
		if ((ret = gnutls_x509_crt_export2(fx->made[idx].crt,
		    GNUTLS_X509_FMT_PEM, &pem)) < 0) {
			fx_fail(fx, "export", ret);
			goto out;
		}
		if (write_all(fd, pem.data, pem.size) == -1) {
			fx_fail(fx, "write", 0);
			goto out;
		}
		gnutls_free(pem.data);
		pem.data = NULL;
	}
	if (close(fd) == -1) {
		fd = -1;
		fx_fail(fx, "close", 0);
		goto out;
	}
	fd = -1;
	r = 0;
out:
	gnutls_free(pem.data);
	if (fd != -1)
		close(fd);
	return r;
}

/* Write a datum to dir/name with the given mode. */
static int
write_datum(struct fx *fx, const char *name, const gnutls_datum_t *d,
    mode_t mode)
{
	int fd, r = -1;

	if ((fd = file_open(fx, name, mode)) == -1) {
		fx_fail(fx, "open", 0);
		goto out;
	}
	if (write_all(fd, d->data, d->size) == -1) {
		fx_fail(fx, "write", 0);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		fx_fail(fx, "close", 0);
		goto out;
	}
	fd = -1;
	r = 0;
out:
	if (fd != -1)
		close(fd);
	return r;
}

static void
hex(char *dst, const unsigned char *src, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 0x0f];
	}
	dst[2 * len] = '\0';
}

static int
gen_key(struct fx *fx, enum keytype type, gnutls_x509_privkey_t *out)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_pk_algorithm_t pk;
	unsigned int bits;
	int ret, r = -1;

	*out = NULL;
	switch (type) {
	case K_RSA2048:
		pk = GNUTLS_PK_RSA;
		bits = 2048;
		break;
	case K_RSA1024:
		pk = GNUTLS_PK_RSA;
		bits = 1024;
		break;
	case K_ED25519:
		pk = GNUTLS_PK_EDDSA_ED25519;
		bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519);
		break;
	case K_EC:
	default:
		pk = GNUTLS_PK_ECDSA;
		bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
		break;
	}
	if ((ret = gnutls_x509_privkey_init(&key)) < 0 ||
	    (ret = gnutls_x509_privkey_generate2(key, pk, bits, 0,
	    NULL, 0)) < 0) {
		fx_fail(fx, "key generation", ret);
		goto out;
	}
	*out = key;
	key = NULL;
	r = 0;
out:
	gnutls_x509_privkey_deinit(key);
	return r;
}

/* Wrap an x509 key into an abstract one, which then owns it. */
static int
wrap_key(struct fx *fx, gnutls_x509_privkey_t *xkey, gnutls_privkey_t *out)
{
	gnutls_privkey_t key = NULL;
	int ret, r = -1;

	*out = NULL;
	if ((ret = gnutls_privkey_init(&key)) < 0 ||
	    (ret = gnutls_privkey_import_x509(key, *xkey,
	    GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
		fx_fail(fx, "privkey import", ret);
		goto out;
	}
	*xkey = NULL;
	*out = key;
	key = NULL;
	r = 0;
out:
	gnutls_privkey_deinit(key);
	return r;
}

/* A fresh key that signs in someone else's name. */
static int
forged_key(struct fx *fx, gnutls_privkey_t *out)
{
	gnutls_x509_privkey_t xkey = NULL;
	int r = -1;

	*out = NULL;
	if (gen_key(fx, K_EC, &xkey) == -1 || wrap_key(fx, &xkey, out) == -1)
		goto out;
	r = 0;
out:
	gnutls_x509_privkey_deinit(xkey);
	return r;
}

/* A copy of the key of row name, made earlier than row i. */
static int
copy_key(struct fx *fx, const char *name, size_t i,
    gnutls_x509_privkey_t *out)
{
	int idx, ret;

	*out = NULL;
	if ((idx = cert_index(name)) == -1 || (size_t)idx >= i ||
	    fx->made[idx].key == NULL) {
		fprintf(stderr, "fixtures: %s: no key %s made before it\n",
		    fx->cur, name);
		return -1;
	}
	if ((ret = gnutls_privkey_export_x509(fx->made[idx].key, out)) < 0)
		return fx_fail(fx, "copy key", ret);
	return 0;
}

/*
 * 16 random bytes, top bit clear so the INTEGER is positive, and first
 * byte nonzero so its DER encoding is minimal and 16 bytes long; or, as
 * quirks say, a negative one (top bit set), or 1 to be patched into 0
 * (GnuTLS refuses to write a zero serial number).
 */
static int
set_serial(struct fx *fx, gnutls_x509_crt_t crt, unsigned int quirks)
{
	unsigned char serial[SERIAL_LEN];
	size_t len = sizeof(serial);
	int ret;

	if ((ret = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
		return fx_fail(fx, "rnd", ret);
	serial[0] &= 0x7f;
	if (serial[0] == 0)
		serial[0] = 1;
	if ((quirks & Q_SERIAL_NEG) != 0)
		serial[0] |= 0x80;
	if ((quirks & Q_SERIAL_ZERO) != 0) {
		serial[0] = 1;
		len = 1;
	}
	if ((ret = gnutls_x509_crt_set_serial(crt, serial, len)) < 0)
		return fx_fail(fx, "set serial", ret);
	return 0;
}

static int
set_subject(struct fx *fx, gnutls_x509_crt_t crt, const struct certspec *s)
{
	const char *errpos = NULL;
	size_t i;
	int ret;

	/* Not set at all, the subject is an empty sequence of RDNs. */
	if (s->dn[0] != '\0' &&
	    (ret = gnutls_x509_crt_set_dn(crt, s->dn, &errpos)) < 0)
		return fx_fail(fx, "set dn", ret);
	for (i = 0; i < MAX_RAW && s->raw[i].oid != NULL; i++)
		if ((ret = gnutls_x509_crt_set_dn_by_oid(crt, s->raw[i].oid, 1,
		    s->raw[i].der, (unsigned int)s->raw[i].len)) < 0)
			return fx_fail(fx, "set raw attribute", ret);
	/* set_dn stops at a NUL; set_dn_by_oid takes a length */
	if ((s->quirks & Q_NUL_CN) != 0 &&
	    (ret = gnutls_x509_crt_set_dn_by_oid(crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, "ali\0ce", 6)) < 0)
		return fx_fail(fx, "set nul cn", ret);
	return 0;
}

/*
 * Mark the extension oid of crt critical or not.  GnuTLS chooses the
 * criticality of the extensions it writes; setting one again by its OID
 * replaces it.
 */
static int
set_critical(struct fx *fx, gnutls_x509_crt_t crt, const char *oid,
    unsigned int critical)
{
	gnutls_datum_t der = { NULL, 0 };
	unsigned int was;
	int ret;

	if ((ret = gnutls_x509_crt_get_extension_by_oid2(crt, oid, 0, &der,
	    &was)) < 0 ||
	    (ret = gnutls_x509_crt_set_extension_by_oid(crt, oid, der.data,
	    der.size, critical)) < 0) {
		gnutls_free(der.data);
		return fx_fail(fx, oid, ret);
	}
	gnutls_free(der.data);
	return 0;
}

static int
add_san(gnutls_x509_crt_t crt, gnutls_x509_subject_alt_name_t type,
    const char *value)
{
	return gnutls_x509_crt_set_subject_alt_name(crt, type, value,
	    (unsigned int)strlen(value), GNUTLS_FSAN_APPEND);
}

static int
set_san(struct fx *fx, gnutls_x509_crt_t crt, const struct certspec *s)
{
	static const char upn[] = "alice@EXAMPLE.COM";
	int ret = 0;

	if (s->san == S_ALICE) {
		if ((ret = add_san(crt, GNUTLS_SAN_RFC822NAME,
		    "alice@example.com")) < 0 ||
		    (ret = gnutls_x509_crt_set_subject_alt_othername(crt,
		    OID_UPN, upn, sizeof(upn) - 1,
		    GNUTLS_FSAN_APPEND | GNUTLS_FSAN_ENCODE_UTF8_STRING)) < 0 ||
		    (ret = add_san(crt, GNUTLS_SAN_URI,
		    "https://id.example.com/users/alice")) < 0 ||
		    (ret = add_san(crt, GNUTLS_SAN_DNSNAME,
		    "alice.example.com")) < 0)
			return fx_fail(fx, "set san", ret);
	} else if (s->san == S_BOB)
		ret = add_san(crt, GNUTLS_SAN_RFC822NAME, "bob@example.com");
	else if (s->san == S_IP_DNS)
		ret = add_san(crt, GNUTLS_SAN_DNSNAME, "192.0.2.1");
	if (ret == 0 && s->profile == P_SERVER)
		ret = add_san(crt, GNUTLS_SAN_DNSNAME, "host.example.com");
	if (ret == 0 && (s->quirks & Q_BAD_SAN) != 0)
		ret = gnutls_x509_crt_set_extension_by_oid(crt, OID_SAN,
		    bad_san, sizeof(bad_san), 0);
	if (ret == 0 && (s->quirks & Q_SAN_GARBAGE) != 0)
		ret = gnutls_x509_crt_set_extension_by_oid(crt, OID_SAN,
		    garbage_san, sizeof(garbage_san), 0);
	if (ret == 0 && (s->quirks & Q_DUP_SAN) != 0)
		ret = gnutls_x509_crt_set_extension_by_oid(crt, OID_SAN_TWIN,
		    twin_san, sizeof(twin_san), 0);
	if (ret < 0)
		return fx_fail(fx, "set san", ret);
	if ((s->quirks & Q_SAN_CRIT) != 0)
		return set_critical(fx, crt, OID_SAN, 1);
	return 0;
}

static int
set_key_ids(struct fx *fx, gnutls_x509_crt_t crt, const struct certspec *s,
    struct made *self, const struct made *issuer)
{
	unsigned char rnd[20];
	int ret;

	self->ski_len = 0;
	if ((s->quirks & Q_NO_SKI) == 0) {
		self->ski_len = sizeof(self->ski);
		if ((ret = gnutls_x509_crt_get_key_id(crt, 0, self->ski,
		    &self->ski_len)) < 0 ||
		    (ret = gnutls_x509_crt_set_subject_key_id(crt, self->ski,
		    self->ski_len)) < 0)
			return fx_fail(fx, "set ski", ret);
	}
	if (s->issuer == NULL)
		issuer = self;
	if ((s->quirks & Q_RAND_AKI) != 0) {
		if ((ret = gnutls_rnd(GNUTLS_RND_NONCE, rnd,
		    sizeof(rnd))) < 0 ||
		    (ret = gnutls_x509_crt_set_authority_key_id(crt, rnd,
		    sizeof(rnd))) < 0)
			return fx_fail(fx, "set aki", ret);
	} else if ((s->quirks & Q_NO_AKI) == 0 && issuer->ski_len > 0) {
		if ((ret = gnutls_x509_crt_set_authority_key_id(crt,
		    issuer->ski, issuer->ski_len)) < 0)
			return fx_fail(fx, "set aki", ret);
	}
	return 0;
}

/* An authorityInfoAccess naming where the issuer's certificate is. */
static int
set_aia(struct fx *fx, gnutls_x509_crt_t crt, unsigned int quirks)
{
	static const char uri[] = "http://ca.example.com/inter.crt";
	gnutls_datum_t d = { (unsigned char *)uri, sizeof(uri) - 1 };
	int ret;

	if ((quirks & Q_AIA) == 0)
		return 0;
	if ((ret = gnutls_x509_crt_set_authority_info_access(crt,
	    GNUTLS_IA_CAISSUERS_URI, &d)) < 0)
		return fx_fail(fx, "set aia", ret);
	return (quirks & Q_AIA_CRIT) != 0 ? set_critical(fx, crt, OID_AIA, 1) :
	    0;
}

static int
set_extensions(struct fx *fx, gnutls_x509_crt_t crt,
    const struct certspec *s, struct made *self, const struct made *issuer)
{
	const char *eku, *what;
	unsigned int ku;
	int ca, ret;

	ca = s->profile == P_CA;
	if ((s->quirks & Q_CA_FALSE) != 0)
		ca = 0;
	if ((s->quirks & Q_CA_TRUE) != 0)
		ca = 1;
	if ((ret = gnutls_x509_crt_set_basic_constraints(crt, ca,
	    (s->quirks & Q_PATHLEN0) != 0 ? 0 : -1)) < 0)
		return fx_fail(fx, "set basic constraints", ret);
	if ((s->quirks & Q_BC_NONCRIT) != 0 &&
	    set_critical(fx, crt, OID_BC, 0) == -1)
		return -1;

	ku = s->ku;
	if (ku == 0)
		ku = s->profile == P_CA ?
		    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
		    GNUTLS_KEY_DIGITAL_SIGNATURE;
	if ((ret = gnutls_x509_crt_set_key_usage(crt, ku)) < 0)
		return fx_fail(fx, "set key usage", ret);

	eku = s->eku;
	if (eku == NULL && s->profile != P_CA)
		eku = s->profile == P_SERVER ? GNUTLS_KP_TLS_WWW_SERVER :
		    GNUTLS_KP_TLS_WWW_CLIENT;
	if (eku != NULL && (s->quirks & Q_NO_EKU) == 0 &&
	    (ret = gnutls_x509_crt_set_key_purpose_oid(crt, eku, 0)) < 0)
		return fx_fail(fx, "set eku", ret);

	if (set_san(fx, crt, s) == -1 ||
	    set_key_ids(fx, crt, s, self, issuer) == -1)
		return -1;
	if ((s->quirks & Q_AKI_CRIT) != 0 &&
	    set_critical(fx, crt, OID_AKI, 1) == -1)
		return -1;

	if (s->nc != NULL && (ret = fixtures_nc_extensions(crt, s->nc,
	    &what)) < 0)
		return fx_fail(fx, what, ret);
	if ((s->quirks & Q_CRIT_EXT) != 0 &&
	    (ret = gnutls_x509_crt_set_extension_by_oid(crt, OID_UNKNOWN,
	    der_null, sizeof(der_null), 1)) < 0)
		return fx_fail(fx, "set critical extension", ret);
	if ((s->quirks & (Q_POLICY_CONS | Q_POLICY_NONCRIT)) != 0 &&
	    (ret = gnutls_x509_crt_set_extension_by_oid(crt, OID_POLICY_CONS,
	    policy_cons, sizeof(policy_cons),
	    (s->quirks & Q_POLICY_CONS) != 0)) < 0)
		return fx_fail(fx, "set policy constraints", ret);
	return set_aia(fx, crt, s->quirks);
}

/* Append "file serial sha256" of a certificate (crt, written as der). */
static int
list_cert(struct fx *fx, const char *file, gnutls_x509_crt_t crt,
    const gnutls_datum_t *der)
{
	unsigned char serial[64], digest[32];
	char serial_hex[2 * sizeof(serial) + 1], digest_hex[2 * 32 + 1];
	size_t serial_len = sizeof(serial);
	int ret, r = -1;

	if ((ret = gnutls_x509_crt_get_serial(crt, serial, &serial_len)) < 0 ||
	    (ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data, der->size,
	    digest)) < 0) {
		fx_fail(fx, "fingerprint", ret);
		goto out;
	}
	hex(serial_hex, serial, serial_len);
	hex(digest_hex, digest, sizeof(digest));
	if (fprintf(fx->list, "%s\t%s\t%s\n", file, serial_hex,
	    digest_hex) < 0) {
		fx_fail(fx, "write " LIST_FILE, 0);
		goto out;
	}
	r = 0;
out:
	return r;
}

/*
 * The header of the DER element at p (len bytes available): its header
 * length in *hdr and its whole length in *total.  Short and long forms of
 * up to three length octets, which is all a certificate needs.
 */
static int
der_elem(const unsigned char *p, size_t len, size_t *hdr, size_t *total)
{
	size_t body = 0, n = 2, i;

	if (len < 2)
		return -1;
	if (p[1] < 0x80)
		body = p[1];
	else {
		n += p[1] & 0x7f;
		if (n == 2 || n > 5 || len < n)
			return -1;
		for (i = 2; i < n; i++)
			body = body << 8 | p[i];
	}
	if (body > len - n)
		return -1;
	*hdr = n;
	*total = n + body;
	return 0;
}

/* Write the header of an element of tag and len bytes; its length. */
static size_t
der_header(unsigned char *out, unsigned char tag, size_t len)
{
	out[0] = tag;
	if (len < 0x80) {
		out[1] = (unsigned char)len;
		return 2;
	}
	if (len < 0x100) {
		out[1] = 0x81;
		out[2] = (unsigned char)len;
		return 3;
	}
	out[1] = 0x82;
	out[2] = (unsigned char)(len >> 8);
	out[3] = (unsigned char)len;
	return 4;
}

/*
 * What GnuTLS will not write: a zero serial number (from 1), a second SAN
 * extension (OID_SAN_TWIN's OID turned into OID_SAN's), a BOOLEAN TRUE
 * that is not 0xff, or an outer signatureAlgorithm other than the one in
 * tbsCertificate.  The
 * certificate der is patched and signed again by key with algo, so that
 * only the patch is wrong with it: leaf-sig-mismatch's signature is good
 * under its outer algorithm (ECDSA with SHA-384).
 */
static int
patch_der(struct fx *fx, unsigned int quirks, gnutls_datum_t *der,
    gnutls_sign_algorithm_t algo, gnutls_privkey_t key)
{
	unsigned char *tbs, *out = NULL, bits[4];
	const unsigned char *alg;
	gnutls_datum_t data, sig = { NULL, 0 };
	size_t hdr, total, tbs_hdr, tbs_len, alg_len, ver_len, bits_len, body;
	size_t n, i;
	int ret, r = -1;

	/* Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signature } */
	if (der_elem(der->data, der->size, &hdr, &total) == -1 ||
	    total != der->size)
		goto bad;
	tbs = der->data + hdr;
	if (der_elem(tbs, total - hdr, &tbs_hdr, &tbs_len) == -1)
		goto bad;
	alg = tbs + tbs_len;
	if (der_elem(alg, total - hdr - tbs_len, &n, &alg_len) == -1)
		goto bad;
	/* TBSCertificate ::= SEQUENCE { [0] version, serialNumber, ... } */
	if ((quirks & Q_SERIAL_ZERO) != 0) {
		i = tbs_hdr;
		if (der_elem(tbs + i, tbs_len - i, &n, &ver_len) == -1 ||
		    tbs[i] != 0xa0 || tbs_len - i - ver_len < 3 ||
		    memcmp(tbs + i + ver_len, "\x02\x01\x01", 3) != 0)
			goto bad;
		tbs[i + ver_len + 2] = 0;
	}
	if ((quirks & Q_DUP_SAN) != 0) {
		for (i = 0; i + sizeof(oid_san) <= tbs_len; i++)
			if (memcmp(tbs + i, oid_san_twin, sizeof(oid_san)) == 0)
				break;
		if (i + sizeof(oid_san) > tbs_len)
			goto bad;
		memcpy(tbs + i, oid_san, sizeof(oid_san));
	}
	if ((quirks & Q_BOOL_ONE) != 0) {
		/* Extension { extnID 2.5.29.19, critical TRUE, ... } */
		static const unsigned char bc[] = { 0x06, 0x03, 0x55, 0x1d,
		    0x13, 0x01, 0x01, 0xff };

		for (i = 0; i + sizeof(bc) <= tbs_len; i++)
			if (memcmp(tbs + i, bc, sizeof(bc)) == 0)
				break;
		if (i + sizeof(bc) > tbs_len)
			goto bad;
		tbs[i + sizeof(bc) - 1] = 0x01;
	}
	if ((quirks & Q_SIG_MISMATCH) != 0) {
		alg = alg_ecdsa_sha384;
		alg_len = sizeof(alg_ecdsa_sha384);
		algo = GNUTLS_SIGN_ECDSA_SHA384;
	}
	data.data = tbs;
	data.size = (unsigned int)tbs_len;
	if ((ret = gnutls_privkey_sign_data2(key, algo, 0, &data,
	    &sig)) < 0) {
		fx_fail(fx, "sign again", ret);
		goto out;
	}
	/* SEQUENCE { tbs, alg, BIT STRING { no unused bits, sig } } */
	bits_len = der_header(bits, 0x03, sig.size + 1);
	body = tbs_len + alg_len + bits_len + 1 + sig.size;
	if ((out = gnutls_malloc(body + 4)) == NULL) {
		fx_fail(fx, "malloc", GNUTLS_E_MEMORY_ERROR);
		goto out;
	}
	n = der_header(out, 0x30, body);
	memcpy(out + n, tbs, tbs_len);
	n += tbs_len;
	memcpy(out + n, alg, alg_len);
	n += alg_len;
	memcpy(out + n, bits, bits_len);
	n += bits_len;
	out[n++] = 0;
	memcpy(out + n, sig.data, sig.size);
	n += sig.size;
	gnutls_free(der->data);
	der->data = out;
	der->size = (unsigned int)n;
	out = NULL;
	r = 0;
	goto out;
bad:
	fprintf(stderr, "fixtures: %s/%s: cannot patch the DER\n", fx->dir,
	    fx->cur);
out:
	gnutls_free(out);
	gnutls_free(sig.data);
	return r;
}

/*
 * Make certs[i]: generate its key, fill in the certificate, sign it with
 * its issuer (made earlier), write X.pem and X.key, and keep both in
 * fx->made[i] for what it signs.
 */
static int
make_cert(struct fx *fx, size_t i)
{
	const struct certspec *s = &certs[i];
	struct made *self = &fx->made[i];
	const struct made *issuer = self;
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_privkey_t key = NULL, forged = NULL, signer;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
	char file[256];
	int ret, idx, r = -1;

	snprintf(file, sizeof(file), "%s.pem", s->name);
	fx->cur = file;
	if (s->issuer != NULL) {
		if ((idx = cert_index(s->issuer)) == -1 || (size_t)idx >= i) {
			fprintf(stderr, "fixtures: %s: issuer %s not made "
			    "before it\n", file, s->issuer);
			goto out;
		}
		issuer = &fx->made[idx];
	}
	if (s->same_key != NULL ? copy_key(fx, s->same_key, i, &xkey) == -1 :
	    gen_key(fx, s->key, &xkey) == -1)
		goto out;
	if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
	    (ret = gnutls_x509_crt_set_version(crt,
	    (s->quirks & Q_V1) != 0 ? 1 : 3)) < 0 ||
	    (ret = gnutls_x509_crt_set_key(crt, xkey)) < 0 ||
	    (ret = gnutls_x509_crt_set_activation_time(crt, s->from != 0 ?
	    s->from : s->profile == P_CA ? FX_CA_FROM : FX_LEAF_FROM)) < 0 ||
	    (ret = gnutls_x509_crt_set_expiration_time(crt, s->to != 0 ?
	    s->to : s->profile == P_CA ? FX_CA_TO : FX_LEAF_TO)) < 0) {
		fx_fail(fx, "set fields", ret);
		goto out;
	}
	if (set_serial(fx, crt, s->quirks) == -1 ||
	    set_subject(fx, crt, s) == -1)
		goto out;
	if ((s->quirks & Q_V1) == 0 &&
	    set_extensions(fx, crt, s, self, issuer) == -1)
		goto out;

	/* the key file before wrap_key() takes the x509 key over */
	if ((ret = gnutls_x509_privkey_export2_pkcs8(xkey, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN, &pem)) < 0) {
		fx_fail(fx, "export key", ret);
		goto out;
	}
	snprintf(file, sizeof(file), "%s.key", s->name);
	if (write_datum(fx, file, &pem, 0600) == -1)
		goto out;
	gnutls_free(pem.data);
	pem.data = NULL;
	snprintf(file, sizeof(file), "%s.pem", s->name);
	if (wrap_key(fx, &xkey, &key) == -1)
		goto out;

	signer = s->issuer == NULL ? key : issuer->key;
	if ((s->quirks & Q_FORGED) != 0) {
		if (forged_key(fx, &forged) == -1)
			goto out;
		signer = forged;
	}
	/* GnuTLS 3.7.9 signs with SHA-1 when asked; only verifying balks */
	if ((ret = gnutls_x509_crt_privkey_sign(crt,
	    s->issuer == NULL ? crt : issuer->crt, signer,
	    (s->quirks & Q_SHA1) != 0 ? GNUTLS_DIG_SHA1 : GNUTLS_DIG_SHA256,
	    0)) < 0) {
		fx_fail(fx, "sign", ret);
		goto out;
	}
	if ((ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
	    &der)) < 0) {
		fx_fail(fx, "export", ret);
		goto out;
	}
	/* self->crt stays unpatched: only leaves are patched */
	if ((s->quirks & Q_PATCHED) != 0 && patch_der(fx, s->quirks, &der,
	    (gnutls_sign_algorithm_t)gnutls_x509_crt_get_signature_algorithm(
	    crt), signer) == -1)
		goto out;
	if ((ret = gnutls_pem_base64_encode2("CERTIFICATE", &der,
	    &pem)) < 0) {
		fx_fail(fx, "export", ret);
		goto out;
	}
	if (write_datum(fx, file, &pem, 0644) == -1)
		goto out;
	if (list_cert(fx, file, crt, &der) == -1)
		goto out;

	self->crt = crt;
	crt = NULL;
	self->key = key;
	key = NULL;
	r = 0;
out:
	gnutls_free(pem.data);
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_privkey_deinit(key);
	gnutls_privkey_deinit(forged);
	gnutls_x509_privkey_deinit(xkey);
	return r;
}

/* Version 2 CRL with AKI and CRL number, signed with SHA-256. */
static int
make_crl(struct fx *fx, const struct crlspec *c, unsigned int number)
{
	const struct made *issuer, *revoked;
	gnutls_x509_crl_t crl = NULL;
	gnutls_privkey_t forged = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	unsigned char serial[64], num[1];
	size_t serial_len = sizeof(serial);
	char file[256];
	int ret, idx, r = -1;

	snprintf(file, sizeof(file), "%s.crl", c->name);
	fx->cur = file;
	if ((idx = cert_index(c->issuer)) == -1) {
		fprintf(stderr, "fixtures: %s: no issuer %s\n", file,
		    c->issuer);
		goto out;
	}
	issuer = &fx->made[idx];
	num[0] = (unsigned char)number;
	if ((ret = gnutls_x509_crl_init(&crl)) < 0 ||
	    (ret = gnutls_x509_crl_set_version(crl, 2)) < 0 ||
	    (ret = gnutls_x509_crl_set_this_update(crl, c->this_update != 0 ?
	    c->this_update : FX_CRL_THIS)) < 0 ||
	    (ret = gnutls_x509_crl_set_next_update(crl, c->next_update != 0 ?
	    c->next_update : FX_CRL_NEXT)) < 0 ||
	    (ret = gnutls_x509_crl_set_authority_key_id(crl, issuer->ski,
	    issuer->ski_len)) < 0 ||
	    (ret = gnutls_x509_crl_set_number(crl, num, sizeof(num))) < 0) {
		fx_fail(fx, "set fields", ret);
		goto out;
	}
	if (c->revoked != NULL) {
		if ((idx = cert_index(c->revoked)) == -1) {
			fprintf(stderr, "fixtures: %s: no certificate %s\n",
			    file, c->revoked);
			goto out;
		}
		revoked = &fx->made[idx];
		if ((ret = gnutls_x509_crt_get_serial(revoked->crt, serial,
		    &serial_len)) < 0 ||
		    (ret = gnutls_x509_crl_set_crt_serial(crl, serial,
		    serial_len, FX_REVOKED_AT)) < 0) {
			fx_fail(fx, "revoke", ret);
			goto out;
		}
	}
	if (c->forged && forged_key(fx, &forged) == -1)
		goto out;
	if ((ret = gnutls_x509_crl_privkey_sign(crl, issuer->crt,
	    c->forged ? forged : issuer->key, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (ret = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM,
	    &pem)) < 0) {
		fx_fail(fx, "sign", ret);
		goto out;
	}
	if (write_datum(fx, file, &pem, 0644) == -1)
		goto out;
	r = 0;
out:
	gnutls_free(pem.data);
	gnutls_privkey_deinit(forged);
	gnutls_x509_crl_deinit(crl);
	return r;
}

/* --- CRLs as DER written by hand ---------------------------------------- */

/* Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue } */
static void
dext(struct derbuf *b, const unsigned char *oid, size_t oid_len, int critical,
    const unsigned char *value, size_t value_len)
{
	static const unsigned char yes[] = { 0x01, 0x01, 0xff };
	struct derbuf e = DERBUF_INIT;

	derbuf_tlv(&e, 0x06, oid, oid_len);
	if (critical)
		derbuf_put(&e, yes, sizeof(yes));
	derbuf_tlv(&e, 0x04, value, value_len);
	derbuf_wrap(b, 0x30, &e);
	free(e.p);
}

/* The extensions of one raw CRL, as a SEQUENCE OF Extension. */
static void
raw_crl_exts(struct derbuf *b, const struct rawcrlspec *c,
    const struct made *issuer, unsigned int number)
{
	static const unsigned char oid_aki[] = { 0x55, 0x1d, 0x23 };
	static const unsigned char oid_number[] = { 0x55, 0x1d, 0x14 };
	static const unsigned char oid_delta[] = { 0x55, 0x1d, 0x1b };
	static const unsigned char oid_idp[] = { 0x55, 0x1d, 0x1c };
	static const unsigned char oid_unknown[] = { 0x2b, 0x06, 0x01, 0x04,
	    0x01, 0x83, 0xb2, 0x03, 0x01 };	/* OID_UNKNOWN */
	static const unsigned char url[] = "http://crl.example.com/part1.crl";
	static const unsigned char yes[] = { 0xff };
	static const unsigned char some_reasons[] = { 0x06, 0x40 };
	unsigned char num[3] = { 0x02, 0x01, (unsigned char)(number & 0x7f) };
	struct derbuf v = DERBUF_INIT, w = DERBUF_INIT;

	derbuf_tlv(&w, 0x80, issuer->ski, issuer->ski_len);
	derbuf_wrap(&v, 0x30, &w);
	dext(b, oid_aki, sizeof(oid_aki), 0, v.p, v.len);
	v.len = 0;
	if ((c->flags & RC_NO_NUMBER) == 0)
		dext(b, oid_number, sizeof(oid_number),
		    (c->flags & RC_CRIT_NUMBER) != 0, num, sizeof(num));
	if ((c->flags & RC_DELTA) != 0) {
		num[2] = 1;		/* the base CRL's number */
		dext(b, oid_delta, sizeof(oid_delta), 1, num, sizeof(num));
	}
	if ((c->flags & RC_IDP_DP) != 0) {
		derbuf_tlv(&w, 0x86, url, sizeof(url) - 1);	/* URI */
		derbuf_wrap(&v, 0xa0, &w);			/* fullName */
		derbuf_wrap(&w, 0xa0, &v);			/* distributionPoint */
		derbuf_put(&v, w.p, w.len);
		w.len = 0;
	}
	if ((c->flags & RC_IDP_USERS) != 0)
		derbuf_tlv(&v, 0x81, yes, 1);
	if ((c->flags & RC_IDP_CAS) != 0)
		derbuf_tlv(&v, 0x82, yes, 1);
	if ((c->flags & RC_IDP_REASONS) != 0)
		derbuf_tlv(&v, 0x83, some_reasons, sizeof(some_reasons));
	if ((c->flags & RC_IDP_INDIRECT) != 0)
		derbuf_tlv(&v, 0x84, yes, 1);
	if ((c->flags & RC_IDP_ATTRS) != 0)
		derbuf_tlv(&v, 0x85, yes, 1);
	if (v.len > 0) {
		derbuf_wrap(&w, 0x30, &v);
		dext(b, oid_idp, sizeof(oid_idp), 1, w.p, w.len);
	}
	if ((c->flags & (RC_CRIT_EXT | RC_OTHER_EXT)) != 0)
		dext(b, oid_unknown, sizeof(oid_unknown),
		    (c->flags & RC_CRIT_EXT) != 0, der_null, sizeof(der_null));
	if (v.failed || w.failed)
		b->failed = 1;
	free(v.p);
	free(w.p);
}

/* The revokedCertificates of one raw CRL: its one entry, if any. */
static int
raw_crl_entries(struct fx *fx, struct derbuf *b, const struct rawcrlspec *c)
{
	static const unsigned char oid_reason[] = { 0x55, 0x1d, 0x15 };
	static const unsigned char oid_unknown[] = { 0x2b, 0x06, 0x01, 0x04,
	    0x01, 0x83, 0xb2, 0x03, 0x01 };
	static const unsigned char superseded[] = { 0x0a, 0x01, 0x04 };
	struct derbuf e = DERBUF_INIT, x = DERBUF_INIT;
	unsigned char serial[64];
	size_t serial_len = sizeof(serial);
	int idx, ret;

	if (c->revoked == NULL)
		return 0;
	if ((idx = cert_index(c->revoked)) == -1 ||
	    (ret = gnutls_x509_crt_get_serial(fx->made[idx].crt, serial,
	    &serial_len)) < 0) {
		fprintf(stderr, "fixtures: %s: no certificate %s\n", fx->cur,
		    c->revoked);
		return -1;
	}
	derbuf_tlv(&e, 0x02, serial, serial_len);
	derbuf_utctime(&e, FX_REVOKED_AT);
	if ((c->flags & RC_ENTRY_REASON) != 0)
		dext(&x, oid_reason, sizeof(oid_reason), 0, superseded,
		    sizeof(superseded));
	if ((c->flags & RC_ENTRY_CRIT) != 0)
		dext(&x, oid_unknown, sizeof(oid_unknown), 1, der_null,
		    sizeof(der_null));
	if (x.len > 0)
		derbuf_wrap(&e, 0x30, &x);
	derbuf_wrap(&x, 0x30, &e);
	derbuf_wrap(b, 0x30, &x);
	if (e.failed || x.failed)
		b->failed = 1;
	free(e.p);
	free(x.p);
	return 0;
}

/* Version 2 CRL of rawcrls[], signed with ECDSA and SHA-256. */
static int
make_raw_crl(struct fx *fx, const struct rawcrlspec *c, unsigned int number)
{
	static const unsigned char v2[] = { 0x02, 0x01, 0x01 };
	static const unsigned char ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08,
	    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const unsigned char no_unused_bits[] = { 0x00 };
	struct derbuf body = DERBUF_INIT, tmp = DERBUF_INIT;
	struct derbuf tbs = DERBUF_INIT, crl = DERBUF_INIT;
	gnutls_datum_t dn = { NULL, 0 }, sig = { NULL, 0 };
	gnutls_datum_t pem = { NULL, 0 }, data;
	const struct made *issuer;
	char file[256];
	int idx, ret, r = -1;

	snprintf(file, sizeof(file), "%s.crl", c->name);
	fx->cur = file;
	if ((idx = cert_index(c->issuer)) == -1) {
		fprintf(stderr, "fixtures: %s: no issuer %s\n", file,
		    c->issuer);
		goto out;
	}
	issuer = &fx->made[idx];
	if ((ret = gnutls_x509_crt_get_raw_dn(issuer->crt, &dn)) < 0) {
		fx_fail(fx, "issuer name", ret);
		goto out;
	}
	/* TBSCertList */
	derbuf_put(&body, v2, sizeof(v2));
	derbuf_put(&body, ecdsa_sha256, sizeof(ecdsa_sha256));
	derbuf_put(&body, dn.data, dn.size);
	derbuf_utctime(&body, FX_CRL_THIS);
	derbuf_utctime(&body, FX_CRL_NEXT);
	if (raw_crl_entries(fx, &body, c) == -1)
		goto out;
	raw_crl_exts(&tmp, c, issuer, number);
	derbuf_wrap(&crl, 0x30, &tmp);
	derbuf_wrap(&body, 0xa0, &crl);	/* [0] EXPLICIT Extensions */
	derbuf_wrap(&tbs, 0x30, &body);
	if (tbs.failed) {
		fx_fail(fx, "DER", GNUTLS_E_MEMORY_ERROR);
		goto out;
	}
	data.data = tbs.p;
	data.size = (unsigned int)tbs.len;
	if ((ret = gnutls_privkey_sign_data(issuer->key, GNUTLS_DIG_SHA256, 0,
	    &data, &sig)) < 0) {
		fx_fail(fx, "sign", ret);
		goto out;
	}
	/* CertificateList */
	derbuf_put(&body, tbs.p, tbs.len);
	derbuf_put(&body, ecdsa_sha256, sizeof(ecdsa_sha256));
	derbuf_put(&tmp, no_unused_bits, sizeof(no_unused_bits));
	derbuf_put(&tmp, sig.data, sig.size);
	derbuf_wrap(&body, 0x03, &tmp);
	derbuf_wrap(&crl, 0x30, &body);
	if (crl.failed) {
		fx_fail(fx, "DER", GNUTLS_E_MEMORY_ERROR);
		goto out;
	}
	data.data = crl.p;
	data.size = (unsigned int)crl.len;
	if ((ret = gnutls_pem_base64_encode2("X509 CRL", &data, &pem)) < 0) {
		pem.data = NULL;
		fx_fail(fx, "PEM", ret);
		goto out;
	}
	if (write_datum(fx, file, &pem, 0644) == -1)
		goto out;
	r = 0;
out:
	gnutls_free(pem.data);
	gnutls_free(sig.data);
	gnutls_free(dn.data);
	free(body.p);
	free(tmp.p);
	free(tbs.p);
	free(crl.p);
	return r;
}

static int
make_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	fprintf(stderr, "fixtures: %s: %s\n", dir,
	    errno == EEXIST ? "not a directory" : strerror(errno));
	return -1;
}

int
fixtures_make(const char *dir)
{
	struct fx fx;
	size_t i;
	int fd, ret, inited = 0, r = -1;

	memset(&fx, 0, sizeof(fx));
	fx.dir = dir;
	fx.cur = LIST_FILE;
	if ((ret = gnutls_global_init()) < 0) {
		fx_fail(&fx, "gnutls_global_init", ret);
		goto out;
	}
	inited = 1;
	if (make_dir(dir) == -1)
		goto out;
	if ((fd = file_open(&fx, LIST_FILE, 0644)) == -1 ||
	    (fx.list = fdopen(fd, "w")) == NULL) {
		fx_fail(&fx, "open", 0);
		if (fd != -1)
			close(fd);
		goto out;
	}
	for (i = 0; i < NCERTS; i++)
		if (make_cert(&fx, i) == -1)
			goto out;
	for (i = 0; i < NCRLS; i++)
		if (make_crl(&fx, &crls[i], (unsigned int)i + 1) == -1)
			goto out;
	for (i = 0; i < NRAWCRLS; i++)
		if (make_raw_crl(&fx, &rawcrls[i], (unsigned int)i + 2) == -1)
			goto out;
	if (write_certs(&fx, "deep-chain.pem", deep_chain,
	    sizeof(deep_chain) / sizeof(deep_chain[0])) == -1 ||
	    write_certs(&fx, "pl0-chain.pem", pl0_chain,
	    sizeof(pl0_chain) / sizeof(pl0_chain[0])) == -1 ||
	    write_certs(&fx, "leaf-good-reissue.pem", good_reissue,
	    sizeof(good_reissue) / sizeof(good_reissue[0])) == -1 ||
	    write_certs(&fx, "leaf-revoked-reissue.pem", revoked_reissue,
	    sizeof(revoked_reissue) / sizeof(revoked_reissue[0])) == -1 ||
	    write_certs(&fx, "leaf-revoked-cross.pem", revoked_cross,
	    sizeof(revoked_cross) / sizeof(revoked_cross[0])) == -1)
		goto out;
	ret = fclose(fx.list);
	fx.list = NULL;
	if (ret == EOF) {
		fx.cur = LIST_FILE;
		fx_fail(&fx, "close", 0);
		goto out;
	}
	r = 0;
out:
	if (fx.list != NULL)
		fclose(fx.list);
	for (i = 0; i < NCERTS; i++) {
		gnutls_x509_crt_deinit(fx.made[i].crt);
		gnutls_privkey_deinit(fx.made[i].key);
	}
	if (inited)
		gnutls_global_deinit();
	return r;
}
