/*
 * cmd_verify.c - mtls verify and mtls map.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>

#include "cli.h"
#include "identity.h"
#include "mapping.h"
#include "util.h"

static void
verify_usage(FILE *f)
{
	fprintf(f, "usage: mtls verify [--config FILE] [--ca FILE] "
	    "[--untrusted FILE] [--crl FILE]\n"
	    "                   [--at TIME] [--purpose client|server|any] "
	    "[--host NAME]\n                   [--json] CERT\n\n"
	    "Verify CERT (a PEM file: the certificate, optionally followed "
	    "by its\nintermediates) under the policy of the configuration "
	    "file (default\n" MTLS_DEFAULT_CONFIG "). --ca, --untrusted and "
	    "--crl (each may repeat) replace\nthe trust anchors, "
	    "intermediates and CRLs it names; with --ca and no\n--config, "
	    "no configuration file is read. TIME is Unix seconds or RFC "
	    "3339.\n--host NAME (purpose server) also requires the certificate to "
	    "name the host,\nas mtls ssh does.\n\nExit status: 0 accepted, 1 "
	    "rejected (the reason is "
	    "printed), 2 usage or\nconfiguration error.\n");
}

static void
map_usage(FILE *f)
{
	fprintf(f, "usage: mtls map [--config FILE] [--ca FILE] [--untrusted "
	    "FILE] [--crl FILE]\n"
	    "                [--at TIME] [--json] [-v] CERT\n\n"
	    "Verify CERT, then print the accounts it may log in to, one a "
	    "line, each\nwith the map rule that gave it (tab-separated). "
	    "-v says why rules gave\nnothing. --ca, --untrusted and --crl "
	    "work as for mtls verify.\n\nExit status: 0 at least one "
	    "account, 1 none (or the certificate is\nrejected), 2 usage "
	    "or configuration error.\n");
}

/*
 * Shared by verify and map: load configuration, verifier and chain, and
 * verify.  Returns the verification result (0 accepted), or 1 with *fatal
 * set when something could not be loaded.
 */
struct run {
	struct cli_opts		 o;
	struct mtls_conf	*conf;
	struct mtls_verifier	*v;
	gnutls_x509_crt_t	*crts;
	unsigned		 n;
	struct mtls_identity	*id;
	struct mtls_chain_info	 info;
	struct mtls_err		 err;
	int			 result;
};

static void
run_free(struct run *r)
{
	mtls_chain_info_clear(&r->info);
	mtls_identity_free(r->id);
	mtls_crts_free(r->crts, r->n);
	mtls_verifier_free(r->v);
	mtls_conf_free(r->conf);
}

/* Returns EXIT_USAGE when set-up failed, else 0 (r->result is the verdict). */
static int
run_verify(struct run *r)
{
	struct mtls_err e = { 0, "" };

	if ((r->conf = cli_conf(&r->o)) == NULL)
		return EXIT_USAGE;
	if (mtls_verifier_new(r->conf, &r->v, &e) != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		return EXIT_USAGE;
	}
	/* A certificate that cannot be parsed is rejected as malformed. */
	if ((r->result = cli_chain(&r->o, &r->crts, &r->n, &r->err)) != 0)
		return r->result == MTLS_E_CERT_MALFORMED ? 0 : EXIT_USAGE;
	r->result = mtls_verify_crts(r->v, r->crts, r->n, r->o.at,
	    r->o.purpose, &r->err, &r->info);
	/* What mtls ssh checks of a host, after the policy. */
	if (r->result == 0 && r->o.host != NULL &&
	    !gnutls_x509_crt_check_hostname2(r->crts[0], r->o.host, 0))
		r->result = mtls_err_set(&r->err, MTLS_E_CERT_WRONG_HOST,
		    "the certificate names no %s (neither a DNS name nor an "
		    "address)", r->o.host);
	/* Identity is for display; a failure here is not a verdict. */
	if (mtls_identity_from_crt(r->crts[0], &r->id, &e) != 0)
		r->id = NULL;
	if (r->result != 0 && !mtls_error_is_rejection(r->result) &&
	    r->result != MTLS_E_CERT_MALFORMED) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&r->err));
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The SHA-256 fingerprint of the direct issuer in an accepted path, as
 * issuer_fingerprint= takes it; NULL when there is none.
 */
static const char *
issuer_fp(const struct run *r, char out[3 * 32])
{
	if (r->result != 0 || r->info.n < 2)
		return NULL;
	mtls_hex(r->info.fingerprint[1], 32, 1, out);
	return out;
}

static void
json_identity(FILE *f, const struct run *r)
{
	char t[32], fp[3 * 32];
	size_t i;

	if (r->id != NULL) {
		fprintf(f, ",\"subject\":");
		json_str(f, r->id->subject);
		fprintf(f, ",\"issuer\":");
		json_str(f, r->id->issuer);
		fprintf(f, ",\"serial\":");
		json_str(f, r->id->serial);
		fprintf(f, ",\"fingerprint\":\"sha256:%s\"",
		    r->id->fingerprint_hex);
		mtls_format_time(r->id->not_before, t, sizeof(t));
		fprintf(f, ",\"not_before\":\"%s\"", t);
		mtls_format_time(r->id->not_after, t, sizeof(t));
		fprintf(f, ",\"not_after\":\"%s\"", t);
	}
	if (issuer_fp(r, fp) != NULL)
		fprintf(f, ",\"issuer_fingerprint\":\"sha256:%s\"", fp);
	fprintf(f, ",\"chain\":[");
	for (i = 0; i < r->info.n; i++) {
		if (i > 0)
			fputc(',', f);
		json_str(f, r->info.subject[i]);
	}
	fputc(']', f);
}

static void
print_verdict_json(const struct run *r)
{
	char t[32];

	mtls_format_time(r->o.at, t, sizeof(t));
	printf("{\"file\":");
	json_str(stdout, r->o.cert);
	printf(",\"accepted\":%s,\"at\":\"%s\",\"purpose\":\"%s\"",
	    r->result == 0 ? "true" : "false", t,
	    mtls_purpose_name(r->o.purpose != 0 ? r->o.purpose :
	    r->conf->purpose));
	if (r->result != 0) {
		printf(",\"reason\":\"%s\",\"message\":",
		    mtls_errname(r->result));
		json_str(stdout, mtls_err_msg(&r->err));
	}
	json_identity(stdout, r);
}

static void
print_identity(const struct run *r)
{
	char a[32], b[32], fp[3 * 32];
	size_t i;

	if (r->id != NULL) {
		mtls_format_time(r->id->not_before, a, sizeof(a));
		mtls_format_time(r->id->not_after, b, sizeof(b));
		printf("  subject:     %s\n  issuer:      %s\n"
		    "  serial:      %s\n  fingerprint: sha256:%s\n"
		    "  valid:       %s to %s\n", r->id->subject, r->id->issuer,
		    r->id->serial, r->id->fingerprint_hex, a, b);
	}
	if (issuer_fp(r, fp) != NULL)
		printf("  issuer fp:   sha256:%s\n", fp);
	for (i = 0; i < r->info.n; i++)
		printf("  %s %s%s\n", i == 0 ? "chain:      " :
		    "          <-", r->info.subject[i],
		    i + 1 == r->info.n ? " (trust anchor)" : "");
}

int
cmd_verify(int argc, char **argv)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	cli_parse(argc, argv, "verify", verify_usage, &r.o);
	if ((rc = run_verify(&r)) != 0)
		goto out;
	if (r.o.json) {
		print_verdict_json(&r);
		printf("}\n");
	} else if (r.result == 0) {
		printf("%s: OK\n", r.o.cert);
		print_identity(&r);
	} else
		fprintf(stderr, "%s: rejected (%s): %s\n", r.o.cert,
		    mtls_errname(r.result), mtls_err_msg(&r.err));
	rc = r.result == 0 ? EXIT_ACCEPTED : EXIT_REJECTED;
 out:
	run_free(&r);
	return rc;
}

int
cmd_map(int argc, char **argv)
{
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err e = { 0, "" };
	struct run r;
	size_t i;
	int rc, mr = MTLS_E_NO_MAPPING;

	memset(&r, 0, sizeof(r));
	cli_parse(argc, argv, "map", map_usage, &r.o);
	if ((rc = run_verify(&r)) != 0)
		goto out;
	if (r.result == 0 && r.id == NULL) {
		fprintf(stderr, "mtls: %s: cannot read the certificate's "
		    "identity\n", r.o.cert);
		rc = EXIT_REJECTED;
		goto out;
	}
	if (r.result == 0 && (mr = mtls_identity_set_path(r.id, &r.info,
	    &e)) == 0)
		mr = mtls_map(r.conf, r.id, mtls_uid_lookup_system, NULL, &acc,
		    &e);
	if (r.o.json) {
		print_verdict_json(&r);
		if (r.result == 0 && mr != 0) {
			printf(",\"reason\":\"%s\",\"message\":",
			    mtls_errname(mr));
			json_str(stdout, mtls_err_msg(&e));
		}
		printf(",\"accounts\":[");
		for (i = 0; i < acc.n; i++) {
			printf("%s{\"name\":", i > 0 ? "," : "");
			json_str(stdout, acc.v[i].name);
			printf(",\"rule\":");
			json_str(stdout, acc.v[i].rule->text);
			printf(",\"file\":");
			json_str(stdout, acc.v[i].rule->file);
			printf(",\"line\":%u}", acc.v[i].rule->line);
		}
		printf("]}\n");
	} else if (r.result != 0) {
		fprintf(stderr, "%s: rejected (%s): %s\n", r.o.cert,
		    mtls_errname(r.result), mtls_err_msg(&r.err));
	} else if (mr != 0) {
		fprintf(stderr, "%s: no account (%s): %s\n", r.o.cert,
		    mtls_errname(mr), mtls_err_msg(&e));
	} else {
		for (i = 0; i < acc.n; i++)
			printf("%s\t%s:%u: %s\n", acc.v[i].name,
			    acc.v[i].rule->file, acc.v[i].rule->line,
			    acc.v[i].rule->text);
	}
	rc = r.result == 0 && mr == 0 ? EXIT_ACCEPTED : EXIT_REJECTED;
 out:
	mtls_accounts_clear(&acc);
	run_free(&r);
	return rc;
}
