/*
 * auth.h - what pam_mtls.so does in each PAM phase.  Every function
 * returns 0 or a negative MTLS_E_* code; pam_mtls.c alone turns those
 * into PAM codes.
 *
 * Thread-safety: the module keeps no mutable state of its own between
 * calls.  Log messages from common/ reach pam_syslog through one backend
 * installed once (pthread_once) that reads the PAM handle of the calling
 * thread from a thread-local variable set by pmx_log_begin(); so
 * concurrent PAM handles in different threads log to their own handle.
 */
#ifndef PAM_MTLS_AUTH_H
#define PAM_MTLS_AUTH_H

#include <security/pam_modules.h>

#include "options.h"

/* Data name under which the authenticated certificate is kept. */
#define PMX_DATA	"pam_mtls_cert"

/*
 * Route mtls_log() to pam_syslog(pamh) for this thread until
 * pmx_log_end(); LOG_DEBUG only when debug is set.
 */
void pmx_log_begin(pam_handle_t *pamh);
void pmx_log_debug(int debug);
void pmx_log_end(void);

/*
 * The authentication phase with source=conv: run the server side of the
 * login conversation, and on success keep the certificate (pam_set_data)
 * and export MTLS_SUBJECT, MTLS_SERIAL, MTLS_FINGERPRINT and MTLS_CERT to
 * the PAM environment.  0 only when the certificate was verified, maps to
 * PAM_USER and everything was recorded.  MTLS_E_DECLINED when the person
 * skipped, MTLS_E_CONV when the conversation failed.
 */
int pmx_authenticate(pam_handle_t *pamh, const struct pmx_opts *o);

/*
 * The account phase: MTLS_E_NOT_OURS when this module did not
 * authenticate (no data, no MTLS_CERT); otherwise verify the chain again
 * with the configuration as it is now and map it to PAM_USER again.
 */
int pmx_account(pam_handle_t *pamh, const struct pmx_opts *o);

/*
 * Sessions and credentials: MTLS_E_NOT_OURS when this module did not
 * authenticate; with export set, the MTLS_* variables are put into the
 * PAM environment again.
 */
int pmx_ours(pam_handle_t *pamh, int export);

#endif /* PAM_MTLS_AUTH_H */
