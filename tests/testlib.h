/*
 * testlib.h - small helpers shared by the libcheck unit tests.
 */
#ifndef MTLS_TESTLIB_H
#define MTLS_TESTLIB_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The generated test PKI (see fixtures.h); set by the Makefile. */
static inline const char *
fixtures_dir(void)
{
	const char *d = getenv("FIXTURES");

	return d != NULL ? d : "tests/fixtures";
}

/* FIXTURES/name in a static buffer (one at a time). */
static inline const char *
fx(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", fixtures_dir(), name);
	return buf;
}

/* The fingerprint of a fixture, from fixtures.txt (lower-case hex). */
static inline void
tl_fixture_fp(const char *file, char *out, size_t size)
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

/* A fresh private directory for one test; removed by tl_rmdir(). */
static inline char *
tl_mkdtemp(void)
{
	char tmpl[] = "/tmp/mtls-test.XXXXXX", *d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

/* Write len bytes to dir/name with mode; returns the path (malloc'd). */
static inline char *
tl_write(const char *dir, const char *name, const void *data, size_t len,
    mode_t mode)
{
	char *path = NULL;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static inline void
tl_rmdir(char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

/*
 * A directory per test case, made and removed by an unchecked fixture
 * (tcase_add_unchecked_fixture(tc, tl_case_setup, tl_case_teardown)) in
 * the parent process, so that it goes even when a forked test fails.
 */
static char *tl_case_dir;

static inline void
tl_case_setup(void)
{
	tl_case_dir = tl_mkdtemp();
}

static inline void
tl_case_teardown(void)
{
	tl_rmdir(tl_case_dir);
	tl_case_dir = NULL;
}

/* A fresh subdirectory of the case directory for one row (malloc'd). */
static inline char *
tl_row_dir(const char *test, int row)
{
	char *d = NULL;

	ck_assert_ptr_nonnull(tl_case_dir);
	ck_assert_int_ge(asprintf(&d, "%s/%s-%d", tl_case_dir, test, row), 0);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	return d;
}

/* Run a suite; exit status for the automake test driver. */
static inline int
tl_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#endif /* MTLS_TESTLIB_H */
