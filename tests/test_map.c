/*
 * test_map.c - identity extraction and mapping rules, on the generated
 * test PKI: every rule form, constraints, and hostile names.
 */
#include "config.h"

#include <gnutls/gnutls.h>

#include "fixtures.h"
#include "identity.h"
#include "mapping.h"
#include "testlib.h"
#include "verify.h"

/* The fingerprint of a fixture, from fixtures.txt (lower-case hex). */
static void
fixture_fp(const char *file, char *out, size_t size)
{
	char line[512], *tab1, *tab2;
	FILE *f = fopen(fx("fixtures.txt"), "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		tab1 = strchr(line, '\t');
		if (tab1 == NULL || (size_t)(tab1 - line) != strlen(file) ||
		    strncmp(line, file, strlen(file)) != 0)
			continue;
		tab2 = strchr(tab1 + 1, '\t');
		ck_assert_ptr_nonnull(tab2);
		tab2[1 + 64] = '\0';
		snprintf(out, size, "%s", tab2 + 1);
		fclose(f);
		return;
	}
	fclose(f);
	ck_abort_msg("%s not in fixtures.txt", file);
}

static struct mtls_identity *
identity(const char *file)
{
	gnutls_x509_crt_t *crts = NULL;
	struct mtls_identity *id = NULL;
	struct mtls_err err = { 0, "" };
	unsigned n = 0;

	ck_assert_int_eq(mtls_load_crts(fx(file), "c", 0, &crts, &n, &err), 0);
	ck_assert_int_eq(mtls_identity_from_crt(crts[0], &id, &err), 0);
	mtls_crts_free(crts, n);
	return id;
}

START_TEST(test_identity_fields)
{
	struct mtls_identity *id = identity("leaf-good.pem");
	char fp[80], hex[100];

	ck_assert_str_eq(id->subject, "CN=alice,UID=alice,O=mtls test");
	ck_assert_str_eq(id->issuer, "CN=Test Intermediate CA,O=mtls test");
	ck_assert_uint_eq(id->cn.n, 1);
	ck_assert_str_eq(id->cn.v[0], "alice");
	ck_assert_uint_eq(id->uid.n, 1);
	ck_assert_str_eq(id->uid.v[0], "alice");
	ck_assert_uint_eq(id->email.n, 1);
	ck_assert_str_eq(id->email.v[0], "alice@example.com");
	ck_assert_uint_eq(id->upn.n, 1);
	ck_assert_str_eq(id->upn.v[0], "alice@EXAMPLE.COM");
	ck_assert_uint_eq(id->uri.n, 1);
	ck_assert_str_eq(id->uri.v[0], "https://id.example.com/users/alice");
	ck_assert_uint_eq(id->dns.n, 1);
	ck_assert_str_eq(id->dns.v[0], "alice.example.com");
	ck_assert_int_eq(id->not_before, FX_LEAF_FROM);
	ck_assert_int_eq(id->not_after, FX_LEAF_TO);
	ck_assert_uint_eq(id->dropped, 0);
	ck_assert_uint_eq(id->n_cn_attrs, 1);
	ck_assert_uint_eq(id->n_uid_attrs, 1);
	fixture_fp("leaf-good.pem", fp, sizeof(fp));
	mtls_hex(id->fingerprint, 32, 0, hex);
	ck_assert_str_eq(hex, fp);
	ck_assert_uint_eq(strlen(id->fingerprint_hex), 95);
	ck_assert_uint_eq(strlen(id->serial), 32);
	mtls_identity_free(id);

	/* A NUL inside a CN is dropped, never truncated into "ali". */
	id = identity("leaf-nul-cn.pem");
	ck_assert_uint_eq(id->cn.n, 0);
	ck_assert_uint_eq(id->dropped, 1);
	ck_assert_uint_eq(id->n_cn_attrs, 1);
	mtls_identity_free(id);

	/* Unread values are counted all the same. */
	id = identity("leaf-bmp-cn-first.pem");
	ck_assert_uint_eq(id->cn.n, 1);
	ck_assert_str_eq(id->cn.v[0], "alice");
	ck_assert_uint_eq(id->n_cn_attrs, 2);
	ck_assert_uint_eq(id->uid.n, 1);
	ck_assert_uint_eq(id->n_uid_attrs, 1);
	ck_assert_uint_eq(id->dropped, 1);
	mtls_identity_free(id);

	id = identity("leaf-bmp-cn.pem");
	ck_assert_uint_eq(id->cn.n, 0);
	ck_assert_uint_eq(id->n_cn_attrs, 1);
	mtls_identity_free(id);

	id = identity("leaf-nul-uid-pair.pem");
	ck_assert_uint_eq(id->uid.n, 1);
	ck_assert_str_eq(id->uid.v[0], "bob");
	ck_assert_uint_eq(id->n_uid_attrs, 2);
	mtls_identity_free(id);

	id = identity("leaf-two-cn.pem");
	ck_assert_uint_eq(id->cn.n, 2);
	mtls_identity_free(id);

	id = identity("leaf-uid-only.pem");
	ck_assert_uint_eq(id->cn.n, 0);
	ck_assert_uint_eq(id->uid.n, 1);
	ck_assert_str_eq(id->uid.v[0], "frank");
	mtls_identity_free(id);
}
END_TEST

/* A fake account database: root and toor are uid 0; "broken" fails. */
static int
lookup(void *ctx, const char *name, uid_t *uid)
{
	static const struct {
		const char *name;
		uid_t uid;
	} db[] = {
		{ "root", 0 }, { "toor", 0 }, { "alice", 1000 },
		{ "deploy", 1001 }, { "bob", 1002 },
	};
	size_t i;

	(void)ctx;
	if (strcmp(name, "broken") == 0)
		return MTLS_E_IO;
	for (i = 0; i < sizeof(db) / sizeof(db[0]); i++)
		if (strcmp(db[i].name, name) == 0) {
			*uid = db[i].uid;
			return 0;
		}
	return MTLS_E_NOT_FOUND;
}

struct maprow {
	const char	*cert;
	const char	*rules;		/* %1$s: the cert's fingerprint */
	const char	*expect;	/* accounts, space-separated; "" none */
};

static const struct maprow maprows[] = {
	/* nothing configured maps nothing */
	{ "leaf-good.pem", "", "" },
	{ "leaf-good.pem", "# only a comment\n", "" },
	/* each field */
	{ "leaf-good.pem", "map from=cn\n", "alice" },
	{ "leaf-good.pem", "map from=uid\n", "alice" },
	{ "leaf-uid-only.pem", "map from=uid\n", "frank" },
	{ "leaf-uid-only.pem", "map from=cn\n", "" },
	{ "leaf-good.pem", "map from=email domain=example.com\n", "alice" },
	{ "leaf-good.pem", "map from=email domain=EXAMPLE.com\n", "alice" },
	{ "leaf-good.pem", "map from=email domain=example.org\n", "" },
	{ "leaf-good.pem", "map from=email domain=com\n", "" },
	{ "leaf-good.pem", "map from=upn realm=EXAMPLE.COM\n", "alice" },
	{ "leaf-good.pem", "map from=upn realm=example.com\n", "" },
	{ "leaf-good.pem", "map from=uri prefix=https://id.example.com/users/\n",
	    "alice" },
	{ "leaf-good.pem", "map from=uri prefix=https://id.example.com/\n", "" },
	{ "leaf-good.pem", "map from=uri prefix=https://id.example.org/users/\n",
	    "" },
	/* fixed accounts and selectors */
	{ "leaf-good.pem", "map user=deploy fingerprint=%1$s\n", "deploy" },
	{ "leaf-bob.pem", "map user=deploy fingerprint="
	    "0000000000000000000000000000000000000000000000000000000000000000\n",
	    "" },
	{ "leaf-good.pem", "map user=deploy email=alice@example.com\n",
	    "deploy" },
	{ "leaf-bob.pem", "map user=deploy email=alice@example.com\n", "" },
	{ "leaf-good.pem", "map user=deploy upn=alice@EXAMPLE.COM\n", "deploy" },
	{ "leaf-good.pem", "map user=deploy uri=https://id.example.com/users/"
	    "alice\n", "deploy" },
	{ "leaf-good.pem", "map user=deploy subject=\"CN=alice,UID=alice,O=mtls "
	    "test\"\n", "deploy" },
	{ "leaf-good.pem", "map user=deploy subject=\"CN=Alice,UID=alice,"
	    "O=mtls test\"\n", "" },
	{ "leaf-good.pem", "map from=cn issuer=\"CN=Test Intermediate CA,"
	    "O=mtls test\"\n", "alice" },
	{ "leaf-good.pem", "map from=cn issuer=\"CN=Test Root CA,O=mtls test\"\n",
	    "" },
	{ "leaf-good.pem", "map from=cn subject_suffix=\"O=mtls test\"\n",
	    "alice" },
	{ "leaf-good.pem", "map from=cn subject_suffix=\"UID=alice,O=mtls "
	    "test\"\n", "alice" },
	{ "leaf-good.pem", "map from=cn subject_suffix=\"test\"\n", "" },
	{ "leaf-good.pem", "map from=cn subject_suffix=\"O=mtls\"\n", "" },
	/* several accounts, each once, in rule order */
	{ "leaf-good.pem", "map from=cn\nmap user=deploy fingerprint=%1$s\n"
	    "map from=uid\nmap user=bob email=alice@example.com\n",
	    "alice deploy bob" },
	/* hostile names from certificates never map */
	{ "leaf-hostile-cn.pem", "map from=cn\n", "" },
	{ "leaf-upper-cn.pem", "map from=cn\n", "" },
	{ "leaf-long-cn.pem", "map from=cn\n", "" },
	{ "leaf-colon-cn.pem", "map from=cn\n", "" },
	{ "leaf-nul-cn.pem", "map from=cn\n", "" },
	{ "leaf-two-cn.pem", "map from=cn\n", "" },
	/*
	 * Exactly one CN (UID) means one attribute, whatever its string type
	 * or content: one that cannot be read still counts, and never lets
	 * another through.  The other field is not affected.
	 */
	{ "leaf-bmp-cn-first.pem", "map from=cn\n", "" },
	{ "leaf-bmp-cn-second.pem", "map from=cn\n", "" },
	{ "leaf-nul-cn-pair.pem", "map from=cn\n", "" },
	{ "leaf-mixed-cn.pem", "map from=cn\n", "" },
	{ "leaf-bmp-cn.pem", "map from=cn\n", "" },
	{ "leaf-bmp-cn-first.pem", "map from=uid\n", "carol" },
	{ "leaf-nul-cn-pair.pem", "map from=uid\n", "carol" },
	{ "leaf-bmp-uid-first.pem", "map from=uid\n", "" },
	{ "leaf-bmp-uid-second.pem", "map from=uid\n", "" },
	{ "leaf-nul-uid-pair.pem", "map from=uid\n", "" },
	{ "leaf-mixed-uid.pem", "map from=uid\n", "" },
	{ "leaf-bmp-uid-first.pem", "map from=cn\n", "carol" },
	/* root: only a fingerprint-pinned allow_root rule */
	{ "leaf-root-cn.pem", "map from=cn\n", "" },
	{ "leaf-root-cn.pem", "map from=cn fingerprint=%1$s\n", "" },
	{ "leaf-root-cn.pem", "map from=cn fingerprint=%1$s allow_root\n",
	    "root" },
	{ "leaf-good.pem", "map user=root fingerprint=%1$s allow_root\n",
	    "root" },
	{ "leaf-good.pem", "map user=toor email=alice@example.com\n", "" },
	{ "leaf-good.pem", "map user=toor fingerprint=%1$s allow_root\n",
	    "toor" },
	/* an account whose lookup fails is not given */
	{ "leaf-good.pem", "map user=broken fingerprint=%1$s\nmap from=cn\n",
	    "alice" },
};

/* Copy rules into out with each "%1$s" replaced by fp. */
static void
subst(const char *rules, const char *fp, char *out, size_t size)
{
	const char *p;
	size_t n = 0;

	for (p = rules; *p != '\0'; p++) {
		if (strncmp(p, "%1$s", 4) == 0) {
			ck_assert_uint_lt(n + strlen(fp), size);
			memcpy(out + n, fp, strlen(fp));
			n += strlen(fp);
			p += 3;
			continue;
		}
		ck_assert_uint_lt(n + 1, size);
		out[n++] = *p;
	}
	out[n] = '\0';
}

START_TEST(test_map_row)
{
	const struct maprow *r = &maprows[_i];
	struct mtls_identity *id = identity(r->cert);
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c = NULL;
	char fp[80], text[2048], got[512] = "";
	size_t i;
	int rv;

	fixture_fp(r->cert, fp, sizeof(fp));
	subst(r->rules, fp, text, sizeof(text));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_msg(mtls_conf_parse(c, "t.conf", text, strlen(text), &err)
	    == 0, "row %d: %s", _i, err.msg);
	rv = mtls_map(c, id, lookup, NULL, &acc, &err);
	for (i = 0; i < acc.n; i++) {
		if (i > 0)
			strcat(got, " ");
		strcat(got, acc.v[i].name);
		ck_assert_ptr_nonnull(acc.v[i].rule);
		ck_assert_str_eq(acc.v[i].rule->file, "t.conf");
	}
	ck_assert_msg(strcmp(got, r->expect) == 0, "row %d (%s): expected "
	    "\"%s\", got \"%s\"", _i, r->cert, r->expect, got);
	ck_assert_int_eq(rv, r->expect[0] != '\0' ? 0 : MTLS_E_NO_MAPPING);
	for (i = 0; i < acc.n; i++)
		ck_assert(mtls_accounts_has(&acc, acc.v[i].name));
	ck_assert(!mtls_accounts_has(&acc, "nobody"));
	ck_assert(!mtls_accounts_has(&acc, NULL));
	mtls_accounts_clear(&acc);
	mtls_conf_free(c);
	mtls_identity_free(id);
}
END_TEST

/* The rule that gave each account is the first that matched. */
START_TEST(test_map_rule_lines)
{
	static const char text[] = "# rules\nmap from=uid\n\nmap from=cn\n";
	struct mtls_identity *id = identity("leaf-good.pem");
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c = NULL;

	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_parse(c, "r.conf", text, strlen(text),
	    &err), 0);
	ck_assert_int_eq(mtls_map(c, id, lookup, NULL, &acc, &err), 0);
	ck_assert_uint_eq(acc.n, 1);
	ck_assert_uint_eq(acc.v[0].rule->line, 2);
	ck_assert_str_eq(acc.v[0].rule->text, "map from=uid");
	mtls_accounts_clear(&acc);
	ck_assert_int_eq(mtls_map(NULL, id, lookup, NULL, &acc, &err),
	    MTLS_E_INVAL);
	ck_assert_int_eq(mtls_map(c, id, NULL, NULL, &acc, &err),
	    MTLS_E_INVAL);
	mtls_conf_free(c);
	mtls_identity_free(id);
}
END_TEST

static const struct {
	const char *dn, *suffix;
	int expect;
} suffixes[] = {
	{ "CN=a,O=Example,C=US", "O=Example,C=US", 1 },
	{ "CN=a,O=Example,C=US", "CN=a,O=Example,C=US", 1 },
	{ "CN=a,O=Example,C=US", "C=US", 1 },
	{ "CN=a,O=Example,C=US", "Example,C=US", 0 },
	{ "CN=a,O=BadExample,C=US", "O=Example,C=US", 0 },
	{ "CN=a\\,O=Example,C=US", "O=Example,C=US", 0 },
	{ "CN=a\\\\,O=Example,C=US", "O=Example,C=US", 1 },
	{ "CN=a,O=Example,C=US", "o=example,c=us", 0 },
	{ "CN=a,O=Example,C=US", "", 0 },
	{ "C=US", "CN=a,C=US", 0 },
};

START_TEST(test_dn_suffix)
{
	ck_assert_int_eq(mtls_dn_has_suffix(suffixes[_i].dn,
	    suffixes[_i].suffix), suffixes[_i].expect);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("map");

	tcase_add_test(tc, test_identity_fields);
	tcase_add_loop_test(tc, test_map_row, 0,
	    sizeof(maprows) / sizeof(maprows[0]));
	tcase_add_test(tc, test_map_rule_lines);
	tcase_add_loop_test(tc, test_dn_suffix, 0,
	    sizeof(suffixes) / sizeof(suffixes[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(suite());
}
