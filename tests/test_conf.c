/*
 * test_conf.c - the mtls.conf parser: a full file, the defaults, one row per
 * error (each must name file:line and the reason), whitespace and comments,
 * and loading from disk with the ownership and mode checks.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#include "conf.h"
#include "errors.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* One SHA-256 fingerprint written four ways; all parse to FP_BYTES. */
#define FP_Q		"0123456789abcdef"
#define FP_HEX		FP_Q FP_Q FP_Q FP_Q
#define FP_QU		"0123456789ABCDEF"
#define FP_UPPER	FP_QU FP_QU FP_QU FP_QU
#define FP_C8		"01:23:45:67:89:ab:cd:ef"
#define FP_COLON	FP_C8 ":" FP_C8 ":" FP_C8 ":" FP_C8

static const unsigned char fp_bytes[32] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

#define ROOT_CA		"CN=Example Root CA,O=Example"

/* The map rules of the full configuration, as written after "map ". */
#define R16	"user=alice fingerprint=" FP_HEX
#define R17	"user=bob issuer=\"" ROOT_CA "\" " \
		"subject=\"CN=Bob,O=Example\""
#define R18	"from=cn subject_suffix=\"OU=People,O=Example\" " \
		"issuer=\"" ROOT_CA "\""
#define R19	"from=uid issuer=\"" ROOT_CA "\""
#define R20	"from=email domain=example.com"
#define R21	"from=upn realm=EXAMPLE.COM"
#define R22	"from=uri prefix=https://id.example.com/users/"
#define R23	"user=carol email=carol@example.com"
#define R24	"user=dave upn=dave@EXAMPLE.COM"
#define R25	"user=erin uri=https://id.example.com/erin"
#define R26	"user=root fingerprint=sha256:" FP_COLON " allow_root"
#define R27	"user=frank fingerprint=SHA256:" FP_UPPER
#define R28	"user=gina fingerprint=" FP_COLON " subject=CN=Gina"
#define R29	"from=cn issuer=\"CN=Say \\\"Hi\\\" CA\\\\Unit\""
#define R30	"user=deploy issuer_fingerprint=" FP_HEX
#define R31	"from=cn issuer_fingerprint=sha256:" FP_COLON \
		" fingerprint=SHA256:" FP_UPPER

static const char full_conf[] =
    "# every key mtls.conf knows\n"				/* 1 */
    "trust_anchor /etc/mtls/root-a.pem\n"			/* 2 */
    "trust_anchor \"/etc/mtls/root b.pem\"\n"			/* 3 */
    "intermediate /etc/mtls/issuing.pem\n"			/* 4 */
    "crl /etc/mtls/root-a.crl\n"				/* 5 */
    "crl /etc/mtls/issuing.crl\n"				/* 6 */
    "crl_required no\n"						/* 7 */
    "crl_max_age 7d\n"						/* 8 */
    "purpose server\n"						/* 9 */
    "security_profile high\n"					/* 10 */
    "max_intermediates 3\n"					/* 11 */
    "host_certificate /etc/mtls/host.pem\n"			/* 12 */
    "host_key /etc/mtls/host.key\n"				/* 13 */
    "\n"							/* 14 */
    "# account mapping\n"					/* 15 */
    "map " R16 "\n"						/* 16 */
    "map " R17 "\n"						/* 17 */
    "map " R18 "\n"						/* 18 */
    "map " R19 "\n"						/* 19 */
    "map " R20 "\n"						/* 20 */
    "map " R21 "\n"						/* 21 */
    "map " R22 "\n"						/* 22 */
    "map " R23 "\n"						/* 23 */
    "map " R24 "\n"						/* 24 */
    "map " R25 "\n"						/* 25 */
    "map " R26 "\n"						/* 26 */
    "map " R27 "\n"						/* 27 */
    "map " R28 "\n"						/* 28 */
    "map " R29 "\n"						/* 29 */
    "map " R30 "\n"						/* 30 */
    "map " R31 "\n"						/* 31 */
    "ssh_host_key /etc/ssh/ssh_host_*_key.pub\n";		/* 32 */

struct rule_want {
	unsigned	 line;
	const char	*text;
	const char	*user;
	enum mtls_field	 from;
	const char	*domain;
	const char	*realm;
	const char	*prefix;
	const char	*issuer;
	const char	*subject;
	const char	*subject_suffix;
	const char	*email;
	const char	*upn;
	const char	*uri;
	int		 has_fingerprint;
	int		 has_issuer_fingerprint;
	int		 allow_root;
};

static const struct rule_want full_rules[] = {
	{ .line = 16, .text = "map " R16, .user = "alice",
	    .has_fingerprint = 1 },
	{ .line = 17, .text = "map " R17, .user = "bob", .issuer = ROOT_CA,
	    .subject = "CN=Bob,O=Example" },
	{ .line = 18, .text = "map " R18, .from = MTLS_FIELD_CN,
	    .subject_suffix = "OU=People,O=Example", .issuer = ROOT_CA },
	{ .line = 19, .text = "map " R19, .from = MTLS_FIELD_UID,
	    .issuer = ROOT_CA },
	{ .line = 20, .text = "map " R20, .from = MTLS_FIELD_EMAIL,
	    .domain = "example.com" },
	{ .line = 21, .text = "map " R21, .from = MTLS_FIELD_UPN,
	    .realm = "EXAMPLE.COM" },
	{ .line = 22, .text = "map " R22, .from = MTLS_FIELD_URI,
	    .prefix = "https://id.example.com/users/" },
	{ .line = 23, .text = "map " R23, .user = "carol",
	    .email = "carol@example.com" },
	{ .line = 24, .text = "map " R24, .user = "dave",
	    .upn = "dave@EXAMPLE.COM" },
	{ .line = 25, .text = "map " R25, .user = "erin",
	    .uri = "https://id.example.com/erin" },
	{ .line = 26, .text = "map " R26, .user = "root",
	    .has_fingerprint = 1, .allow_root = 1 },
	{ .line = 27, .text = "map " R27, .user = "frank",
	    .has_fingerprint = 1 },
	{ .line = 28, .text = "map " R28, .user = "gina",
	    .subject = "CN=Gina", .has_fingerprint = 1 },
	{ .line = 29, .text = "map " R29, .from = MTLS_FIELD_CN,
	    .issuer = "CN=Say \"Hi\" CA\\Unit" },
	{ .line = 30, .text = "map " R30, .user = "deploy",
	    .has_issuer_fingerprint = 1 },
	{ .line = 31, .text = "map " R31, .from = MTLS_FIELD_CN,
	    .has_fingerprint = 1, .has_issuer_fingerprint = 1 },
};

/* got and want are both NULL or equal strings. */
static void
check_str(int row, const char *what, const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "row %d: %s: expected unset, got "
		    "'%s'", row, what, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0,
		    "row %d: %s: expected '%s', got '%s'", row, what, want,
		    got != NULL ? got : "(null)");
}

/* Parse text into a fresh configuration; fails the test on an error. */
static struct mtls_conf *
parse_ok(const char *name, const char *text, size_t len)
{
	struct mtls_conf *c = NULL;
	struct mtls_err err;
	int r;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_ptr_nonnull(c);
	r = mtls_conf_parse(c, name, text, len, &err);
	ck_assert_msg(r == 0, "parse failed (%d): %s", r, err.msg);
	return c;
}

START_TEST(test_full_scalars)
{
	struct mtls_conf *c = parse_ok("full.conf", full_conf,
	    strlen(full_conf));

	ck_assert_uint_eq(c->n_anchors, 2);
	ck_assert_str_eq(c->anchors[0], "/etc/mtls/root-a.pem");
	ck_assert_str_eq(c->anchors[1], "/etc/mtls/root b.pem");
	ck_assert_uint_eq(c->n_intermediates, 1);
	ck_assert_str_eq(c->intermediates[0], "/etc/mtls/issuing.pem");
	ck_assert_uint_eq(c->n_crls, 2);
	ck_assert_str_eq(c->crls[0], "/etc/mtls/root-a.crl");
	ck_assert_str_eq(c->crls[1], "/etc/mtls/issuing.crl");
	ck_assert_int_eq(c->crl_required, 0);
	ck_assert_int_eq(c->crl_max_age, 7 * 86400);
	ck_assert_int_eq(c->purpose, MTLS_PURPOSE_SERVER);
	ck_assert_int_eq(c->profile, MTLS_PROFILE_HIGH);
	ck_assert_uint_eq(c->max_intermediates, 3);
	ck_assert_str_eq(c->host_cert, "/etc/mtls/host.pem");
	ck_assert_str_eq(c->host_key, "/etc/mtls/host.key");
	ck_assert_uint_eq(c->n_ssh_host_keys, 1);
	ck_assert_str_eq(c->ssh_host_keys[0], "/etc/ssh/ssh_host_*_key.pub");
	ck_assert_uint_eq(c->n_rules, (size_t)NROWS(full_rules));
	ck_assert_int_eq(mtls_conf_check(c, NULL), 0);
	mtls_conf_free(c);
}
END_TEST

/* db_sync names the sync configuration of mtls db sync. */
START_TEST(test_db_sync)
{
	static const char t[] = "db_sync /etc/mtls/db-sync.conf\n";
	struct mtls_conf *c = parse_ok("s.conf", t, strlen(t));

	ck_assert_str_eq(c->db_sync, "/etc/mtls/db-sync.conf");
	mtls_conf_free(c);
}
END_TEST

START_TEST(test_full_rules)
{
	const struct rule_want *w = &full_rules[_i];
	struct mtls_conf *c = parse_ok("full.conf", full_conf,
	    strlen(full_conf));
	const struct mtls_rule *r;

	ck_assert_uint_eq(c->n_rules, (size_t)NROWS(full_rules));
	r = &c->rules[_i];
	check_str(_i, "file", r->file, "full.conf");
	ck_assert_uint_eq(r->line, w->line);
	check_str(_i, "text", r->text, w->text);
	check_str(_i, "user", r->user, w->user);
	ck_assert_int_eq(r->from, w->from);
	check_str(_i, "domain", r->domain, w->domain);
	check_str(_i, "realm", r->realm, w->realm);
	check_str(_i, "prefix", r->prefix, w->prefix);
	check_str(_i, "issuer", r->issuer, w->issuer);
	check_str(_i, "subject", r->subject, w->subject);
	check_str(_i, "subject_suffix", r->subject_suffix, w->subject_suffix);
	check_str(_i, "email", r->email, w->email);
	check_str(_i, "upn", r->upn, w->upn);
	check_str(_i, "uri", r->uri, w->uri);
	ck_assert_int_eq(r->has_fingerprint, w->has_fingerprint);
	if (w->has_fingerprint)
		ck_assert_mem_eq(r->fingerprint, fp_bytes, sizeof(fp_bytes));
	ck_assert_int_eq(r->has_issuer_fingerprint, w->has_issuer_fingerprint);
	if (w->has_issuer_fingerprint)
		ck_assert_mem_eq(r->issuer_fingerprint, fp_bytes,
		    sizeof(fp_bytes));
	ck_assert_int_eq(r->allow_root, w->allow_root);
	mtls_conf_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct mtls_conf *c = NULL;
	struct mtls_err err;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->path);
	ck_assert_int_eq(c->crl_required, 1);
	ck_assert_int_eq(c->purpose, MTLS_PURPOSE_CLIENT);
	ck_assert_int_eq(c->profile, MTLS_PROFILE_MEDIUM);
	ck_assert_uint_eq(c->max_intermediates, 2);
	ck_assert_int_eq(c->crl_max_age, 0);
	ck_assert_uint_eq(c->n_anchors, 0);
	ck_assert_uint_eq(c->n_intermediates, 0);
	ck_assert_uint_eq(c->n_crls, 0);
	ck_assert_uint_eq(c->n_rules, 0);
	ck_assert_ptr_null(c->host_cert);
	ck_assert_ptr_null(c->host_key);
	ck_assert_ptr_null(c->db_sync);
	ck_assert_uint_eq(c->n_ssh_host_keys, 0);
	ck_assert_ptr_null(c->ssh_host_keys);

	/* Empty text and comments only change nothing. */
	ck_assert_int_eq(mtls_conf_parse(c, "empty", "", 0, &err), 0);
	ck_assert_int_eq(mtls_conf_parse(c, "empty", "# x\n\n", 5, &err), 0);
	ck_assert_int_eq(c->crl_required, 1);
	ck_assert_uint_eq(c->max_intermediates, 2);

	/* No anchor: the final check refuses it. */
	ck_assert_int_eq(mtls_conf_check(c, &err), MTLS_E_NO_ANCHOR);
	ck_assert_int_eq(err.code, MTLS_E_NO_ANCHOR);
	mtls_conf_free(c);
	mtls_conf_free(NULL);
}
END_TEST

/* Values of single-valued keys, one key per row. */
enum sfield { SF_CRL_REQ, SF_MAX_AGE, SF_PURPOSE, SF_PROFILE, SF_MAX_INTER };

static const struct {
	const char	*text;
	enum sfield	 field;
	long		 want;
} scalar_rows[] = {
	{ "crl_required yes\n", SF_CRL_REQ, 1 },
	{ "crl_required no\n", SF_CRL_REQ, 0 },
	{ "crl_max_age none\n", SF_MAX_AGE, 0 },
	{ "crl_max_age 3600\n", SF_MAX_AGE, 3600 },
	{ "crl_max_age 36h\n", SF_MAX_AGE, 36 * 3600 },
	{ "crl_max_age 2w\n", SF_MAX_AGE, 14 * 86400 },
	{ "purpose client\n", SF_PURPOSE, MTLS_PURPOSE_CLIENT },
	{ "purpose server\n", SF_PURPOSE, MTLS_PURPOSE_SERVER },
	{ "security_profile medium\n", SF_PROFILE, MTLS_PROFILE_MEDIUM },
	{ "security_profile high\n", SF_PROFILE, MTLS_PROFILE_HIGH },
	{ "security_profile ultra\n", SF_PROFILE, MTLS_PROFILE_ULTRA },
	{ "security_profile future\n", SF_PROFILE, MTLS_PROFILE_FUTURE },
	{ "max_intermediates 0\n", SF_MAX_INTER, 0 },
	{ "max_intermediates 8\n", SF_MAX_INTER, 8 },
};

START_TEST(test_scalar_values)
{
	struct mtls_conf *c = parse_ok("s.conf", scalar_rows[_i].text,
	    strlen(scalar_rows[_i].text));
	long got = -1;

	switch (scalar_rows[_i].field) {
	case SF_CRL_REQ:
		got = c->crl_required;
		break;
	case SF_MAX_AGE:
		got = c->crl_max_age;
		break;
	case SF_PURPOSE:
		got = (long)c->purpose;
		break;
	case SF_PROFILE:
		got = (long)c->profile;
		break;
	case SF_MAX_INTER:
		got = (long)c->max_intermediates;
		break;
	}
	ck_assert_msg(got == scalar_rows[_i].want, "row %d (%s): got %ld",
	    _i, scalar_rows[_i].text, got);
	mtls_conf_free(c);
}
END_TEST

/*
 * One row per error.  line is where the error is; word (and word2) must
 * appear in the message.  len 0 means strlen(text).
 */
struct err_row {
	const char	*text;
	size_t		 len;
	unsigned	 line;
	const char	*word;
	const char	*word2;
};

#define A	"trust_anchor /etc/mtls/a.pem\n"	/* a harmless line */
#define NUL_TEXT	A "crl /etc/mtls/a\0.crl\n"

static const struct err_row err_rows[] = {
	/* keys and values */
	{ A "frobnicate yes\n", 0, 2, "unknown key", "frobnicate" },
	{ "Trust_anchor /a\n", 0, 1, "unknown key", NULL },
	{ "purpose client\n\n" A "purpose server\n", 0, 4, "twice",
	    "line 1" },
	{ "crl_max_age 7d\ncrl_max_age 7d\n", 0, 2, "twice", "line 1" },
	{ "host_key /k\n" A "host_key /k2\n", 0, 3, "twice", "line 1" },
	{ A "crl /c\n" A, 0, 3, "twice", "/etc/mtls/a.pem" },
	{ "crl /c\ncrl /c\n", 0, 2, "twice", NULL },
	{ "intermediate /i\nintermediate /i\n", 0, 2, "twice", NULL },
	{ "ssh_host_key /k.pub\n" A "ssh_host_key /k.pub\n", 0, 3, "twice",
	    "ssh_host_key /k.pub" },
	{ "trust_anchor etc/mtls/a.pem\n", 0, 1, "absolute", NULL },
	{ A "crl ./x.crl\n", 0, 2, "absolute", NULL },
	{ "intermediate i.pem\n", 0, 1, "absolute", NULL },
	{ "db_sync etc/mtls/db-sync.conf\n", 0, 1, "absolute", "db_sync" },
	{ "db_sync /a\n" A "db_sync /b\n", 0, 3, "twice", "line 1" },
	{ "host_certificate host.pem\n", 0, 1, "absolute", NULL },
	{ "host_key ~/host.key\n", 0, 1, "absolute", NULL },
	{ A "ssh_host_key ssh_host_ed25519_key.pub\n", 0, 2, "absolute",
	    "ssh_host_key" },
	{ "ssh_host_key *.pub\n", 0, 1, "absolute", "'*.pub'" },
	{ "ssh_host_key \"\"\n", 0, 1, "absolute", NULL },
	{ "trust_anchor \"\"\n", 0, 1, "absolute", NULL },
	{ A "crl_required maybe\n", 0, 2, "yes or no", "maybe" },
	{ "crl_required Yes\n", 0, 1, "yes or no", NULL },
	{ "crl_required 1\n", 0, 1, "yes or no", NULL },
	{ A "#\n" "crl_max_age 7x\n", 0, 3, "duration", "7x" },
	{ "crl_max_age 0\n", 0, 1, "duration", NULL },
	{ "crl_max_age -1d\n", 0, 1, "duration", NULL },
	{ "security_profile low\n", 0, 1, "weaker", "low" },
	{ A "security_profile legacy\n", 0, 2, "weaker", "legacy" },
	{ "security_profile HIGH\n", 0, 1, "security_profile", NULL },
	{ "max_intermediates 9\n", 0, 1, "max_intermediates", "9" },
	{ "max_intermediates -1\n", 0, 1, "max_intermediates", NULL },
	{ "max_intermediates two\n", 0, 1, "max_intermediates", NULL },
	{ A "purpose any\n", 0, 2, "client or server", "any" },
	{ "purpose\n", 0, 1, "exactly one value", "got 0" },
	{ "trust_anchor\n", 0, 1, "exactly one value", "got 0" },
	{ A "ssh_host_key\n", 0, 2, "ssh_host_key: expected exactly one "
	    "value", "got 0" },
	{ "ssh_host_key /etc/ssh/a.pub /etc/ssh/b.pub\n", 0, 1,
	    "exactly one value", "got 2" },
	{ A "crl_required \t \n", 0, 2, "exactly one value", "got 0" },
	{ "trust_anchor /a /b\n", 0, 1, "exactly one value", "got 2" },
	{ "purpose client # comment\n", 0, 1, "exactly one value", NULL },

	/* crl_url */
	{ A "crl_url /c.crl\n", 0, 2, "a CRL file and a URL", "got 1 value" },
	{ "crl_url /c.crl http://h/c.crl x\n", 0, 1, "a CRL file and a URL",
	    "got 3 values" },
	{ "crl_url c.crl http://h/c.crl\n", 0, 1, "absolute", NULL },
	{ "crl_url /c.crl ftp://h/c.crl\n", 0, 1, "http:// or https://",
	    "ftp://h/c.crl" },
	{ "crl_url /c.crl file:///etc/c.crl\n", 0, 1, "http:// or https://",
	    NULL },
	{ "crl_url /c.crl ldap://h/cn=ca\n", 0, 1, "http:// or https://",
	    NULL },
	{ "crl_url /c.crl http://\n", 0, 1, "http:// or https://", NULL },
	{ "crl_url /c.crl https:///c.crl\n", 0, 1, "http:// or https://",
	    NULL },
	{ "crl_url /c.crl \"http://h/a b.crl\"\n", 0, 1, "http:// or https://",
	    NULL },
	{ "crl_url /c.crl HTTP://h/c.crl\n", 0, 1, "http:// or https://",
	    NULL },
	{ "crl_url /c.crl http://h/1\n" A "crl_url /c.crl http://h/2\n", 0, 3,
	    "set twice", "/c.crl" },

	/* lexical */
	{ A "trust_anchor \"/etc/a b.pem\n", 0, 2, "unterminated", NULL },
	{ "trust_anchor \"/a\\nb\"\n", 0, 1, "escaped", NULL },
	{ "trust_anchor \"/a\\'b\"\n", 0, 1, "escaped", NULL },
	{ A "trust_anchor /a\001b\n", 0, 2, "control character", NULL },
	{ "trust_anchor /a\033[0m\n", 0, 1, "control character", NULL },
	{ "trust_anchor /a\177\n", 0, 1, "control character", NULL },
	{ "trust_anchor /a\rb\n", 0, 1, "control character", NULL },
	{ "# comment\nmap user=alice\033 subject=CN=a\n", 0, 2,
	    "control character", NULL },
	{ NUL_TEXT, sizeof(NUL_TEXT) - 1, 2, "NUL", NULL },
	{ "# comment \0 with NUL\n", 21, 1, "NUL", NULL },

	/* map rules */
	{ A "map\n", 0, 2, "empty", NULL },
	{ "map   \t\n", 0, 1, "empty", NULL },
	{ "map user=alice colour=blue\n", 0, 1, "unknown option", "colour" },
	{ "map user=alice subject=CN=a fast\n", 0, 1, "key=value", "fast" },
	{ "map user=Alice subject=CN=a\n", 0, 1, "valid user name",
	    "Alice" },
	{ "map user=../x subject=CN=a\n", 0, 1, "valid user name", NULL },
	{ "map user=abcdefghijklmnopqrstuvwxyzabcdefg subject=CN=a\n", 0, 1,
	    "valid user name", NULL },
	{ "map user=a:b subject=CN=a\n", 0, 1, "valid user name", NULL },
	{ "map user= subject=CN=a\n", 0, 1, "valid user name", NULL },
	{ A "map user=alice\n", 0, 2, "selector", "alice" },
	{ "map user=alice from=cn issuer=CN=x\n", 0, 1, "exactly one of",
	    NULL },
	{ "map issuer=CN=x subject=CN=y\n", 0, 1, "exactly one of", NULL },
	{ "map from=bogus\n", 0, 1, "expected cn", "bogus" },
	{ "map from=CN\n", 0, 1, "expected cn", NULL },
	{ "map from=email\n", 0, 1, "domain=", NULL },
	{ "map from=cn domain=example.com\n", 0, 1, "domain=", NULL },
	{ "map user=alice subject=CN=a domain=example.com\n", 0, 1,
	    "domain=", NULL },
	{ "map from=upn\n", 0, 1, "realm=", NULL },
	{ "map from=cn realm=EXAMPLE.COM\n", 0, 1, "realm=", NULL },
	{ "map from=uri\n", 0, 1, "prefix=", NULL },
	{ "map from=email domain=example.com prefix=https://x/\n", 0, 1,
	    "prefix=", NULL },
	{ "map user=alice subject=CN=a allow_root\n", 0, 1, "allow_root",
	    "fingerprint" },
	{ "map user=root fingerprint=" FP_HEX "\n", 0, 1, "user=root",
	    "allow_root" },
	{ "map user=root subject=CN=root\n", 0, 1, "user=root", NULL },
	{ "map user=alice fingerprint=" FP_Q FP_Q FP_Q "0123456789abcde\n", 0,
	    1, "SHA-256", NULL },
	{ "map user=alice fingerprint=" FP_Q FP_Q FP_Q "0123456789abcdeg\n",
	    0, 1, "SHA-256", NULL },
	{ "map user=alice fingerprint=xyz\n", 0, 1, "SHA-256", NULL },
	{ "map user=alice issuer_fingerprint=" FP_Q FP_Q FP_Q
	    "0123456789abcde\n", 0, 1, "SHA-256", "issuer_fingerprint" },
	{ "map from=cn issuer_fingerprint=sha1:" FP_HEX "\n", 0, 1, "SHA-256",
	    "issuer_fingerprint" },
	{ "map from=cn issuer_fingerprint=\n", 0, 1, "SHA-256",
	    "issuer_fingerprint" },
	{ "map user=alice issuer_fingerprint=" FP_HEX " issuer_fingerprint="
	    FP_HEX "\n", 0, 1, "twice", "issuer_fingerprint" },
	/* a CA's fingerprint does not pin one certificate: no root */
	{ "map user=root issuer_fingerprint=" FP_HEX " allow_root\n", 0, 1,
	    "allow_root", "needs fingerprint=" },
	{ "map from=cn issuer_fingerprint=" FP_HEX " allow_root\n", 0, 1,
	    "allow_root", "needs fingerprint=" },
	{ "map user=alice issuer=CN=a issuer=CN=b\n", 0, 1, "twice",
	    "issuer" },
	{ "map user=alice user=bob subject=CN=a\n", 0, 1, "twice", "user" },
	{ "map from=cn from=uid\n", 0, 1, "twice", "from" },
	{ "map user=alice fingerprint=" FP_HEX " fingerprint=" FP_HEX "\n",
	    0, 1, "twice", "fingerprint" },
	{ "map user=root fingerprint=" FP_HEX " allow_root allow_root\n", 0,
	    1, "twice", "allow_root" },
	{ "map user=alice issuer=\n", 0, 1, "needs a value", NULL },
	{ "map user=alice email=alice\n", 0, 1, "not an address", NULL },
	{ "map from=email domain=@example.com\n", 0, 1, "without '@'",
	    NULL },
	{ "map from=email domain=alice@example.com\n", 0, 1, "without '@'",
	    NULL },
	{ A "map user=alice subject=\"CN=a\n", 0, 2, "unterminated", NULL },
	{ "map user=alice subject=\"CN=\\a\"\n", 0, 1, "escaped", NULL },
	/* a good rule before a bad one: the line number is the bad one's */
	{ "map user=alice subject=CN=a\r\nmap user=bob\r\n", 0, 2,
	    "selector", NULL },
};

START_TEST(test_errors)
{
	const struct err_row *row = &err_rows[_i];
	size_t len = row->len != 0 ? row->len : strlen(row->text);
	struct mtls_conf *c = NULL;
	struct mtls_err err;
	char want[64];
	int r;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	r = mtls_conf_parse(c, "err.conf", row->text, len, &err);
	ck_assert_msg(r == MTLS_E_CONFIG, "row %d: expected MTLS_E_CONFIG, "
	    "got %d (%s)", _i, r, err.msg);
	ck_assert_int_eq(err.code, MTLS_E_CONFIG);
	snprintf(want, sizeof(want), "err.conf:%u:", row->line);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0,
	    "row %d: '%s' does not start with '%s'", _i, err.msg, want);
	ck_assert_msg(strstr(err.msg, row->word) != NULL,
	    "row %d: '%s' lacks '%s'", _i, err.msg, row->word);
	if (row->word2 != NULL)
		ck_assert_msg(strstr(err.msg, row->word2) != NULL,
		    "row %d: '%s' lacks '%s'", _i, err.msg, row->word2);
	mtls_conf_free(c);
}
END_TEST

/* A line of exactly the limit is read; one byte more is an error. */
START_TEST(test_long_line)
{
	static const int extra[] = { 0, 1 };
	size_t n = MTLS_CONF_MAX_LINE + (size_t)extra[_i];
	struct mtls_conf *c = NULL;
	struct mtls_err err;
	char *text, want[64];
	size_t len;
	int r;

	len = strlen(A) + n + 1 + strlen(A);
	text = malloc(len + 1);
	ck_assert_ptr_nonnull(text);
	memcpy(text, A, strlen(A));
	text[strlen(A)] = '#';
	memset(text + strlen(A) + 1, 'x', n - 1);
	text[strlen(A) + n] = '\n';
	memcpy(text + strlen(A) + n + 1, A, strlen(A) + 1);

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	r = mtls_conf_parse(c, "long.conf", text, len, &err);
	if (extra[_i] == 0) {
		/* the third line repeats the first anchor: reached it */
		ck_assert_int_eq(r, MTLS_E_CONFIG);
		ck_assert_msg(strstr(err.msg, "long.conf:3:") != NULL, "%s",
		    err.msg);
		ck_assert_msg(strstr(err.msg, "twice") != NULL, "%s", err.msg);
	} else {
		ck_assert_int_eq(r, MTLS_E_CONFIG);
		ck_assert_msg(strstr(err.msg, "long.conf:2:") != NULL, "%s",
		    err.msg);
		snprintf(want, sizeof(want), "%d", MTLS_CONF_MAX_LINE);
		ck_assert_msg(strstr(err.msg, "longer") != NULL &&
		    strstr(err.msg, want) != NULL, "%s", err.msg);
	}
	mtls_conf_free(c);
	free(text);
}
END_TEST

/* Text of exactly the size limit is read; one byte more is refused. */
START_TEST(test_too_large)
{
	static const int extra[] = { 0, 1 };
	size_t len = MTLS_CONF_MAX_SIZE + (size_t)extra[_i], i;
	struct mtls_conf *c = NULL;
	struct mtls_err err;
	char *text;
	int r;

	/* comment lines of 64 bytes, then an anchor at the end */
	text = malloc(len);
	ck_assert_ptr_nonnull(text);
	memset(text, '#', len);
	for (i = 63; i < len; i += 64)
		text[i] = '\n';
	text[len - strlen(A) - 1] = '\n';
	memcpy(text + len - strlen(A), A, strlen(A));

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	r = mtls_conf_parse(c, "big.conf", text, len, &err);
	if (extra[_i] == 0) {
		ck_assert_msg(r == 0, "%s", err.msg);
		ck_assert_uint_eq(c->n_anchors, 1);
	} else {
		ck_assert_int_eq(r, MTLS_E_CONFIG);
		ck_assert_int_eq(err.code, MTLS_E_CONFIG);
		/* no line to name: the message starts with the label */
		ck_assert_msg(strncmp(err.msg, "big.conf:", 9) == 0, "%s",
		    err.msg);
		ck_assert_msg(strstr(err.msg, "larger") != NULL, "%s",
		    err.msg);
		ck_assert_uint_eq(c->n_anchors, 0);
	}
	mtls_conf_free(c);
	free(text);
}
END_TEST

/* Comments, blank lines, CRLF and tabs are all fine. */
START_TEST(test_whitespace)
{
	static const char text[] =
	    "# comment\r\n"					/* 1 */
	    "\r\n"						/* 2 */
	    "   \t# indented comment \"with an odd quote\r\n"	/* 3 */
	    "\ttrust_anchor\t/etc/mtls/a.pem\t\r\n"		/* 4 */
	    "crl_required  no   \r\n"				/* 5 */
	    "\t \r\n"						/* 6 */
	    "  map\tuser=alice\tsubject=\"CN=Alice Example\"\r\n"	/* 7 */
	    "#\n"						/* 8 */
	    "\n"						/* 9 */
	    "max_intermediates 0";	/* 10: no final newline */
	struct mtls_conf *c = parse_ok("ws.conf", text, strlen(text));

	ck_assert_uint_eq(c->n_anchors, 1);
	ck_assert_str_eq(c->anchors[0], "/etc/mtls/a.pem");
	ck_assert_int_eq(c->crl_required, 0);
	ck_assert_uint_eq(c->max_intermediates, 0);
	ck_assert_uint_eq(c->n_rules, 1);
	ck_assert_str_eq(c->rules[0].file, "ws.conf");
	ck_assert_uint_eq(c->rules[0].line, 7);
	ck_assert_str_eq(c->rules[0].user, "alice");
	ck_assert_str_eq(c->rules[0].subject, "CN=Alice Example");
	ck_assert_str_eq(c->rules[0].text,
	    "map user=alice\tsubject=\"CN=Alice Example\"");
	mtls_conf_free(c);
}
END_TEST

/* mtls_conf_add_rule() directly: text is "map <args>", file and line kept. */
static const struct {
	const char	*args;
	const char	*file;
	unsigned	 line;
	const char	*user;
	const char	*issuer;
} rule_rows[] = {
	{ "user=alice subject=CN=a", "x.conf", 42, "alice", NULL },
	{ "from=cn issuer=\"" ROOT_CA "\"", "/etc/mtls/mtls.conf", 1, NULL,
	    ROOT_CA },
	{ "user=bob\tissuer=CN=b", "--map", 0, "bob", "CN=b" },
};

START_TEST(test_add_rule)
{
	struct mtls_conf *c = NULL;
	struct mtls_err err;
	char want[512];
	int r;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	/* one rule already there: the new one is appended */
	ck_assert_int_eq(mtls_conf_add_rule(c, "from=uid issuer=CN=z",
	    "first", 1, &err), 0);
	r = mtls_conf_add_rule(c, rule_rows[_i].args, rule_rows[_i].file,
	    rule_rows[_i].line, &err);
	ck_assert_msg(r == 0, "row %d: %s", _i, err.msg);
	ck_assert_uint_eq(c->n_rules, 2);
	ck_assert_str_eq(c->rules[0].file, "first");
	snprintf(want, sizeof(want), "map %s", rule_rows[_i].args);
	ck_assert_str_eq(c->rules[1].text, want);
	ck_assert_str_eq(c->rules[1].file, rule_rows[_i].file);
	ck_assert_uint_eq(c->rules[1].line, rule_rows[_i].line);
	check_str(_i, "user", c->rules[1].user, rule_rows[_i].user);
	check_str(_i, "issuer", c->rules[1].issuer, rule_rows[_i].issuer);

	/* a bad rule is not appended and names its file:line */
	r = mtls_conf_add_rule(c, "user=alice", "bad.conf", 7, &err);
	ck_assert_int_eq(r, MTLS_E_CONFIG);
	ck_assert_msg(strncmp(err.msg, "bad.conf:7:", 11) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(c->n_rules, 2);
	mtls_conf_free(c);
}
END_TEST


/* Loading from disk. */
enum load_kind {
	LD_FILE,	/* write content with mode */
	LD_MISSING,	/* no such file */
	LD_DIR,		/* a directory */
	LD_FOREIGN,	/* content, then owned by uid 65534 (root only) */
	LD_BIG		/* more than MTLS_CONF_MAX_SIZE bytes */
};

#define GOOD_CONF	"trust_anchor /etc/mtls/root.pem\n" \
			"map user=alice fingerprint=" FP_HEX "\n"

static const struct {
	const char	*what;
	enum load_kind	 kind;
	const char	*content;
	mode_t		 mode;
	int		 want;
	const char	*word;		/* in the message */
} load_rows[] = {
	{ "good", LD_FILE, GOOD_CONF, 0644, 0, NULL },
	{ "good, private", LD_FILE, GOOD_CONF, 0600, 0, NULL },
	{ "good, read-only", LD_FILE, GOOD_CONF, 0400, 0, NULL },
	{ "missing", LD_MISSING, NULL, 0, MTLS_E_FILE_MISSING, NULL },
	{ "group-writable", LD_FILE, GOOD_CONF, 0664, MTLS_E_FILE_MODE,
	    "0664" },
	{ "other-writable", LD_FILE, GOOD_CONF, 0646, MTLS_E_FILE_MODE,
	    "0646" },
	{ "group-only-writable", LD_FILE, GOOD_CONF, 0620, MTLS_E_FILE_MODE,
	    NULL },
	{ "directory", LD_DIR, NULL, 0755, MTLS_E_FILE_TYPE, "regular" },
	{ "no anchor", LD_FILE, "crl_required yes\n", 0644, MTLS_E_NO_ANCHOR,
	    "trust_anchor" },
	{ "empty", LD_FILE, "", 0644, MTLS_E_NO_ANCHOR, NULL },
	{ "syntax", LD_FILE, "trust_anchor /a\nbogus 1\n", 0644,
	    MTLS_E_CONFIG, ":2:" },
	{ "too large", LD_BIG, NULL, 0644, MTLS_E_TOO_LARGE, NULL },
	{ "foreign owner", LD_FOREIGN, GOOD_CONF, 0644, MTLS_E_FILE_OWNER,
	    "65534" },
};

START_TEST(test_load)
{
	static struct mtls_conf stale;
	struct mtls_conf *c = &stale;	/* reset to NULL on failure */
	char *dir, *path = NULL, *big = NULL;
	struct mtls_err err;
	int r;

	if (load_rows[_i].kind == LD_FOREIGN && geteuid() != 0) {
		/* a file owned by someone else needs chown, i.e. root */
		printf("test_load: skipping row %d (%s): not root\n", _i,
		    load_rows[_i].what);
		return;
	}
	dir = tl_row_dir("load", _i);
	switch (load_rows[_i].kind) {
	case LD_FILE:
	case LD_FOREIGN:
		path = tl_write(dir, "mtls.conf", load_rows[_i].content,
		    strlen(load_rows[_i].content), load_rows[_i].mode);
		if (load_rows[_i].kind == LD_FOREIGN)
			ck_assert_int_eq(chown(path, 65534, 65534), 0);
		break;
	case LD_BIG:
		big = malloc(MTLS_CONF_MAX_SIZE + 1);
		ck_assert_ptr_nonnull(big);
		memset(big, '\n', MTLS_CONF_MAX_SIZE + 1);
		path = tl_write(dir, "mtls.conf", big, MTLS_CONF_MAX_SIZE + 1,
		    load_rows[_i].mode);
		free(big);
		break;
	case LD_MISSING:
		ck_assert_int_ge(asprintf(&path, "%s/none.conf", dir), 0);
		break;
	case LD_DIR:
		ck_assert_int_ge(asprintf(&path, "%s/mtls.conf", dir), 0);
		ck_assert_int_eq(mkdir(path, load_rows[_i].mode), 0);
		break;
	}

	memset(&err, 0, sizeof(err));
	r = mtls_conf_load(path, &c, &err);
	ck_assert_msg(r == load_rows[_i].want, "row %d (%s): expected %d, "
	    "got %d (%s)", _i, load_rows[_i].what, load_rows[_i].want, r,
	    err.msg);
	if (r == 0) {
		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(c->path, path);
		ck_assert_uint_eq(c->n_anchors, 1);
		ck_assert_str_eq(c->anchors[0], "/etc/mtls/root.pem");
		ck_assert_uint_eq(c->n_rules, 1);
		ck_assert_str_eq(c->rules[0].file, path);
		ck_assert_uint_eq(c->rules[0].line, 2);
		mtls_conf_free(c);
	} else {
		ck_assert_ptr_null(c);
		ck_assert_int_eq(err.code, r);
		ck_assert_msg(strstr(err.msg, path) != NULL,
		    "row %d: '%s' does not name the file", _i, err.msg);
		if (load_rows[_i].word != NULL)
			ck_assert_msg(strstr(err.msg, load_rows[_i].word) !=
			    NULL, "row %d: '%s' lacks '%s'", _i, err.msg,
			    load_rows[_i].word);
	}
	free(path);
	free(dir);
}
END_TEST

/* mtls_conf_read() is the load without the anchor check. */
START_TEST(test_read_no_check)
{
	char *dir = tl_row_dir("read", 0), *path;
	struct mtls_conf *c = NULL;
	struct mtls_err err;

	memset(&err, 0, sizeof(err));
	path = tl_write(dir, "mtls.conf", "purpose server\n", 15, 0644);
	ck_assert_int_eq(mtls_conf_read(path, &c, &err), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->path, path);
	ck_assert_int_eq(c->purpose, MTLS_PURPOSE_SERVER);
	ck_assert_int_eq(mtls_conf_check(c, &err), MTLS_E_NO_ANCHOR);
	ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
	mtls_conf_free(c);
	free(path);
	free(dir);
}
END_TEST

/* Names used in messages and --json. */
START_TEST(test_names)
{
	ck_assert_str_eq(mtls_field_name(MTLS_FIELD_CN), "cn");
	ck_assert_str_eq(mtls_field_name(MTLS_FIELD_UID), "uid");
	ck_assert_str_eq(mtls_field_name(MTLS_FIELD_EMAIL), "email");
	ck_assert_str_eq(mtls_field_name(MTLS_FIELD_UPN), "upn");
	ck_assert_str_eq(mtls_field_name(MTLS_FIELD_URI), "uri");
	ck_assert_str_eq(mtls_field_name(MTLS_FIELD_NONE), "none");
	ck_assert_str_eq(mtls_purpose_name(MTLS_PURPOSE_CLIENT), "client");
	ck_assert_str_eq(mtls_purpose_name(MTLS_PURPOSE_SERVER), "server");
	ck_assert_str_eq(mtls_purpose_name(MTLS_PURPOSE_ANY), "any");
	ck_assert_str_eq(mtls_profile_name(MTLS_PROFILE_MEDIUM), "medium");
	ck_assert_str_eq(mtls_profile_name(MTLS_PROFILE_HIGH), "high");
	ck_assert_str_eq(mtls_profile_name(MTLS_PROFILE_ULTRA), "ultra");
	ck_assert_str_eq(mtls_profile_name(MTLS_PROFILE_FUTURE), "future");
	ck_assert_str_eq(mtls_profile_name((enum mtls_profile)0), "unknown");
	ck_assert_str_eq(mtls_profile_name((enum mtls_profile)99), "unknown");
}
END_TEST

/* File lists: append, the MTLS_CONF_MAX_FILES limit, clear. */
START_TEST(test_list)
{
	char **list = NULL;
	size_t n = 0, i;

	for (i = 0; i < MTLS_CONF_MAX_FILES; i++)
		ck_assert_int_eq(mtls_conf_list_add(&list, &n, "/x"), 0);
	ck_assert_uint_eq(n, MTLS_CONF_MAX_FILES);
	ck_assert_int_eq(mtls_conf_list_add(&list, &n, "/y"),
	    MTLS_E_TOO_LARGE);
	ck_assert_uint_eq(n, MTLS_CONF_MAX_FILES);
	ck_assert_str_eq(list[n - 1], "/x");
	mtls_conf_list_clear(&list, &n);
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/*
 * ssh_host_key: repeatable, in order, glob patterns kept as written; at
 * most MTLS_CONF_MAX_FILES lines.
 */
START_TEST(test_ssh_host_keys)
{
	static const char text[] =
	    "ssh_host_key /etc/ssh/ssh_host_ed25519_key.pub\n"
	    A
	    "ssh_host_key \"/etc/ssh/keys dir/*.pub\"\n"
	    "ssh_host_key /etc/ssh/ssh_host_*_key-cert.pub\n";
	struct mtls_conf *c = parse_ok("ssh.conf", text, strlen(text));
	struct mtls_err err;
	char *many = NULL, line[64];
	size_t len = 0, i;
	FILE *f;

	ck_assert_uint_eq(c->n_ssh_host_keys, 3);
	ck_assert_str_eq(c->ssh_host_keys[0],
	    "/etc/ssh/ssh_host_ed25519_key.pub");
	ck_assert_str_eq(c->ssh_host_keys[1], "/etc/ssh/keys dir/*.pub");
	ck_assert_str_eq(c->ssh_host_keys[2],
	    "/etc/ssh/ssh_host_*_key-cert.pub");
	mtls_conf_free(c);

	f = open_memstream(&many, &len);
	ck_assert_ptr_nonnull(f);
	for (i = 0; i <= MTLS_CONF_MAX_FILES; i++)
		fprintf(f, "ssh_host_key /k%zu.pub\n", i);
	ck_assert_int_eq(fclose(f), 0);
	c = parse_ok("ssh.conf", many, len - strlen("ssh_host_key /k64.pub\n"));
	ck_assert_uint_eq(c->n_ssh_host_keys, MTLS_CONF_MAX_FILES);
	mtls_conf_free(c);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_parse(c, "ssh.conf", many, len, &err),
	    MTLS_E_CONFIG);
	snprintf(line, sizeof(line), "ssh.conf:%d: more than %d ssh_host_key",
	    MTLS_CONF_MAX_FILES + 1, MTLS_CONF_MAX_FILES);
	ck_assert_msg(strstr(err.msg, line) != NULL, "'%s' lacks '%s'",
	    err.msg, line);
	mtls_conf_free(c);
	free(many);
}
END_TEST

START_TEST(test_crl_urls)
{
	static const char text[] =
	    "crl /etc/mtls/inter.crl\n"
	    "crl_url /etc/mtls/inter.crl http://ca.example.org/inter.crl\n"
	    A
	    "crl_url /etc/mtls/root.crl https://ca.example.org:8443/r.crl?x=1\n";
	struct mtls_conf *c = parse_ok("urls.conf", text, strlen(text));

	ck_assert_uint_eq(c->n_crls, 1);
	ck_assert_uint_eq(c->n_crl_urls, 2);
	ck_assert_str_eq(mtls_conf_crl_url(c, "/etc/mtls/inter.crl"),
	    "http://ca.example.org/inter.crl");
	ck_assert_str_eq(mtls_conf_crl_url(c, "/etc/mtls/root.crl"),
	    "https://ca.example.org:8443/r.crl?x=1");
	ck_assert_ptr_null(mtls_conf_crl_url(c, "/etc/mtls/other.crl"));
	ck_assert_ptr_null(mtls_conf_crl_url(c, "/etc/mtls/inter"));
	mtls_conf_free(c);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_full_scalars);
	tcase_add_test(tc, test_db_sync);
	tcase_add_loop_test(tc, test_full_rules, 0, NROWS(full_rules));
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_scalar_values, 0, NROWS(scalar_rows));
	tcase_add_test(tc, test_whitespace);
	tcase_add_loop_test(tc, test_add_rule, 0, NROWS(rule_rows));
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_ssh_host_keys);
	tcase_add_test(tc, test_crl_urls);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_errors, 0, NROWS(err_rows));
	tcase_add_loop_test(tc, test_long_line, 0, 2);
	tcase_add_loop_test(tc, test_too_large, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_unchecked_fixture(tc, tl_case_setup, tl_case_teardown);
	tcase_add_loop_test(tc, test_load, 0, NROWS(load_rows));
	tcase_add_test(tc, test_read_no_check);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(conf_suite());
}
