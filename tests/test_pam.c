/*
 * test_pam.c - pam_mtls.so through a real PAM stack: libpam reads service
 * files from a directory this test writes (pam_wrapper), and the
 * conversation function runs the client side of the login in-process.
 *
 * main() makes a throwaway CA with `$MTLS ca` (so that its CRL is fresh
 * for the real clock the module uses), the configurations and the
 * service files, then runs itself again with pam_wrapper preloaded.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libpamtest.h>
#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "conf.h"
#include "conv.h"
#include "crlindex.h"
#include "frame.h"
#include "sshkey.h"
#include "util.h"
#include "verify.h"
#include "testlib.h"

static const char *dir;		/* the work directory (PMX_DIR) */

static const char *
module(void)
{
	const char *m = getenv("PAM_MTLS");

	return m != NULL ? m : "pam_mtls/.libs/pam_mtls.so";
}

/* dir/name in a static buffer (one at a time). */
static const char *
at(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* --- the client side, inside the conversation function ------------------ */

enum evil {
	EV_NONE,
	EV_DECLINE,	/* empty answer to hello: a person pressed Enter */
	EV_GARBAGE,	/* not an answer */
	EV_CONV_ERR,	/* the conversation function fails */
	EV_NO_RESP,	/* PAM_SUCCESS without a response array */
	EV_RELAYED	/* the client's ssh met another SSH host key */
};

struct cli {
	struct mtls_conf		*conf;
	struct mtls_verifier		*v;
	gnutls_certificate_credentials_t cred;
	struct mtls_client		*c;
	enum evil			 evil;
	unsigned			 prompts;
};

static void
cli_init(struct cli *c, const char *who, enum evil evil)
{
	struct mtls_err err = { 0, "" };
	char cert[4200], key[4200];

	memset(c, 0, sizeof(*c));
	c->evil = evil;
	ck_assert_int_eq(mtls_conf_new(&c->conf), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->conf->anchors,
	    &c->conf->n_anchors, at("ca/ca.pem")), 0);
	c->conf->crl_required = 0;
	ck_assert_int_eq(mtls_verifier_new(c->conf, &c->v, &err), 0);
	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&c->cred),
	    0);
	snprintf(cert, sizeof(cert), "%s/%s.pem", dir, who);
	snprintf(key, sizeof(key), "%s/%s.key", dir, who);
	ck_assert_int_ge(gnutls_certificate_set_x509_key_file(c->cred, cert,
	    key, GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_eq(mtls_client_new(c->v, c->cred, "host.example.com",
	    &c->c, &err), 0);
	/* the SSH host key ssh verified: the host's own, or an impostor's */
	{
		struct mtls_sshkey k;
		char *line = NULL;
		size_t n = 0;

		memset(&k, 0, sizeof(k));
		ck_assert_int_eq(mtls_file_read_any(at(evil == EV_RELAYED ?
		    "cfg/impostor.pub" : "cfg/sshkey.pub"), "key", 65536,
		    &line, &n, &err), 0);
		ck_assert_int_eq(mtls_sshkey_from_line(line, n, &k), 0);
		ck_assert_int_eq(mtls_client_set_binding(c->c, &k), 0);
		mtls_sshkey_clear(&k);
		free(line);
	}
}

static void
cli_free(struct cli *c)
{
	mtls_client_free(c->c);
	gnutls_certificate_free_credentials(c->cred);
	mtls_verifier_free(c->v);
	mtls_conf_free(c->conf);
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *ud)
{
	struct cli *c = ud;
	struct pam_response *r;
	struct mtls_err err = { 0, "" };
	char *a;
	int i;

	if (c->evil == EV_CONV_ERR)
		return PAM_CONV_ERR;
	if (c->evil == EV_NO_RESP) {
		*resp = NULL;
		return PAM_SUCCESS;
	}
	r = calloc((size_t)n, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	for (i = 0; i < n; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF)
			continue;
		c->prompts++;
		a = NULL;
		if (mtls_client_step(c->c, msg[i]->msg, &a, &err) != 0) {
			free(a);
			a = strdup("");
		}
		ck_assert_ptr_nonnull(a);
		if (c->evil == EV_DECLINE)
			a[0] = '\0';
		if (c->evil == EV_GARBAGE) {
			free(a);
			a = strdup("certainly not base64!");
		}
		r[i].resp = a;
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* run_pamtest_conv() miscounts its array; call the function itself. */
#define RUN(svc, user, c, cases) \
	_pamtest_conv((svc), (user), conv, (c), (cases), \
	    sizeof(cases) / sizeof((cases)[0]), NULL)

static const char *
env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* --- authentication ----------------------------------------------------- */

START_TEST(test_success)
{
	struct cli c;
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_GETENVLIST, 0),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
	};
	const char *detail = NULL, *v;
	char **env;
	enum pamtest_err perr;

	cli_init(&c, "nobody", EV_NONE);
	perr = RUN("good", "nobody", &c, cases);
	ck_assert_msg(perr == PAMTEST_ERR_OK, "%s: case %d returned %d",
	    pamtest_strerror(perr), perr == PAMTEST_ERR_CASE ?
	    (int)(pamtest_failed_case(cases) - cases) : -1,
	    perr == PAMTEST_ERR_CASE ? pamtest_failed_case(cases)->op_rv : 0);
	ck_assert_int_eq(mtls_client_outcome(c.c, &detail), 1);
	ck_assert_str_eq(detail, "nobody");

	env = cases[4].case_out.envlist;
	v = env_get(env, "MTLS_SUBJECT");
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(strstr(v, "CN=nobody"));
	v = env_get(env, "MTLS_SERIAL");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_gt(strlen(v), 0);
	v = env_get(env, "MTLS_FINGERPRINT");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(strlen(v), 95);
	v = env_get(env, "MTLS_CERT");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_gt(strlen(v), 100);
	pamtest_free_env(env);
	cli_free(&c);
}
END_TEST

/*
 * Every stack is "auth required pam_mtls.so ..." then "auth required
 * pam_permit.so": whatever goes wrong, the stack must fail with the
 * module's own code (a module that answered PAM_IGNORE on error would let
 * pam_permit decide).
 */
struct row {
	const char	*service;
	const char	*user;
	const char	*cert;
	enum evil	 evil;
	int		 expect;
	int		 exchange;	/* the client saw prompts */
};

static const struct row rows[] = {
	{ "good", "daemon", "nobody", EV_NONE, PAM_AUTH_ERR, 1 },
	{ "good", "bin", "bin", EV_NONE, PAM_AUTH_ERR, 1 },	/* revoked */
	{ "good", "No Body", "nobody", EV_NONE, PAM_AUTH_ERR, 1 },
	{ "good", "nobody", "nobody", EV_DECLINE, PAM_CRED_INSUFFICIENT, 1 },
	{ "good", "nobody", "nobody", EV_GARBAGE, PAM_AUTH_ERR, 1 },
	{ "good", "nobody", "nobody", EV_CONV_ERR, PAM_CONV_ERR, 0 },
	{ "good", "nobody", "nobody", EV_NO_RESP, PAM_CONV_ERR, 0 },
	/* a relayed login: the host's SSH keys do not include the client's */
	{ "good", "nobody", "nobody", EV_RELAYED, PAM_AUTH_ERR, 1 },
	/* no SSH host key to bind to, or an unsafe one: nothing is asked */
	{ "nokeys", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "unsafekey", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "missing", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "gwrite", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "badopt", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "badsource", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "relative", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "nohost", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	/* the options of the other sources, each wrong in its own way */
	{ "o-agent", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-twice", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-tokpin", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-tokuri", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-wait", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-waitconv", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-modrel", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-nokey", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-keyrel", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-certconv", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
	{ "o-tokfile", "nobody", "nobody", EV_NONE, PAM_SERVICE_ERR, 0 },
};

START_TEST(test_denied)
{
	const struct row *r = &rows[_i];
	struct cli c;
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, r->expect),
		pam_test(PAMTEST_GETENVLIST, 0),
	};
	const char *detail = NULL;
	enum pamtest_err perr;

	cli_init(&c, r->cert, r->evil);
	perr = RUN(r->service, r->user, &c, cases);
	ck_assert_msg(perr == PAMTEST_ERR_OK, "row %d: %s: got %d (%s), "
	    "expected %d", _i, pamtest_strerror(perr), cases[0].op_rv,
	    pam_strerror(NULL, cases[0].op_rv), r->expect);
	ck_assert_int_ne(cases[0].op_rv, PAM_SUCCESS);
	ck_assert_int_ne(cases[0].op_rv, PAM_IGNORE);
	ck_assert_ptr_null(env_get(cases[1].case_out.envlist, "MTLS_CERT"));
	pamtest_free_env(cases[1].case_out.envlist);
	ck_assert_int_eq(c.prompts > 0, r->exchange);
	ck_assert_int_ne(mtls_client_outcome(c.c, &detail), 1);
	cli_free(&c);
}
END_TEST

/* --- the other phases, called directly for the module's own codes ------- */

typedef int (*sm_fn)(pam_handle_t *, int, int, const char **);

static sm_fn
sm(void *h, const char *name)
{
	sm_fn f;

	*(void **)&f = dlsym(h, name);
	ck_assert_msg(f != NULL, "%s: %s", name, dlerror());
	return f;
}

START_TEST(test_not_ours)
{
	static const struct pam_conv none = { NULL, NULL };
	const char *args[] = { NULL, "bogus" };
	pam_handle_t *pamh = NULL;
	char *config = NULL;
	void *h;

	ck_assert_int_ge(asprintf(&config, "config=%s", at("cfg/good.conf")),
	    0);
	args[0] = config;
	h = dlopen(module(), RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "%s", dlerror());
	ck_assert_int_eq(pam_start("good", "nobody", &none, &pamh),
	    PAM_SUCCESS);
	ck_assert_int_eq(sm(h, "pam_sm_acct_mgmt")(pamh, 0, 1, args),
	    PAM_IGNORE);
	ck_assert_int_eq(sm(h, "pam_sm_setcred")(pamh, 0, 1, args),
	    PAM_IGNORE);
	ck_assert_int_eq(sm(h, "pam_sm_open_session")(pamh, 0, 1, args),
	    PAM_IGNORE);
	ck_assert_int_eq(sm(h, "pam_sm_close_session")(pamh, 0, 1, args),
	    PAM_IGNORE);
	/* A bad argument is an error in every phase, never "not ours". */
	ck_assert_int_eq(sm(h, "pam_sm_acct_mgmt")(pamh, 0, 2, args),
	    PAM_PERM_DENIED);
	ck_assert_int_eq(sm(h, "pam_sm_setcred")(pamh, 0, 2, args),
	    PAM_SERVICE_ERR);
	ck_assert_int_eq(sm(h, "pam_sm_open_session")(pamh, 0, 2, args),
	    PAM_SERVICE_ERR);
	/* No conversation: denied, not ignored. */
	ck_assert_int_eq(sm(h, "pam_sm_authenticate")(pamh, 0, 1, args),
	    PAM_CONV_ERR);
	ck_assert_int_eq(pam_end(pamh, PAM_SUCCESS), PAM_SUCCESS);
	free(config);
	dlclose(h);
}
END_TEST

/* MTLS_CERT for the certificate in dir/who.pem. */
static char *
cert_env(const char *who)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
	char path[4200], *s;

	snprintf(path, sizeof(path), "%s/%s.pem", dir, who);
	ck_assert_int_eq(gnutls_load_file(path, &pem), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &pem,
	    GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
	    &der), 0);
	s = malloc(10 + mtls_b64_encoded_len(der.size) + 1);
	ck_assert_ptr_nonnull(s);
	strcpy(s, "MTLS_CERT=");
	mtls_b64_encode(der.data, der.size, s + 10);
	gnutls_free(der.data);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	return s;
}

/*
 * sshd authenticates in a child process and runs the account phase in
 * the parent, which sees only the PAM environment: MTLS_CERT alone must
 * be checked again, and refused when it no longer passes.
 */
static const struct {
	const char	*user;
	const char	*cert;		/* NULL: a malformed MTLS_CERT */
	int		 expect;
} acct_rows[] = {
	{ "nobody", "nobody", PAM_SUCCESS },
	{ "daemon", "nobody", PAM_PERM_DENIED },
	/* issuer_fingerprint= rules: the issuer of the path built again */
	{ "games", "nobody", PAM_SUCCESS },
	{ "sys", "nobody", PAM_PERM_DENIED },
	{ "bin", "bin", PAM_PERM_DENIED },	/* revoked */
	{ "nobody", NULL, PAM_PERM_DENIED },
};

START_TEST(test_account_from_env)
{
	static const struct pam_conv none = { NULL, NULL };
	pam_handle_t *pamh = NULL;
	char *e;

	e = acct_rows[_i].cert != NULL ? cert_env(acct_rows[_i].cert) :
	    strdup("MTLS_CERT=AAAA:not*base64");
	ck_assert_int_eq(pam_start("good", acct_rows[_i].user, &none, &pamh),
	    PAM_SUCCESS);
	ck_assert_int_eq(pam_putenv(pamh, e), PAM_SUCCESS);
	ck_assert_int_eq(pam_acct_mgmt(pamh, 0), acct_rows[_i].expect);
	ck_assert_int_eq(pam_end(pamh, PAM_SUCCESS), PAM_SUCCESS);
	free(e);
}
END_TEST

START_TEST(test_dlopen)
{
	static const char *names[] = { "pam_sm_authenticate",
	    "pam_sm_setcred", "pam_sm_acct_mgmt", "pam_sm_open_session",
	    "pam_sm_close_session" };
	void *h = dlopen(module(), RTLD_NOW | RTLD_LOCAL);
	size_t i;

	ck_assert_msg(h != NULL, "%s", dlerror());
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)sm(h, names[i]);
	/* common/ stays inside */
	ck_assert_ptr_null(dlsym(h, "mtls_conv_server"));
	ck_assert_ptr_null(dlsym(h, "pmx_authenticate"));
	dlclose(h);
}
END_TEST

/* --- the parent: material, then the tests under pam_wrapper --------------- */

static void
sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st != 0) {
		fprintf(stderr, "test_pam: failed (%d): %s\n", st, cmd);
		exit(1);
	}
}

static void
put(const char *path, mode_t mode, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;

	if (f == NULL || chmod(path, mode) != 0) {
		fprintf(stderr, "test_pam: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static const char *
pam_permit(void)
{
	static const char *cands[] = {
		"/usr/lib/x86_64-linux-gnu/security/pam_permit.so",
		"/lib/x86_64-linux-gnu/security/pam_permit.so",
		"/usr/lib/security/pam_permit.so", "/lib/security/pam_permit.so",
	};
	size_t i;

	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (access(cands[i], R_OK) == 0)
			return cands[i];
	return "pam_permit.so";
}

static void
service(const char *name, const char *args)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/svc/%s", dir, name);
	put(path, 0644,
	    "auth required %s %s\n"
	    "auth required %s\n"
	    "account required %s %s\n"
	    "session required %s %s\n",
	    module(), args, pam_permit(), module(), args, module(), args);
}

/* The SHA-256 fingerprint of the certificate in path, in hex. */
static void
crt_fp(const char *path, char out[2 * 32 + 1])
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	unsigned char fp[32];
	size_t sz = sizeof(fp);

	if (gnutls_load_file(path, &pem) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
	    &sz) < 0 || sz != sizeof(fp)) {
		fprintf(stderr, "test_pam: %s: no fingerprint\n", path);
		exit(1);
	}
	mtls_hex(fp, sz, 0, out);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
}

static void
prepare(void)
{
	const char *m = getenv("MTLS");
	char conf[8192], arg[4200], path[4200], ca_fp[2 * 32 + 1];

	if (m == NULL)
		m = "tools/mtls";
	sh("%s ca init %s/ca --name 'PAM Test Root' --org 'PAM Test' "
	    ">/dev/null", m, dir);
	sh("%s ca issue %s/ca --host host.example.com --out %s/host "
	    ">/dev/null", m, dir, dir);
	sh("%s ca issue %s/ca --user nobody --out %s/nobody >/dev/null", m,
	    dir, dir);
	sh("%s ca issue %s/ca --user bin --out %s/bin >/dev/null", m, dir,
	    dir);
	sh("%s ca revoke %s/ca %s/bin.pem >/dev/null", m, dir, dir);
	sh("%s ca crl %s/ca >/dev/null", m, dir);
	sh("mkdir -m 0755 %s/cfg %s/svc", dir, dir);
	snprintf(path, sizeof(path), "%s/ca/ca.pem", dir);
	crt_fp(path, ca_fp);

	snprintf(conf, sizeof(conf),
	    "trust_anchor %s/ca/ca.pem\n"
	    "crl %s/ca/crl.pem\n"
	    "host_certificate %s/host.pem\n"
	    "host_key %s/host.key\n"
	    "map from=cn\n"
	    "map user=games issuer_fingerprint=%s\n"
	    "map user=sys issuer_fingerprint=%064d\n", dir, dir, dir, dir,
	    ca_fp, 0);
	put(at("cfg/nokeys.conf"), 0644, "%sssh_host_key %s/cfg/none-*.pub\n",
	    conf, dir);
	put(at("cfg/unsafekey.conf"), 0644, "%sssh_host_key %s/cfg/unsafe.pub\n",
	    conf, dir);
	snprintf(conf + strlen(conf), sizeof(conf) - strlen(conf),
	    "ssh_host_key %s/cfg/sshkey.pub\n", dir);
	put(at("cfg/good.conf"), 0644, "%s", conf);
	put(at("cfg/gwrite.conf"), 0664, "%s", conf);
	put(at("cfg/indexed.conf"), 0644, "%scrl_cache %s/cfg/cache\n", conf,
	    dir);
	sh("mkdir -m 0755 %s/cfg/cache", dir);
	put(at("cfg/nohost.conf"), 0644, "trust_anchor %s/ca/ca.pem\n"
	    "crl %s/ca/crl.pem\nmap from=cn\n", dir, dir);
	sh("ssh-keygen -q -t ed25519 -N '' -f %s/cfg/sshkey && "
	    "ssh-keygen -q -t ed25519 -N '' -f %s/cfg/impostor && "
	    "cp %s/cfg/sshkey.pub %s/cfg/unsafe.pub && "
	    "chmod 0666 %s/cfg/unsafe.pub", dir, dir, dir, dir, dir);

	snprintf(arg, sizeof(arg), "config=%s", at("cfg/good.conf"));
	service("good", arg);
	service("badsource", strcat(arg, " source=token"));
	snprintf(arg, sizeof(arg), "config=%s bogus", at("cfg/good.conf"));
	service("badopt", arg);
	snprintf(arg, sizeof(arg), "config=%s", at("cfg/missing.conf"));
	service("missing", arg);
	snprintf(arg, sizeof(arg), "config=%s", at("cfg/gwrite.conf"));
	service("gwrite", arg);
	snprintf(arg, sizeof(arg), "config=%s", at("cfg/nohost.conf"));
	service("nohost", arg);
	snprintf(arg, sizeof(arg), "config=%s", at("cfg/indexed.conf"));
	service("indexed", arg);
	snprintf(arg, sizeof(arg), "config=%s", at("cfg/nokeys.conf"));
	service("nokeys", arg);
	snprintf(arg, sizeof(arg), "config=%s", at("cfg/unsafekey.conf"));
	service("unsafekey", arg);
	service("relative", "config=cfg/good.conf");
	{
		static const struct {
			const char	*name;
			const char	*args;
		} bad[] = {
			{ "o-agent", "source=agent" },
			{ "o-twice", "source=conv source=conv" },
			{ "o-tokpin", "source=token token=pkcs11:token=t;"
			    "pin-value=1234" },
			{ "o-tokuri", "source=token token=token=t" },
			{ "o-wait", "source=token token=pkcs11:token=t "
			    "wait=601" },
			{ "o-waitconv", "wait=5" },
			{ "o-modrel", "source=token token=pkcs11:token=t "
			    "pkcs11_module=lib.so" },
			{ "o-nokey", "source=file cert=/c.pem" },
			{ "o-keyrel", "source=file cert=/c.pem key=k.pem" },
			{ "o-certconv", "cert=/c.pem key=/k.pem" },
			{ "o-tokfile", "source=file cert=/c.pem key=/k.pem "
			    "token=pkcs11:token=t" },
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(arg, sizeof(arg), "config=%s %s",
			    at("cfg/good.conf"), bad[i].args);
			service(bad[i].name, arg);
		}
	}
	snprintf(arg, sizeof(arg), "%s/svc/other", dir);
	put(arg, 0644, "auth required %.*spam_deny.so\n",
	    (int)(strrchr(pam_permit(), '/') - pam_permit() + 1), pam_permit());
}

/*
 * The module writes the CRL's revocation index, then answers from it: a
 * revoked certificate stays refused, and a new CRL (here revoking a
 * certificate that logged in a moment before) is honoured at once.
 */
static int
login(const char *service, const char *who, const char *user)
{
	struct pam_testcase cases[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
	};
	struct cli c;

	cli_init(&c, who, EV_NONE);
	(void)RUN(service, user, &c, cases);
	cli_free(&c);
	return cases[0].op_rv;
}

START_TEST(test_index)
{
	const char *m = getenv("MTLS");
	char crl[4200], cache[4200], ipath[PATH_MAX];
	struct stat st, st2;

	if (m == NULL)
		m = "tools/mtls";
	snprintf(crl, sizeof(crl), "%s", at("ca/crl.pem"));
	snprintf(cache, sizeof(cache), "%s", at("cfg/cache"));
	ck_assert_int_eq(mtls_crlidx_path(cache, crl, ipath, sizeof(ipath)),
	    0);
	sh("%s ca issue %s/ca --user daemon --out %s/daemon >/dev/null", m,
	    dir, dir);
	/*
	 * Once the CRL has settled (a CRL changed in the last 2 seconds is
	 * parsed, not indexed: test_verify checks that without a clock race),
	 * a login writes the index.
	 */
	ck_assert_int_eq(login("indexed", "daemon", "daemon"), PAM_SUCCESS);
	sleep(3);
	ck_assert_int_eq(login("indexed", "daemon", "daemon"), PAM_SUCCESS);
	ck_assert_int_eq(stat(ipath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	/* Read, not rewritten, on the next logins. */
	ck_assert_int_eq(login("indexed", "daemon", "daemon"), PAM_SUCCESS);
	ck_assert_int_eq(login("indexed", "bin", "bin"), PAM_AUTH_ERR);
	ck_assert_int_eq(stat(ipath, &st2), 0);
	ck_assert_uint_eq(st.st_ino, st2.st_ino);
	/* A new CRL revoking daemon: refused at once. */
	sh("%s ca revoke %s/ca %s/daemon.pem >/dev/null", m, dir, dir);
	ck_assert_int_eq(login("indexed", "daemon", "daemon"), PAM_AUTH_ERR);
	sleep(3);
	ck_assert_int_eq(login("indexed", "daemon", "daemon"), PAM_AUTH_ERR);
	ck_assert_int_eq(stat(ipath, &st2), 0);
	ck_assert_uint_ne(st.st_ino, st2.st_ino);	/* rebuilt */
	ck_assert_int_eq(login("indexed", "daemon", "daemon"), PAM_AUTH_ERR);
	ck_assert_int_eq(login("indexed", "nobody", "nobody"), PAM_SUCCESS);
	/* A damaged index is not used: the CRL is parsed and it is rebuilt. */
	sh("printf 'X' | dd of=%s bs=1 seek=100 conv=notrunc 2>/dev/null",
	    ipath);
	ck_assert_int_eq(login("indexed", "daemon", "daemon"), PAM_AUTH_ERR);
	ck_assert_int_eq(login("indexed", "nobody", "nobody"), PAM_SUCCESS);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pam");
	TCase *tc = tcase_create("pam");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_success);
	tcase_add_loop_test(tc, test_denied, 0,
	    (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_not_ours);
	tcase_add_loop_test(tc, test_account_from_env, 0,
	    (int)(sizeof(acct_rows) / sizeof(acct_rows[0])));
	tcase_add_test(tc, test_dlopen);
	tcase_add_test(tc, test_index);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	char self[PATH_MAX], *d;
	ssize_t n;
	pid_t pid;
	int st = 1;

	(void)argc;
	if ((dir = getenv("PMX_DIR")) != NULL && getenv("PAM_WRAPPER") != NULL)
		return tl_run(suite());

	/* Parent: make the material, run the tests preloaded, clean up. */
	d = strdup("/tmp/mtls-pam.XXXXXX");
	if (d == NULL || mkdtemp(d) == NULL || chmod(d, 0755) != 0) {
		perror("test_pam: mkdtemp");
		return 1;
	}
	dir = d;
	prepare();
	setenv("PMX_DIR", d, 1);
	setenv("PAM_WRAPPER", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", at("svc"), 1);
	setenv("LD_PRELOAD", "libpam_wrapper.so", 1);
	/*
	 * Re-execute this program by its name, not as /proc/self/exe:
	 * under valgrind that link names valgrind itself, while readlink()
	 * of it answers with the program being checked.
	 */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		perror("test_pam: readlink /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	pid = fork();
	if (pid == 0) {
		execv(self, argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	else
		st = 1;
	sh("rm -rf '%s'", d);
	free(d);
	return st;
}
