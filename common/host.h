/*
 * host.h - the host's own certificate and key (host_certificate and
 * host_key in mtls.conf), with which the host proves itself to the person
 * logging in.
 */
#ifndef MTLS_HOST_H
#define MTLS_HOST_H

#include <time.h>

#include <gnutls/gnutls.h>

#include "conf.h"
#include "errors.h"
#include "verify.h"

/*
 * Load the host certificate (with any intermediates after it) and key
 * into new GnuTLS credentials.  The key file must be owned by root (or
 * the effective user) and readable by nobody else; the key must match the
 * certificate.  The key's bytes are wiped from memory after loading.  On
 * failure *out is NULL.  Free with gnutls_certificate_free_credentials().
 */
int mtls_host_load(const struct mtls_conf *conf,
    gnutls_certificate_credentials_t *out, struct mtls_err *err);

/*
 * Check the host credentials as a client will: mtls_host_load() succeeds
 * and the certificate verifies under v with purpose server at now.
 * Returns 0 when no host certificate is configured.
 */
int mtls_host_check(const struct mtls_conf *conf,
    const struct mtls_verifier *v, time_t now, struct mtls_err *err);

#endif /* MTLS_HOST_H */
