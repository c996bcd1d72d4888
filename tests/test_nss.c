/*
 * test_nss.c - libnss_mtls.so.2 called as glibc calls it (dlopen and the
 * _nss_mtls_* symbols): lookups, ERANGE at every buffer length,
 * enumeration not reset by point lookups, UNAVAIL for a missing,
 * truncated, corrupt, writable or wrongly owned database, and 8 threads
 * looking up while the database is replaced 1,000 times.
 *
 * NSS_MTLS names the module.  The module reads MTLS_NSS_DB (set here to a
 * file of the test's) and MTLS_NSS_RECHECK_MS=0 (look at the file on every
 * call) once, so each test runs in its own process (libcheck's fork mode).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "db.h"
#include "nss_mtls.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static struct {
	__typeof__(_nss_mtls_getpwnam_r)	*getpwnam_r;
	__typeof__(_nss_mtls_getpwuid_r)	*getpwuid_r;
	__typeof__(_nss_mtls_setpwent)		*setpwent;
	__typeof__(_nss_mtls_getpwent_r)	*getpwent_r;
	__typeof__(_nss_mtls_endpwent)		*endpwent;
	__typeof__(_nss_mtls_getgrnam_r)	*getgrnam_r;
	__typeof__(_nss_mtls_getgrgid_r)	*getgrgid_r;
	__typeof__(_nss_mtls_setgrent)		*setgrent;
	__typeof__(_nss_mtls_getgrent_r)	*getgrent_r;
	__typeof__(_nss_mtls_endgrent)		*endgrent;
	__typeof__(_nss_mtls_initgroups_dyn)	*initgroups_dyn;
} m;

static char dir[64], dbpath[128];

static void
load_module(void)
{
	const char *so = getenv("NSS_MTLS");
	void *h;

	ck_assert_ptr_nonnull(so);
	h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "%s", dlerror());
#define SYM(n) ck_assert_ptr_nonnull(*(void **)&m.n = dlsym(h, "_nss_mtls_" #n))
	SYM(getpwnam_r); SYM(getpwuid_r); SYM(setpwent); SYM(getpwent_r);
	SYM(endpwent); SYM(getgrnam_r); SYM(getgrgid_r); SYM(setgrent);
	SYM(getgrent_r); SYM(endgrent); SYM(initgroups_dyn);
#undef SYM
}

/* Users u0..u(n-1), uid 1900000000+i; gecos tags the version. */
static void
write_db(const char *path, uint32_t n, const char *tag)
{
	struct mtls_db_user_in *u = calloc(n, sizeof(*u));
	char (*names)[16] = calloc(n, 16), (*homes)[32] = calloc(n, 32);
	const char *mem[] = { "u0", "u1", "u2", "u0" };
	struct mtls_db_group_in g[] = {
		{ "g0", 1900000000, mem, 3 },
		{ "g1", 1900000001, mem, 1 },
		{ "g2", 1900000002, NULL, 0 },
	};
	unsigned char *buf = NULL;
	char tmp[256];
	size_t len;
	uint32_t i;
	FILE *f;

	for (i = 0; i < n; i++) {
		snprintf(names[i], 16, "u%u", i);
		snprintf(homes[i], 32, "/home/u%u", i);
		u[i] = (struct mtls_db_user_in){ names[i], 1900000000 + i,
		    1900000000, tag, homes[i], "/bin/sh", NULL, 0 };
	}
	ck_assert_int_eq(mtls_db_build(u, n, g, NROWS(g), &buf, &len), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(tmp, 0644), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
	free(buf);
	free(u);
	free(names);
	free(homes);
}

static void
setup(void)
{
	char *d = tl_mkdtemp();

	snprintf(dir, sizeof(dir), "%s", d);
	free(d);
	snprintf(dbpath, sizeof(dbpath), "%s/identity.db", dir);
	setenv("MTLS_NSS_DB", dbpath, 1);
	setenv("MTLS_NSS_RECHECK_MS", "0", 1);
	write_db(dbpath, 3, "A");
	load_module();
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

START_TEST(lookups)
{
	struct passwd pw;
	struct group gr;
	char buf[1024];
	int e = 0;

	ck_assert_int_eq(m.getpwnam_r("u1", &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_uint_eq(pw.pw_uid, 1900000001);
	ck_assert_uint_eq(pw.pw_gid, 1900000000);
	ck_assert_str_eq(pw.pw_name, "u1");
	ck_assert_str_eq(pw.pw_passwd, "*");
	ck_assert_str_eq(pw.pw_dir, "/home/u1");
	ck_assert_str_eq(pw.pw_shell, "/bin/sh");
	ck_assert_int_eq(m.getpwuid_r(1900000002, &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_name, "u2");
	ck_assert_int_eq(m.getpwnam_r("root", &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(e, ENOENT);
	ck_assert_int_eq(m.getpwuid_r(0, &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(m.getpwuid_r((uid_t)-1, &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(m.getgrnam_r("g0", &gr, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_uint_eq(gr.gr_gid, 1900000000);
	ck_assert_str_eq(gr.gr_mem[0], "u0");
	ck_assert_str_eq(gr.gr_mem[2], "u2");
	ck_assert_ptr_null(gr.gr_mem[3]);
	ck_assert_int_eq(m.getgrgid_r(1900000002, &gr, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(gr.gr_name, "g2");
	ck_assert_ptr_null(gr.gr_mem[0]);
	ck_assert_int_eq(m.getgrnam_r("users", &gr, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
}
END_TEST

START_TEST(groups_of)
{
	gid_t *g = malloc(sizeof(gid_t));
	long start = 1, size = 1;
	int e = 0;

	g[0] = 1900000000;	/* the primary group, already there */
	ck_assert_int_eq(m.initgroups_dyn("u0", 1900000000, &start, &size, &g,
	    0, &e), NSS_STATUS_SUCCESS);
	ck_assert_int_eq(start, 2);
	ck_assert_uint_eq(g[1], 1900000001);
	/* the limit is honoured */
	start = 1;
	ck_assert_int_eq(m.initgroups_dyn("u0", 5, &start, &size, &g, 2, &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_int_eq(start, 2);
	ck_assert_int_le(size, 2);
	start = 0;
	ck_assert_int_eq(m.initgroups_dyn("nobody", 5, &start, &size, &g, 0,
	    &e), NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(start, 0);
	free(g);
}
END_TEST

/* Every buffer length from 0 to the needed size: ERANGE, then success. */
START_TEST(erange)
{
	struct passwd pw;
	struct group gr;
	char *buf;
	size_t len, need = 0;
	int e, st, ok;

	for (len = 0; len < 256; len++) {
		buf = len ? malloc(len) : NULL;	/* exact: ASan sees overruns */
		e = 0;
		st = m.getpwnam_r("u1", &pw, buf, len, &e);
		if (st == NSS_STATUS_SUCCESS) {
			need = need ? need : len;
			ck_assert_str_eq(pw.pw_dir, "/home/u1");
		} else {
			ck_assert_int_eq(st, NSS_STATUS_TRYAGAIN);
			ck_assert_int_eq(e, ERANGE);
			ck_assert_uint_eq(need, 0);
		}
		free(buf);
	}
	ck_assert_uint_eq(need, strlen("u1*1/home/u1/bin/sh") + 5);
	for (len = 0, ok = 0; len < 512; len++) {
		buf = len ? malloc(len) : NULL;
		st = m.getgrgid_r(1900000000, &gr, buf, len, &e);
		if (st == NSS_STATUS_SUCCESS) {
			ok++;
			ck_assert_str_eq(gr.gr_mem[1], "u1");
		} else {
			ck_assert_int_eq(st, NSS_STATUS_TRYAGAIN);
			ck_assert_int_eq(e, ERANGE);
			ck_assert_int_eq(ok, 0);
		}
		free(buf);
	}
	ck_assert_int_gt(ok, 0);
	/* getpwent offers the same entry again after ERANGE */
	ck_assert_int_eq(m.setpwent(0), NSS_STATUS_SUCCESS);
	ck_assert_int_eq(m.getpwent_r(&pw, NULL, 0, &e), NSS_STATUS_TRYAGAIN);
	ck_assert_int_eq(e, ERANGE);
	buf = malloc(256);
	ck_assert_int_eq(m.getpwent_r(&pw, buf, 256, &e), NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_name, "u0");
	free(buf);
	m.endpwent();
}
END_TEST

/* Point lookups in the middle of an enumeration do not reset it. */
START_TEST(enumeration)
{
	struct passwd pw, pw2;
	struct group gr;
	char buf[1024], buf2[1024];
	int e, i;

	ck_assert_int_eq(m.setpwent(0), NSS_STATUS_SUCCESS);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
		ck_assert_uint_eq(pw.pw_uid, 1900000000 + (unsigned)i);
		ck_assert_int_eq(m.getpwnam_r("u0", &pw2, buf2, sizeof(buf2),
		    &e), NSS_STATUS_SUCCESS);
		ck_assert_int_eq(m.getpwuid_r(1900000002, &pw2, buf2,
		    sizeof(buf2), &e), NSS_STATUS_SUCCESS);
		ck_assert_int_eq(m.getgrgid_r(1900000000, &gr, buf2,
		    sizeof(buf2), &e), NSS_STATUS_SUCCESS);
	}
	ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	m.endpwent();
	/* a new enumeration starts over; groups likewise */
	ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_name, "u0");
	m.endpwent();
	ck_assert_int_eq(m.setgrent(0), NSS_STATUS_SUCCESS);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(m.getgrent_r(&gr, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
		ck_assert_uint_eq(gr.gr_gid, 1900000000 + (unsigned)i);
		ck_assert_int_eq(m.getgrnam_r("g2", &gr, buf2, sizeof(buf2),
		    &e), NSS_STATUS_SUCCESS);
	}
	ck_assert_int_eq(m.getgrent_r(&gr, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	m.endgrent();
	/* an enumeration keeps its database when the file is replaced */
	ck_assert_int_eq(m.setpwent(0), NSS_STATUS_SUCCESS);
	write_db(dbpath, 5, "B");
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_gecos, "A");
	ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	m.endpwent();
	ck_assert_int_eq(m.getpwnam_r("u4", &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_gecos, "B");
}
END_TEST

static int
pw_status(const char *name)
{
	struct passwd pw;
	char buf[1024];
	int e = 0;

	return m.getpwnam_r(name, &pw, buf, sizeof(buf), &e);
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *p = malloc(1 << 20);

	ck_assert_ptr_nonnull(f);
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

/* Write bytes over the database (a new file, renamed). */
static void
put_bytes(const void *d, size_t n, mode_t mode)
{
	char tmp[256];
	char *p;

	p = tl_write(dir, "new.db", d, n, mode);
	snprintf(tmp, sizeof(tmp), "%s", p);
	ck_assert_int_eq(rename(tmp, dbpath), 0);
	free(p);
}

START_TEST(unavailable)
{
	unsigned char *good;
	size_t len;
	char *p;
	struct group gr;
	char buf[256];
	long start = 0, size = 0;
	gid_t *g = NULL;
	int e;

	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_SUCCESS);
	p = read_all(dbpath, &len);
	good = (unsigned char *)p;
	/* missing */
	ck_assert_int_eq(unlink(dbpath), 0);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(m.getgrnam_r("g0", &gr, buf, sizeof(buf), &e),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(m.initgroups_dyn("u0", 0, &start, &size, &g, 0, &e),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(m.setpwent(0), NSS_STATUS_UNAVAIL);
	m.endpwent();
	/* back */
	put_bytes(good, len, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_SUCCESS);
	/* truncated */
	put_bytes(good, len / 2, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	/* empty */
	put_bytes(good, 0, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	/* one bit flipped */
	good[len - 10] ^= 4;
	put_bytes(good, len, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	good[len - 10] ^= 4;
	/* writable by group, by others */
	put_bytes(good, len, 0664);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	put_bytes(good, len, 0646);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	/* owned by someone else (needs root to give it away) */
	put_bytes(good, len, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_SUCCESS);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(dbpath, 65534, 65534), 0);
		ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	}
	/* a directory */
	ck_assert_int_eq(unlink(dbpath), 0);
	ck_assert_int_eq(mkdir(dbpath, 0755), 0);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(rmdir(dbpath), 0);
	put_bytes(good, len, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_SUCCESS);
	free(p);
}
END_TEST

/* ---- threads against replacements -------------------------------------- */

#define NUSERS		200
/* MTLS_TEST_QUICK (make valgrind): fewer threads and replacements. */
#define QUICK		(getenv("MTLS_TEST_QUICK") != NULL)
#define NTHREADS	(QUICK ? 2 : 8)
#define NREPLACE	(QUICK ? 50 : 1000)

static atomic_int stop_flag;
static atomic_long n_lookups, n_bad;

static void *
reader(void *arg)
{
	struct passwd pw;
	struct group gr;
	char buf[512], name[16], home[32];
	unsigned x = (unsigned)(uintptr_t)arg * 7919u + 1;
	uint32_t i;
	int e, st;

	while (!atomic_load(&stop_flag)) {
		x = x * 1103515245u + 12345u;
		i = (x >> 8) % NUSERS;
		snprintf(name, sizeof(name), "u%u", i);
		snprintf(home, sizeof(home), "/home/u%u", i);
		if ((x & 1) != 0)
			st = m.getpwnam_r(name, &pw, buf, sizeof(buf), &e);
		else
			st = m.getpwuid_r(1900000000 + i, &pw, buf,
			    sizeof(buf), &e);
		/* every answer is whole and right: one version or the other */
		if (st != NSS_STATUS_SUCCESS || strcmp(pw.pw_name, name) != 0 ||
		    pw.pw_uid != 1900000000 + i ||
		    strcmp(pw.pw_dir, home) != 0 ||
		    (strcmp(pw.pw_gecos, "A") != 0 &&
		    strcmp(pw.pw_gecos, "B") != 0)) {
			if (atomic_fetch_add(&n_bad, 1) < 3)
				fprintf(stderr, "bad: %d %d %s\n", st, e, name);
		}
		if ((st = m.getpwnam_r("nosuchuser", &pw, buf, sizeof(buf),
		    &e)) != NSS_STATUS_NOTFOUND) {
			if (atomic_fetch_add(&n_bad, 1) < 3)
				fprintf(stderr, "bad miss: %d %d\n", st, e);
		}
		if ((st = m.getgrgid_r(1900000001, &gr, buf, sizeof(buf), &e))
		    != NSS_STATUS_SUCCESS || strcmp(gr.gr_name, "g1") != 0) {
			if (atomic_fetch_add(&n_bad, 1) < 3)
				fprintf(stderr, "bad group: %d %d\n", st, e);
		}
		atomic_fetch_add(&n_lookups, 1);
	}
	return NULL;
}

START_TEST(threads_replace)
{
	pthread_t t[8];
	int i;

	write_db(dbpath, NUSERS, "A");
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader,
		    (void *)(uintptr_t)i), 0);
	for (i = 0; i < NREPLACE; i++)
		write_db(dbpath, NUSERS, i % 2 ? "A" : "B");
	atomic_store(&stop_flag, 1);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	long nl = atomic_load(&n_lookups), nb = atomic_load(&n_bad);

	ck_assert_int_gt(nl, NREPLACE);
	ck_assert_int_eq(nb, 0);
}
END_TEST

/*
 * Replacing the database costs no memory: a replaced mapping's struct is
 * reused, not leaked (it cannot be freed while a lookup may still be
 * reading it).  2,000 replacements would leak 384 KB otherwise.
 */
START_TEST(replacements_keep_memory)
{
	struct passwd pw;
	char buf[512];
	size_t before, after;
	int e, i;

	for (i = 0; i < 20; i++) {
		write_db(dbpath, 4, i % 2 ? "A" : "B");
		ck_assert_int_eq(m.getpwnam_r("u1", &pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
	}
	before = mallinfo2().uordblks;
	for (i = 0; i < 2000; i++) {
		write_db(dbpath, 4, i % 2 ? "A" : "B");
		ck_assert_int_eq(m.getpwnam_r("u1", &pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
		ck_assert_str_eq(pw.pw_gecos, i % 2 ? "A" : "B");
	}
	after = mallinfo2().uordblks;
	ck_assert_msg(after < before + 64 * 1024, "heap grew from %zu to %zu "
	    "bytes over 2000 replacements", before, after);
}
END_TEST

static Suite *
nss_suite(void)
{
	Suite *s = suite_create("nss");
	TCase *tc = tcase_create("module");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, lookups);
	tcase_add_test(tc, groups_of);
	tcase_add_test(tc, erange);
	tcase_add_test(tc, enumeration);
	tcase_add_test(tc, unavailable);
	tcase_add_test(tc, threads_replace);
	tcase_add_test(tc, replacements_keep_memory);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(nss_suite());
}
