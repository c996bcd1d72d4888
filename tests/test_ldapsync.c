/*
 * test_ldapsync.c - the parts of mtls db sync that need no server: the
 * sync configuration (table-driven: what is accepted, what is refused and
 * why), the store of entries, and how changes of a content
 * synchronization apply to it, present phase included.
 */
#include "config.h"

#include <stdint.h>

#include "db.h"
#include "ldapsync.h"
#include "testlib.h"

#define BASE	"uri ldaps://ldap.example.org/\nbase dc=example,dc=org\n" \
		"bind external\n"

static const struct {
	const char	*text;
	const char	*error;		/* NULL: accepted */
} confs[] = {
	{ BASE, NULL },
	{ "uri ldap://ldap.example.org/\nstarttls yes\n"
	    "base dc=example,dc=org\nbind external\n", NULL },
	{ BASE "schema ad\nattribute home homeDirectory\n"
	    "principal_attribute altSecurityIdentities subject\n"
	    "max_removed 25%\npage_size 200\ntimeout 5\n", NULL },
	{ BASE "bind external\n", "bind is set twice" },
	{ BASE "base dc=y\n", "is set twice" },
	{ "uri ldaps://l/\nuser_base dc=x\nbind external\n", "no base" },
	{ "uri ldap://ldap.example.org/\nbase dc=x\nbind external\n",
	    "plain ldap:// is refused" },
	{ "uri ldaps://l/\nstarttls yes\nbase dc=x\nbind external\n",
	    "use ldap://" },
	{ "uri ldapi:///\nbase dc=x\nbind external\n", "uri: expected" },
	{ "uri ldaps://a/ ldaps://b/\nbase dc=x\nbind external\n",
	    "one URI a line" },
	{ "base dc=x\nbind external\n", "no uri" },
	{ "uri ldaps://l/\nbind external\n", "no base" },
	{ "uri ldaps://l/\nbase dc=x\n", "no bind" },
	{ "uri ldaps://l/\nbase dc=x\nbind simple cn=r\n",
	    "password_file goes with bind simple" },
	{ BASE "password_file /etc/mtls/secret\n",
	    "password_file goes with bind simple" },
	{ BASE "password_file etc/secret\n", "not an absolute path" },
	{ BASE "bind anonymous\n", "bind is set twice" },
	{ "uri ldaps://l/\nbase dc=x\nbind anonymous\n", "bind: expected" },
	{ BASE "schema nis\n", "schema: expected" },
	{ BASE "schema ad\nschema ad\n", "schema is set twice" },
	{ BASE "attribute shoe_size x\n", "attribute: expected" },
	{ BASE "attribute home (x)\n", "attribute: expected" },
	{ BASE "principal_attribute mail ssn\n", "principal_attribute" },
	{ BASE "user_filter objectClass=x\n", "in parentheses" },
	{ BASE "max_removed 10\n", "max_removed" },
	{ BASE "max_removed 101%\n", "max_removed" },
	{ BASE "page_size 0\n", "page_size" },
	{ BASE "frobnicate yes\n", "unknown key 'frobnicate'" },
	{ BASE "starttls maybe\n", "starttls" },
	{ BASE "uri\n", "a value is needed" },
};

START_TEST(test_conf)
{
	struct ls_conf c;
	struct mtls_err err = { 0, "" };
	int r;

	memset(&c, 0, sizeof(c));
	r = ls_conf_parse(&c, "sync.conf", confs[_i].text,
	    strlen(confs[_i].text), &err);
	if (confs[_i].error == NULL)
		ck_assert_msg(r == 0, "%s: %s", confs[_i].text, err.msg);
	else {
		ck_assert_msg(r == MTLS_E_CONFIG, "accepted: %s",
		    confs[_i].text);
		ck_assert_msg(strstr(err.msg, confs[_i].error) != NULL,
		    "%s: '%s' is not in '%s'", confs[_i].text,
		    confs[_i].error, err.msg);
	}
	ls_conf_clear(&c);
}
END_TEST

/* The presets, and an override on top of one. */
START_TEST(test_presets)
{
	struct ls_conf c;
	struct mtls_err err = { 0, "" };
	const char *t = BASE "schema ad\nattribute gecos description\n";

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(ls_conf_parse(&c, "s", BASE, strlen(BASE), &err), 0);
	ck_assert_str_eq(c.attrs[LA_USER_NAME], "uid");
	ck_assert_str_eq(c.attrs[LA_MEMBER], "memberUid");
	ck_assert_str_eq(c.user_filter, "(objectClass=posixAccount)");
	ck_assert_int_eq(c.member_is_dn, 0);
	ck_assert_uint_eq(c.max_removed, 10);
	ck_assert_uint_eq(c.page_size, 1000);
	ls_conf_clear(&c);
	ck_assert_int_eq(ls_conf_parse(&c, "s", t, strlen(t), &err), 0);
	ck_assert_str_eq(c.attrs[LA_USER_NAME], "sAMAccountName");
	ck_assert_str_eq(c.attrs[LA_GECOS], "description");
	ck_assert_str_eq(c.attrs[LA_UUID], "objectGUID");
	ck_assert_int_eq(c.member_is_dn, 1);
	ck_assert_int_eq(c.uuid_binary, 1);
	ls_conf_clear(&c);
}
END_TEST

static char *
block(const char *uuid, const char *name, int user)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "uuid %s\ndn cn=%s,dc=x\n%s %s\n"
	    "gid 1900000001\n", uuid, name, user ? "user" : "group", name);
	return strdup(buf);
}

/* The names of the live entries, sorted, joined by spaces. */
static void
names(struct ls_store *s, char *out, size_t size)
{
	char *u = NULL, *g = NULL;
	struct ls_line *ul = NULL, *gl = NULL;
	size_t ulen, glen, nu, ng;
	struct mtls_err err;

	ck_assert_int_eq(ls_store_sources(s, &u, &ulen, &ul, &nu, &g, &glen,
	    &gl, &ng, &err), 0);
	snprintf(out, size, "%s|%s", u, g);
	free(u);
	free(g);
	free(ul);
	free(gl);
}

START_TEST(test_store)
{
	struct ls_store s;
	struct ls_changes ch;
	char out[1024];

	memset(&s, 0, sizeof(s));
	memset(&ch, 0, sizeof(ch));
	ck_assert_int_eq(ls_store_put(&s, block("u:1", "alice", 1)), 0);
	ck_assert_int_eq(ls_store_put(&s, block("u:2", "bob", 1)), 0);
	ck_assert_int_eq(ls_store_put(&s, block("g:1", "staff", 0)), 0);
	ck_assert(ls_store_has(&s, "u:2"));
	ck_assert(ls_store_has(&s, "g:1"));
	ck_assert(!ls_store_has(&s, "u:3"));
	/* a modify replaces, an add appends, a delete removes */
	ch.put = calloc(2, sizeof(char *));
	ch.put[0] = block("u:2", "robert", 1);
	ch.put[1] = block("u:3", "carol", 1);
	ch.n_put = ch.cap_put = 2;
	ch.del = calloc(1, sizeof(char *));
	ch.del[0] = strdup("u:1");
	ch.n_del = ch.cap_del = 1;
	ck_assert_int_eq(ls_changes_apply(&ch, &s, "u:"), 0);
	ls_changes_clear(&ch);
	names(&s, out, sizeof(out));
	ck_assert_str_eq(out, "user robert\ngid 1900000001\nuser carol\n"
	    "gid 1900000001\n|group staff\ngid 1900000001\n");
	/*
	 * A present phase of the users: those not named are gone, the
	 * groups (another search) are not touched.
	 */
	ch.present = calloc(1, sizeof(char *));
	ch.present[0] = strdup("u:3");
	ch.n_present = ch.cap_present = 1;
	ch.present_phase = 1;
	ck_assert(ls_changes_any(&ch));
	ck_assert_int_eq(ls_changes_apply(&ch, &s, "u:"), 0);
	ls_changes_clear(&ch);
	ck_assert(!ls_changes_any(&ch));
	names(&s, out, sizeof(out));
	ck_assert_str_eq(out, "user carol\ngid 1900000001\n|group staff\n"
	    "gid 1900000001\n");
	ck_assert_uint_eq(s.n_live, 2);
	ls_store_clear(&s);
}
END_TEST

/* Member DNs become the names of stored users; others are left out. */
START_TEST(test_member_dns)
{
	struct ls_store s;
	char out[1024];

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(ls_store_put(&s, strdup("uuid u:1\n"
	    "dn uid=alice,ou=people,dc=x\nuser alice\n")), 0);
	ck_assert_int_eq(ls_store_put(&s, strdup("uuid g:1\n"
	    "dn cn=devs,dc=x\ngroup devs\ngid 1900000002\n"
	    "memberdn UID=Alice,ou=people,dc=x\nmemberdn uid=eve,dc=x\n")),
	    0);
	names(&s, out, sizeof(out));
	ck_assert_str_eq(out, "user alice\n|group devs\ngid 1900000002\n"
	    "member alice\n");
	ls_store_clear(&s);
}
END_TEST

/* A line of the sources names the entry it came from. */
START_TEST(test_lines)
{
	struct ls_line map[] = { { 1, 7 }, { 5, 3 }, { 9, 4 } };

	ck_assert_uint_eq(ls_line_entry(map, 3, 1), 7);
	ck_assert_uint_eq(ls_line_entry(map, 3, 4), 7);
	ck_assert_uint_eq(ls_line_entry(map, 3, 5), 3);
	ck_assert_uint_eq(ls_line_entry(map, 3, 100), 4);
	ck_assert_uint_eq(ls_line_entry(map, 3, 0), SIZE_MAX);
	ck_assert_uint_eq(ls_line_entry(map, 0, 1), SIZE_MAX);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("ldapsync");
	TCase *tc = tcase_create("conf");

	tcase_add_loop_test(tc, test_conf, 0, sizeof(confs) / sizeof(confs[0]));
	tcase_add_test(tc, test_presets);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, test_store);
	tcase_add_test(tc, test_member_dns);
	tcase_add_test(tc, test_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(suite());
}
