/*
 * crl_bench.c - what a large CRL costs to take in: `mtls crl update`,
 * and a login that finds no current index, against GnuTLS parsing the
 * same CRL whole (gnutls_x509_crl_import and gnutls_x509_crl_verify, the
 * named baseline) and mtls's own whole parse of before (the same
 * verifier with the one-pass read turned off), on the same machine in
 * the same run.
 *
 *   crl_bench MTLS MKCRL [COUNT [ROUNDS]]
 *
 * It makes a throwaway CA with MTLS (`mtls ca init`, ECDSA P-256) and,
 * with MKCRL (tests/mkcrl; not timed), a CRL of COUNT revoked serials
 * (default 1000000) of 16 octets, twice: as PEM listed in order, as
 * `mtls ca crl` writes it, and as DER listed in reverse, which the
 * serial array must sort.  Each measurement is one child process: wall
 * time and its peak RSS (getrusage of the child); the median wall time
 * and the largest peak of ROUNDS rounds (default 3) are printed, the
 * scenarios interleaved within a round so that a busy spell of a shared
 * machine falls on all alike.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "bench.h"
#include "conf.h"
#include "verify.h"
#include "verify_int.h"

#define MAX_ROUNDS	15

enum scenario {
	S_UPDATE_PEM, S_UPDATE_DER, S_LOGIN_FRESH, S_LOGIN_INDEXED,
	S_WHOLE, S_GNUTLS, N_SCENARIOS
};

static const char *const names[N_SCENARIOS] = {
	"mtls crl update (PEM, in order)",
	"mtls crl update (DER, reversed)",
	"login, no index (builds it)",
	"login, index current",
	"mtls whole parse (before)",
	"GnuTLS import + verify",
};

static const char *mtls_bin;
static char dir[64];		/* the mkdtemp directory */

/* Remove the index files, so that the next reader builds them. */
static void
clear_cache(void)
{
	sh("rm -f %s/cache/crl-*", dir);
}

static void
write_conf(const char *name, const char *crl)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		die("%s", path);
	fprintf(f, "trust_anchor %s/ca/ca.pem\ncrl %s/%s\ncrl_cache %s/cache\n",
	    dir, dir, crl, dir);
	if (fclose(f) != 0 || chmod(path, 0644) != 0)
		die("%s", path);
}

static void
no_problem(void *ctx, int code, const char *msg)
{
	(void)ctx;
	die("the CRL cannot be used: %s (%d)", msg, code);
}

/* A verifier of configuration name, as a login (bounded) or not. */
static void
load(const char *name, int login, int stream)
{
	struct mtls_conf *c = NULL;
	struct mtls_verifier *v = NULL;
	struct mtls_err err = { 0, "" };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mtls_conf_load(path, &c, &err) != 0)
		die("%s", mtls_err_msg(&err));
	if (login)
		c->crl_whole_max = MTLS_CRL_LOGIN_WHOLE_MAX;
	mtls_vfy_crl_stream = stream;
	if (mtls_verifier_new(c, &v, &err) != 0)
		die("%s", mtls_err_msg(&err));
	(void)mtls_verifier_problems(v, time(NULL), no_problem, NULL);
	mtls_verifier_free(v);
	mtls_conf_free(c);
}

/* The baseline: GnuTLS parses the CRL whole and verifies it. */
static void
gnutls_whole(void)
{
	gnutls_x509_crl_t crl;
	gnutls_x509_crt_t ca;
	gnutls_datum_t d, p;
	char path[PATH_MAX];
	unsigned st = 0;

	snprintf(path, sizeof(path), "%s/ca/ca.pem", dir);
	if (gnutls_load_file(path, &p) < 0 || gnutls_x509_crt_init(&ca) < 0 ||
	    gnutls_x509_crt_import(ca, &p, GNUTLS_X509_FMT_PEM) < 0)
		die("%s", path);
	snprintf(path, sizeof(path), "%s/reversed.der", dir);
	if (gnutls_load_file(path, &d) < 0 || gnutls_x509_crl_init(&crl) < 0 ||
	    gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crl_verify(crl, &ca, 1, 0, &st) < 0 || st != 0)
		die("GnuTLS: the CRL does not verify");
	gnutls_x509_crl_deinit(crl);
	gnutls_x509_crt_deinit(ca);
	gnutls_free(d.data);
	gnutls_free(p.data);
}

static void
child(enum scenario s)
{
	char conf[PATH_MAX];

	switch (s) {
	case S_UPDATE_PEM:
	case S_UPDATE_DER:
		snprintf(conf, sizeof(conf), "%s/%s", dir, s == S_UPDATE_PEM ?
		    "pem.conf" : "der.conf");
		execl(mtls_bin, "mtls", "crl", "update", "--config", conf,
		    "--force", (char *)NULL);
		_exit(127);
	case S_LOGIN_FRESH:
	case S_LOGIN_INDEXED:
		load("pem.conf", 1, 1);
		break;
	case S_WHOLE:
		load("der.conf", 0, 0);
		break;
	case S_GNUTLS:
		gnutls_whole();
		break;
	default:
		break;
	}
	_exit(0);
}

/* One child: wall seconds, *rss_kb its peak RSS. */
static double
measure(enum scenario s, long *rss_kb)
{
	struct timespec a, b;
	struct rusage ru;
	pid_t pid;
	int st;

	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		/* mtls crl update prints a line per file */
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		child(s);
	}
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		die("%s failed", names[s]);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*rss_kb = ru.ru_maxrss;
	return (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static double wall[N_SCENARIOS][MAX_ROUNDS];
	long rss[N_SCENARIOS] = { 0 }, kb;
	unsigned long count = 1000000;
	unsigned rounds = 3, r, s;
	char tmpl[] = "/tmp/mtls-crl-bench.XXXXXX";
	struct stat st;
	double base;

	if (argc < 3) {
		fprintf(stderr, "usage: crl_bench MTLS MKCRL [COUNT [ROUNDS]]\n");
		return 2;
	}
	mtls_bin = argv[1];
	if (argc > 3)
		count = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		rounds = (unsigned)strtoul(argv[4], NULL, 10);
	if (rounds == 0 || rounds > MAX_ROUNDS)
		rounds = 3;
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp");
	snprintf(dir, sizeof(dir), "%s", tmpl);
	if (chmod(dir, 0755) != 0)
		die("chmod");
	sh("%s ca init %s/ca --name 'Bench Root' --org Bench >/dev/null",
	    mtls_bin, dir);
	sh("mkdir -m 0755 %s/cache", dir);
	sh("%s %s/ca/ca.pem %s/ca/ca.key %lu %s/inorder.pem", argv[2], dir,
	    dir, count, dir);
	sh("%s --der --unsorted %s/ca/ca.pem %s/ca/ca.key %lu %s/reversed.der",
	    argv[2], dir, dir, count, dir);
	write_conf("pem.conf", "inorder.pem");
	write_conf("der.conf", "reversed.der");
	/* mtls crl update waits for a CRL file to settle: let it be. */
	sleep((unsigned)mtls_crlidx_settle + 1);

	for (r = 0; r < rounds; r++) {
		for (s = 0; s < N_SCENARIOS; s++) {
			/* the login before it has just written the index */
			if (s != S_LOGIN_INDEXED)
				clear_cache();
			wall[s][r] = measure((enum scenario)s, &kb);
			if (kb > rss[s])
				rss[s] = kb;
		}
	}
	if (stat(dir, &st) == 0)
		sh("rm -rf %s", dir);

	printf("CRL of %lu revoked serials (16 octets, ECDSA P-256), %u "
	    "rounds: median wall time, largest peak RSS\n\n", count, rounds);
	for (s = 0; s < N_SCENARIOS; s++)
		qsort(wall[s], rounds, sizeof(double), cmp_double);
	base = wall[S_GNUTLS][rounds / 2];
	printf("| %-34s | %9s | %12s | %10s |\n", "", "wall", "peak RSS",
	    "x GnuTLS");
	printf("| %.34s | %.8s: | %.11s: | %.9s: |\n",
	    "----------------------------------", "--------------",
	    "--------------", "--------------");
	for (s = 0; s < N_SCENARIOS; s++)
		printf("| %-34s | %7.3f s | %9.1f MB | %10.3f |\n", names[s],
		    wall[s][rounds / 2], (double)rss[s] / 1024,
		    base > 0 ? wall[s][rounds / 2] / base : 0);
	return 0;
}
