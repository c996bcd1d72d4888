/*
 * db.h - the identity database: one immutable, indexed file of users and
 * groups (see mtls-identity(5) for the sources and the layout).
 *
 * The reader is pure functions over a buffer (a private copy of the
 * file, never a shared mapping of it, which a truncation turns into
 * SIGBUS).  It uses libc only and allocates nothing, so that the NSS
 * module can link it alone.  mtls_db_open() checks the header, every
 * section's bounds and every checksum once; every accessor still checks
 * each offset and index it follows, so a buffer that was not opened
 * (or changed under the reader) gives errors, never a read outside it.
 * A buffer may also be filled on demand (mtls_db_open_lazy, and
 * mtls_db_open_file for a file read a block at a time, each checked
 * against the sum the file carries for it): the reader then sees that
 * every block it touches is there first.
 * All functions are thread-safe: they only read the buffer (and of a
 * lazy one, call fetch and mark blocks in `present`, atomically).
 *
 * The builder (mtls_db_build) turns records into such a buffer.
 */
#ifndef MTLS_DB_H
#define MTLS_DB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where the database is, unless told otherwise. */
#define MTLS_ID_DB		"/var/lib/mtls/identity.db"

#define MTLS_DB_MAGIC		"MTLSIDB\0"
#define MTLS_DB_VERSION		2	/* 1: no block sums, no principal index */
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

#define MTLS_DB_NSEC		13	/* sections, see db.c */
#define MTLS_DB_HDR_SIZE	176	/* bytes of the header */
#define MTLS_DB_SUM_FROM	32	/* the checksum covers the bytes after */
#define MTLS_DB_BLOCK_SHIFT	12
/* the bytes a block sum covers, and what a lazy reader reads at a time */
#define MTLS_DB_BLOCK		(1u << MTLS_DB_BLOCK_SHIFT)

/*
 * A buffer filled on demand, a block of 1 << shift bytes at a time.
 * present[i] is 0 until block i is there; then whoever brought it in
 * stores 1 (with release order: the reader loads it with acquire, then
 * reads the block), once.  The reader calls fetch(ctx, off, n) when a
 * block of [off, off + n) is not there yet; it returns 0 once they all
 * are, anything else when they cannot be.  The reader itself stores 2
 * over a 1 once every string that starts in the block ends in blocks
 * that are there, so that it need not look for the end of each string
 * again.
 */
struct mtls_db_lazy {
	atomic_uchar	*present;
	unsigned	 shift;
	int		(*fetch)(void *ctx, size_t off, size_t n);
	void		*ctx;
};

/*
 * Read n bytes at offset off of the file into dst: 0 when all n were
 * read, anything else when they could not be (an error, or the file now
 * ends first).
 */
typedef int (*mtls_db_read_fn)(void *ctx, void *dst, size_t n, size_t off);

/*
 * A database opened over a buffer the caller keeps alive.  The fields are
 * filled by mtls_db_open() from the checked header; treat them as opaque
 * except n_users and n_groups.
 */
struct mtls_db {
	const unsigned char	*base;
	size_t			 len;
	struct mtls_db_lazy	 lazy;		/* present NULL: all there */
	unsigned char		*wbase;		/* mtls_db_open_file's */
	mtls_db_read_fn		 read;
	void			*read_ctx;
	uint64_t		 top_sum;
	uint32_t		 n_users;
	uint32_t		 n_groups;
	uint32_t		 n_members;
	uint32_t		 n_pentries;	/* principals of all users */
	uint32_t		 off[MTLS_DB_NSEC];
	uint32_t		 cnt[MTLS_DB_NSEC];
};

/* A user as the reader returns it: pointers into the buffer. */
struct mtls_db_user {
	uint32_t	 index;		/* in build order */
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
 * Check the header, the sections and every checksum of len bytes at base
 * and fill db.  Returns 0 or MTLS_E_CORRUPT.  Nothing is allocated.
 */
int mtls_db_open(struct mtls_db *db, const void *base, size_t len);

/*
 * The format version of the len bytes at p when they start like a
 * database (for a message: a file of an older version is refused, and
 * `mtls db build` writes it again), else 0.
 */
uint32_t mtls_db_version(const void *p, size_t len);

/* Blocks of MTLS_DB_BLOCK bytes in a file of len bytes. */
size_t mtls_db_nblocks(size_t len);

/*
 * Open the file of len bytes that rd(rd_ctx, ...) reads, without a pass
 * over it: the header block is read and checked (its own sum, version,
 * size, every section within the file), and the sums of the block sums
 * (8 bytes per 256 KiB of file).  Nothing else is read here.  base is len
 * bytes of writable memory that only receives blocks as they are read
 * (address space: untouched pages cost nothing), lazy->present
 * mtls_db_nblocks(len) zeroed flags, lazy->shift MTLS_DB_BLOCK_SHIFT.
 * Later, when the reader lacks a block it calls lazy->fetch, which must
 * call mtls_db_fill() (with whatever lock keeps two threads from filling
 * at once).  Returns 0 or MTLS_E_CORRUPT (a short read included).
 */
int mtls_db_open_file(struct mtls_db *db, unsigned char *base, size_t len,
    const struct mtls_db_lazy *lazy, mtls_db_read_fn rd, void *rd_ctx);

/*
 * Bring the blocks of bytes [off, off + n) of a database opened by
 * mtls_db_open_file into its buffer: read each one missing, check it
 * against the block sum the file carries (read with its chunk of 512
 * bytes of sums, checked against the sums of the sums, which the header
 * covers), and mark it present.  The
 * caller keeps two calls from running at once.  0, or MTLS_E_CORRUPT
 * when a block cannot be read or does not match (the file was truncated
 * or changed): nothing of it is then marked present.
 */
int mtls_db_fill(const struct mtls_db *db, size_t off, size_t n);

/*
 * The same over a buffer of len bytes of which only the header (the
 * first MTLS_DB_HDR_SIZE bytes) need be there yet: the reader touches no
 * other byte before its block is present (see struct mtls_db_lazy), and
 * answers MTLS_E_CORRUPT when fetch fails.  sum is the checksum of the
 * file's bytes from MTLS_DB_SUM_FROM on, which the caller computed as it
 * read them (mtls_db_hash64_add); it must equal the header's.  A fetch
 * that brings other bytes than those sum covered is the caller's to
 * refuse.  lazy NULL: every byte is there and was summed.  *lazy is
 * copied; present and ctx must outlive db.
 */
int mtls_db_open_lazy(struct mtls_db *db, const void *base, size_t len,
    uint64_t sum, const struct mtls_db_lazy *lazy);

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

/*
 * Accounts whose principal of kind equals value: call fn for each, in
 * no particular order, an account once for each time it lists the
 * principal.  Through the principal index: the cost does not grow with
 * the number of accounts.  0, or MTLS_E_CORRUPT (fn may have been
 * called for some accounts before: a caller that must not act on part
 * of an answer collects first).
 */
int mtls_db_find_principal(const struct mtls_db *db, int kind,
    const char *value, void (*fn)(void *ctx, const struct mtls_db_user *u),
    void *ctx);

/* Name of a principal kind ("subject", ...), or NULL; and the reverse. */
const char *mtls_principal_kind_name(int kind);
int mtls_principal_kind_parse(const char *s);

/* The checksum the header carries: a 64-bit hash of len bytes. */
uint64_t mtls_db_hash64(const unsigned char *p, size_t len);

/*
 * The same a piece at a time: h = mtls_db_hash64_add(h, piece, n) from
 * h = MTLS_DB_HASH_SEED over consecutive pieces, each a multiple of 8
 * bytes long but the last, then h ^ (total length) is mtls_db_hash64()
 * of the whole.
 */
#define MTLS_DB_HASH_SEED	0xcbf29ce484222325ULL
uint64_t mtls_db_hash64_add(uint64_t h, const unsigned char *p, size_t n);

/*
 * Both at once, in one pass over the n bytes at p, which are the bytes
 * at offset off of a file: continue the file's checksum h over those
 * from MTLS_DB_SUM_FROM on (as mtls_db_hash64_add), and store
 * mtls_db_hash64() of each block of them in sums[off / block], ... .
 * block is a multiple of 8, and so are off and n but at the file's end;
 * off is a multiple of block.  Returns the new h.
 */
uint64_t mtls_db_hash64_blocks(uint64_t h, const unsigned char *p,
    size_t off, size_t n, size_t block, uint64_t *sums);

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

/*
 * Write every checksum of the len bytes at p, whose header lays out a
 * database (as mtls_db_build does last): the block sums, their sums,
 * the header's and the whole file's.  0, or MTLS_E_CORRUPT when the
 * header's layout is not one a reader accepts.  For tests and fuzzing,
 * which change a database and then want the reader to look past its
 * checksums.
 */
int mtls_db_seal(unsigned char *p, size_t len);

#endif /* MTLS_DB_H */
