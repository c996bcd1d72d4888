/*
 * nss_bench.c - what a lookup costs through libnss_mtls.so.2, through
 * glibc and by direct call, at 1k, 10k, 100k and 1M users, beside glibc's
 * own nss_files on the same users in the same run; the cold first lookup
 * of a fresh process; bytes per user; and `mtls db build` time.
 *
 * Then what a whole fresh process costs that looks one user up, as a
 * login or a script does: `getent passwd U` and `id U` (U in the middle
 * of the users) run by fork and exec from bench/fresh_run, the median
 * wall time of up to FRESH_ROUNDS runs and the median peak RSS (wait4's
 * ru_maxrss: the child's own, what getrusage(RUSAGE_CHILDREN) gives for a
 * single child), through
 * mtls, nss_files and Debian's libnss-cache (libnss_cache.so.2, whose
 * /etc/passwd.cache, /etc/group.cache and their sorted indexes this
 * writes) on the same users, beside /bin/true as the floor; getent also
 * with the page cache of the files it reads dropped first ("cold").
 *
 * Needs root: each configuration runs in a child process with a private
 * mount namespace in which /etc/nsswitch.conf (and, for nss_files,
 * /etc/passwd and /etc/group) are bind mounts of generated files, and
 * for libnss-cache a read-only overlay puts the cache files into /etc.
 * The host's files are never changed.  Usage (make bench does this):
 *
 *	nss_bench MODULE.so.2 MTLS [SIZES...]
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "measure.h"
#include "db.h"

#define BASE_ID	1900000000u

static char dir[] = "/tmp/mtls-bench.XXXXXX";
static const char *module;

static void
write_file(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(d, 1, n, f) != n || fclose(f) != 0)
		die(path);
	chmod(path, 0644);
}

/* The database of n users (u0..), each in group g(i % 100). */
static size_t
make_db(uint32_t n, const char *path, double *secs)
{
	struct mtls_db_user_in *u = calloc(n, sizeof(*u));
	struct mtls_db_group_in g[100];
	char *names = malloc((size_t)n * 12), *homes = malloc((size_t)n * 20);
	const char **mem = calloc(n, sizeof(*mem));
	unsigned char *buf;
	size_t len, k = 0;
	uint32_t i, j;
	char gn[100][8];
	double t0;

	if (u == NULL || names == NULL || homes == NULL || mem == NULL)
		die("calloc");
	for (i = 0; i < n; i++) {
		snprintf(names + (size_t)i * 12, 12, "u%u", i);
		snprintf(homes + (size_t)i * 20, 20, "/home/u%u", i);
		u[i] = (struct mtls_db_user_in){ names + (size_t)i * 12,
		    BASE_ID + i, BASE_ID + i % 100, "", homes + (size_t)i * 20,
		    "/bin/sh", NULL, 0 };
	}
	for (j = 0; j < 100; j++) {
		snprintf(gn[j], sizeof(gn[j]), "g%u", j);
		g[j].name = gn[j];
		g[j].gid = BASE_ID + j;
		g[j].members = mem + k;
		g[j].n_members = 0;
		for (i = j; i < n; i += 100) {
			mem[k++] = names + (size_t)i * 12;
			g[j].n_members++;
		}
	}
	t0 = now();
	if (mtls_db_build(u, n, g, 100, &buf, &len) != 0)
		die("mtls_db_build");
	*secs = now() - t0;
	write_file(path, buf, len);
	free(buf);
	free(u);
	free(names);
	free(homes);
	free(mem);
	return len;
}

/* passwd and group files: the host's, then n users in the same shape. */
static void
make_files(uint32_t n, const char *pw, const char *gr)
{
	FILE *f, *h;
	char line[1024];
	uint32_t i;

	if ((f = fopen(pw, "w")) == NULL || (h = fopen("/etc/passwd", "r")) ==
	    NULL)
		die("passwd");
	while (fgets(line, sizeof(line), h) != NULL)
		fputs(line, f);
	fclose(h);
	for (i = 0; i < n; i++)
		fprintf(f, "u%u:*:%u:%u::/home/u%u:/bin/sh\n", i, BASE_ID + i,
		    BASE_ID + i % 100, i);
	fclose(f);
	if ((f = fopen(gr, "w")) == NULL || (h = fopen("/etc/group", "r")) ==
	    NULL)
		die("group");
	while (fgets(line, sizeof(line), h) != NULL)
		fputs(line, f);
	fclose(h);
	for (i = 0; i < 100; i++) {
		uint32_t k;

		fprintf(f, "g%u:x:%u:", i, BASE_ID + i);
		for (k = i; k < n; k += 100)
			fprintf(f, "%su%u", k == i ? "" : ",", k);
		fprintf(f, "\n");
	}
	fclose(f);
}

static void
bind(const char *src, const char *dst)
{
	if (mount(src, dst, NULL, MS_BIND, NULL) != 0)
		die(dst);
}

static void
private_ns(void)
{
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		die("unshare");
}

/* ns per call of fn over iterations or at most max_s seconds. */
typedef int (*op_fn)(uint32_t i, void *ctx);

static double
measure(op_fn fn, void *ctx, uint32_t n, long iters, double max_s)
{
	double t0 = now(), t;
	long i;
	uint32_t x = 2463534242u;

	for (i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (fn(x % n, ctx) != 0) {
			fprintf(stderr, "a lookup failed\n");
			exit(2);
		}
		if ((i & 15) == 15 && (t = now() - t0) > max_s)
			return t / (double)(i + 1) * 1e9;
	}
	return (now() - t0) / (double)iters * 1e9;
}

static int
g_pwnam(uint32_t i, void *ctx)
{
	struct passwd pw, *res;
	char buf[1024], name[16];

	snprintf(name, sizeof(name), "u%u", i);
	return getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL;
}

static int
g_pwuid(uint32_t i, void *ctx)
{
	struct passwd pw, *res;
	char buf[1024];

	return getpwuid_r(BASE_ID + i, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL;
}

static int
g_miss(uint32_t i, void *ctx)
{
	struct passwd pw, *res;
	char buf[1024], name[16];

	snprintf(name, sizeof(name), "x%u", i);
	return getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 ||
	    res != NULL;
}

static int
g_root(uint32_t i, void *ctx)
{
	struct passwd pw, *res;
	char buf[1024];

	return getpwnam_r("root", &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL;
}

static int
g_grgid(uint32_t i, void *ctx)
{
	struct group gr, *res;
	static char *buf;
	size_t len = (size_t)16 << 20;

	if (buf == NULL && (buf = malloc(len)) == NULL)
		return 1;
	return getgrgid_r(BASE_ID + i % 100, &gr, buf, len, &res) != 0 ||
	    res == NULL;
}

static int
g_initgroups(uint32_t i, void *ctx)
{
	gid_t groups[64];
	int n = 64;
	char name[16];

	snprintf(name, sizeof(name), "u%u", i);
	return getgrouplist(name, BASE_ID + i % 100, groups, &n) < 0;
}

struct direct {
	enum nss_status (*pwnam)(const char *, struct passwd *, char *,
	    size_t, int *);
	enum nss_status (*pwuid)(uid_t, struct passwd *, char *, size_t,
	    int *);
	enum nss_status (*grgid)(gid_t, struct group *, char *, size_t,
	    int *);
	enum nss_status (*initgroups)(const char *, gid_t, long *, long *,
	    gid_t **, long, int *);
};

static int
d_pwnam(uint32_t i, void *ctx)
{
	struct direct *d = ctx;
	struct passwd pw;
	char buf[1024], name[16];
	int e;

	snprintf(name, sizeof(name), "u%u", i);
	return d->pwnam(name, &pw, buf, sizeof(buf), &e) != NSS_STATUS_SUCCESS;
}

static int
d_pwuid(uint32_t i, void *ctx)
{
	struct direct *d = ctx;
	struct passwd pw;
	char buf[1024];
	int e;

	return d->pwuid(BASE_ID + i, &pw, buf, sizeof(buf), &e) !=
	    NSS_STATUS_SUCCESS;
}

static int
d_miss(uint32_t i, void *ctx)
{
	struct direct *d = ctx;
	struct passwd pw;
	char buf[1024], name[16];
	int e;

	snprintf(name, sizeof(name), "x%u", i);
	return d->pwnam(name, &pw, buf, sizeof(buf), &e) !=
	    NSS_STATUS_NOTFOUND;
}

static int
d_grgid(uint32_t i, void *ctx)
{
	struct direct *d = ctx;
	struct group gr;
	static char *buf;
	size_t len = (size_t)16 << 20;
	int e;

	if (buf == NULL && (buf = malloc(len)) == NULL)
		return 1;
	return d->grgid(BASE_ID + i % 100, &gr, buf, len, &e) !=
	    NSS_STATUS_SUCCESS;
}

static int
d_initgroups(uint32_t i, void *ctx)
{
	struct direct *d = ctx;
	gid_t *g = malloc(16 * sizeof(gid_t));
	long start = 0, size = 16;
	char name[16];
	int e, r;

	snprintf(name, sizeof(name), "u%u", i);
	r = d->initgroups(name, 0, &start, &size, &g, 0, &e) !=
	    NSS_STATUS_SUCCESS;
	free(g);
	return r;
}

static void
write_nsswitch(const char *path, const char *src)
{
	char text[256];

	snprintf(text, sizeof(text), "passwd: %s\ngroup: %s\n", src, src);
	write_file(path, text, strlen(text));
}

/* Child: through glibc with "files mtls", then by direct call. */
static void
run_mtls(uint32_t n, const char *db, const char *sw)
{
	struct direct d;
	void *h;
	double t0, cold;
	struct passwd pw, *res;
	char buf[1024];

	private_ns();
	bind(sw, "/etc/nsswitch.conf");
	setenv("MTLS_NSS_DB", db, 1);
	t0 = now();
	if (getpwnam_r("u1", &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
		fprintf(stderr, "mtls lookup failed: is LD_LIBRARY_PATH set?\n");
		exit(2);
	}
	cold = (now() - t0) * 1e6;
	printf("%8u  %-22s %9.0f us\n", n, "cold first lookup", cold);
	printf("%8u  %-22s %9.0f ns\n", n, "glibc fixed (root)",
	    measure(g_root, NULL, n, 200000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "glibc+mtls getpwnam",
	    measure(g_pwnam, NULL, n, 200000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "glibc+mtls getpwuid",
	    measure(g_pwuid, NULL, n, 200000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "glibc+mtls miss",
	    measure(g_miss, NULL, n, 200000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "glibc+mtls getgrgid",
	    measure(g_grgid, NULL, n, 20000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "glibc+mtls initgroups",
	    measure(g_initgroups, NULL, n, 100000, 1.0));
	if ((h = dlopen(module, RTLD_NOW)) == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		exit(2);
	}
	*(void **)&d.pwnam = dlsym(h, "_nss_mtls_getpwnam_r");
	*(void **)&d.pwuid = dlsym(h, "_nss_mtls_getpwuid_r");
	*(void **)&d.grgid = dlsym(h, "_nss_mtls_getgrgid_r");
	*(void **)&d.initgroups = dlsym(h, "_nss_mtls_initgroups_dyn");
	printf("%8u  %-22s %9.0f ns\n", n, "direct getpwnam",
	    measure(d_pwnam, &d, n, 2000000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "direct getpwuid",
	    measure(d_pwuid, &d, n, 2000000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "direct miss",
	    measure(d_miss, &d, n, 2000000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "direct getgrgid",
	    measure(d_grgid, &d, n, 20000, 1.0));
	printf("%8u  %-22s %9.0f ns\n", n, "direct initgroups",
	    measure(d_initgroups, &d, n, 1000000, 1.0));
	exit(0);
}

/* Child: glibc's nss_files on the same users. */
static void
run_files(uint32_t n, const char *pw, const char *gr, const char *sw)
{
	private_ns();
	bind(sw, "/etc/nsswitch.conf");
	bind(pw, "/etc/passwd");
	bind(gr, "/etc/group");
	printf("%8u  %-22s %9.0f ns\n", n, "glibc files getpwnam",
	    measure(g_pwnam, NULL, n, 200000, 2.0));
	printf("%8u  %-22s %9.0f ns\n", n, "glibc files getpwuid",
	    measure(g_pwuid, NULL, n, 200000, 2.0));
	exit(0);
}

static void
in_child(void (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0)
		fn();
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "nss_bench: a measurement failed\n");
		exit(2);
	}
}

static uint32_t cur_n;
static char p_db[256], p_pw[256], p_gr[256], p_sw_m[256], p_sw_f[256];
static char p_cache[256], p_sw_c[256];

static void
child_mtls(void)
{
	run_mtls(cur_n, p_db, p_sw_m);
}

static void
child_files(void)
{
	run_files(cur_n, p_pw, p_gr, p_sw_f);
}

/* ---- a fresh process that looks one user up ---------------------------- */

/*
 * The four configurations take turns, a run of each in a round, so that
 * what else the machine does at a moment weighs on all of them alike.
 */
#define FRESH_ROUNDS	15	/* at most; FRESH_MIN_ROUNDS at least */
#define FRESH_MIN_ROUNDS 5
#define FRESH_SECS	15.0	/* a kind's rounds, beyond which none more */

enum { C_TRUE, C_MTLS, C_FILES, C_CACHE, N_CFG };
enum { K_GETENT, K_COLD, K_ID, N_KIND };

static const char *const cfg_name[N_CFG] = { "/bin/true", "mtls", "files",
    "libnss-cache" };
static const char *const kind_name[N_KIND] = { "getent passwd",
    "getent, cold", "id" };

struct fresh {
	double	ms;		/* wall time */
	double	kb;		/* peak RSS */
};

static char fresh_run[300];	/* bench/fresh_run, beside this program */
static struct fresh *sample;	/* shared: what the last child measured */
static int cur_cfg, cur_kind;

/*
 * argv[0] as a fresh process, measured by fresh_run (see there why not
 * from here), after dropping the page cache of the files in cold.
 */
static struct fresh
run_fresh(char *const argv[], const char *const *cold)
{
	char *av[64], out[128];
	struct fresh f = { 0, 0 };
	int fds[2], n = 0, st;
	ssize_t r;
	pid_t pid;

	av[n++] = fresh_run;
	av[n++] = (char *)"1";
	av[n++] = (char *)"1";
	av[n++] = (char *)"0";
	for (; cold != NULL && *cold != NULL && n < 40; cold++) {
		av[n++] = (char *)"-c";
		av[n++] = (char *)*cold;
	}
	av[n++] = (char *)"--";
	for (; *argv != NULL && n < 63; argv++)
		av[n++] = *argv;
	av[n] = NULL;
	if (pipe(fds) != 0 || (pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execv(fresh_run, av);
		_exit(127);
	}
	close(fds[1]);
	r = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0 || r <= 0) {
		fprintf(stderr, "nss_bench: %s failed\n", fresh_run);
		exit(2);
	}
	out[r] = '\0';
	if (sscanf(out, "%lf %lf", &f.ms, &f.kb) != 2)
		die("fresh_run output");
	return f;
}

/* Child: enter configuration cur_cfg, measure one run of cur_kind. */
static void
child_fresh(void)
{
	static const char *sfx[] = { "passwd.cache", "passwd.cache.ixname",
	    "passwd.cache.ixuid", "group.cache", "group.cache.ixname",
	    "group.cache.ixgid" };
	char user[16], opts[512], f[6][300], p_getent[] = "/usr/bin/getent",
	    passwd[] = "passwd", p_id[] = "/usr/bin/id", p_true[] = "/bin/true";
	char *getent[] = { p_getent, passwd, user, NULL };
	char *id[] = { p_id, user, NULL }, *tru[] = { p_true, NULL };
	const char *cold[8] = { NULL };
	int i;

	snprintf(user, sizeof(user), "u%u", cur_n / 2);
	switch (cur_cfg) {
	case C_TRUE:
		*sample = run_fresh(tru, NULL);
		exit(0);
	case C_MTLS:
		private_ns();
		bind(p_sw_m, "/etc/nsswitch.conf");
		setenv("MTLS_NSS_DB", p_db, 1);
		cold[0] = p_db;
		break;
	case C_FILES:
		private_ns();
		bind(p_sw_f, "/etc/nsswitch.conf");
		bind(p_pw, "/etc/passwd");
		bind(p_gr, "/etc/group");
		cold[0] = p_pw;
		cold[1] = p_gr;
		break;
	case C_CACHE:
		for (i = 0; i < 6; i++) {
			snprintf(f[i], sizeof(f[i]), "%s/%s", p_cache, sfx[i]);
			cold[i] = f[i];
		}
		private_ns();
		/* the cache files appear in /etc, over it, read-only */
		snprintf(opts, sizeof(opts), "lowerdir=%s:/etc", p_cache);
		if (mount("overlay", "/etc", "overlay", MS_RDONLY, opts) != 0)
			die("overlay on /etc");
		bind(p_sw_c, "/etc/nsswitch.conf");
		break;
	}
	*sample = run_fresh(cur_kind == K_ID ? id : getent,
	    cur_kind == K_COLD ? cold : NULL);
	exit(0);
}

/* Each kind of measurement in rounds; the medians printed. */
static void
fresh_lookups(uint32_t n)
{
	double t[N_CFG][FRESH_ROUNDS], kb[N_CFG][FRESH_ROUNDS], start;
	int k, c, r, c0, n_cfg = N_CFG;
	void *h;

	/* libnss-cache is the package's to install (scripts/install-deps) */
	if ((h = dlopen("libnss_cache.so.2", RTLD_LAZY)) == NULL) {
		printf("%8u  libnss-cache is not installed: left out\n", n);
		n_cfg = C_CACHE;
	} else
		dlclose(h);
	for (k = 0; k < N_KIND; k++) {
		/* /bin/true, the floor, beside getent only */
		c0 = k == K_GETENT ? C_TRUE : C_MTLS;
		start = now();
		for (r = 0; r < FRESH_ROUNDS; r++) {
			if (r >= FRESH_MIN_ROUNDS && now() - start > FRESH_SECS)
				break;
			for (c = c0; c < n_cfg; c++) {
				cur_cfg = c;
				cur_kind = k;
				in_child(child_fresh);
				t[c][r] = sample->ms;
				kb[c][r] = sample->kb;
			}
		}
		for (c = c0; c < n_cfg; c++) {
			qsort(t[c], (size_t)r, sizeof(double), cmp_double);
			qsort(kb[c], (size_t)r, sizeof(double), cmp_double);
			printf("%8u  fresh %-12s %-14s %8.2f ms %6.1f MB  "
			    "(%d runs)\n", n, cfg_name[c], kind_name[k],
			    t[c][r / 2], kb[c][r / 2] / 1024, r);
		}
		fflush(stdout);
	}
}

/* A sorted index of libnss-cache: fixed-width lines "key\0offset\0...\n". */
struct ixent {
	char	key[16];
	long	off;
};

static int
ixent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ixent *)a)->key,
	    ((const struct ixent *)b)->key);
}

static void
write_index(const char *path, struct ixent *e, size_t n)
{
	char line[64];
	size_t i, w = 0, l;
	FILE *f;

	qsort(e, n, sizeof(*e), ixent_cmp);
	for (i = 0; i < n; i++) {
		l = (size_t)snprintf(line, sizeof(line), "%s%c%ld", e[i].key,
		    0, e[i].off) + 1;
		if (l > w)
			w = l;
	}
	if ((f = fopen(path, "w")) == NULL)
		die(path);
	for (i = 0; i < n; i++) {
		memset(line, 0, sizeof(line));
		snprintf(line, sizeof(line), "%s%c%ld", e[i].key, 0,
		    e[i].off);
		line[w] = '\n';
		if (fwrite(line, 1, w + 1, f) != w + 1)
			die(path);
	}
	if (fclose(f) != 0)
		die(path);
	chmod(path, 0644);
}

/* libnss-cache's files for the same n users and 100 groups. */
static void
make_cache(uint32_t n)
{
	struct ixent *byname = calloc(n, sizeof(*byname)),
	    *byid = calloc(n, sizeof(*byid)), gname[100], gid[100];
	char path[300], ix[320];
	uint32_t i, k;
	FILE *f;

	if (byname == NULL || byid == NULL)
		die("calloc");
	snprintf(path, sizeof(path), "%s/passwd.cache", p_cache);
	if ((f = fopen(path, "w")) == NULL)
		die(path);
	for (i = 0; i < n; i++) {
		byname[i].off = byid[i].off = ftell(f);
		snprintf(byname[i].key, sizeof(byname[i].key), "u%u", i);
		snprintf(byid[i].key, sizeof(byid[i].key), "%u", BASE_ID + i);
		fprintf(f, "u%u:*:%u:%u::/home/u%u:/bin/sh\n", i, BASE_ID + i,
		    BASE_ID + i % 100, i);
	}
	if (fclose(f) != 0)
		die(path);
	chmod(path, 0644);
	/* the indexes after the file: libnss-cache ignores older ones */
	snprintf(ix, sizeof(ix), "%s.ixname", path);
	write_index(ix, byname, n);
	snprintf(ix, sizeof(ix), "%s.ixuid", path);
	write_index(ix, byid, n);
	snprintf(path, sizeof(path), "%s/group.cache", p_cache);
	if ((f = fopen(path, "w")) == NULL)
		die(path);
	for (i = 0; i < 100; i++) {
		gname[i].off = gid[i].off = ftell(f);
		snprintf(gname[i].key, sizeof(gname[i].key), "g%u", i);
		snprintf(gid[i].key, sizeof(gid[i].key), "%u", BASE_ID + i);
		fprintf(f, "g%u:x:%u:", i, BASE_ID + i);
		for (k = i; k < n; k += 100)
			fprintf(f, "%su%u", k == i ? "" : ",", k);
		fprintf(f, "\n");
	}
	if (fclose(f) != 0)
		die(path);
	chmod(path, 0644);
	snprintf(ix, sizeof(ix), "%s.ixname", path);
	write_index(ix, gname, 100);
	snprintf(ix, sizeof(ix), "%s.ixgid", path);
	write_index(ix, gid, 100);
	free(byname);
	free(byid);
}

/* `mtls db build` on generated sources of n users. */
static void
time_tool(const char *mtls, uint32_t n)
{
	char cmd[1024], users[256], groups[256];
	FILE *f;
	uint32_t i;
	double t0;

	snprintf(users, sizeof(users), "%s/users", dir);
	snprintf(groups, sizeof(groups), "%s/groups", dir);
	if ((f = fopen(users, "w")) == NULL)
		die(users);
	for (i = 0; i < n; i++)
		fprintf(f, "user u%u\n\tuid %u\n\tgid %u\n\thome /home/u%u\n"
		    "\tshell /bin/sh\n\tprincipal email u%u@example.org\n", i,
		    BASE_ID + i, BASE_ID, i, i);
	fclose(f);
	chmod(users, 0644);
	write_file(groups, "group g0\n\tgid 1900000000\n", 26);
	snprintf(cmd, sizeof(cmd), "%s db build -q --users %s --groups %s "
	    "--db %s/tool.db", mtls, users, groups, dir);
	t0 = now();
	if (system(cmd) != 0)
		die("mtls db build");
	printf("%8u  %-22s %9.3f s\n", n, "mtls db build (tool)", now() - t0);
}

int
main(int argc, char **argv)
{
	static const uint32_t def[] = { 1000, 10000, 100000, 1000000 };
	uint32_t sizes[8];
	size_t ns = 0, i, len;
	double bsecs;

	if (argc < 3) {
		fprintf(stderr, "usage: nss_bench MODULE.so.2 MTLS [SIZES...]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "nss_bench: needs root (mount namespaces)\n");
		return 77;
	}
	module = argv[1];
	for (i = 3; i < (size_t)argc && ns < 8; i++)
		sizes[ns++] = (uint32_t)strtoul(argv[i], NULL, 10);
	if (ns == 0)
		for (ns = 0; ns < 4; ns++)
			sizes[ns] = def[ns];
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	chmod(dir, 0755);
	sample = mmap(NULL, sizeof(*sample), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sample == MAP_FAILED)
		die("mmap");
	len = (size_t)readlink("/proc/self/exe", fresh_run,
	    sizeof(fresh_run) - 16);
	if (len >= sizeof(fresh_run) - 16 || strrchr(fresh_run, '/') == NULL)
		die("/proc/self/exe");
	fresh_run[len] = '\0';
	strcpy(strrchr(fresh_run, '/') + 1, "fresh_run");
	snprintf(p_db, sizeof(p_db), "%s/identity.db", dir);
	snprintf(p_pw, sizeof(p_pw), "%s/passwd", dir);
	snprintf(p_gr, sizeof(p_gr), "%s/group", dir);
	snprintf(p_sw_m, sizeof(p_sw_m), "%s/nsswitch.mtls", dir);
	snprintf(p_sw_f, sizeof(p_sw_f), "%s/nsswitch.files", dir);
	snprintf(p_sw_c, sizeof(p_sw_c), "%s/nsswitch.cache", dir);
	snprintf(p_cache, sizeof(p_cache), "%s/cache", dir);
	if (mkdir(p_cache, 0755) != 0)
		die(p_cache);
	write_nsswitch(p_sw_m, "files mtls");
	write_nsswitch(p_sw_f, "files");
	write_nsswitch(p_sw_c, "files cache");
	printf("   users  measurement              per call\n");
	for (i = 0; i < ns; i++) {
		cur_n = sizes[i];
		len = make_db(cur_n, p_db, &bsecs);
		printf("%8u  %-22s %9.1f B  (%zu bytes)\n", cur_n,
		    "database per user", (double)len / cur_n, len);
		printf("%8u  %-22s %9.3f s\n", cur_n, "layout (library)",
		    bsecs);
		in_child(child_mtls);
		make_files(cur_n, p_pw, p_gr);
		in_child(child_files);
		if (cur_n == 100000)
			time_tool(argv[2], cur_n);
		/* a fresh process, one lookup: the floor, then each module */
		make_cache(cur_n);
		fresh_lookups(cur_n);
	}
	snprintf(p_db, sizeof(p_db), "rm -rf %s", dir);
	if (system(p_db) != 0)
		fprintf(stderr, "nss_bench: cannot remove %s\n", dir);
	return 0;
}
