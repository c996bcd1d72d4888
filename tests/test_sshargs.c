/*
 * test_sshargs.c - finding the destination on ssh's command line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sshargs.h"
#include "sshconf.h"
#include "testlib.h"

struct row {
	const char	*args[8];
	int		 ok;
	int		 index, insert, batch;
	const char	*host, *user;
};

static const struct row rows[] = {
	{ { "host" }, 1, 0, 0, 0, "host", "" },
	{ { "alice@host", "id", "-v" }, 1, 0, 0, 0, "host", "alice" },
	{ { "-l", "bob", "alice@host" }, 1, 2, 2, 0, "host", "bob" },
	{ { "a@b@host" }, 1, 0, 0, 0, "host", "a@b" },
	{ { "-p22", "-vvA", "-i", "k", "host", "ls" }, 1, 4, 4, 0, "host", "" },
	{ { "host", "-p", "22", "ls" }, 1, 0, 3, 0, "host", "" },
	{ { "host", "-l", "carol" }, 1, 0, 3, 0, "host", "carol" },
	{ { "-v", "--", "host", "ls" }, 1, 2, 1, 0, "host", "" },
	{ { "host", "--", "ls" }, 1, 0, 0, 0, "host", "" },
	{ { "ssh://u@host:2222" }, 1, 0, 0, 0, "host", "u" },
	{ { "ssh://[::1]:22" }, 1, 0, 0, 0, "::1", "" },
	{ { "ssh://host/" }, 1, 0, 0, 0, "host", "" },
	{ { "-o", "BatchMode=yes", "h" }, 1, 2, 2, 1, "h", "" },
	{ { "-oBatchMode yes", "h" }, 1, 1, 1, 1, "h", "" },
	{ { "-o", "batchmode = \"True\"", "h" }, 1, 2, 2, 1, "h", "" },
	{ { "-o", "BatchMode=no", "-o", "BatchMode=yes", "h" }, 1, 4, 4, 0,
	    "h", "" },
	{ { "-o", "BatchModeX=yes", "h" }, 1, 2, 2, 0, "h", "" },
	{ { "h", "-o", "BatchMode=yes" }, 1, 0, 3, 1, "h", "" },
	{ { "-v" }, 0, 0, 0, 0, NULL, NULL },
	{ { "-Z", "h" }, 0, 0, 0, 0, NULL, NULL },
	{ { "-p" }, 0, 0, 0, 0, NULL, NULL },
	{ { "@host" }, 0, 0, 0, 0, NULL, NULL },
	{ { "alice@" }, 0, 0, 0, 0, NULL, NULL },
	{ { "ssh://[::1" }, 0, 0, 0, 0, NULL, NULL },
	{ { "a b" }, 0, 0, 0, 0, NULL, NULL },
	{ { "--" }, 0, 0, 0, 0, NULL, NULL },
};

START_TEST(test_row)
{
	const struct row *r = &rows[_i];
	struct ssh_dest d;
	struct mtls_err err = { 0, "" };
	int argc = 0, got;

	while (argc < 8 && r->args[argc] != NULL)
		argc++;
	got = ssh_args_parse(argc, (char *const *)r->args, &d, &err);
	if (!r->ok) {
		ck_assert_int_eq(got, MTLS_E_INVAL);
		ck_assert_str_ne(err.msg, "");
		return;
	}
	ck_assert_msg(got == 0, "row %d: %s", _i, err.msg);
	ck_assert_int_eq(d.index, r->index);
	ck_assert_int_eq(d.insert, r->insert);
	ck_assert_int_eq(d.batch, r->batch);
	ck_assert_str_eq(d.host, r->host);
	ck_assert_str_eq(d.user, r->user);
}
END_TEST

/* Whether BatchMode was given at all, and -G, which connects nowhere. */
static const struct {
	const char	*args[6];
	int		 batch, given, print;
} flags[] = {
	{ { "h" }, 0, 0, 0 },
	{ { "-o", "BatchMode=no", "h" }, 0, 1, 0 },
	{ { "-oBatchMode=yes", "h" }, 1, 1, 0 },
	{ { "-obatchmode yes", "h" }, 1, 1, 0 },
	{ { "-o", "BatchModeX=yes", "-o", "BatchMode=yes", "h" }, 1, 1, 0 },
	{ { "-G", "h" }, 0, 0, 1 },
	{ { "-vG", "-p", "2222", "h" }, 0, 0, 1 },
	{ { "h", "-G" }, 0, 0, 1 },
	{ { "h", "ls", "-G" }, 0, 0, 0 },	/* the command's */
};

START_TEST(test_flags)
{
	struct ssh_dest d;
	struct mtls_err err = { 0, "" };
	int argc = 0;

	while (argc < 6 && flags[_i].args[argc] != NULL)
		argc++;
	ck_assert_int_eq(ssh_args_parse(argc, (char *const *)flags[_i].args,
	    &d, &err), 0);
	ck_assert_int_eq(d.batch, flags[_i].batch);
	ck_assert_int_eq(d.batch_given, flags[_i].given);
	ck_assert_int_eq(d.print_config, flags[_i].print);
}
END_TEST

/* --- can ssh's configuration name a KnownHostsCommand? (sshconf.h) --- */

static char tmp[64];

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void
setup_tree(void)
{
	char path[256];

	snprintf(tmp, sizeof(tmp), "/tmp/test_sshconf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/.ssh", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sys.d", tmp);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	put("khc.conf", "Host *\n\tKnownHostsCommand /bin/true %H\n");
	put("plain.conf", "Host *\n\tUser x\n");
	put("self.conf", "Include self.conf\n");
	put("sys.d/a.conf", "SendEnv LANG\n");
}

static void
teardown_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

/* Configuration text: 1 where KnownHostsCommand may be set. */
static const struct {
	const char	*text;
	int		 may;
} texts[] = {
	{ "", 0 },
	{ "Host x\n  User y\n", 0 },
	{ "# KnownHostsCommand /bin/x\n", 0 },
	{ "KnownHostsCommand /bin/x %H\n", 1 },
	{ "  knownhostscommand=/bin/x\n", 1 },
	{ "Host *\n\tKNOWNHOSTSCOMMAND /bin/x\n", 1 },
	{ "Include plain.conf\n", 0 },
	{ "Include=plain.conf\n", 0 },
	{ "Include khc.conf\n", 1 },
	{ "Include plain.conf khc.conf\n", 1 },
	{ "Include *.conf\n", 1 },
	{ "Include sys.d/*.conf\n", 0 },
	{ "Include nothere/*.conf\n", 0 },
	{ "Include self.conf\n", 1 },		/* too deep */
	{ "Include \"khc.conf\"\n", 1 },	/* a quote */
	{ "Include %d/x\n", 1 },		/* a token */
	{ "Include ${HOME}/x\n", 1 },
	{ "Include ~other/x\n", 1 },
	{ "Host include-host\n", 1 },	/* cannot tell */
	{ "Match exec \"include x\"\n", 1 },
};

START_TEST(test_conf_text)
{
	ck_assert_msg(ssh_conf_text_may_set_khc(texts[_i].text, tmp, tmp, 0) ==
	    texts[_i].may, "text %d: %s", _i, texts[_i].text);
}
END_TEST

/* Other keywords: BatchMode and HostName, as mtls ssh asks for them. */
static const char *const keys[] = { "knownhostscommand", "batchmode",
    "hostname", NULL };
static const struct {
	const char	*text;
	int		 khc, any;
} keyed[] = {
	{ "Host x\n  User y\n  Port 2\n", 0, 0 },
	{ "Host web\n  HostName web.example.com\n", 0, 1 },
	{ "Host *\n  batchmode=yes\n", 0, 1 },
	{ "CanonicalizeHostname yes\n", 0, 1 },
	{ "# HostName x\n# BatchMode yes\n", 0, 0 },
	{ "KnownHostsCommand /bin/x\n", 1, 1 },
	{ "Include plain.conf\n", 0, 0 },
	{ "Include batch.conf\n", 0, 1 },
};

START_TEST(test_conf_keys)
{
	char sys[256];
	const char *f[] = { "-F", NULL, "host" };
	const char *o[] = { "-o", "HostName=x", "host" };

	put("batch.conf", "BatchMode yes\n");
	put(".ssh/batch.conf", "BatchMode yes\n");	/* -F: from ~/.ssh */
	ck_assert_msg(ssh_conf_text_may_set_khc(keyed[_i].text, tmp, tmp, 0) ==
	    keyed[_i].khc, "text %d: %s", _i, keyed[_i].text);
	ck_assert_msg(ssh_conf_text_may_set(keyed[_i].text, tmp, tmp, 0,
	    keys) == keyed[_i].any, "text %d: %s", _i, keyed[_i].text);
	/* the same text as the -F file */
	put("keyed.conf", keyed[_i].text);
	snprintf(sys, sizeof(sys), "%s/keyed.conf", tmp);
	f[1] = sys;
	ck_assert_int_eq(ssh_conf_may_set(3, (char *const *)f, tmp, sys,
	    keys), keyed[_i].any);
	ck_assert_int_eq(ssh_conf_may_set(3, (char *const *)o, tmp, sys,
	    keys), 1);
}
END_TEST

START_TEST(test_conf_args)
{
	static const char *const plain[] = { "host" };
	static const char *const o[] = { "-o", "KnownHostsCommand=/x", "host" };
	static const char *const oc[] = { "-oknownhostscommand /x", "host" };
	static const char *const inc[] = { "-o", "Include=/x", "host" };
	static const char *const fnull[] = { "-F", "/dev/null", "host" };
	static const char *const fnone[] = { "-vFnone", "host" };
	static const char *const dangling[] = { "-v", "-F" };
	char sys[256], khcf[256];
	const char *fk[] = { "-F", khcf, "host" };

	snprintf(sys, sizeof(sys), "%s/ssh_config", tmp);
	snprintf(khcf, sizeof(khcf), "%s/khc.conf", tmp);
	/* no files at all */
	ck_assert_int_eq(ssh_conf_may_set_khc(1, (char *const *)plain, tmp,
	    sys), 0);
	ck_assert_int_eq(ssh_conf_may_set_khc(1, (char *const *)plain, NULL,
	    sys), 1);
	ck_assert_int_eq(ssh_conf_may_set_khc(3, (char *const *)o, tmp, sys),
	    1);
	ck_assert_int_eq(ssh_conf_may_set_khc(2, (char *const *)oc, tmp, sys),
	    1);
	ck_assert_int_eq(ssh_conf_may_set_khc(3, (char *const *)inc, tmp,
	    sys), 1);
	ck_assert_int_eq(ssh_conf_may_set_khc(2, (char *const *)dangling, tmp,
	    sys), 1);
	ck_assert_int_eq(ssh_conf_may_set_khc(3, (char *const *)fk, tmp, sys),
	    1);
	/* the system's file, through an Include of its directory */
	put("ssh_config", "Include sys.d/*.conf\n");
	ck_assert_int_eq(ssh_conf_may_set_khc(1, (char *const *)plain, tmp,
	    sys), 0);
	put("sys.d/b.conf", "KnownHostsCommand /bin/x\n");
	ck_assert_int_eq(ssh_conf_may_set_khc(1, (char *const *)plain, tmp,
	    sys), 1);
	/* the person's file; -F replaces both */
	put("ssh_config", "");
	put(".ssh/config", "Include ~/khc.conf\n");
	ck_assert_int_eq(ssh_conf_may_set_khc(1, (char *const *)plain, tmp,
	    sys), 1);
	ck_assert_int_eq(ssh_conf_may_set_khc(3, (char *const *)fnull, tmp,
	    sys), 0);
	ck_assert_int_eq(ssh_conf_may_set_khc(2, (char *const *)fnone, tmp,
	    sys), 0);
	put(".ssh/config", "Include ~/plain.conf\n");
	ck_assert_int_eq(ssh_conf_may_set_khc(1, (char *const *)plain, tmp,
	    sys), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sshargs");
	TCase *tc = tcase_create("sshargs");

	tcase_add_loop_test(tc, test_row, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_loop_test(tc, test_flags, 0, sizeof(flags) / sizeof(flags[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("sshconf");
	tcase_add_checked_fixture(tc, setup_tree, teardown_tree);
	tcase_add_loop_test(tc, test_conf_text, 0,
	    sizeof(texts) / sizeof(texts[0]));
	tcase_add_test(tc, test_conf_args);
	tcase_add_loop_test(tc, test_conf_keys, 0,
	    sizeof(keyed) / sizeof(keyed[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(suite());
}
