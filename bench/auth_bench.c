/*
 * auth_bench.c - what one certificate login costs, against what a bare
 * TLS 1.3 handshake costs on the same machine in the same run.
 *
 *   auth_bench MTLS PAM_MTLS_SO [ITERATIONS [CRL_SIZE...]]
 *
 * It makes a throwaway CA with MTLS (`mtls ca`), a host certificate and
 * one person certificate per key type (ECDSA P-256, Ed25519, RSA-2048),
 * and CRLs of each size (default 0, 1000, 100000 and 1000000 revoked
 * serials, signed by the CA; written here as DER because building a large
 * CRL through GnuTLS's structures is quadratic).  `mtls crl update` builds
 * each CRL's index before the logins, as the administrator's cron job
 * would.
 *
 * One login is pam_start_confdir() + pam_authenticate() + pam_end() on a
 * service whose only line is `auth required pam_mtls.so config=...`, with
 * the person's side (mtls_client_step, which verifies the host) run in the
 * conversation function: both sides in one thread, as in the floor, which
 * is an in-memory TLS 1.3 handshake between two GnuTLS sessions with the
 * same priority string, host key and person key, a client certificate
 * required, and nothing verified; beside it, the same handshake with each
 * side verifying the peer's chain against the CA, and PAM alone (the same
 * calls on a pam_permit stack).  Scenarios run in child processes, so
 * that each peak RSS is its own, in rounds (AUTH_BENCH_ROUNDS, default 5)
 * that interleave them, so that a slow spell of a shared machine falls on
 * all of them alike.  Reported: median CPU time per
 * login (both sides, and the server's share: the time outside the
 * conversation function), peak RSS, the ratios to the floor and to the
 * same key with an empty CRL, and the module's own work: what a login
 * costs beyond the verifying handshake and PAM alone, in all and on the
 * server's side.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <security/pam_appl.h>

#include "bench.h"
#include "conf.h"
#include "conv.h"
#include "derbuf.h"
#include "sshkey.h"
#include "verify.h"

#define MAX_SIZES	8
#define WARMUP		5

static const char *mtls_bin, *module;
static char dir[PATH_MAX];

/*
 * The host's SSH key, as the host lists it (ssh_host_key) and as the
 * person's ssh would have verified it: every login sends it as its
 * binding, and the module compares it.
 */
#define BENCH_SSH_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJppJCjk0pZptBO" \
	"FhYXjXmt/U67W7l2KdduWj1Vnocm bench\n"
static struct mtls_sshkey bench_ssh_key;

static const struct keytype {
	const char		*name;
	gnutls_pk_algorithm_t	 pk;
	unsigned		 bits;
} keytypes[] = {
	{ "ecdsa-p256", GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1) },
	{ "ed25519", GNUTLS_PK_EDDSA_ED25519,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519) },
	{ "rsa-2048", GNUTLS_PK_RSA, 2048 },
};
#define N_KEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

static const char *
at(const char *fmt, ...)
{
	static char buf[8][PATH_MAX + 256];
	static int k;
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0 ||
	    chmod(path, mode) != 0)
		die("cannot write %s", path);
}

static gnutls_datum_t
read_file(const char *path)
{
	gnutls_datum_t d;

	if (gnutls_load_file(path, &d) < 0)
		die("cannot read %s", path);
	return d;
}

static double
cpu_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --- a person's key and certificate, signed by `mtls ca sign` ---------- */

static void
make_person(const struct keytype *kt)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crq_t crq;
	gnutls_datum_t out;

	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_generate(key, kt->pk, kt->bits, 0) < 0 ||
	    gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN, &out) < 0)
		die("%s: key generation failed", kt->name);
	write_file(at("%s.key", kt->name), out.data, out.size, 0600);
	gnutls_free(out.data);
	if (gnutls_x509_crq_init(&crq) < 0 ||
	    gnutls_x509_crq_set_dn(crq, "CN=nobody", NULL) < 0 ||
	    gnutls_x509_crq_set_key(crq, key) < 0 ||
	    gnutls_x509_crq_sign2(crq, key,
	    kt->pk == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_DIG_UNKNOWN :
	    GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &out) < 0)
		die("%s: request failed", kt->name);
	write_file(at("%s.req", kt->name), out.data, out.size, 0644);
	gnutls_free(out.data);
	gnutls_x509_crq_deinit(crq);
	gnutls_x509_privkey_deinit(key);
	sh("%s ca sign %s %s --user nobody --out %s >/dev/null", mtls_bin,
	    at("ca"), at("%s.req", kt->name), at("%s.pem", kt->name));
}

/* --- a CRL of n serials, DER written by hand, signed by the CA --------- */

static void
make_crl(size_t n, const char *path)
{
	static const unsigned char ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08,
	    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const unsigned char v2[] = { 0x02, 0x01, 0x01 };
	/* [0] crlExtensions: a cRLNumber of 1, which RFC 5280 requires */
	static const unsigned char number[] = { 0xa0, 0x0e, 0x30, 0x0c, 0x30,
	    0x0a, 0x06, 0x03, 0x55, 0x1d, 0x14, 0x04, 0x03, 0x02, 0x01, 0x01 };
	struct derbuf entries = DERBUF_INIT, tbs = DERBUF_INIT;
	struct derbuf body = DERBUF_INIT, crl = DERBUF_INIT, tmp = DERBUF_INIT;
	gnutls_x509_crt_t ca;
	gnutls_privkey_t key;
	gnutls_datum_t pem, dn, sig, data;
	unsigned char serial[16], bits[1] = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ull;
	time_t now = time(NULL);
	size_t i, k;

	pem = read_file(at("ca/ca.pem"));
	if (gnutls_x509_crt_init(&ca) < 0 ||
	    gnutls_x509_crt_import(ca, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_raw_dn(ca, &dn) < 0)
		die("cannot read the CA certificate");
	gnutls_free(pem.data);
	pem = read_file(at("ca/ca.key"));
	if (gnutls_privkey_init(&key) < 0 || gnutls_privkey_import_x509_raw(
	    key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0) < 0)
		die("cannot read the CA key");
	gnutls_free(pem.data);

	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(serial); k += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(serial + k, &x, 8);
		}
		serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
		derbuf_tlv(&tmp, 0x02, serial, sizeof(serial));
		derbuf_utctime(&tmp, now - 86400);
		derbuf_wrap(&entries, 0x30, &tmp);
	}
	derbuf_put(&body, v2, sizeof(v2));
	derbuf_put(&body, ecdsa_sha256, sizeof(ecdsa_sha256));
	derbuf_put(&body, dn.data, dn.size);
	derbuf_utctime(&body, now - 60);
	derbuf_utctime(&body, now + 7 * 86400);
	if (n > 0)
		derbuf_wrap(&body, 0x30, &entries);
	derbuf_put(&body, number, sizeof(number));
	derbuf_wrap(&tbs, 0x30, &body);
	if (tbs.failed)
		die("out of memory");

	data.data = tbs.p;
	data.size = (unsigned)tbs.len;
	if (gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0, &data,
	    &sig) < 0)
		die("cannot sign the CRL (the CA key must be ECDSA P-256)");
	derbuf_put(&body, tbs.p, tbs.len);
	derbuf_put(&body, ecdsa_sha256, sizeof(ecdsa_sha256));
	derbuf_tl(&body, 0x03, sig.size + 1, 0);
	derbuf_put(&body, bits, 1);
	derbuf_put(&body, sig.data, sig.size);
	derbuf_wrap(&crl, 0x30, &body);
	if (crl.failed)
		die("out of memory");
	write_file(path, crl.p, crl.len, 0644);

	gnutls_free(sig.data);
	gnutls_free(dn.data);
	gnutls_privkey_deinit(key);
	gnutls_x509_crt_deinit(ca);
	derbuf_free(&entries);
	derbuf_free(&tbs);
	derbuf_free(&body);
	derbuf_free(&crl);
	derbuf_free(&tmp);
}

/* --- one login through PAM --------------------------------------------- */

struct client {
	gnutls_certificate_credentials_t cred;
	struct mtls_conf		*conf;
	struct mtls_verifier		*v;
	struct mtls_client		*c;
	double				 cpu;	/* spent in conv() */
	int				 failed;
};

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *ud)
{
	struct client *cl = ud;
	struct pam_response *r;
	struct mtls_err err;
	double t0 = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	int i;

	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_CONV_ERR;
	for (i = 0; i < n; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF)
			continue;
		if (mtls_client_step(cl->c, msg[i]->msg, &r[i].resp,
		    &err) != 0) {
			cl->failed = 1;
			free(r[i].resp);
			r[i].resp = strdup("");
		}
	}
	*resp = r;
	cl->cpu += cpu_now(CLOCK_THREAD_CPUTIME_ID) - t0;
	return PAM_SUCCESS;
}

static void
client_init(struct client *cl, const struct keytype *kt)
{
	struct mtls_err err;

	memset(cl, 0, sizeof(*cl));
	if (gnutls_certificate_allocate_credentials(&cl->cred) < 0 ||
	    gnutls_certificate_set_x509_key_file(cl->cred,
	    at("%s.pem", kt->name), at("%s.key", kt->name),
	    GNUTLS_X509_FMT_PEM) < 0)
		die("%s: cannot load the person's key", kt->name);
	if (mtls_conf_new(&cl->conf) != 0 ||
	    mtls_conf_list_add(&cl->conf->anchors, &cl->conf->n_anchors,
	    at("ca/ca.pem")) != 0)
		die("out of memory");
	cl->conf->crl_required = 0;
	cl->conf->crl_cache_off = 1;
	if (mtls_verifier_new(cl->conf, &cl->v, &err) != 0)
		die("client verifier: %s", mtls_err_msg(&err));
}

/* One complete login; returns its CPU time, and the client's in *ccpu. */
/* not inlined: bench/auth_instr.sh counts its instructions */
static __attribute__((noinline)) double
one_login(struct client *cl, const char *confdir, double *ccpu)
{
	struct pam_conv pc = { conv, cl };
	struct mtls_err err;
	pam_handle_t *ph = NULL;
	const char *detail;
	double t0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID), t1;
	int r;

	cl->cpu = 0;
	if (mtls_client_new(cl->v, cl->cred, "bench.example", &cl->c,
	    &err) != 0 || mtls_client_set_binding(cl->c, &bench_ssh_key) != 0)
		die("client: %s", mtls_err_msg(&err));
	cl->cpu = cpu_now(CLOCK_PROCESS_CPUTIME_ID) - t0;
	if (pam_start_confdir("mtls-bench", "nobody", &pc, confdir, &ph) !=
	    PAM_SUCCESS)
		die("pam_start_confdir failed");
	r = pam_authenticate(ph, 0);
	pam_end(ph, r);
	t1 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
	if (r != PAM_SUCCESS || cl->failed ||
	    mtls_client_outcome(cl->c, &detail) != 1)
		die("a login failed: %s", pam_strerror(NULL, r));
	t1 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
	mtls_client_free(cl->c);
	cl->c = NULL;
	cl->cpu += cpu_now(CLOCK_PROCESS_CPUTIME_ID) - t1;
	t1 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
	*ccpu = cl->cpu;
	return t1 - t0;
}

/* --- the floor: a bare in-memory handshake ------------------------------ */

struct pipe2 {
	unsigned char	 buf[2][65536];	/* 0: to the server, 1: to the client */
	size_t		 len[2];
};

struct end {
	struct pipe2	*p;
	int		 side;		/* 0 server, 1 client */
};

static ssize_t
floor_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct end *e = ptr;
	int to = e->side == 0 ? 1 : 0;

	if (e->p->len[to] + len > sizeof(e->p->buf[to]))
		return -1;
	memcpy(e->p->buf[to] + e->p->len[to], data, len);
	e->p->len[to] += len;
	return (ssize_t)len;
}

static ssize_t
floor_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct end *e = ptr;
	size_t have = e->p->len[e->side];

	if (have == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (len > have)
		len = have;
	memcpy(data, e->p->buf[e->side], len);
	memmove(e->p->buf[e->side], e->p->buf[e->side] + len, have - len);
	e->p->len[e->side] -= len;
	return (ssize_t)len;
}

static int
floor_verify(gnutls_session_t s)
{
	(void)s;
	return 0;
}

/* not inlined: bench/auth_instr.sh counts its instructions */
static __attribute__((noinline)) double
one_floor(gnutls_certificate_credentials_t scred,
    gnutls_certificate_credentials_t ccred, int verify, double *ccpu)
{
	static struct pipe2 p;
	struct end se = { &p, 0 }, ce = { &p, 1 };
	gnutls_session_t s, c;
	double t0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID), t;
	int rs = GNUTLS_E_AGAIN, rc = GNUTLS_E_AGAIN, rounds = 0;

	*ccpu = 0;
	p.len[0] = p.len[1] = 0;
	t = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	if (gnutls_init(&c, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_TICKETS) < 0 ||
	    gnutls_priority_set_direct(c, MTLS_TLS_PRIORITY, NULL) < 0 ||
	    gnutls_credentials_set(c, GNUTLS_CRD_CERTIFICATE, ccred) < 0)
		die("floor: client setup");
	gnutls_transport_set_ptr(c, &ce);
	gnutls_transport_set_push_function(c, floor_push);
	gnutls_transport_set_pull_function(c, floor_pull);
	*ccpu += cpu_now(CLOCK_THREAD_CPUTIME_ID) - t;
	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	    GNUTLS_NO_TICKETS) < 0 ||
	    gnutls_priority_set_direct(s, MTLS_TLS_PRIORITY, NULL) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, scred) < 0)
		die("floor: server setup");
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	gnutls_transport_set_ptr(s, &se);
	gnutls_transport_set_push_function(s, floor_push);
	gnutls_transport_set_pull_function(s, floor_pull);
	while ((rs != 0 || rc != 0) && rounds++ < 100) {
		if (rc != 0) {
			t = cpu_now(CLOCK_THREAD_CPUTIME_ID);
			rc = gnutls_handshake(c);
			*ccpu += cpu_now(CLOCK_THREAD_CPUTIME_ID) - t;
			if (rc < 0 && gnutls_error_is_fatal(rc))
				die("floor: client: %s", gnutls_strerror(rc));
		}
		if (rs != 0) {
			rs = gnutls_handshake(s);
			if (rs < 0 && gnutls_error_is_fatal(rs))
				die("floor: server: %s", gnutls_strerror(rs));
		}
	}
	if (rs != 0 || rc != 0 ||
	    gnutls_certificate_get_peers(s, NULL) == NULL)
		die("floor: the handshake did not complete");
	if (verify) {
		unsigned st = 1;

		/* Each side checks the peer's chain against the CA. */
		t = cpu_now(CLOCK_THREAD_CPUTIME_ID);
		if (gnutls_certificate_verify_peers3(c, "bench.example",
		    &st) < 0 || st != 0)
			die("floor: the client refused the host");
		*ccpu += cpu_now(CLOCK_THREAD_CPUTIME_ID) - t;
		if (gnutls_certificate_verify_peers2(s, &st) < 0 || st != 0)
			die("floor: the server refused the client");
	}
	t = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	gnutls_deinit(c);
	*ccpu += cpu_now(CLOCK_THREAD_CPUTIME_ID) - t;
	gnutls_deinit(s);
	return cpu_now(CLOCK_PROCESS_CPUTIME_ID) - t0;
}

/* PAM alone: the same calls on a stack whose only module is pam_permit. */
/* not inlined: bench/auth_instr.sh counts its instructions */
static __attribute__((noinline)) double
one_pam(const char *confdir)
{
	struct pam_conv pc = { conv, NULL };
	pam_handle_t *ph = NULL;
	double t0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
	int r;

	if (pam_start_confdir("mtls-bench", "nobody", &pc, confdir, &ph) !=
	    PAM_SUCCESS)
		die("pam_start_confdir failed");
	r = pam_authenticate(ph, 0);
	pam_end(ph, r);
	if (r != PAM_SUCCESS)
		die("pam_permit failed");
	return cpu_now(CLOCK_PROCESS_CPUTIME_ID) - t0;
}

/* --- scenarios, each in a child ----------------------------------------- */

/* AUTH_BENCH_KEYS (a list of key type names) limits the run. */
static int
wanted(const struct keytype *kt)
{
	const char *w = getenv("AUTH_BENCH_KEYS");

	return w == NULL || strstr(w, kt->name) != NULL;
}

#define FLOOR		(-1L)	/* bare handshake */
#define FLOOR_VERIFIED	(-2L)	/* handshake, each side verifies the peer */
#define PAM_ONLY	(-3L)	/* pam_permit through the same calls */

struct result {
	double	total;		/* median CPU seconds per login, both sides */
	double	server;		/* median of the server's share */
	long	maxrss_kb;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	char *c = p;
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, c, n)) <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
run_child(const struct keytype *kt, long crl_size, unsigned iters, int fd)
{
	double *tot = calloc(iters, sizeof(double));
	double *srv = calloc(iters, sizeof(double));
	struct result res;
	struct client cl;
	double c;
	unsigned i;

	if (tot == NULL || srv == NULL)
		die("out of memory");
	client_init(&cl, kt);
	if (crl_size == FLOOR || crl_size == FLOOR_VERIFIED) {
		gnutls_certificate_credentials_t sc;
		int verify = crl_size == FLOOR_VERIFIED;

		if (gnutls_certificate_allocate_credentials(&sc) < 0 ||
		    gnutls_certificate_set_x509_key_file(sc, at("host.pem"),
		    at("host.key"), GNUTLS_X509_FMT_PEM) < 0)
			die("floor: host key");
		if (verify) {
			if (gnutls_certificate_set_x509_trust_file(sc,
			    at("ca/ca.pem"), GNUTLS_X509_FMT_PEM) != 1 ||
			    gnutls_certificate_set_x509_trust_file(cl.cred,
			    at("ca/ca.pem"), GNUTLS_X509_FMT_PEM) != 1)
				die("floor: trust");
		} else
			gnutls_certificate_set_verify_function(cl.cred,
			    floor_verify);
		for (i = 0; i < WARMUP; i++)
			one_floor(sc, cl.cred, verify, &c);
		for (i = 0; i < iters; i++) {
			tot[i] = one_floor(sc, cl.cred, verify, &c);
			srv[i] = tot[i] - c;
		}
		gnutls_certificate_free_credentials(sc);
	} else if (crl_size == PAM_ONLY) {
		for (i = 0; i < WARMUP; i++)
			one_pam(at("pam-permit"));
		for (i = 0; i < iters; i++)
			tot[i] = srv[i] = one_pam(at("pam-permit"));
	} else {
		const char *confdir = at("pam-%ld", crl_size);

		for (i = 0; i < WARMUP; i++)
			one_login(&cl, confdir, &c);
		for (i = 0; i < iters; i++) {
			tot[i] = one_login(&cl, confdir, &c);
			srv[i] = tot[i] - c;
		}
	}
	(void)res;
	if (write_all(fd, tot, iters * sizeof(double)) != 0 ||
	    write_all(fd, srv, iters * sizeof(double)) != 0)
		_exit(1);
	_exit(0);
}

/* Samples of one scenario, gathered over the rounds. */
struct series {
	double	*tot, *srv;
	unsigned n;
	long	 maxrss_kb;
};

/* One round of a scenario: a child doing iters logins, appended to *se. */
static int
run(const struct keytype *kt, long crl_size, unsigned iters,
    struct series *se)
{
	struct rusage ru;
	int p[2], st, bad;
	pid_t pid;

	if ((se->tot = realloc(se->tot, (se->n + iters) * sizeof(double))) ==
	    NULL || (se->srv = realloc(se->srv, (se->n + iters) *
	    sizeof(double))) == NULL)
		die("out of memory");
	if (pipe(p) != 0)
		die("pipe");
	fflush(stdout);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		close(p[0]);
		run_child(kt, crl_size, iters, p[1]);
	}
	close(p[1]);
	bad = read_all(p[0], se->tot + se->n, iters * sizeof(double)) != 0 ||
	    read_all(p[0], se->srv + se->n, iters * sizeof(double)) != 0;
	close(p[0]);
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0 || bad)
		return -1;
	se->n += iters;
	if (ru.ru_maxrss > se->maxrss_kb)
		se->maxrss_kb = ru.ru_maxrss;
	return 0;
}

static struct result
summarize(struct series *se)
{
	struct result r;

	r.total = median(se->tot, se->n);
	r.server = median(se->srv, se->n);
	r.maxrss_kb = se->maxrss_kb;
	free(se->tot);
	free(se->srv);
	memset(se, 0, sizeof(*se));
	return r;
}

/* Wall time and peak RSS of a command. */
static void
timed(const char *what, const char *fmt, ...)
{
	char cmd[8192];
	struct rusage ru;
	struct timespec a, b;
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		die("failed: %s", cmd);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("  %-34s %8.2f s  %8.1f MB peak\n", what,
	    (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) /
	    1e9, (double)ru.ru_maxrss / 1024);
}

int
main(int argc, char **argv)
{
	static const long default_sizes[] = { 0, 1000, 100000, 1000000 };
	long sizes[MAX_SIZES];
	size_t n_sizes = 0, s, k;
	unsigned iters = 200;
	struct result fl, fv, pam_r, r, empty;
	static struct series se[N_KEYTYPES][2 + MAX_SIZES], pam_se;
	unsigned rounds = 5, per, round;
	char tmpl[] = "/tmp/mtls-auth-bench.XXXXXX";
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: auth_bench MTLS PAM_MTLS_SO "
		    "[ITERATIONS [CRL_SIZE...]]\n");
		return 2;
	}
	mtls_bin = argv[1];
	module = argv[2];
	if (argc > 3)
		iters = (unsigned)strtoul(argv[3], NULL, 10);
	for (i = 4; i < argc && n_sizes < MAX_SIZES; i++)
		sizes[n_sizes++] = strtol(argv[i], NULL, 10);
	if (n_sizes == 0)
		for (s = 0; s < 4; s++)
			sizes[n_sizes++] = default_sizes[s];
	if (iters == 0)
		iters = 1;
	if (getenv("AUTH_BENCH_ROUNDS") != NULL)
		rounds = (unsigned)strtoul(getenv("AUTH_BENCH_ROUNDS"), NULL,
		    10);
	if (rounds == 0)
		rounds = 1;
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp");
	snprintf(dir, sizeof(dir), "%s", tmpl);
	if (gnutls_global_init() < 0)
		die("gnutls_global_init");

	printf("auth_bench: %u logins per scenario in %u rounds (median CPU), "
	    "in %s\n", iters, rounds, dir);
	printf("setup\n");
	sh("%s ca init %s --name 'Bench Root' --org Bench >/dev/null",
	    mtls_bin, at("ca"));
	sh("%s ca issue %s --host bench.example --out %s >/dev/null",
	    mtls_bin, at("ca"), at("host"));
	for (k = 0; k < N_KEYTYPES; k++)
		make_person(&keytypes[k]);
	if (mkdir(at("cache"), 0755) != 0)
		die("mkdir cache");
	write_file(at("ssh_host_ed25519_key.pub"), BENCH_SSH_KEY,
	    strlen(BENCH_SSH_KEY), 0644);
	if (mtls_sshkey_from_line(BENCH_SSH_KEY, strlen(BENCH_SSH_KEY),
	    &bench_ssh_key) != 0)
		die("the bench's SSH key does not parse");
	for (s = 0; s < n_sizes; s++) {
		char conf[2048], svc[4096];
		int n;

		/* In a child, so that its buffers stay out of later RSS. */
		{
			pid_t pid;
			int st;

			fflush(stdout);
			if ((pid = fork()) == 0) {
				make_crl((size_t)sizes[s],
				    at("crl-%ld.der", sizes[s]));
				_exit(0);
			}
			if (pid < 0 || waitpid(pid, &st, 0) != pid ||
			    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				die("CRL generation failed");
		}
		n = snprintf(conf, sizeof(conf),
		    "trust_anchor %s\ncrl %s\ncrl_cache %s\n"
		    "host_certificate %s\nhost_key %s\nssh_host_key %s\n"
		    "map from=cn\n", at("ca/ca.pem"), at("crl-%ld.der",
		    sizes[s]), at("cache"), at("host.pem"), at("host.key"),
		    at("ssh_host_ed25519_key.pub"));
		write_file(at("mtls-%ld.conf", sizes[s]), conf, (size_t)n,
		    0644);
		if (mkdir(at("pam-%ld", sizes[s]), 0755) != 0)
			die("mkdir");
		n = snprintf(svc, sizeof(svc), "auth required %s config=%s\n",
		    module, at("mtls-%ld.conf", sizes[s]));
		write_file(at("pam-%ld/mtls-bench", sizes[s]), svc, (size_t)n,
		    0644);
	}
	/* The CRLs must be older than the index settle time. */
	sleep(2);
	printf("revocation indexes (mtls crl update, once per new CRL):\n");
	for (s = 0; s < n_sizes; s++) {
		char what[64];

		snprintf(what, sizeof(what), "%ld serials", sizes[s]);
		timed(what, "%s crl update --config %s >/dev/null", mtls_bin,
		    at("mtls-%ld.conf", sizes[s]));
	}

	if (mkdir(at("pam-permit"), 0755) != 0)
		die("mkdir");
	write_file(at("pam-permit/mtls-bench"), "auth required pam_permit.so\n",
	    28, 0644);
	/*
	 * Each scenario runs in rounds, interleaved with the others, so that
	 * a slow spell of the machine falls on all of them alike.
	 */
	per = iters / rounds > 0 ? iters / rounds : 1;
	for (k = 0; k < N_KEYTYPES; k++) {
		if (!wanted(&keytypes[k]))
			continue;
		for (round = 0; round < rounds; round++) {
			if (run(&keytypes[k], FLOOR, per, &se[k][0]) != 0 ||
			    run(&keytypes[k], FLOOR_VERIFIED, per,
			    &se[k][1]) != 0)
				die("the floor failed for %s",
				    keytypes[k].name);
			if (run(&keytypes[k], PAM_ONLY, per, &pam_se) != 0)
				die("pam_permit failed");
			for (s = 0; s < n_sizes; s++)
				if (run(&keytypes[k], sizes[s], per,
				    &se[k][2 + s]) != 0)
					die("logins failed for %s, %ld serials",
					    keytypes[k].name, sizes[s]);
		}
	}
	if (pam_se.n == 0) {
		printf("no key type selected (AUTH_BENCH_KEYS)\n");
		goto done;
	}
	pam_r = summarize(&pam_se);
	printf("\nPAM alone (pam_start_confdir + pam_authenticate + pam_end, "
	    "pam_permit): %.3f ms, %.1f MB peak\n", pam_r.total * 1e3,
	    (double)pam_r.maxrss_kb / 1024);
	printf("x floor: to the bare handshake; x like: to the handshake in "
	    "which both\nsides verify the peer's chain, plus PAM alone; "
	    "x empty: to crl=%ld;\nown ms: the module's own work, what a "
	    "login costs beyond that handshake\nand PAM alone (own srv: the "
	    "server's share of it)\n", sizes[0]);
	printf("\n%-10s %-22s %8s %9s %8s %7s %7s %7s %7s %7s\n", "key",
	    "scenario", "CPU ms", "server ms", "peak MB", "x floor", "x like",
	    "x empty", "own ms", "own srv");
	for (k = 0; k < N_KEYTYPES; k++) {
		double like;

		if (!wanted(&keytypes[k]))
			continue;
		fl = summarize(&se[k][0]);
		fv = summarize(&se[k][1]);
		like = fv.total + pam_r.total;
		printf("%-10s %-22s %8.3f %9.3f %8.1f %7.2f %7s %7s\n",
		    keytypes[k].name, "floor: bare handshake", fl.total * 1e3,
		    fl.server * 1e3, (double)fl.maxrss_kb / 1024, 1.0, "", "");
		printf("%-10s %-22s %8.3f %9.3f %8.1f %7.2f %7s %7s\n",
		    keytypes[k].name, "handshake + verify", fv.total * 1e3,
		    fv.server * 1e3, (double)fv.maxrss_kb / 1024,
		    fv.total / fl.total, "", "");
		for (s = 0; s < n_sizes; s++) {
			char label[40];

			r = summarize(&se[k][2 + s]);
			if (s == 0)
				empty = r;
			snprintf(label, sizeof(label), "pam_mtls, CRL %ld",
			    sizes[s]);
			printf("%-10s %-22s %8.3f %9.3f %8.1f %7.2f %7.2f "
			    "%7.2f %7.3f %7.3f", keytypes[k].name, label,
			    r.total * 1e3, r.server * 1e3,
			    (double)r.maxrss_kb / 1024, r.total / fl.total,
			    r.total / like, r.total / empty.total,
			    (r.total - like) * 1e3,
			    (r.server - fv.server - pam_r.total) * 1e3);
			if (s > 0)
				printf("  %+.1f MB", (double)(r.maxrss_kb -
				    empty.maxrss_kb) / 1024);
			printf("\n");
		}
	}
 done:
	if (getenv("AUTH_BENCH_KEEP") == NULL)
		sh("rm -rf '%s'", dir);
	gnutls_global_deinit();
	return 0;
}
