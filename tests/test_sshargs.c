/*
 * test_sshargs.c - finding the destination on ssh's command line.
 */
#include "config.h"

#include "sshargs.h"
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

static Suite *
suite(void)
{
	Suite *s = suite_create("sshargs");
	TCase *tc = tcase_create("sshargs");

	tcase_add_loop_test(tc, test_row, 0, sizeof(rows) / sizeof(rows[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(suite());
}
