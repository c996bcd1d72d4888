/*
 * test_db.c - the identity database: build, then read back every lookup;
 * the source parser's refusals; and truncated, bit-flipped and garbage
 * databases, which must be refused or read without a step outside the
 * buffer (run under ASan with --enable-asan).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "db.h"
#include "idsrc.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static const struct mtls_db_principal_in alice_pr[] = {
	{ MTLS_PRINCIPAL_SUBJECT, "CN=alice,O=Example" },
	{ MTLS_PRINCIPAL_EMAIL, "alice@example.org" },
};
static const char *staff_m[] = { "alice", "bob", "carol" };
static const char *ops_m[] = { "alice" };

static const struct mtls_db_user_in users[] = {
	{ "alice", 1900000000, 1900000000, "Alice", "/home/alice",
	    "/bin/bash", alice_pr, 2 },
	{ "bob", 1900000001, 1900000000, "", "/home/bob", "/bin/sh", NULL,
	    0 },
	{ "deploy", 1900000002, 1900000001, "Deploy", "/srv/deploy",
	    "/bin/sh", NULL, 0 },
};
static const struct mtls_db_group_in groups[] = {
	{ "staff", 1900000000, staff_m, 3 },
	{ "ops", 1900000001, ops_m, 1 },
};

static unsigned char *
build(size_t *len)
{
	unsigned char *buf = NULL;

	ck_assert_int_eq(mtls_db_build(users, NROWS(users), groups,
	    NROWS(groups), &buf, len), 0);
	return buf;
}

START_TEST(lookups)
{
	struct mtls_db db;
	struct mtls_db_user u;
	struct mtls_db_group g;
	const char *v;
	unsigned char *buf;
	size_t len;
	uint32_t n, h, gid;
	int k, i;

	buf = build(&len);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_uint_eq(db.n_users, 3);
	ck_assert_uint_eq(db.n_groups, 2);
	for (i = 0; i < NROWS(users); i++) {
		ck_assert_int_eq(mtls_db_user_by_name(&db, users[i].name, &u),
		    0);
		ck_assert_uint_eq(u.uid, users[i].uid);
		ck_assert_str_eq(u.home, users[i].home);
		ck_assert_str_eq(u.shell, users[i].shell);
		ck_assert_str_eq(u.gecos, users[i].gecos);
		ck_assert_int_eq(mtls_db_user_by_uid(&db, users[i].uid, &u), 0);
		ck_assert_str_eq(u.name, users[i].name);
	}
	ck_assert_int_eq(mtls_db_user_by_name(&db, "alice", &u), 0);
	ck_assert_uint_eq(u.n_principals, 2);
	ck_assert_int_eq(mtls_db_user_principal(&db, &u, 1, &k, &v), 0);
	ck_assert_int_eq(k, MTLS_PRINCIPAL_EMAIL);
	ck_assert_str_eq(v, "alice@example.org");
	ck_assert_int_ne(mtls_db_user_principal(&db, &u, 2, &k, &v), 0);
	ck_assert_int_eq(mtls_db_user_by_name(&db, "root", &u),
	    MTLS_E_NOT_FOUND);
	ck_assert_int_eq(mtls_db_user_by_name(&db, "alic", &u),
	    MTLS_E_NOT_FOUND);
	ck_assert_int_eq(mtls_db_user_by_uid(&db, 0, &u), MTLS_E_NOT_FOUND);
	ck_assert_int_eq(mtls_db_group_by_name(&db, "ops", &g), 0);
	ck_assert_uint_eq(g.gid, 1900000001);
	ck_assert_int_eq(mtls_db_group_by_gid(&db, 1900000000, &g), 0);
	ck_assert_str_eq(g.name, "staff");
	ck_assert_uint_eq(g.n_members, 3);
	ck_assert_int_eq(mtls_db_group_member(&db, &g, 2, &v), 0);
	ck_assert_str_eq(v, "carol");
	ck_assert_int_eq(mtls_db_memberships(&db, "alice", &n, &h), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(mtls_db_membership_gid(&db, h, 0, &gid), 0);
	ck_assert_uint_eq(gid, 1900000000);
	ck_assert_int_eq(mtls_db_membership_gid(&db, h, 1, &gid), 0);
	ck_assert_uint_eq(gid, 1900000001);
	ck_assert_int_eq(mtls_db_memberships(&db, "nobody", &n, &h), 0);
	ck_assert_uint_eq(n, 0);
	free(buf);
}
END_TEST

START_TEST(empty_db)
{
	struct mtls_db db;
	struct mtls_db_user u;
	unsigned char *buf = NULL;
	size_t len;

	ck_assert_int_eq(mtls_db_build(NULL, 0, NULL, 0, &buf, &len), 0);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_int_eq(mtls_db_user_by_name(&db, "a", &u), MTLS_E_NOT_FOUND);
	free(buf);
}
END_TEST

/* Many users: every one found by name and uid, misses missed. */
START_TEST(many)
{
	struct mtls_db_user_in *uv = calloc(20000, sizeof(*uv));
	struct mtls_db db;
	struct mtls_db_user u;
	char (*names)[16] = calloc(20000, 16);
	unsigned char *buf = NULL;
	size_t len;
	uint32_t i;

	for (i = 0; i < 20000; i++) {
		snprintf(names[i], 16, "u%u", i);
		uv[i].name = names[i];
		uv[i].uid = 1900000000 + i;
		uv[i].gid = 100;
		uv[i].home = "/home/x";
		uv[i].shell = "/bin/sh";
	}
	ck_assert_int_eq(mtls_db_build(uv, 20000, NULL, 0, &buf, &len), 0);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_uint_le(len / 20000, 150);
	for (i = 0; i < 20000; i++) {
		ck_assert_int_eq(mtls_db_user_by_name(&db, names[i], &u), 0);
		ck_assert_uint_eq(u.uid, 1900000000 + i);
		ck_assert_int_eq(mtls_db_user_by_uid(&db, 1900000000 + i, &u),
		    0);
		ck_assert_str_eq(u.name, names[i]);
	}
	ck_assert_int_eq(mtls_db_user_by_name(&db, "u20000", &u),
	    MTLS_E_NOT_FOUND);
	free(buf);
	free(uv);
	free(names);
}
END_TEST

/* Read everything; the results do not matter, only that nothing breaks. */
static void
read_all(const struct mtls_db *db)
{
	struct mtls_db_user u;
	struct mtls_db_group g;
	const char *v;
	uint32_t i, j, n, h, gid;
	int k;

	for (i = 0; i < NROWS(users); i++) {
		(void)mtls_db_user_by_name(db, users[i].name, &u);
		(void)mtls_db_user_by_uid(db, users[i].uid, &u);
		(void)mtls_db_memberships(db, users[i].name, &n, &h);
	}
	for (i = 0; i < db->n_users; i++)
		if (mtls_db_user_at(db, i, &u) == 0)
			for (j = 0; j < u.n_principals; j++)
				(void)mtls_db_user_principal(db, &u, j, &k, &v);
	for (i = 0; i < db->n_groups; i++)
		if (mtls_db_group_at(db, i, &g) == 0)
			for (j = 0; j < g.n_members; j++)
				(void)mtls_db_group_member(db, &g, j, &v);
	(void)mtls_db_group_by_name(db, "staff", &g);
	(void)mtls_db_group_by_gid(db, 1900000001, &g);
	if (mtls_db_memberships(db, "alice", &n, &h) == 0)
		for (i = 0; i < n && i < 8; i++)
			(void)mtls_db_membership_gid(db, h, i, &gid);
}

/* Every truncation is refused: the header records the size. */
START_TEST(truncated)
{
	struct mtls_db db;
	unsigned char *buf, *cp;
	size_t len, l;

	buf = build(&len);
	for (l = 0; l < len; l++) {
		cp = malloc(l ? l : 1);	/* exact size: ASan sees overruns */
		memcpy(cp, buf, l);
		ck_assert_int_eq(mtls_db_open(&db, cp, l), MTLS_E_CORRUPT);
		read_all(&db);	/* a closed db answers nothing */
		free(cp);
	}
	free(buf);
}
END_TEST

/* Every single-bit flip is refused (the checksum), and a flip with the
 * checksum fixed up is refused or read safely. */
START_TEST(bitflips)
{
	struct mtls_db db;
	unsigned char *buf, *cp;
	size_t len, i;
	uint64_t sum;
	int bit;

	buf = build(&len);
	cp = malloc(len);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(cp, buf, len);
			cp[i] ^= (unsigned char)(1u << bit);
			ck_assert_int_eq(mtls_db_open(&db, cp, len),
			    MTLS_E_CORRUPT);
			if (i < 32)
				continue;
			sum = mtls_db_hash64(cp + 32, len - 32);
			memcpy(cp + 24, &sum, 8);
			if (mtls_db_open(&db, cp, len) == 0)
				read_all(&db);
		}
	}
	free(cp);
	free(buf);
}
END_TEST

/* Random words written over the body, checksum fixed: never a crash. */
START_TEST(garbage)
{
	struct mtls_db db;
	unsigned char *buf, *cp;
	size_t len, i;
	uint64_t sum;
	uint32_t x = 12345, w;
	int round, opened = 0;

	buf = build(&len);
	cp = malloc(len);
	for (round = 0; round < 20000; round++) {
		memcpy(cp, buf, len);
		for (i = 0; i < 4; i++) {
			x = x * 1103515245u + 12345u;
			w = x >> 3;
			memcpy(cp + 48 + (x % (len - 52)), &w, 4);
		}
		sum = mtls_db_hash64(cp + 32, len - 32);
		memcpy(cp + 24, &sum, 8);
		if (mtls_db_open(&db, cp, len) == 0) {
			opened++;
			read_all(&db);
		}
	}
	ck_assert_int_gt(opened, 0);
	free(cp);
	free(buf);
}
END_TEST

/* ---- the sources ---------------------------------------------------- */

static const char *sys_passwd = "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1::/:/usr/sbin/nologin\nold:x:1900000009:100::/:/bin/sh\n";
static const char *sys_group = "root:x:0:\nusers:x:100:\n"
    "oldg:x:1900000009:\n";

static int
shell_ok(const char *p)
{
	return strcmp(p, "/bin/sh") == 0 || strcmp(p, "/bin/bash") == 0;
}

static const struct {
	const char	*users;
	const char	*groups;
	const char	*error;		/* NULL: accepted */
} src_rows[] = {
	{ "user a\nuid 1900000000\ngid 100\nhome /h\n", "", NULL },
	{ "user a\n  uid 1900000000\n  gid 1900000000\n  home /h\n"
	    "  principal email a@example.org\n  principal uri spiffe://x/a\n"
	    "  principal upn a@EXAMPLE\n  principal subject CN=a\n"
	    "  principal fingerprint " "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\n",
	    "group g\ngid 1900000000\nmember a\nmember root\n", NULL },
	{ "user root\nuid 1900000000\ngid 100\nhome /h\n", "",
	    "already exists in the system's passwd" },
	{ "user a\nuid 1900000009\ngid 100\nhome /h\n", "",
	    "already used in the system's passwd" },
	{ "user a\nuid 1000\ngid 100\nhome /h\n", "", "outside the range" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\n"
	    "user a\nuid 1900000001\ngid 100\nhome /h\n", "",
	    "users:5: duplicate user name 'a' (also line 1)" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\n"
	    "user b\nuid 1900000000\ngid 100\nhome /h\n", "",
	    "duplicate user id 1900000000" },
	{ "user A\nuid 1900000000\ngid 100\nhome /h\n", "",
	    "not a valid user name" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nshell /bin/zsh\n", "",
	    "shell /bin/zsh does not exist" },
	{ "user a\nuid 1900000000\ngid 100\nhome h\n", "",
	    "home must be absolute" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\ngecos a:b\n", "",
	    "no field may contain ':'" },
	{ "user a\nuid 1900000000\ngid 100\n", "", "has no home" },
	{ "user a\ngid 100\nhome /h\n", "", "has no uid" },
	{ "user a\nuid 1900000000\ngid 5\nhome /h\n", "",
	    "primary gid 5 is neither" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nprincipal email a\n",
	    "", "malformed email principal" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nprincipal uri x y\n",
	    "", "malformed uri principal" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nprincipal fingerprint "
	    "abc\n", "", "malformed fingerprint principal" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nprincipal dns x\n", "",
	    "unknown principal kind 'dns'" },
	{ "uid 1\n", "", "before the first 'user NAME' line" },
	{ "user a\nuid 1900000000\nuid 1900000001\ngid 100\nhome /h\n"
	    "home /x\n", "", "unknown or repeated key 'home'" },
	{ "", "group users\ngid 1900000000\n",
	    "already exists in the system's group file" },
	{ "", "group g\ngid 1900000009\n", "already used in the system's" },
	{ "", "group g\ngid 1900000000\ngroup h\ngid 1900000000\n",
	    "duplicate group id" },
	{ "", "group g\ngid 1900000000\nmember Bad\n",
	    "'Bad' is not a valid member name" },
};

START_TEST(sources)
{
	struct mtls_idsrc_env env = { MTLS_ID_MIN_DEFAULT, MTLS_ID_MAX_DEFAULT,
	    sys_passwd, sys_group, shell_ok };
	struct mtls_idsrc src;
	struct mtls_err e = { 0, "" };
	int r;

	memset(&src, 0, sizeof(src));
	src.users_path = strdup("users");
	src.groups_path = strdup("groups");
	r = mtls_idsrc_parse_users(&src, "users", strdup(src_rows[_i].users),
	    strlen(src_rows[_i].users), &e);
	if (r == 0)
		r = mtls_idsrc_parse_groups(&src, "groups",
		    strdup(src_rows[_i].groups), strlen(src_rows[_i].groups),
		    &e);
	if (r == 0)
		r = mtls_idsrc_check(&src, &env, &e);
	if (src_rows[_i].error == NULL)
		ck_assert_msg(r == 0, "row %d: %s", _i, e.msg);
	else {
		ck_assert_msg(r != 0, "row %d accepted", _i);
		ck_assert_msg(strstr(e.msg, src_rows[_i].error) != NULL,
		    "row %d: '%s' lacks '%s'", _i, e.msg, src_rows[_i].error);
	}
	mtls_idsrc_clear(&src);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("reader");

	tcase_add_test(tc, lookups);
	tcase_add_test(tc, empty_db);
	tcase_add_test(tc, many);
	suite_add_tcase(s, tc);
	tc = tcase_create("corrupt");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, bitflips);
	tcase_add_test(tc, garbage);
	suite_add_tcase(s, tc);
	tc = tcase_create("sources");
	tcase_add_loop_test(tc, sources, 0, NROWS(src_rows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(db_suite());
}
