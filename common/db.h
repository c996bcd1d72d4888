/*
 * db.h - the identity database: one immutable, indexed file of users and
 * groups (see mtls-identity(5) for the sources and the layout).
 *
 * The reader is pure functions over a buffer (normally a read-only
 * mapping).  It uses libc only and allocates nothing, so that the NSS
 * module can link it alone.  mtls_db_open() checks the header, every
 * section's bounds and the checksum once; every accessor still checks
 * each offset and index it follows, so a buffer that was not opened
 * (or changed under the reader) gives errors, never a read outside it.
 * All functions are thread-safe: they only read the buffer.
 *
 * The builder (mtls_db_build) turns records into such a buffer.
 */
#ifndef MTLS_DB_H
#define MTLS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where the database is, unless told otherwise. */
#define MTLS_ID_DB		"/var/lib/mtls/identity.db"

#define MTLS_DB_MAGIC		"MTLSIDB\0"
#define MTLS_DB_VERSION		1
#define MTLS_DB_MAX_SIZE	((size_t)1 << 31)	/* bytes of a database */
#define MTLS_DB_MAX_RECORDS	(1u << 24)		/* users, groups */
#define MTLS_DB_MAX_PRINCIPALS	64			/* per user */
#define MTLS_DB_MAX_MEMBERS	65536			/* per group */

/* Kinds of certificate principal an account accepts. */
enum mtls_principal_kind {
	MTLS_PRINCIPAL_SUBJECT = 1,	/* exact subject DN, RFC 4514 */
	MTLS_PRINCIPAL_FINGERPRINT,	/* SHA-256, 64 lower-case hex digits */
	MTLS_PRINCIPAL_EMAIL,		/* SAN rfc822Name */
	MTLS_PRINCIPAL_UPN,		/* SAN Microsoft UPN */
	MTLS_PRINCIPAL_URI		/* SAN URI */
};

#define MTLS_DB_NSEC		10	/* sections, see db.c */

/*
 * A database opened over a buffer the caller keeps alive.  The fields are
 * filled by mtls_db_open() from the checked header; treat them as opaque
 * except n_users and n_groups.
 */
struct mtls_db {
	const unsigned char	*base;
	size_t			 len;
	uint32_t		 n_users;
	uint32_t		 n_groups;
	uint32_t		 n_members;
	uint32_t		 off[MTLS_DB_NSEC];
	uint32_t		 cnt[MTLS_DB_NSEC];
};

/* A user as the reader returns it: pointers into the buffer. */
struct mtls_db_user {
	const char	*name;
	uint32_t	 uid;
	uint32_t	 gid;
	const char	*gecos;
	const char	*home;
	const char	*shell;
	uint32_t	 n_principals;
	uint32_t	 principals;	/* opaque: for mtls_db_user_principal */
};

struct mtls_db_group {
	const char	*name;
	uint32_t	 gid;
	uint32_t	 n_members;
	uint32_t	 members;	/* opaque: for mtls_db_group_member */
};

/*
 * Reader errors are the MTLS_E_* codes: MTLS_E_NOT_FOUND (no such entry),
 * MTLS_E_CORRUPT (the buffer is not a sound database).
 */

/*
 * Check the header, the sections and the checksum of len bytes at base
 * and fill db.  Returns 0 or MTLS_E_CORRUPT.  Nothing is allocated.
 */
int mtls_db_open(struct mtls_db *db, const void *base, size_t len);

/* Point lookups: 0 and *out filled, MTLS_E_NOT_FOUND, or MTLS_E_CORRUPT. */
int mtls_db_user_by_name(const struct mtls_db *db, const char *name,
    struct mtls_db_user *out);
int mtls_db_user_by_uid(const struct mtls_db *db, uint32_t uid,
    struct mtls_db_user *out);
int mtls_db_group_by_name(const struct mtls_db *db, const char *name,
    struct mtls_db_group *out);
int mtls_db_group_by_gid(const struct mtls_db *db, uint32_t gid,
    struct mtls_db_group *out);

/* The i-th record in build order (for enumeration), i < n_users/n_groups. */
int mtls_db_user_at(const struct mtls_db *db, uint32_t i,
    struct mtls_db_user *out);
int mtls_db_group_at(const struct mtls_db *db, uint32_t i,
    struct mtls_db_group *out);

/* The i-th principal of u: its kind and value. */
int mtls_db_user_principal(const struct mtls_db *db,
    const struct mtls_db_user *u, uint32_t i, int *kind, const char **value);

/* The i-th member name of g. */
int mtls_db_group_member(const struct mtls_db *db,
    const struct mtls_db_group *g, uint32_t i, const char **name);

/*
 * The groups that list name as a member: *n and an opaque handle for
 * mtls_db_membership_gid.  *n is 0 (and 0 returned) for a name in none.
 */
int mtls_db_memberships(const struct mtls_db *db, const char *name,
    uint32_t *n, uint32_t *handle);
int mtls_db_membership_gid(const struct mtls_db *db, uint32_t handle,
    uint32_t i, uint32_t *gid);

/* Accounts whose principal of kind equals value: call fn for each. */
int mtls_db_find_principal(const struct mtls_db *db, int kind,
    const char *value, void (*fn)(void *ctx, const struct mtls_db_user *u),
    void *ctx);

/* Name of a principal kind ("subject", ...), or NULL; and the reverse. */
const char *mtls_principal_kind_name(int kind);
int mtls_principal_kind_parse(const char *s);

/* The checksum the header carries: a 64-bit hash of len bytes. */
uint64_t mtls_db_hash64(const unsigned char *p, size_t len);

/* ---- building --------------------------------------------------------- */

struct mtls_db_principal_in {
	int		 kind;
	const char	*value;
};

struct mtls_db_user_in {
	const char	*name;
	uint32_t	 uid;
	uint32_t	 gid;
	const char	*gecos;
	const char	*home;
	const char	*shell;
	const struct mtls_db_principal_in *principals;
	uint32_t	 n_principals;
};

struct mtls_db_group_in {
	const char	*name;
	uint32_t	 gid;
	const char	**members;
	uint32_t	 n_members;
};

/*
 * Lay the records out as a database in a new buffer (*out, free() it;
 * *out_len bytes).  Records are taken as they are: the caller validated
 * them (unique names and ids).  Returns 0, MTLS_E_NOMEM or
 * MTLS_E_TOO_LARGE.
 */
int mtls_db_build(const struct mtls_db_user_in *users, uint32_t n_users,
    const struct mtls_db_group_in *groups, uint32_t n_groups,
    unsigned char **out, size_t *out_len);

#endif /* MTLS_DB_H */
