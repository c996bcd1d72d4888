/*
 * local.h - logins at the machine (console, su, sudo): pam_mtls runs the
 * client side of the handshake too, in memory, with the person's key on a
 * PKCS#11 token (source=token) or in a file (source=file).  The server
 * side and its verdict are exactly those of source=conv.
 *
 * The host's side is the host certificate from mtls.conf.  The client
 * side verifies it (chain, validity, serverAuth) like any client, and
 * checks it against the host certificate's own first DNS name: both ends
 * are this process, so a name check could not tell anything more.
 *
 * Not thread-safe with respect to other users of GnuTLS's process-wide
 * PKCS#11 PIN callback: it is replaced during the login and put back.
 */
#ifndef PAM_MTLS_LOCAL_H
#define PAM_MTLS_LOCAL_H

#include <security/pam_modules.h>

#include "conv.h"
#include "options.h"

/*
 * Run the login for p->user with the key o names.  p is filled like for
 * mtls_conv_server() except roundtrip and ctx, which are set here; res
 * must be zeroed.  PINs and passphrases are asked through the PAM
 * conversation (echo off) and wiped after use.  Returns res->code: 0 when
 * a certificate was verified and maps to p->user; MTLS_E_NO_TOKEN when
 * the token is absent (after waiting o->wait seconds); MTLS_E_PIN_WRONG,
 * MTLS_E_PIN_LOCKED; MTLS_E_DECLINED for an empty PIN; MTLS_E_CONV when
 * the conversation failed; otherwise the server's reason.
 */
int pmx_local_login(pam_handle_t *pamh, const struct pmx_opts *o,
    struct mtls_server_params *p, struct mtls_server_result *res);

#endif /* PAM_MTLS_LOCAL_H */
