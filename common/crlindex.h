/*
 * crlindex.h - revocation indexes: the verified content of a CRL file,
 * kept in a file that a login maps read-only instead of parsing the CRL.
 *
 * An index is written only after every CRL in the file was parsed, its
 * signature verified against a configured CA and its extensions found
 * usable (verify_crl.c does all three).  It holds, per CRL, the identity
 * of the CA that verified it (its name and key, not one certificate of
 * it: see mtls_crlidx_sect), its scope, thisUpdate and nextUpdate, and
 * its revoked serial numbers sorted for a binary search.  Its header
 * binds it to the CRL file it came from (device, inode, size,
 * modification and change times as fstat reports them, and the SHA-256
 * of the file's bytes) and to the security profile the signatures were
 * checked under; a header that does not match the CRL file as it is now
 * makes the index unusable, and the caller parses the CRL instead.
 * Freshness is not decided here: verify_crl.c judges thisUpdate and
 * nextUpdate at every verification, as for a parsed CRL.
 *
 * Layout (host byte order; the file never leaves the machine that built
 * it): a 192-byte header, n section records of 88 bytes, then per section
 * its sorted serials and a summary holding every stride-th of them (stride
 * a power of two near the square root of the count, 64 to 4096), each
 * serial a 21-byte record (length, then up to 20 octets without leading
 * zeros, zero-padded).  The header carries the SHA-256 of the header and
 * section table; the rest is covered by a second SHA-256 that
 * `mtls crl update` checks but a login does not (that would cost O(n) per
 * login); it is as trustworthy as the root-owned file and directory that
 * hold it.
 *
 * The file is read, not mapped: opening reads the header and the
 * summaries (about 21 KB at a million serials), and a lookup reads one
 * block of at most stride serials.  Mapped page-cache pages would count
 * in the login process's resident memory, in large folios.
 */
#ifndef MTLS_CRLINDEX_H
#define MTLS_CRLINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "errors.h"

#define MTLS_SERIAL_MAX		20	/* octets, RFC 5280 4.1.2.2 */
#define MTLS_CRLIDX_MAX_SECTIONS 64	/* CRLs in one file */

/* A serial number without leading zero octets; 21 bytes, no padding. */
struct mtls_serial {
	unsigned char	len;
	unsigned char	b[MTLS_SERIAL_MAX];
};

/* Order of the serial arrays: shorter first, then memcmp. */
int mtls_serial_cmp(const void *a, const void *b);

/*
 * What a CRL covers, as its issuingDistributionPoint and deltaCRLIndicator
 * say (RFC 5280 5.2.4, 5.2.5): 0 for a complete CRL, that lists every
 * revoked certificate its issuer signed; otherwise each limit found.
 * verify_crl.c decides what a limited CRL counts for.
 */
#define MTLS_CRL_SCOPE_USERS	 0x01	/* onlyContainsUserCerts */
#define MTLS_CRL_SCOPE_CAS	 0x02	/* onlyContainsCACerts */
#define MTLS_CRL_SCOPE_REASONS	 0x04	/* onlySomeReasons */
#define MTLS_CRL_SCOPE_INDIRECT	 0x08	/* indirectCRL */
#define MTLS_CRL_SCOPE_ATTRS	 0x10	/* onlyContainsAttributeCerts */
#define MTLS_CRL_SCOPE_PARTITION 0x20	/* a distributionPoint name */
#define MTLS_CRL_SCOPE_DELTA	 0x40	/* deltaCRLIndicator */
#define MTLS_CRL_SCOPE_ALL	 0x7f

/* One CRL of a file. */
struct mtls_crlidx_sect {
	/*
	 * The CA, by name and key: SHA-256 of its subject DN (DER) followed
	 * by the SHA-256 of its SubjectPublicKeyInfo, so that every
	 * certificate of that CA (reissued, cross-certified) matches.
	 */
	unsigned char		  issuer[32];
	unsigned		  scope;	/* MTLS_CRL_SCOPE_* */
	int64_t			  this_update;
	int64_t			  next_update;	/* -1: absent */
	const struct mtls_serial *serials;	/* sorted; for writing only */
	size_t			  n;
};

struct mtls_crlidx;

/*
 * An index is not written for a CRL file changed less than this many
 * seconds ago (by its ctime): file times have a granularity of a clock
 * tick, so a file rewritten in place within the same tick, at the same
 * size, would look unchanged.  Such a CRL is parsed; a later login or
 * `mtls crl update` (which waits) writes the index.  Tests set it to 0.
 */
extern int mtls_crlidx_settle;

/*
 * The index file for the CRL file crl_path in directory dir: dir/crl-HEX
 * where HEX is the first 20 octets of SHA-256(crl_path).  Returns 0, or -1
 * when out is too small.
 */
int mtls_crlidx_path(const char *dir, const char *crl_path, char *out,
    size_t size);

/*
 * Open the index at idx_path if it is usable for the CRL file whose fstat
 * is crl_st, checked under security profile `profile`: a regular file
 * owned by root or the effective uid and not writable by group or others,
 * with a valid header whose binding matches.  Returns 0 with *out set,
 * MTLS_E_FILE_MISSING when there is no index, or another code when the
 * index cannot be used (err says why; the caller parses the CRL instead).
 */
int mtls_crlidx_open(const char *idx_path, const struct stat *crl_st,
    unsigned profile, struct mtls_crlidx **out, struct mtls_err *err);

size_t mtls_crlidx_count(const struct mtls_crlidx *idx);
const struct mtls_crlidx_sect *mtls_crlidx_sect(const struct mtls_crlidx *idx,
    size_t i);
/*
 * Is key among the serials of section i?  1 yes, 0 no, or a negative
 * MTLS_E_* code (the index cannot be read: the caller must deny).
 * Thread-safe: reads with pread(2) into its own buffer.
 */
int mtls_crlidx_lookup(const struct mtls_crlidx *idx, size_t i,
    const struct mtls_serial *key);

/* SHA-256 of the CRL file the index was built from. */
const unsigned char *mtls_crlidx_crl_sha256(const struct mtls_crlidx *idx);

/*
 * Check the serial arrays against their checksum and their order: O(n),
 * for `mtls crl update`, not for logins.  0 or MTLS_E_CRL_INDEX.
 */
int mtls_crlidx_check_data(const struct mtls_crlidx *idx,
    struct mtls_err *err);

/* Close; NULL is fine. */
void mtls_crlidx_close(struct mtls_crlidx *idx);

/*
 * Write an index for the CRL file described by crl_st and crl_sha256 to
 * idx_path (atomically, mode 0644).  Each section's serials must be sorted
 * with mtls_serial_cmp.
 */
int mtls_crlidx_write(const char *idx_path, const struct stat *crl_st,
    unsigned profile, const unsigned char crl_sha256[32],
    const struct mtls_crlidx_sect *sects, size_t n, struct mtls_err *err);

/*
 * A usable index directory: an existing directory owned by root or the
 * effective uid, not writable by group or others.  0, or a code with err.
 */
int mtls_crlidx_dir_check(const char *dir, struct mtls_err *err);

#endif /* MTLS_CRLINDEX_H */
