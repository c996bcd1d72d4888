/*
 * fixtures.h - the test PKI: roots, intermediates, client and server leaves
 * (good ones and one for each way a certificate can be wrong) and CRLs,
 * generated with GnuTLS into a directory.
 *
 * Every date is absolute and chosen around FX_NOW, the time the tests set
 * with gnutls_global_set_time_function(), so nothing depends on the real
 * clock and the fixtures never expire.  Keys are fresh on every run;
 * tests that pin a serial or fingerprint read them from fixtures.txt.
 */
#ifndef MTLS_TESTS_FIXTURES_H
#define MTLS_TESTS_FIXTURES_H

#define FX_NOW		1767225600	/* 2026-01-01T00:00:00Z */
#define FX_CA_FROM	1735689600	/* 2025-01-01: CA notBefore */
#define FX_CA_TO	2051222400	/* 2035-01-01: CA notAfter */
#define FX_LEAF_FROM	1748736000	/* 2025-06-01: leaf notBefore */
#define FX_LEAF_TO	1798761600	/* 2027-01-01: leaf notAfter */
#define FX_CRL_THIS	1766620800	/* 2025-12-25: CRL thisUpdate */
#define FX_CRL_NEXT	1769299200	/* 2026-01-25: CRL nextUpdate */
#define FX_REVOKED_AT	1766188800	/* 2025-12-20: leaf-revoked revoked */

/*
 * Create dir (mode 0755) if it does not exist and write every fixture into
 * it, replacing files of the same name: certificates as X.pem, their keys
 * as X.key (PKCS#8, unencrypted, mode 0600), CRLs as X.crl, the chains
 * deep-chain.pem and pl0-chain.pem, leaves followed by another certificate
 * of their issuer (leaf-good-reissue.pem, leaf-revoked-reissue.pem,
 * leaf-revoked-cross.pem), and fixtures.txt with one line
 * "file<TAB>serial<TAB>sha256" (lower-case hex) per certificate, CAs
 * included.  Returns 0 on success; on failure prints one line to stderr
 * and returns nonzero, with the directory possibly half written.  Not
 * thread-safe (it initialises GnuTLS); meant to run once, from a test's
 * setup or from mkfixtures.
 */
int fixtures_make(const char *dir);

#endif /* MTLS_TESTS_FIXTURES_H */
