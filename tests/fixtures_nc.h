/*
 * fixtures_nc.h - name constraints and subject alternative names for the
 * test PKI (fixtures.c), written as raw DER so that malformed ones can
 * be made too.
 */
#ifndef MTLS_TESTS_FIXTURES_NC_H
#define MTLS_TESTS_FIXTURES_NC_H

#include <gnutls/x509.h>

/*
 * Add to crt the extensions that spec describes: items separated by ";",
 *   p:FORM:VALUE / x:FORM:VALUE	a permitted / excluded subtree
 *   san:FORM:VALUE		a subject alternative name
 *   noncrit			the name constraints extension not critical
 *   min			a minimum of 1 in the first subtree
 *   empty			a name constraints extension without subtrees
 * FORM is dns, email, uri, upn (otherName), ip ("ADDR/MASK" for a subtree,
 * "ADDR" for a name, IPv4 or IPv6), dn or dn8 (RFC 4514, most specific
 * first: C, O, OU, CN and E; dn8 encodes values as UTF8String, dn as
 * GnuTLS would), or many (VALUE copies of dnsN.example.com).  Returns 0,
 * or a negative GnuTLS code with *what naming the step that failed.
 */
int fixtures_nc_extensions(gnutls_x509_crt_t crt, const char *spec,
    const char **what);

#endif /* MTLS_TESTS_FIXTURES_NC_H */
