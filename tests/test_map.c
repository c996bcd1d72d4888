/*
 * test_map.c - identity extraction and mapping rules, on the generated
 * test PKI: every rule form, constraints, and hostile names.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <gnutls/gnutls.h>

#include "db.h"
#include "fixtures.h"
#include "identity.h"
#include "log.h"
#include "mapping.h"
#include "testlib.h"
#include "verify.h"

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
	/* Only a verified path says who the issuer is. */
	ck_assert_int_eq(id->has_issuer_fingerprint, 0);
	tl_fixture_fp("leaf-good.pem", fp, sizeof(fp));
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

/*
 * In rules, %1$s is the certificate's fingerprint, and %2$s, %3$s, %4$s
 * those of inter, its look-alike inter-twin (the same name under
 * other-root) and root.
 */
struct maprow {
	const char	*cert;
	const char	*rules;
	const char	*expect;	/* accounts, space-separated; "" none */
};

static const char *const fp_files[] = {
	NULL, "inter.pem", "inter-twin.pem", "root.pem"
};
#define N_FP	(sizeof(fp_files) / sizeof(fp_files[0]))

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
	/* without a verified path, no issuer_fingerprint= rule matches */
	{ "leaf-good.pem", "map from=cn issuer_fingerprint=%2$s\n", "" },
	{ "leaf-good.pem", "map user=deploy issuer_fingerprint=%2$s\n", "" },
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

/* Copy rules into out with each "%K$s" replaced by fp[K - 1]. */
static void
subst(const char *rules, char fp[N_FP][80], char *out, size_t size)
{
	const char *p, *v;
	size_t n = 0;

	for (p = rules; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] >= '1' && p[1] < '1' + (int)N_FP &&
		    strncmp(p + 2, "$s", 2) == 0) {
			v = fp[p[1] - '1'];
			ck_assert_uint_lt(n + strlen(v), size);
			memcpy(out + n, v, strlen(v));
			n += strlen(v);
			p += 3;
			continue;
		}
		ck_assert_uint_lt(n + 1, size);
		out[n++] = *p;
	}
	out[n] = '\0';
}

/* Map id under row r's rules; check the accounts, in order. */
static void
check_map(int row, const struct maprow *r, struct mtls_identity *id)
{
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c = NULL;
	char fp[N_FP][80], text[2048], got[512] = "";
	size_t i;
	int rv;

	tl_fixture_fp(r->cert, fp[0], sizeof(fp[0]));
	for (i = 1; i < N_FP; i++)
		tl_fixture_fp(fp_files[i], fp[i], sizeof(fp[i]));
	subst(r->rules, fp, text, sizeof(text));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_msg(mtls_conf_parse(c, "t.conf", text, strlen(text), &err)
	    == 0, "row %d: %s", row, err.msg);
	rv = mtls_map(c, id, lookup, NULL, &acc, &err);
	for (i = 0; i < acc.n; i++) {
		if (i > 0)
			strcat(got, " ");
		strcat(got, acc.v[i].name);
		ck_assert_ptr_nonnull(acc.v[i].rule);
		ck_assert_str_eq(acc.v[i].rule->file, "t.conf");
	}
	ck_assert_msg(strcmp(got, r->expect) == 0, "row %d (%s): expected "
	    "\"%s\", got \"%s\"", row, r->cert, r->expect, got);
	ck_assert_int_eq(rv, r->expect[0] != '\0' ? 0 : MTLS_E_NO_MAPPING);
	for (i = 0; i < acc.n; i++)
		ck_assert(mtls_accounts_has(&acc, acc.v[i].name));
	ck_assert(!mtls_accounts_has(&acc, "nobody"));
	ck_assert(!mtls_accounts_has(&acc, NULL));
	mtls_accounts_clear(&acc);
	mtls_conf_free(c);
}

START_TEST(test_map_row)
{
	struct mtls_identity *id = identity(maprows[_i].cert);

	check_map(_i, &maprows[_i], id);
	mtls_identity_free(id);
}
END_TEST

/*
 * issuer_fingerprint=, on paths a verifier built: two anchors, root and
 * other-root, each with an intermediate of the same name (inter and
 * inter-twin).  Only a fingerprint tells the two intermediates apart; the
 * issuer is the one in the verified path, whatever else the peer sent.
 */
struct chainrow {
	const char	*certs[3];	/* presented, leaf first */
	struct maprow	 map;
};

#define TWIN_NAME	"issuer=\"CN=Test Intermediate CA,O=mtls test\""

static const struct chainrow chainrows[] = {
	{ { "leaf-good.pem" },
	    { "leaf-good.pem", "map from=cn issuer_fingerprint=%2$s\n",
	    "alice" } },
	{ { "leaf-good.pem" },
	    { "leaf-good.pem", "map from=cn issuer_fingerprint=%3$s\n", "" } },
	{ { "leaf-twin.pem" },
	    { "leaf-twin.pem", "map from=cn issuer_fingerprint=%2$s\n", "" } },
	{ { "leaf-twin.pem" },
	    { "leaf-twin.pem", "map from=cn issuer_fingerprint=%3$s\n",
	    "alice" } },
	{ { "leaf-twin.pem" },
	    { "leaf-twin.pem", "map user=deploy issuer_fingerprint=%2$s\n"
	    "map user=bob issuer_fingerprint=%3$s\n", "bob" } },
	/* what issuer= cannot do: the look-alike passes it */
	{ { "leaf-twin.pem" },
	    { "leaf-twin.pem", "map from=cn " TWIN_NAME "\n", "alice" } },
	{ { "leaf-twin.pem" },
	    { "leaf-twin.pem", "map from=cn " TWIN_NAME
	    " issuer_fingerprint=%2$s\n", "" } },
	/* the direct issuer, not any CA of the path */
	{ { "leaf-good.pem" },
	    { "leaf-good.pem", "map from=cn issuer_fingerprint=%4$s\n", "" } },
	{ { "leaf-direct.pem" },
	    { "leaf-direct.pem", "map from=cn issuer_fingerprint=%4$s\n",
	    "erin" } },
	{ { "leaf-direct.pem" },
	    { "leaf-direct.pem", "map from=cn issuer_fingerprint=%2$s\n",
	    "" } },
	/* presented first, the look-alike is not the path's issuer */
	{ { "leaf-good.pem", "inter-twin.pem", "inter.pem" },
	    { "leaf-good.pem", "map from=cn issuer_fingerprint=%3$s\n", "" } },
	{ { "leaf-good.pem", "inter-twin.pem", "inter.pem" },
	    { "leaf-good.pem", "map from=cn issuer_fingerprint=%2$s\n",
	    "alice" } },
};

static struct mtls_verifier *
two_anchor_verifier(void)
{
	static const char *const anchors[] = { "root.pem", "other-root.pem" };
	static const char *const inters[] = { "inter.pem", "inter-twin.pem" };
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v = NULL;
	struct mtls_conf *c = NULL;
	size_t i;

	ck_assert_int_eq(mtls_conf_new(&c), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors,
		    fx(anchors[i])), 0);
		ck_assert_int_eq(mtls_conf_list_add(&c->intermediates,
		    &c->n_intermediates, fx(inters[i])), 0);
	}
	c->crl_required = 0;
	c->crl_cache_off = 1;
	ck_assert_msg(mtls_verifier_new(c, &v, &err) == 0, "%s", err.msg);
	mtls_conf_free(c);
	return v;
}

/* Load the row's certificates, verify them, and the leaf's identity. */
static struct mtls_identity *
verified_identity(struct mtls_verifier *v, const char *const *files,
    size_t nfiles)
{
	gnutls_x509_crt_t crts[8], *got = NULL;
	struct mtls_identity *id = NULL;
	struct mtls_err err = { 0, "" };
	struct mtls_chain_info info;
	unsigned n = 0, i;
	size_t f, total = 0;

	for (f = 0; f < nfiles && files[f] != NULL; f++) {
		ck_assert_int_eq(mtls_load_crts(fx(files[f]), "c", 0, &got, &n,
		    &err), 0);
		ck_assert_uint_le(total + n, 8);
		for (i = 0; i < n; i++)
			crts[total++] = got[i];
		gnutls_free(got);
	}
	ck_assert_msg(mtls_verify_crts(v, crts, total, FX_NOW, 0, &err,
	    &info) == 0, "%s: %s", files[0], err.msg);
	ck_assert_int_eq(mtls_identity_from_crt(crts[0], &id, &err), 0);
	ck_assert_int_eq(mtls_identity_set_path(id, &info, &err), 0);
	ck_assert_int_eq(id->has_issuer_fingerprint, 1);
	mtls_chain_info_clear(&info);
	for (i = 0; i < total; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return id;
}

START_TEST(test_map_chain_row)
{
	const struct chainrow *r = &chainrows[_i];
	struct mtls_verifier *v = two_anchor_verifier();
	struct mtls_identity *id = verified_identity(v, r->certs, 3);

	check_map(_i, &r->map, id);
	mtls_identity_free(id);
	mtls_verifier_free(v);
}
END_TEST

/* A path that does not start at the identity's certificate is refused. */
START_TEST(test_set_path)
{
	static const char *const good[] = { "leaf-good.pem" };
	static const char *const twin[] = { "leaf-twin.pem" };
	struct mtls_verifier *v = two_anchor_verifier();
	struct mtls_identity *a = verified_identity(v, good, 1);
	struct mtls_identity *b = identity("leaf-twin.pem");
	struct mtls_identity *c = verified_identity(v, twin, 1);
	struct mtls_err err = { 0, "" };
	struct mtls_chain_info info;
	char hex[100], fp[80];

	/* a's path recorded the fingerprint of inter.pem */
	mtls_hex(a->issuer_fingerprint, 32, 0, hex);
	tl_fixture_fp("inter.pem", fp, sizeof(fp));
	ck_assert_str_eq(hex, fp);
	memset(&info, 0, sizeof(info));
	info.n = 2;
	memcpy(info.fingerprint[0], a->fingerprint, 32);
	memcpy(info.fingerprint[1], c->issuer_fingerprint, 32);
	ck_assert_int_eq(mtls_identity_set_path(b, &info, &err),
	    MTLS_E_INTERNAL);
	ck_assert_int_eq(b->has_issuer_fingerprint, 0);
	info.n = 1;
	memcpy(info.fingerprint[0], b->fingerprint, 32);
	ck_assert_int_eq(mtls_identity_set_path(b, &info, &err),
	    MTLS_E_INTERNAL);
	ck_assert_int_eq(b->has_issuer_fingerprint, 0);
	ck_assert_int_eq(mtls_identity_set_path(b, NULL, &err),
	    MTLS_E_INTERNAL);
	info.n = 2;
	ck_assert_int_eq(mtls_identity_set_path(b, &info, &err), 0);
	ck_assert_int_eq(b->has_issuer_fingerprint, 1);
	ck_assert_mem_eq(b->issuer_fingerprint, c->issuer_fingerprint, 32);
	mtls_identity_free(a);
	mtls_identity_free(b);
	mtls_identity_free(c);
	mtls_verifier_free(v);
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

/*
 * from=db while the database is truncated and rewritten in place: a child
 * maps in a loop, so that a SIGBUS kills it and not the test; every answer
 * is alice (last of 20,000 users, so that each mapping walks the whole
 * file), or nothing while the file is cut.
 */
#define DB_USERS	20000

static unsigned char *
db_with_alice(size_t *len)
{
	static const struct mtls_db_principal_in pr = { MTLS_PRINCIPAL_EMAIL,
	    "alice@example.com" };
	struct mtls_db_user_in *u = calloc(DB_USERS, sizeof(*u));
	char (*names)[16] = calloc(DB_USERS, 16);
	unsigned char *buf = NULL;
	uint32_t i;

	for (i = 0; i < DB_USERS; i++) {
		snprintf(names[i], 16, i == DB_USERS - 1 ? "alice" : "u%u", i);
		u[i] = (struct mtls_db_user_in){ names[i], 1900000000 + i,
		    1900000000, "", "/home/x", "/bin/sh", &pr,
		    i == DB_USERS - 1 };
	}
	ck_assert_int_eq(mtls_db_build(u, DB_USERS, NULL, 0, &buf, len), 0);
	free(u);
	free(names);
	return buf;
}

START_TEST(test_map_db_changed_in_place)
{
	struct mtls_identity *id = identity("leaf-good.pem");
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c = NULL;
	char *dir = tl_mkdtemp(), path[256], text[512];
	unsigned char *db;
	size_t len, cut;
	int fd, rv, status, i, *n;	/* n[0] wrong answers, n[1] alice */
	pid_t pid;

	db = db_with_alice(&len);
	snprintf(path, sizeof(path), "%s/identity.db", dir);
	free(tl_write(dir, "identity.db", db, len, 0644));
	snprintf(text, sizeof(text), "identity_db %s\nmap from=db\n", path);
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_parse(c, "t.conf", text, strlen(text),
	    &err), 0);
	ck_assert_int_eq(mtls_map(c, id, lookup, NULL, &acc, &err), 0);
	ck_assert_str_eq(acc.v[0].name, "alice");
	mtls_accounts_clear(&acc);
	n = mmap(NULL, 2 * sizeof(*n), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(n, MAP_FAILED);
	n[0] = n[1] = 0;
	mtls_log_set_backend(NULL, NULL);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		for (;;) {
			rv = mtls_map(c, id, lookup, NULL, &acc, &err);
			if (rv == 0 && acc.n == 1 &&
			    strcmp(acc.v[0].name, "alice") == 0)
				n[1]++;
			else if (rv != MTLS_E_NO_MAPPING)
				n[0]++;
			mtls_accounts_clear(&acc);
		}
	}
	ck_assert_int_ge(fd = open(path, O_WRONLY), 0);
	for (i = 0; i < 200; i++) {
		/* cut at a point that moves through the file */
		cut = (size_t)i * 7919 % len;
		ck_assert_int_eq(ftruncate(fd, (off_t)cut), 0);
		usleep(500);
		ck_assert_int_eq(pwrite(fd, db, len, 0), (ssize_t)len);
		usleep(500);
	}
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "the mapping process died of signal %d (%s)", WTERMSIG(status),
	    strsignal(WTERMSIG(status)));
	ck_assert_int_eq(n[0], 0);
	ck_assert_int_gt(n[1], 0);
	munmap(n, 2 * sizeof(*n));
	free(db);
	mtls_conf_free(c);
	mtls_identity_free(id);
	tl_rmdir(dir);
}
END_TEST

/* A FIFO where the database should be: nothing mapped, at once (the
 * alarm fails the test instead of a login that waits for a writer). */
START_TEST(test_map_db_fifo)
{
	struct mtls_identity *id = identity("leaf-good.pem");
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c = NULL;
	char *dir = tl_mkdtemp(), path[256], text[512];

	snprintf(path, sizeof(path), "%s/identity.db", dir);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	snprintf(text, sizeof(text), "identity_db %s\nmap from=db\n", path);
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_parse(c, "t.conf", text, strlen(text),
	    &err), 0);
	mtls_log_set_backend(NULL, NULL);
	alarm(10);
	ck_assert_int_eq(mtls_map(c, id, lookup, NULL, &acc, &err),
	    MTLS_E_NO_MAPPING);
	alarm(0);
	mtls_conf_free(c);
	mtls_identity_free(id);
	tl_rmdir(dir);
}
END_TEST

/* ---- from=db: which accounts, in which order ------------------------ */

/* Write users to dir/identity.db; a configuration with from=db on it. */
static struct mtls_conf *
db_conf(const char *dir, const struct mtls_db_user_in *uv, uint32_t n,
    uint32_t version)
{
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c = NULL;
	unsigned char *buf = NULL;
	char text[512];
	size_t len;

	ck_assert_int_eq(mtls_db_build(uv, n, NULL, 0, &buf, &len), 0);
	if (version != MTLS_DB_VERSION) {
		memcpy(buf + 8, &version, 4);
		ck_assert_int_eq(mtls_db_version(buf, len), version);
	}
	free(tl_write(dir, "identity.db", buf, len, 0644));
	free(buf);
	snprintf(text, sizeof(text), "identity_db %s/identity.db\n"
	    "map from=db\n", dir);
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_parse(c, "t.conf", text, strlen(text),
	    &err), 0);
	return c;
}

static char logged[4096];

static void
log_keep(void *ctx, int priority, const char *line)
{
	(void)ctx;
	(void)priority;
	snprintf(logged + strlen(logged), sizeof(logged) - strlen(logged),
	    "%s\n", line);
}

/*
 * Each kind of principal of leaf-good.pem picks its account; accounts
 * come in the database's order whatever order the principals are looked
 * up in, each once (dup lists two of them, twice-e one twice); an
 * account with uid 0, or named root, is never given; other is not.
 */
START_TEST(test_map_db_principals)
{
	struct mtls_identity *id = identity("leaf-good.pem");
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c;
	char *dir = tl_mkdtemp(), fp[80];
	static const char *want[] = { "k_uri", "k_subj", "k_fp", "dup",
	    "k_email", "k_upn", "twice_e" };
	size_t i;

	tl_fixture_fp("leaf-good.pem", fp, sizeof(fp));
	const struct mtls_db_principal_in subj[] = {
		{ MTLS_PRINCIPAL_SUBJECT, "CN=alice,UID=alice,O=mtls test" } },
	    fpr[] = { { MTLS_PRINCIPAL_FINGERPRINT, fp } },
	    email[] = { { MTLS_PRINCIPAL_EMAIL, "alice@example.com" } },
	    upn[] = { { MTLS_PRINCIPAL_UPN, "alice@EXAMPLE.COM" } },
	    uri[] = { { MTLS_PRINCIPAL_URI,
		"https://id.example.com/users/alice" } },
	    dup[] = { { MTLS_PRINCIPAL_UPN, "alice@EXAMPLE.COM" },
		{ MTLS_PRINCIPAL_SUBJECT, "CN=alice,UID=alice,O=mtls test" } },
	    twice[] = { { MTLS_PRINCIPAL_EMAIL, "alice@example.com" },
		{ MTLS_PRINCIPAL_EMAIL, "alice@example.com" } },
	    near[] = { { MTLS_PRINCIPAL_EMAIL, "Alice@example.com" },
		{ MTLS_PRINCIPAL_UPN, "alice@example.com" },
		{ MTLS_PRINCIPAL_SUBJECT, "CN=alice,O=mtls test" } };
	const struct mtls_db_user_in uv[] = {
		{ "k_uri", 1900000000, 100, "", "/h", "/bin/sh", uri, 1 },
		{ "zero", 0, 0, "", "/h", "/bin/sh", email, 1 },
		{ "k_subj", 1900000001, 100, "", "/h", "/bin/sh", subj, 1 },
		{ "other", 1900000002, 100, "", "/h", "/bin/sh", near, 3 },
		{ "k_fp", 1900000003, 100, "", "/h", "/bin/sh", fpr, 1 },
		{ "root", 1900000004, 100, "", "/h", "/bin/sh", uri, 1 },
		{ "dup", 1900000005, 100, "", "/h", "/bin/sh", dup, 2 },
		{ "k_email", 1900000006, 100, "", "/h", "/bin/sh", email, 1 },
		{ "k_upn", 1900000007, 100, "", "/h", "/bin/sh", upn, 1 },
		{ "twice_e", 1900000008, 100, "", "/h", "/bin/sh", twice, 2 },
	};

	c = db_conf(dir, uv, sizeof(uv) / sizeof(uv[0]), MTLS_DB_VERSION);
	logged[0] = '\0';
	mtls_log_set_backend(log_keep, NULL);
	ck_assert_int_eq(mtls_map(c, id, lookup, NULL, &acc, &err), 0);
	mtls_log_set_backend(NULL, NULL);
	ck_assert_uint_eq(acc.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < acc.n; i++)
		ck_assert_str_eq(acc.v[i].name, want[i]);
	ck_assert_ptr_nonnull(strstr(logged, "gives zero (uid 0)"));
	ck_assert_ptr_nonnull(strstr(logged, "gives root (uid 0)"));
	mtls_accounts_clear(&acc);
	mtls_conf_free(c);
	/* a certificate none of whose principals is there: nothing */
	c = db_conf(dir, &uv[3], 1, MTLS_DB_VERSION);
	ck_assert_int_eq(mtls_map(c, id, lookup, NULL, &acc, &err),
	    MTLS_E_NO_MAPPING);
	mtls_conf_free(c);
	mtls_identity_free(id);
	tl_rmdir(dir);
}
END_TEST

/* A database of format version 1: nothing mapped, and the log says to
 * build it again. */
START_TEST(test_map_db_old_version)
{
	struct mtls_identity *id = identity("leaf-good.pem");
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c;
	char *dir = tl_mkdtemp();
	const struct mtls_db_principal_in email[] = {
		{ MTLS_PRINCIPAL_EMAIL, "alice@example.com" } };
	const struct mtls_db_user_in uv[] = {
		{ "k_email", 1900000006, 100, "", "/h", "/bin/sh", email, 1 },
	};

	c = db_conf(dir, uv, 1, MTLS_DB_VERSION);
	ck_assert_int_eq(mtls_map(c, id, lookup, NULL, &acc, &err), 0);
	mtls_accounts_clear(&acc);
	mtls_conf_free(c);
	c = db_conf(dir, uv, 1, 1);
	logged[0] = '\0';
	mtls_log_set_backend(log_keep, NULL);
	ck_assert_int_eq(mtls_map(c, id, lookup, NULL, &acc, &err),
	    MTLS_E_NO_MAPPING);
	mtls_log_set_backend(NULL, NULL);
	ck_assert_ptr_nonnull(strstr(logged, "format version 1, not 2: run "
	    "`mtls db build`"));
	mtls_conf_free(c);
	mtls_identity_free(id);
	tl_rmdir(dir);
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
	tcase_add_loop_test(tc, test_map_chain_row, 0,
	    sizeof(chainrows) / sizeof(chainrows[0]));
	tcase_add_test(tc, test_set_path);
	tcase_add_test(tc, test_map_rule_lines);
	tcase_add_test(tc, test_map_db_changed_in_place);
	tcase_add_test(tc, test_map_db_fifo);
	tcase_add_test(tc, test_map_db_principals);
	tcase_add_test(tc, test_map_db_old_version);
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
