/*
 * map_bench.c - what the `map from=db` rule costs a login, at 1k and 1M
 * accounts (or the sizes given): a database of n users, each listing a
 * subject and an e-mail principal, and a certificate identity whose
 * subject, fingerprint, e-mail, UPN and URI are looked up (five probes
 * of the principal index), mapped through mtls_map() as the PAM module
 * maps it: the file opened and its header checked afresh each time, the
 * page cache warm.  Prints the time per mapping at each size (median of
 * batches) and its ratio to the first size's.  Usage (make bench-map):
 *
 *	map_bench [SIZES...]
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "measure.h"
#include "db.h"
#include "identity.h"
#include "mapping.h"

#define BASE_ID		1900000000u
#define BATCHES		7
#define BATCH_SECS	0.25

static char dir[] = "/tmp/mtls-map-bench.XXXXXX";

/* n users u0.. each listing "CN=uI,O=Example" and uI@example.org. */
static void
make_db(uint32_t n, const char *path)
{
	struct mtls_db_user_in *u = calloc(n, sizeof(*u));
	struct mtls_db_principal_in *pr = calloc((size_t)n * 2, sizeof(*pr));
	char *names = malloc((size_t)n * 12), *homes = malloc((size_t)n * 20);
	char *subj = malloc((size_t)n * 32), *mail = malloc((size_t)n * 32);
	unsigned char *buf;
	size_t len;
	uint32_t i;
	FILE *f;

	if (u == NULL || pr == NULL || names == NULL || homes == NULL ||
	    subj == NULL || mail == NULL)
		die("calloc");
	for (i = 0; i < n; i++) {
		snprintf(names + (size_t)i * 12, 12, "u%u", i);
		snprintf(homes + (size_t)i * 20, 20, "/home/u%u", i);
		snprintf(subj + (size_t)i * 32, 32, "CN=u%u,O=Example", i);
		snprintf(mail + (size_t)i * 32, 32, "u%u@example.org", i);
		pr[2 * i] = (struct mtls_db_principal_in){
		    MTLS_PRINCIPAL_SUBJECT, subj + (size_t)i * 32 };
		pr[2 * i + 1] = (struct mtls_db_principal_in){
		    MTLS_PRINCIPAL_EMAIL, mail + (size_t)i * 32 };
		u[i] = (struct mtls_db_user_in){ names + (size_t)i * 12,
		    BASE_ID + i, BASE_ID, "", homes + (size_t)i * 20,
		    "/bin/sh", &pr[2 * i], 2 };
	}
	if (mtls_db_build(u, n, NULL, 0, &buf, &len) != 0)
		die("mtls_db_build");
	if ((f = fopen(path, "w")) == NULL || fwrite(buf, 1, len, f) != len ||
	    fclose(f) != 0)
		die(path);
	chmod(path, 0644);
	free(buf);
	free(u);
	free(pr);
	free(names);
	free(homes);
	free(subj);
	free(mail);
}

/* Every account exists, none is root: no system lookup in the timing. */
static int
lookup(void *ctx, const char *name, uid_t *uid)
{
	(void)ctx;
	(void)name;
	*uid = BASE_ID;
	return 0;
}

/* Median over batches of the time of one mapping of user k, in us. */
static double
time_map(const struct mtls_conf *c, uint32_t k)
{
	char subject[32], email[32], want[12], issuer[] = "CN=Example CA",
	    upn[] = "u@EXAMPLE.ORG", uri[] = "spiffe://example.org/u";
	char *ev[1] = { email }, *uv[1] = { upn }, *rv[1] = { uri };
	struct mtls_identity id;
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	double t[BATCHES], t0, el;
	long calls;
	int b;

	memset(&id, 0, sizeof(id));
	snprintf(subject, sizeof(subject), "CN=u%u,O=Example", k);
	snprintf(email, sizeof(email), "u%u@example.org", k);
	snprintf(want, sizeof(want), "u%u", k);
	id.subject = subject;
	id.issuer = issuer;
	memset(id.fingerprint, 0xa5, sizeof(id.fingerprint));
	id.email = (struct mtls_strlist){ ev, 1 };
	id.upn = (struct mtls_strlist){ uv, 1 };
	id.uri = (struct mtls_strlist){ rv, 1 };
	for (b = 0; b < BATCHES; b++) {
		t0 = now();
		calls = 0;
		do {
			if (mtls_map(c, &id, lookup, NULL, &acc, &err) != 0 ||
			    acc.n != 1 || strcmp(acc.v[0].name, want) != 0) {
				fprintf(stderr, "map_bench: u%u not mapped: "
				    "%s\n", k, err.msg);
				exit(2);
			}
			mtls_accounts_clear(&acc);
			calls++;
		} while ((el = now() - t0) < BATCH_SECS);
		t[b] = el / (double)calls * 1e6;
	}
	qsort(t, BATCHES, sizeof(t[0]), cmp_double);
	return t[BATCHES / 2];
}

int
main(int argc, char **argv)
{
	static const uint32_t def[] = { 1000, 1000000 };
	struct mtls_err err = { 0, "" };
	struct mtls_conf *c;
	struct stat st;
	char path[256], text[512];
	uint32_t sizes[8];
	double us, first = 0;
	size_t ns = 0, i;

	for (i = 1; i < (size_t)argc && ns < 8; i++)
		sizes[ns++] = (uint32_t)strtoul(argv[i], NULL, 10);
	if (ns == 0)
		for (ns = 0; ns < 2; ns++)
			sizes[ns] = def[ns];
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(path, sizeof(path), "%s/identity.db", dir);
	snprintf(text, sizeof(text), "identity_db %s\nmap from=db\n", path);
	printf("accounts  database      map from=db   ratio to %u\n",
	    sizes[0]);
	for (i = 0; i < ns; i++) {
		if (sizes[i] == 0)
			continue;
		make_db(sizes[i], path);
		if (stat(path, &st) != 0)
			die(path);
		if (mtls_conf_new(&c) != 0 || mtls_conf_parse(c, "bench.conf",
		    text, strlen(text), &err) != 0) {
			fprintf(stderr, "map_bench: %s\n", err.msg);
			return 2;
		}
		us = time_map(c, sizes[i] / 2);
		if (i == 0)
			first = us;
		printf("%8u  %8.1f MB  %9.2f us  %8.3f\n", sizes[i],
		    (double)st.st_size / 1e6, us, us / first);
		mtls_conf_free(c);
	}
	unlink(path);
	rmdir(dir);
	return 0;
}
