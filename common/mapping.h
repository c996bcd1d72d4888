/*
 * mapping.h - which local accounts a verified certificate may log in to.
 *
 * Rules come from mtls.conf (`map` lines).  Nothing configured maps
 * nothing.  A rule gives a fixed account (user=) when all its selectors
 * match, or takes the account name from one certificate field (from=).
 * Names are used exactly as they appear: validated as POSIX user names
 * ([a-z_][a-z0-9_-]{0,31}), never case-folded, never trimmed.  An account
 * with uid 0 (or named root) is only given by a rule that pins the
 * certificate's fingerprint and says allow_root.
 */
#ifndef MTLS_MAPPING_H
#define MTLS_MAPPING_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "errors.h"
#include "identity.h"
#include "util.h"

struct mtls_account {
	char			 name[MTLS_NAME_MAX + 1];
	const struct mtls_rule	*rule;	/* the first rule that gave it */
};

struct mtls_accounts {
	struct mtls_account	*v;
	size_t			 n;
};

/*
 * Look up the uid of an account: 0 and *uid set when it exists,
 * MTLS_E_NOT_FOUND when it does not, another code when the lookup failed
 * (the account is then not given).
 */
typedef int (*mtls_uid_fn)(void *ctx, const char *name, uid_t *uid);

/* mtls_uid_fn through getpwnam_r(3); ctx is unused. */
int mtls_uid_lookup_system(void *ctx, const char *name, uid_t *uid);

/*
 * Apply conf's rules to id (a certificate that was verified) and fill out
 * with the accounts it may use, in rule order, each once.
 * issuer_fingerprint= rules match only when id carries the path that
 * verification built (mtls_identity_set_path()).  out must be zeroed or
 * cleared; release it with mtls_accounts_clear().  Returns 0 when
 * at least one account is given, MTLS_E_NO_MAPPING when none, or another
 * code on failure (out is then empty).  Rules borrowed by out belong to
 * conf.  Why a rule gave nothing is logged at LOG_DEBUG.
 */
int mtls_map(const struct mtls_conf *conf, const struct mtls_identity *id,
    mtls_uid_fn lookup, void *ctx, struct mtls_accounts *out,
    struct mtls_err *err);

/* Nonzero when name is one of the accounts (exact comparison). */
int mtls_accounts_has(const struct mtls_accounts *a, const char *name);

void mtls_accounts_clear(struct mtls_accounts *a);

/*
 * Nonzero when the RFC 4514 string dn ends with the RDNs suffix: equal, or
 * preceded by an unescaped ','.  Exact and case-sensitive.
 */
int mtls_dn_has_suffix(const char *dn, const char *suffix);

#endif /* MTLS_MAPPING_H */
