/*
 * cmd_crl.c - mtls crl update: verify the configured CRL files and
 * (re)build their revocation indexes, so that no login parses a CRL;
 * mtls crl fetch (crlfetch.c) downloads them first.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "crlfetch.h"
#include "crlindex.h"
#include "util.h"
#include "verify.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: mtls crl update [--config FILE] [--force] [--at TIME]\n"
	    "       mtls crl fetch [--config FILE] [--timeout SECONDS] "
	    "[--max-size BYTES]\n                      [--tls-ca FILE] "
	    "[--at TIME]\n\n"
	    "Verify every CRL file the configuration (default "
	    MTLS_DEFAULT_CONFIG ")\nnames and write a revocation index for "
	    "each one whose CRLs all verify, in\nthe crl_cache directory "
	    "(default " MTLS_DEFAULT_CRL_CACHE ", created if missing).\n"
	    "Logins then map the index instead of parsing the CRL.  An index "
	    "that\nstill matches its CRL file is kept unless --force is "
	    "given.  Run it\nwhenever a new CRL is installed.\n\n"
	    "Exit status: 0 every CRL indexed and usable now, 1 a CRL is "
	    "forged,\nstale (at --at, default now) or otherwise unusable (logins "
	    "that need it\nare denied), 2 the configuration or the directory cannot be "
	    "used.\n\n"
	    "mtls crl fetch downloads the CRL files first (see mtls crl fetch "
	    "--help).\n");
}

static const char *
source_text(int src)
{
	switch (src) {
	case MTLS_CRL_FROM_INDEX:
		return "index current";
	case MTLS_CRL_FROM_FILE_INDEXED:
		return "index written";
	case MTLS_CRL_FROM_FILE_RECENT:
		return "not indexed: the file changed in the last seconds";
	default:
		return "not indexed: not all its CRLs can be used";
	}
}

/* Wait until every CRL file is older than the settle time (at most 3 s). */
static void
settle(const struct mtls_conf *c)
{
	struct stat st;
	time_t now = time(NULL), newest = 0;
	size_t i;

	for (i = 0; i < c->n_crls; i++)
		if (stat(c->crls[i], &st) == 0 && st.st_ctim.tv_sec > newest)
			newest = st.st_ctim.tv_sec;
	if (newest > 0 && now - newest < mtls_crlidx_settle &&
	    newest + mtls_crlidx_settle - now <= 3)
		sleep((unsigned)(newest + mtls_crlidx_settle - now));
}

/* Check the data of every index in use; remove the damaged ones. */
static void
check_indexes(const struct mtls_conf *c, const char *dir)
{
	char ipath[PATH_MAX];
	struct mtls_crlidx *idx;
	struct mtls_err e = { 0, "" };
	struct stat st;
	size_t i;

	for (i = 0; i < c->n_crls; i++) {
		idx = NULL;
		if (mtls_crlidx_path(dir, c->crls[i], ipath,
		    sizeof(ipath)) != 0 || stat(c->crls[i], &st) != 0 ||
		    mtls_crlidx_open(ipath, &st, (unsigned)c->profile, &idx,
		    &e) != 0)
			continue;
		if (mtls_crlidx_check_data(idx, &e) != 0) {
			fprintf(stderr, "mtls crl update: %s: %s; rebuilding\n",
			    ipath, mtls_err_msg(&e));
			unlink(ipath);
		}
		mtls_crlidx_close(idx);
	}
}

const char *
crl_cache_dir(const struct mtls_conf *c, const char *path, const char *verb)
{
	struct mtls_err e = { 0, "" };
	const char *dir;

	if (c->crl_cache_off) {
		fprintf(stderr, "mtls crl %s: %s says crl_cache none: "
		    "there are no indexes to build\n", verb, path);
		return NULL;
	}
	dir = c->crl_cache != NULL ? c->crl_cache : MTLS_DEFAULT_CRL_CACHE;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "mtls crl %s: cannot create %s: %s\n", verb,
		    dir, strerror(errno));
		return NULL;
	}
	if (mtls_crlidx_dir_check(dir, &e) != 0) {
		fprintf(stderr, "mtls crl %s: %s\n", verb, mtls_err_msg(&e));
		return NULL;
	}
	return dir;
}

int
crl_index_update(const char *path, int force, time_t at)
{
	struct mtls_conf *c = NULL;
	struct mtls_verifier *v = NULL;
	struct mtls_err e = { 0, "" };
	char ipath[PATH_MAX];
	const char *dir, *p;
	size_t i, nc, ns, np, unindexed = 0;
	int rc = EXIT_USAGE, src;

	if (mtls_conf_load(path, &c, &e) != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		goto out;
	}
	if ((dir = crl_cache_dir(c, path, "update")) == NULL)
		goto out;
	if (c->n_crls == 0) {
		printf("%s: no crl files configured\n", path);
		rc = 0;
		goto out;
	}
	for (i = 0; force && i < c->n_crls; i++)
		if (mtls_crlidx_path(dir, c->crls[i], ipath,
		    sizeof(ipath)) == 0 && unlink(ipath) != 0 &&
		    errno != ENOENT) {
			fprintf(stderr, "mtls crl update: cannot remove %s: "
			    "%s\n", ipath, strerror(errno));
			goto out;
		}
	if (!force)
		check_indexes(c, dir);
	settle(c);
	if (mtls_verifier_new(c, &v, &e) != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		goto out;
	}
	for (i = 0; i < mtls_verifier_crl_files(v); i++) {
		src = mtls_verifier_crl_file(v, i, &p, &nc, &ns);
		if (mtls_crlidx_path(dir, p, ipath, sizeof(ipath)) != 0)
			ipath[0] = '\0';
		printf("%s: %zu CRL%s, %zu revoked serial%s: %s", p, nc,
		    nc == 1 ? "" : "s", ns, ns == 1 ? "" : "s",
		    source_text(src));
		if (src == MTLS_CRL_FROM_INDEX ||
		    src == MTLS_CRL_FROM_FILE_INDEXED)
			printf(" (%s)\n", ipath);
		else {
			printf("\n");
			unindexed++;
		}
	}
	np = mtls_verifier_problems(v, at, cli_problem, NULL);
	rc = np > 0 || unindexed > 0 ? EXIT_REJECTED : 0;
 out:
	mtls_verifier_free(v);
	mtls_conf_free(c);
	return rc;
}

int
cmd_crl(int argc, char **argv)
{
	struct cli_verb o;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "fetch") == 0)
		return crl_fetch(argc, argv);
	if ((rc = cli_parse_verb(argc, argv, "update", 1, usage, &o)) >= 0)
		return rc;
	return crl_index_update(o.config, o.force, o.at);
}
