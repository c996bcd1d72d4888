/*
 * db.c - the identity database reader: libc only, no allocation, every
 * offset checked.
 *
 * Layout (all integers little-endian as written by the host, which the
 * header's byte-order word confirms; every section starts 8-aligned):
 *
 *   header    block 0, alone: magic "MTLSIDB\0", version, byte-order word
 *             0x01020304, file size, checksum of every byte from
 *             MTLS_DB_SUM_FROM on, user/group/member/principal counts,
 *             (offset, count) of each section below, the block shift
 *             (12), the checksum of BTOP, and last the header's own
 *             checksum (of its bytes but the file's checksum and
 *             itself).  The rest of block 0 is zero.
 *   USERS     n_users records of 8 u32: name, uid, gid, gecos, home,
 *             shell (string offsets or ids), principals (index into U32),
 *             principal count.
 *   GROUPS    n_groups records of 4 u32: name, gid, members (U32 index),
 *             member count.
 *   MEMBERS   one record of 3 u32 per distinct member name: name, groups
 *             (U32 index of group record indexes), count.
 *   STRINGS   NUL-terminated strings; the last byte is NUL.
 *   U32       u32 lists: principals as (kind, string) pairs, members as
 *             strings, memberships as group indexes.
 *   UNAME UID GNAME GID MNAME
 *             open-addressing hash tables (power-of-two sizes, at most
 *             half full, linear probing) of slots of 2 u32: record index
 *             + 1 (0 is empty) and the key's 32-bit hash, so that a probe
 *             reads a record only when the whole hash matches (a record
 *             is elsewhere in the file: another block to read).
 *   PTAB      the principal index: the same kind of table, a slot for
 *             each principal a user lists, by kind and string, of user
 *             index + 1.  A slot whose hash matches is only a hint: the
 *             user's own list says whether it lists the principal, so
 *             that a lookup reads the user's record, its list and its
 *             strings, and nothing else.
 *   BSUM      from a block boundary (where the data above ends): the
 *             checksum of each block of 1 << shift bytes before it, by
 *             block number (block 0, the header, has its own: 0 here).
 *   BTOP      right after BSUM, to the end of the file: the checksum of
 *             each chunk of SUM_CHUNK entries of BSUM (512 bytes).
 *
 * So a reader that reads the file a block at a time checks the header by
 * its own sum, BTOP (8 bytes per 256 KiB of file) against the header,
 * and then a data block it needs against its entry of BSUM, which it
 * reads with its chunk and checks against BTOP: a block costs a read of
 * 4 KiB and one of 512 bytes, at any size of file.  One that has the
 * whole file checks the whole file's sum as well.
 * Version 1 (no block sums, no principal index) is refused: `mtls db
 * build` writes the file again from its sources.
 */
#include "config.h"

#include <string.h>

#include "db.h"
#include "errors.h"

enum {
	S_USERS, S_GROUPS, S_MEMBERS, S_STR, S_U32,
	S_UNAME, S_UID, S_GNAME, S_GID, S_MNAME, S_PTAB,
	S_BSUM, S_BTOP
};
#define S_DATA		S_BSUM	/* sections before it lie in data blocks */

/* bytes of one element of each section */
static const uint32_t sec_elem[MTLS_DB_NSEC] = {
	32, 16, 12, 1, 4, 8, 8, 8, 8, 8, 8, 8, 8
};

#define H_SECTIONS	48
#define H_SHIFT		(H_SECTIONS + 8 * MTLS_DB_NSEC)
#define H_TOP_SUM	(H_SHIFT + 8)
#define H_SUM		(H_TOP_SUM + 8)
#define HDR_SIZE	(H_SUM + 8)
#define BLK		((size_t)MTLS_DB_BLOCK)
#define SUM_CHUNK	64	/* entries of BSUM under one of BTOP */
#define BYTE_ORDER_WORD	0x01020304u
_Static_assert(HDR_SIZE == MTLS_DB_HDR_SIZE, "the header's size");
_Static_assert(HDR_SIZE <= MTLS_DB_BLOCK, "the header's block");

static uint32_t
rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t
rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* One step of the hash, over a word or a byte. */
#define HASH_STEP(h, w) do {						\
	(h) = ((h) ^ (w)) * 0x100000001b3ULL;				\
	(h) ^= (h) >> 32;						\
} while (0)

uint64_t
mtls_db_hash64_add(uint64_t h, const unsigned char *p, size_t len)
{
	uint64_t w;
	size_t i;

	/* A word at a time: each step is a bijection of h, so any change of
	 * a single word changes the result. */
	for (i = 0; i + 8 <= len; i += 8) {
		w = rd64(p + i);
		HASH_STEP(h, w);
	}
	for (; i < len; i++)
		HASH_STEP(h, p[i]);
	return h;
}

uint64_t
mtls_db_hash64_blocks(uint64_t h, const unsigned char *p, size_t off,
    size_t n, size_t block, uint64_t *sums)
{
	const unsigned char *q;
	uint64_t hb, w;
	size_t b, bn, i, skip;

	for (b = 0; b < n; b += block) {
		q = p + b;
		bn = n - b < block ? n - b : block;
		hb = MTLS_DB_HASH_SEED;
		/* the file's checksum leaves out the bytes before SUM_FROM */
		skip = off + b < MTLS_DB_SUM_FROM ? MTLS_DB_SUM_FROM - off - b :
		    0;
		for (i = 0; i < skip && i + 8 <= bn; i += 8)
			HASH_STEP(hb, rd64(q + i));
		/* two chains in one loop: the processor runs them side by side */
		for (; i + 8 <= bn; i += 8) {
			w = rd64(q + i);
			HASH_STEP(hb, w);
			HASH_STEP(h, w);
		}
		for (; i < bn; i++) {
			HASH_STEP(hb, q[i]);
			HASH_STEP(h, q[i]);
		}
		sums[(off + b) / block] = hb ^ bn;
	}
	return h;
}

uint64_t
mtls_db_hash64(const unsigned char *p, size_t len)
{
	return mtls_db_hash64_add(MTLS_DB_HASH_SEED, p, len) ^ len;
}

/* Hashes for the tables; the builder uses the same. */
uint32_t mtls_db_hash_name(const char *s);
uint32_t mtls_db_hash_id(uint32_t id);
uint32_t mtls_db_hash_principal(int kind, const char *value);

uint32_t
mtls_db_hash_name(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h ^ (h >> 15);
}

uint32_t
mtls_db_hash_id(uint32_t id)
{
	uint32_t h = id * 2654435761u;

	return h ^ (h >> 16);
}

uint32_t
mtls_db_hash_principal(int kind, const char *value)
{
	return mtls_db_hash_name(value) ^ mtls_db_hash_id((uint32_t)kind);
}

/* The header's own checksum: of its bytes but the file's sum and its own. */
static uint64_t
header_sum(const unsigned char *p)
{
	uint64_t h;

	h = mtls_db_hash64_add(MTLS_DB_HASH_SEED, p, 24);
	h = mtls_db_hash64_add(h, p + 32, H_SUM - 32);
	return h ^ (H_SUM - 8);
}

/*
 * Fill db from the header at p (len bytes in all) without looking at its
 * checksums; 0, or MTLS_E_CORRUPT and db zeroed.  Touches the header only.
 * Every section lies within the file, the data ones in whole blocks
 * after the header's and before BSUM, which has a sum for each of those
 * blocks, and BTOP after it one for each SUM_CHUNK entries of BSUM, to
 * the end.
 */
static int
read_layout(struct mtls_db *db, const unsigned char *p, size_t len)
{
	uint64_t end, data_end, nd, ns;
	unsigned i;

	memset(db, 0, sizeof(*db));
	if (p == NULL || len < HDR_SIZE || len > MTLS_DB_MAX_SIZE)
		return MTLS_E_CORRUPT;
	if (memcmp(p, MTLS_DB_MAGIC, 8) != 0 ||
	    rd32(p + 8) != MTLS_DB_VERSION || rd32(p + 12) != BYTE_ORDER_WORD ||
	    rd64(p + 16) != len || rd32(p + H_SHIFT) != MTLS_DB_BLOCK_SHIFT ||
	    rd32(p + H_SHIFT + 4) != 0)
		return MTLS_E_CORRUPT;
	db->n_users = rd32(p + 32);
	db->n_groups = rd32(p + 36);
	db->n_members = rd32(p + 40);
	db->n_pentries = rd32(p + 44);
	db->top_sum = rd64(p + H_TOP_SUM);
	for (i = 0; i < MTLS_DB_NSEC; i++) {
		db->off[i] = rd32(p + H_SECTIONS + 8 * i);
		db->cnt[i] = rd32(p + H_SECTIONS + 8 * i + 4);
	}
	data_end = db->off[S_BSUM];
	nd = data_end / BLK;
	ns = (nd + SUM_CHUNK - 1) / SUM_CHUNK;
	if (data_end % BLK != 0 || nd < 2 || db->cnt[S_BSUM] != nd ||
	    db->off[S_BTOP] != data_end + nd * 8 || db->cnt[S_BTOP] != ns ||
	    (uint64_t)db->off[S_BTOP] + ns * 8 != len)
		goto bad;
	for (i = 0; i < S_DATA; i++) {
		end = (uint64_t)db->off[i] + (uint64_t)db->cnt[i] * sec_elem[i];
		if (db->off[i] < BLK || db->off[i] % 8 != 0 || end > data_end)
			goto bad;
	}
	if (db->n_users > MTLS_DB_MAX_RECORDS ||
	    db->n_groups > MTLS_DB_MAX_RECORDS ||
	    db->cnt[S_USERS] != db->n_users ||
	    db->cnt[S_GROUPS] != db->n_groups ||
	    db->cnt[S_MEMBERS] != db->n_members)
		goto bad;
	/* tables: a power of two larger than what they index */
	static const int tab[] = { S_UNAME, S_UID, S_GNAME, S_GID, S_MNAME,
	    S_PTAB };
	const uint32_t need[] = { db->n_users, db->n_users, db->n_groups,
	    db->n_groups, db->n_members, db->n_pentries };
	for (i = 0; i < 6; i++) {
		uint32_t c = db->cnt[tab[i]];

		if (c == 0 || (c & (c - 1)) != 0 || c <= need[i])
			goto bad;
	}
	if (db->cnt[S_STR] == 0)
		goto bad;
	return 0;
 bad:
	memset(db, 0, sizeof(*db));
	return MTLS_E_CORRUPT;
}

/* The layout, and the header's own checksum. */
static int
read_header(struct mtls_db *db, const unsigned char *p, size_t len)
{
	if (read_layout(db, p, len) != 0)
		return MTLS_E_CORRUPT;
	if (rd64(p + H_SUM) != header_sum(p)) {
		memset(db, 0, sizeof(*db));
		return MTLS_E_CORRUPT;
	}
	return 0;
}

uint32_t
mtls_db_version(const void *base, size_t len)
{
	const unsigned char *p = base;

	if (p == NULL || len < 12 || memcmp(p, MTLS_DB_MAGIC, 8) != 0)
		return 0;
	return rd32(p + 8);
}

size_t
mtls_db_nblocks(size_t len)
{
	return (len + BLK - 1) / BLK;
}

/* The checksum of data block b, from its bytes at p. */
static uint64_t
block_sum(const unsigned char *p, size_t b)
{
	return mtls_db_hash64(p + b * BLK, BLK);
}

/* Chunk j of BSUM: where it starts, and its bytes. */
static size_t
chunk_at(const struct mtls_db *db, size_t j, size_t *n)
{
	size_t at = (size_t)db->off[S_BSUM] + j * SUM_CHUNK * 8,
	    end = (size_t)db->off[S_BSUM] + (size_t)db->cnt[S_BSUM] * 8;

	*n = end - at < SUM_CHUNK * 8 ? end - at : SUM_CHUNK * 8;
	return at;
}

/* Every checksum of a buffer that is all there; 0 or MTLS_E_CORRUPT. */
static int
check_blocks(const struct mtls_db *db, const unsigned char *p)
{
	size_t b, j, at, n;

	if (mtls_db_hash64(p + db->off[S_BTOP], (size_t)db->cnt[S_BTOP] * 8)
	    != db->top_sum)
		return MTLS_E_CORRUPT;
	for (j = 0; j < db->cnt[S_BTOP]; j++) {
		at = chunk_at(db, j, &n);
		if (mtls_db_hash64(p + at, n) !=
		    rd64(p + db->off[S_BTOP] + j * 8))
			return MTLS_E_CORRUPT;
	}
	for (b = 1; b < db->cnt[S_BSUM]; b++)
		if (block_sum(p, b) != rd64(p + db->off[S_BSUM] + b * 8))
			return MTLS_E_CORRUPT;
	return 0;
}

/* need() past its first test: all the blocks, and fetch; 0 or -1. */
static __attribute__((noinline)) int
need_blocks(const struct mtls_db *db, size_t at, size_t n)
{
	size_t b, last = (at + n - 1) >> db->lazy.shift;

	for (b = at >> db->lazy.shift; b <= last; b++)
		if (!atomic_load_explicit(&db->lazy.present[b],
		    memory_order_acquire))
			return db->lazy.fetch(db->lazy.ctx, at, n) == 0 ? 0 :
			    -1;
	return 0;
}

/*
 * See that bytes [at, at + n) of a lazy buffer are there; 0 or -1.  The
 * common cases in line (every access goes through here): a buffer that
 * is all there, and bytes in one block that is.
 */
static inline int
need(const struct mtls_db *db, size_t at, size_t n)
{
	size_t b = at >> db->lazy.shift;

	if (db->lazy.present == NULL)
		return 0;
	if (b == (at + n - 1) >> db->lazy.shift &&
	    atomic_load_explicit(&db->lazy.present[b], memory_order_acquire))
		return 0;
	return need_blocks(db, at, n);
}

int
mtls_db_open_lazy(struct mtls_db *db, const void *base, size_t len,
    uint64_t sum, const struct mtls_db_lazy *lazy)
{
	const unsigned char *p = base;
	size_t last;

	if (read_header(db, p, len) != 0 || rd64(p + 24) != sum ||
	    (lazy != NULL && (lazy->present == NULL || lazy->fetch == NULL ||
	    lazy->shift < 3 || lazy->shift > 30)))
		goto bad;
	if (lazy != NULL)
		db->lazy = *lazy;
	/* every string ends inside the section */
	last = (size_t)db->off[S_STR] + db->cnt[S_STR] - 1;
	if (need(db, last, 1) != 0 || p[last] != 0)
		goto bad;
	db->base = p;
	db->len = len;
	return 0;
 bad:
	memset(db, 0, sizeof(*db));
	return MTLS_E_CORRUPT;
}

int
mtls_db_open(struct mtls_db *db, const void *base, size_t len)
{
	const unsigned char *p = base;

	/* the header first: garbage is refused without a pass over it */
	if (read_header(db, p, len) != 0)
		return MTLS_E_CORRUPT;
	if (check_blocks(db, p) != 0) {
		memset(db, 0, sizeof(*db));
		return MTLS_E_CORRUPT;
	}
	return mtls_db_open_lazy(db, base, len, mtls_db_hash64(p +
	    MTLS_DB_SUM_FROM, len - MTLS_DB_SUM_FROM), NULL);
}

/*
 * Data block b of a file opened by mtls_db_open_file, read and checked:
 * its sum comes with the chunk of BSUM that holds it, read into the
 * stack and checked against BTOP (which came in at the open), so that
 * the sums cost no block of memory and no second block read.
 */
static int
fill_block(const struct mtls_db *db, size_t b)
{
	unsigned char chunk[SUM_CHUNK * 8];
	size_t j = b / SUM_CHUNK, at, n;

	if (b == 0 || b >= db->cnt[S_BSUM])
		return MTLS_E_CORRUPT;
	at = chunk_at(db, j, &n);
	if (db->read(db->read_ctx, chunk, n, at) != 0 ||
	    mtls_db_hash64(chunk, n) != rd64(db->base + db->off[S_BTOP] +
	    j * 8))
		return MTLS_E_CORRUPT;
	if (db->read(db->read_ctx, db->wbase + b * BLK, BLK, b * BLK) != 0 ||
	    block_sum(db->wbase, b) != rd64(chunk + (b % SUM_CHUNK) * 8))
		return MTLS_E_CORRUPT;
	atomic_store_explicit(&db->lazy.present[b], 1, memory_order_release);
	return 0;
}

int
mtls_db_fill(const struct mtls_db *db, size_t off, size_t n)
{
	size_t b;

	if (db->wbase == NULL || n == 0 || off > db->len ||
	    n > db->len - off)
		return MTLS_E_CORRUPT;
	for (b = off / BLK; b <= (off + n - 1) / BLK; b++)
		if (!atomic_load_explicit(&db->lazy.present[b],
		    memory_order_acquire) && fill_block(db, b) != 0)
			return MTLS_E_CORRUPT;
	return 0;
}

int
mtls_db_open_file(struct mtls_db *db, unsigned char *base, size_t len,
    const struct mtls_db_lazy *lazy, mtls_db_read_fn rd, void *rd_ctx)
{
	size_t at;

	memset(db, 0, sizeof(*db));
	if (base == NULL || lazy == NULL || lazy->present == NULL ||
	    lazy->fetch == NULL || lazy->shift != MTLS_DB_BLOCK_SHIFT ||
	    rd == NULL || len < BLK || len > MTLS_DB_MAX_SIZE ||
	    rd(rd_ctx, base, BLK, 0) != 0 || read_header(db, base, len) != 0)
		goto bad;
	/* BTOP: 8 bytes per 256 KiB of file, to its end (its bytes are not
	 * used through `present`: fill_block reads them where they are) */
	at = db->off[S_BTOP];
	if (rd(rd_ctx, base + at, len - at, at) != 0 ||
	    mtls_db_hash64(base + at, len - at) != db->top_sum)
		goto bad;
	atomic_store_explicit(&lazy->present[0], 1, memory_order_release);
	/*
	 * No look at the last byte of STRINGS here, unlike
	 * mtls_db_open_lazy: a lazy reader looks for the end of every
	 * string it uses within the section (need_str) anyway.
	 */
	db->lazy = *lazy;
	db->wbase = base;
	db->read = rd;
	db->read_ctx = rd_ctx;
	db->base = base;
	db->len = len;
	return 0;
 bad:
	memset(db, 0, sizeof(*db));
	return MTLS_E_CORRUPT;
}

/* A lazy buffer: see that the bytes from at to the next NUL (which the
 * section's last byte guarantees) are there, a block at a time. */
static int
need_to_nul(const struct mtls_db *db, size_t at, size_t send)
{
	size_t n;

	for (; at < send; at += n) {
		n = (((at >> db->lazy.shift) + 1) << db->lazy.shift) - at;
		if (n > send - at)
			n = send - at;
		if (need(db, at, n) != 0)
			return -1;
		if (memchr(db->base + at, 0, n) != NULL)
			return 0;
	}
	return -1;
}

/*
 * A lazy buffer: see that the string at byte at is there; 0 or
 * MTLS_E_CORRUPT.  When every string that starts in its block also ends
 * there (the block, or the section within it, ends with a NUL), mark the
 * block 2 so that str_at() need not look again.  Otherwise it stays 1, and the
 * next string of the block is looked for again (within memory already
 * there, but the last): reading the next block only to see the end of a
 * string nobody asked for would cost a lookup a block read in two.
 */
static __attribute__((noinline)) int
need_str(const struct mtls_db *db, size_t at)
{
	size_t b = at >> db->lazy.shift, end = (b + 1) << db->lazy.shift,
	    send = (size_t)db->off[S_STR] + db->cnt[S_STR];

	if (need_to_nul(db, at, send) != 0)
		return MTLS_E_CORRUPT;
	/* the section's last byte when it ends in this block (which only
	 * mtls_db_open_lazy saw to be NUL), else the block's */
	if (db->base[(end < send ? end : send) - 1] == 0)
		atomic_store_explicit(&db->lazy.present[b], 2,
		    memory_order_release);
	return 0;
}

/* The string at offset off of STRINGS, or NULL when off is outside. */
static inline const char *
str_at(const struct mtls_db *db, uint32_t off)
{
	size_t at;

	if (db->base == NULL || off >= db->cnt[S_STR])
		return NULL;
	at = (size_t)db->off[S_STR] + off;
	if (db->lazy.present != NULL &&
	    atomic_load_explicit(&db->lazy.present[at >> db->lazy.shift],
	    memory_order_acquire) != 2 && need_str(db, at) != 0)
		return NULL;
	return (const char *)db->base + at;
}

/* Element i of section s as a pointer, or NULL when outside. */
static inline const unsigned char *
elem(const struct mtls_db *db, int s, uint32_t i)
{
	size_t at;

	if (db->base == NULL || i >= db->cnt[s])
		return NULL;
	at = db->off[s] + (size_t)i * sec_elem[s];
	if (need(db, at, sec_elem[s]) != 0)
		return NULL;
	return db->base + at;
}

/* u32 i of the U32 section, through *v; 0 or MTLS_E_CORRUPT. */
static int
u32_at(const struct mtls_db *db, uint64_t i, uint32_t *v)
{
	const unsigned char *e;

	if (i > UINT32_MAX || (e = elem(db, S_U32, (uint32_t)i)) == NULL)
		return MTLS_E_CORRUPT;
	*v = rd32(e);
	return 0;
}

int
mtls_db_user_at(const struct mtls_db *db, uint32_t i, struct mtls_db_user *u)
{
	const unsigned char *e = elem(db, S_USERS, i);

	if (e == NULL)
		return MTLS_E_CORRUPT;
	u->index = i;
	u->name = str_at(db, rd32(e));
	u->uid = rd32(e + 4);
	u->gid = rd32(e + 8);
	u->gecos = str_at(db, rd32(e + 12));
	u->home = str_at(db, rd32(e + 16));
	u->shell = str_at(db, rd32(e + 20));
	u->principals = rd32(e + 24);
	u->n_principals = rd32(e + 28);
	if (u->name == NULL || u->gecos == NULL || u->home == NULL ||
	    u->shell == NULL || u->n_principals > MTLS_DB_MAX_PRINCIPALS ||
	    (uint64_t)u->principals + 2ULL * u->n_principals >
	    db->cnt[S_U32])
		return MTLS_E_CORRUPT;
	return 0;
}

int
mtls_db_group_at(const struct mtls_db *db, uint32_t i,
    struct mtls_db_group *g)
{
	const unsigned char *e = elem(db, S_GROUPS, i);

	if (e == NULL)
		return MTLS_E_CORRUPT;
	g->name = str_at(db, rd32(e));
	g->gid = rd32(e + 4);
	g->members = rd32(e + 8);
	g->n_members = rd32(e + 12);
	if (g->name == NULL || g->n_members > MTLS_DB_MAX_MEMBERS ||
	    (uint64_t)g->members + g->n_members > db->cnt[S_U32])
		return MTLS_E_CORRUPT;
	return 0;
}

/*
 * Probe table s from hash h; for each occupied slot call match(record
 * index).  match returns 1 found, 0 go on, negative error.
 */
typedef int (*match_fn)(const struct mtls_db *, uint32_t, const void *,
    void *);

static int
probe(const struct mtls_db *db, int s, uint32_t h, match_fn match,
    const void *key, void *out)
{
	uint32_t mask, i, n, slot;
	const unsigned char *e;
	int r;

	if (db->base == NULL || db->cnt[s] == 0)
		return MTLS_E_CORRUPT;
	mask = db->cnt[s] - 1;
	for (n = 0; n < db->cnt[s]; n++) {
		i = (h + n) & mask;
		if ((e = elem(db, s, i)) == NULL)
			return MTLS_E_CORRUPT;
		if ((slot = rd32(e)) == 0)
			return MTLS_E_NOT_FOUND;
		if (rd32(e + 4) != h)
			continue;
		if ((r = match(db, slot - 1, key, out)) != 0)
			return r < 0 ? r : 0;
	}
	return MTLS_E_NOT_FOUND;
}

static int
match_uname(const struct mtls_db *db, uint32_t i, const void *key, void *out)
{
	int r;

	if ((r = mtls_db_user_at(db, i, out)) != 0)
		return r;
	return strcmp(((struct mtls_db_user *)out)->name, key) == 0;
}

static int
match_uid(const struct mtls_db *db, uint32_t i, const void *key, void *out)
{
	int r;

	if ((r = mtls_db_user_at(db, i, out)) != 0)
		return r;
	return ((struct mtls_db_user *)out)->uid == *(const uint32_t *)key;
}

static int
match_gname(const struct mtls_db *db, uint32_t i, const void *key, void *out)
{
	int r;

	if ((r = mtls_db_group_at(db, i, out)) != 0)
		return r;
	return strcmp(((struct mtls_db_group *)out)->name, key) == 0;
}

static int
match_gid(const struct mtls_db *db, uint32_t i, const void *key, void *out)
{
	int r;

	if ((r = mtls_db_group_at(db, i, out)) != 0)
		return r;
	return ((struct mtls_db_group *)out)->gid == *(const uint32_t *)key;
}

int
mtls_db_user_by_name(const struct mtls_db *db, const char *name,
    struct mtls_db_user *out)
{
	if (name == NULL)
		return MTLS_E_NOT_FOUND;
	return probe(db, S_UNAME, mtls_db_hash_name(name), match_uname, name,
	    out);
}

int
mtls_db_user_by_uid(const struct mtls_db *db, uint32_t uid,
    struct mtls_db_user *out)
{
	return probe(db, S_UID, mtls_db_hash_id(uid), match_uid, &uid, out);
}

int
mtls_db_group_by_name(const struct mtls_db *db, const char *name,
    struct mtls_db_group *out)
{
	if (name == NULL)
		return MTLS_E_NOT_FOUND;
	return probe(db, S_GNAME, mtls_db_hash_name(name), match_gname, name,
	    out);
}

int
mtls_db_group_by_gid(const struct mtls_db *db, uint32_t gid,
    struct mtls_db_group *out)
{
	return probe(db, S_GID, mtls_db_hash_id(gid), match_gid, &gid, out);
}

int
mtls_db_user_principal(const struct mtls_db *db,
    const struct mtls_db_user *u, uint32_t i, int *kind, const char **value)
{
	uint32_t k, s;

	if (i >= u->n_principals ||
	    u32_at(db, (uint64_t)u->principals + 2ULL * i, &k) != 0 ||
	    u32_at(db, (uint64_t)u->principals + 2ULL * i + 1, &s) != 0 ||
	    (*value = str_at(db, s)) == NULL)
		return MTLS_E_CORRUPT;
	*kind = (int)k;
	return 0;
}

int
mtls_db_group_member(const struct mtls_db *db,
    const struct mtls_db_group *g, uint32_t i, const char **name)
{
	uint32_t s;

	if (i >= g->n_members ||
	    u32_at(db, (uint64_t)g->members + i, &s) != 0 ||
	    (*name = str_at(db, s)) == NULL)
		return MTLS_E_CORRUPT;
	return 0;
}

struct member_rec {
	uint32_t	n;
	uint32_t	list;
};

static int
match_member(const struct mtls_db *db, uint32_t i, const void *key, void *out)
{
	const unsigned char *e = elem(db, S_MEMBERS, i);
	struct member_rec *m = out;
	const char *name;

	if (e == NULL || (name = str_at(db, rd32(e))) == NULL)
		return MTLS_E_CORRUPT;
	if (strcmp(name, key) != 0)
		return 0;
	m->list = rd32(e + 4);
	m->n = rd32(e + 8);
	if (m->n > db->n_groups || (uint64_t)m->list + m->n > db->cnt[S_U32])
		return MTLS_E_CORRUPT;
	return 1;
}

int
mtls_db_memberships(const struct mtls_db *db, const char *name, uint32_t *n,
    uint32_t *handle)
{
	struct member_rec m = { 0, 0 };
	int r;

	*n = 0;
	*handle = 0;
	if (name == NULL)
		return 0;
	r = probe(db, S_MNAME, mtls_db_hash_name(name), match_member, name,
	    &m);
	if (r == MTLS_E_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*n = m.n;
	*handle = m.list;
	return 0;
}

int
mtls_db_membership_gid(const struct mtls_db *db, uint32_t handle, uint32_t i,
    uint32_t *gid)
{
	struct mtls_db_group g;
	uint32_t gi;
	int r;

	if ((r = u32_at(db, (uint64_t)handle + i, &gi)) != 0 ||
	    (r = mtls_db_group_at(db, gi, &g)) != 0)
		return r;
	*gid = g.gid;
	return 0;
}

/* Whether user u lists the principal (kind, value); 1, 0, or an error. */
static int
user_lists(const struct mtls_db *db, const struct mtls_db_user *u, int kind,
    const char *value)
{
	const char *v;
	uint32_t j;
	int k, r;

	for (j = 0; j < u->n_principals; j++) {
		if ((r = mtls_db_user_principal(db, u, j, &k, &v)) != 0)
			return r;
		if (k == kind && strcmp(v, value) == 0)
			return 1;
	}
	return 0;
}

int
mtls_db_find_principal(const struct mtls_db *db, int kind, const char *value,
    void (*fn)(void *ctx, const struct mtls_db_user *u), void *ctx)
{
	struct mtls_db_user u;
	const unsigned char *e;
	uint32_t mask, n, slot, h;
	int r;

	if (db->base == NULL || db->cnt[S_PTAB] == 0)
		return MTLS_E_CORRUPT;
	if (value == NULL)
		return 0;
	/* every slot of the value's chain, not only the first: several
	 * accounts may list one principal */
	h = mtls_db_hash_principal(kind, value);
	mask = db->cnt[S_PTAB] - 1;
	for (n = 0; n < db->cnt[S_PTAB]; n++) {
		if ((e = elem(db, S_PTAB, (h + n) & mask)) == NULL)
			return MTLS_E_CORRUPT;
		if ((slot = rd32(e)) == 0)
			return 0;
		if (rd32(e + 4) != h)
			continue;
		/* the index points, the account's own list decides */
		if ((r = mtls_db_user_at(db, slot - 1, &u)) != 0 ||
		    (r = user_lists(db, &u, kind, value)) < 0)
			return r;
		if (r == 1)
			fn(ctx, &u);
	}
	return 0;
}

/* See db.h.  The layout must be one that a reader accepts. */
int
mtls_db_seal(unsigned char *p, size_t len)
{
	struct mtls_db db;
	size_t b, j, at, n;
	uint64_t v;

	if (read_layout(&db, p, len) != 0)
		return MTLS_E_CORRUPT;
	memset(p + db.off[S_BSUM], 0, 8);	/* block 0 has its own */
	for (b = 1; b < db.cnt[S_BSUM]; b++) {
		v = block_sum(p, b);
		memcpy(p + db.off[S_BSUM] + b * 8, &v, 8);
	}
	for (j = 0; j < db.cnt[S_BTOP]; j++) {
		at = chunk_at(&db, j, &n);
		v = mtls_db_hash64(p + at, n);
		memcpy(p + db.off[S_BTOP] + j * 8, &v, 8);
	}
	v = mtls_db_hash64(p + db.off[S_BTOP], (size_t)db.cnt[S_BTOP] * 8);
	memcpy(p + H_TOP_SUM, &v, 8);
	v = header_sum(p);
	memcpy(p + H_SUM, &v, 8);
	v = mtls_db_hash64(p + MTLS_DB_SUM_FROM, len - MTLS_DB_SUM_FROM);
	memcpy(p + 24, &v, 8);
	return 0;
}

static const char *const kind_names[] = {
	NULL, "subject", "fingerprint", "email", "upn", "uri"
};

const char *
mtls_principal_kind_name(int kind)
{
	if (kind < MTLS_PRINCIPAL_SUBJECT || kind > MTLS_PRINCIPAL_URI)
		return NULL;
	return kind_names[kind];
}

int
mtls_principal_kind_parse(const char *s)
{
	int k;

	for (k = MTLS_PRINCIPAL_SUBJECT; k <= MTLS_PRINCIPAL_URI; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return 0;
}
