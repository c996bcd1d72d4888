/*
 * pam_mtls.c - the PAM entry points of pam_mtls.so, and the one function
 * that turns MTLS_E_* codes into PAM codes (see pam_mtls(8)).
 *
 * Fail closed: every phase starts from a failure, authentication never
 * returns PAM_IGNORE, and an unusable configuration or argument denies.
 */
#include "config.h"

#include <syslog.h>

#include <security/pam_modules.h>

#include "auth.h"
#include "errors.h"
#include "log.h"
#include "options.h"

#define PMX_EXPORT	__attribute__((visibility("default")))

enum phase { PH_AUTH, PH_ACCOUNT, PH_SESSION };

static int
to_pam(enum phase ph, int code)
{
	switch (code) {
	case 0:
		return PAM_SUCCESS;
	case MTLS_E_NOT_OURS:
		/* Only other phases may pass; authentication never does. */
		return ph == PH_AUTH ? PAM_AUTH_ERR : PAM_IGNORE;
	case MTLS_E_NOMEM:
		return PAM_BUF_ERR;
	case MTLS_E_INTERNAL:
	case MTLS_E_CRYPTO:
	case MTLS_E_INVAL:
		return ph == PH_ACCOUNT ? PAM_PERM_DENIED : PAM_SYSTEM_ERR;
	case MTLS_E_CONFIG:
	case MTLS_E_IO:
	case MTLS_E_FILE_MISSING:
	case MTLS_E_FILE_OWNER:
	case MTLS_E_FILE_MODE:
	case MTLS_E_FILE_TYPE:
	case MTLS_E_BAD_PEM:
	case MTLS_E_NO_ANCHOR:
	case MTLS_E_NO_HOST_KEYS:
		return ph == PH_ACCOUNT ? PAM_PERM_DENIED : PAM_SERVICE_ERR;
	}
	switch (ph) {
	case PH_AUTH:
		if (code == MTLS_E_DECLINED)
			return PAM_CRED_INSUFFICIENT;
		if (code == MTLS_E_CONV)
			return PAM_CONV_ERR;
		if (code == MTLS_E_NO_TOKEN)
			return PAM_AUTHINFO_UNAVAIL;
		if (code == MTLS_E_PIN_LOCKED)
			return PAM_MAXTRIES;
		return PAM_AUTH_ERR;
	case PH_ACCOUNT:
		if (code == MTLS_E_CERT_EXPIRED)
			return PAM_ACCT_EXPIRED;
		return PAM_PERM_DENIED;
	case PH_SESSION:
		break;
	}
	return PAM_SESSION_ERR;
}

/* Parse the arguments; a bad one is logged and denies. */
static int
begin(pam_handle_t *pamh, int argc, const char **argv, struct pmx_opts *o)
{
	struct mtls_err err = { 0, "" };
	int r;

	pmx_log_begin(pamh);
	if ((r = pmx_opts_parse(argc, argv, o, &err)) != 0)
		mtls_log(LOG_ERR, "bad module arguments: %s",
		    mtls_err_msg(&err));
	pmx_log_debug(o->debug);
	return r;
}

static int
end(struct pmx_opts *o, enum phase ph, int r)
{
	pmx_opts_clear(o);
	pmx_log_end();
	return to_pam(ph, r);
}

PMX_EXPORT int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct pmx_opts o;
	int r;

	if ((r = begin(pamh, argc, argv, &o)) == 0)
		r = pmx_authenticate(pamh, &o);
	return end(&o, PH_AUTH, r);
}

PMX_EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pmx_opts o;
	int r;

	if ((r = begin(pamh, argc, argv, &o)) == 0)
		r = pmx_ours(pamh, 0);
	return end(&o, PH_SESSION, r);
}

PMX_EXPORT int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pmx_opts o;
	int r;

	if ((r = begin(pamh, argc, argv, &o)) == 0)
		r = pmx_account(pamh, &o);
	return end(&o, PH_ACCOUNT, r);
}

PMX_EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct pmx_opts o;
	int r;

	if ((r = begin(pamh, argc, argv, &o)) == 0)
		r = pmx_ours(pamh, 1);
	return end(&o, PH_SESSION, r);
}

PMX_EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct pmx_opts o;
	int r;

	if ((r = begin(pamh, argc, argv, &o)) == 0)
		r = pmx_ours(pamh, 0);
	return end(&o, PH_SESSION, r);
}
