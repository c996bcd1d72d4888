/*
 * test_db.c - the identity database: build, then read back every lookup;
 * the source parser's refusals; and truncated, bit-flipped and garbage
 * databases, which must be refused or read without a step outside the
 * buffer (run under ASan with --enable-asan).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

#include "db.h"
#include "idsrc.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static const struct mtls_db_principal_in alice_pr[] = {
	{ MTLS_PRINCIPAL_SUBJECT, "CN=alice,O=Example" },
	{ MTLS_PRINCIPAL_EMAIL, "alice@example.org" },
};
static const char *staff_m[] = { "alice", "bob", "carol" };
static const char *ops_m[] = { "alice" };

static const struct mtls_db_user_in users[] = {
	{ "alice", 1900000000, 1900000000, "Alice", "/home/alice",
	    "/bin/bash", alice_pr, 2 },
	{ "bob", 1900000001, 1900000000, "", "/home/bob", "/bin/sh", NULL,
	    0 },
	{ "deploy", 1900000002, 1900000001, "Deploy", "/srv/deploy",
	    "/bin/sh", NULL, 0 },
};
static const struct mtls_db_group_in groups[] = {
	{ "staff", 1900000000, staff_m, 3 },
	{ "ops", 1900000001, ops_m, 1 },
};

static unsigned char *
build(size_t *len)
{
	unsigned char *buf = NULL;

	ck_assert_int_eq(mtls_db_build(users, NROWS(users), groups,
	    NROWS(groups), &buf, len), 0);
	return buf;
}

START_TEST(lookups)
{
	struct mtls_db db;
	struct mtls_db_user u;
	struct mtls_db_group g;
	const char *v;
	unsigned char *buf;
	size_t len;
	uint32_t n, h, gid;
	int k, i;

	buf = build(&len);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_uint_eq(db.n_users, 3);
	ck_assert_uint_eq(db.n_groups, 2);
	for (i = 0; i < NROWS(users); i++) {
		ck_assert_int_eq(mtls_db_user_by_name(&db, users[i].name, &u),
		    0);
		ck_assert_uint_eq(u.uid, users[i].uid);
		ck_assert_str_eq(u.home, users[i].home);
		ck_assert_str_eq(u.shell, users[i].shell);
		ck_assert_str_eq(u.gecos, users[i].gecos);
		ck_assert_int_eq(mtls_db_user_by_uid(&db, users[i].uid, &u), 0);
		ck_assert_str_eq(u.name, users[i].name);
	}
	ck_assert_int_eq(mtls_db_user_by_name(&db, "alice", &u), 0);
	ck_assert_uint_eq(u.n_principals, 2);
	ck_assert_int_eq(mtls_db_user_principal(&db, &u, 1, &k, &v), 0);
	ck_assert_int_eq(k, MTLS_PRINCIPAL_EMAIL);
	ck_assert_str_eq(v, "alice@example.org");
	ck_assert_int_ne(mtls_db_user_principal(&db, &u, 2, &k, &v), 0);
	ck_assert_int_eq(mtls_db_user_by_name(&db, "root", &u),
	    MTLS_E_NOT_FOUND);
	ck_assert_int_eq(mtls_db_user_by_name(&db, "alic", &u),
	    MTLS_E_NOT_FOUND);
	ck_assert_int_eq(mtls_db_user_by_uid(&db, 0, &u), MTLS_E_NOT_FOUND);
	ck_assert_int_eq(mtls_db_group_by_name(&db, "ops", &g), 0);
	ck_assert_uint_eq(g.gid, 1900000001);
	ck_assert_int_eq(mtls_db_group_by_gid(&db, 1900000000, &g), 0);
	ck_assert_str_eq(g.name, "staff");
	ck_assert_uint_eq(g.n_members, 3);
	ck_assert_int_eq(mtls_db_group_member(&db, &g, 2, &v), 0);
	ck_assert_str_eq(v, "carol");
	ck_assert_int_eq(mtls_db_memberships(&db, "alice", &n, &h), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(mtls_db_membership_gid(&db, h, 0, &gid), 0);
	ck_assert_uint_eq(gid, 1900000000);
	ck_assert_int_eq(mtls_db_membership_gid(&db, h, 1, &gid), 0);
	ck_assert_uint_eq(gid, 1900000001);
	ck_assert_int_eq(mtls_db_memberships(&db, "nobody", &n, &h), 0);
	ck_assert_uint_eq(n, 0);
	free(buf);
}
END_TEST

START_TEST(empty_db)
{
	struct mtls_db db;
	struct mtls_db_user u;
	unsigned char *buf = NULL;
	size_t len;

	ck_assert_int_eq(mtls_db_build(NULL, 0, NULL, 0, &buf, &len), 0);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_int_eq(mtls_db_user_by_name(&db, "a", &u), MTLS_E_NOT_FOUND);
	free(buf);
}
END_TEST

/* Many users: every one found by name and uid, misses missed. */
START_TEST(many)
{
	struct mtls_db_user_in *uv = calloc(20000, sizeof(*uv));
	struct mtls_db db;
	struct mtls_db_user u;
	char (*names)[16] = calloc(20000, 16);
	unsigned char *buf = NULL;
	size_t len;
	uint32_t i;

	for (i = 0; i < 20000; i++) {
		snprintf(names[i], 16, "u%u", i);
		uv[i].name = names[i];
		uv[i].uid = 1900000000 + i;
		uv[i].gid = 100;
		uv[i].home = "/home/x";
		uv[i].shell = "/bin/sh";
	}
	ck_assert_int_eq(mtls_db_build(uv, 20000, NULL, 0, &buf, &len), 0);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_uint_le(len / 20000, 150);
	for (i = 0; i < 20000; i++) {
		ck_assert_int_eq(mtls_db_user_by_name(&db, names[i], &u), 0);
		ck_assert_uint_eq(u.uid, 1900000000 + i);
		ck_assert_int_eq(mtls_db_user_by_uid(&db, 1900000000 + i, &u),
		    0);
		ck_assert_str_eq(u.name, names[i]);
	}
	ck_assert_int_eq(mtls_db_user_by_name(&db, "u20000", &u),
	    MTLS_E_NOT_FOUND);
	free(buf);
	free(uv);
	free(names);
}
END_TEST

/* Read everything; the results do not matter, only that nothing breaks. */
static void
read_all(const struct mtls_db *db)
{
	struct mtls_db_user u;
	struct mtls_db_group g;
	const char *v;
	uint32_t i, j, n, h, gid;
	int k;

	for (i = 0; i < NROWS(users); i++) {
		(void)mtls_db_user_by_name(db, users[i].name, &u);
		(void)mtls_db_user_by_uid(db, users[i].uid, &u);
		(void)mtls_db_memberships(db, users[i].name, &n, &h);
	}
	for (i = 0; i < db->n_users; i++)
		if (mtls_db_user_at(db, i, &u) == 0)
			for (j = 0; j < u.n_principals; j++)
				(void)mtls_db_user_principal(db, &u, j, &k, &v);
	for (i = 0; i < db->n_groups; i++)
		if (mtls_db_group_at(db, i, &g) == 0)
			for (j = 0; j < g.n_members; j++)
				(void)mtls_db_group_member(db, &g, j, &v);
	(void)mtls_db_group_by_name(db, "staff", &g);
	(void)mtls_db_group_by_gid(db, 1900000001, &g);
	if (mtls_db_memberships(db, "alice", &n, &h) == 0)
		for (i = 0; i < n && i < 8; i++)
			(void)mtls_db_membership_gid(db, h, i, &gid);
}

/* Every truncation is refused: the header records the size. */
START_TEST(truncated)
{
	struct mtls_db db;
	unsigned char *buf, *cp;
	size_t len, l;

	buf = build(&len);
	for (l = 0; l < len; l++) {
		cp = malloc(l ? l : 1);	/* exact size: ASan sees overruns */
		memcpy(cp, buf, l);
		ck_assert_int_eq(mtls_db_open(&db, cp, l), MTLS_E_CORRUPT);
		read_all(&db);	/* a closed db answers nothing */
		free(cp);
	}
	free(buf);
}
END_TEST

/* Every single-bit flip is refused (the checksum), and a flip with the
 * checksum fixed up is refused or read safely. */
START_TEST(bitflips)
{
	struct mtls_db db;
	unsigned char *buf, *cp;
	size_t len, i;
	uint64_t sum;
	int bit;

	buf = build(&len);
	cp = malloc(len);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(cp, buf, len);
			cp[i] ^= (unsigned char)(1u << bit);
			ck_assert_int_eq(mtls_db_open(&db, cp, len),
			    MTLS_E_CORRUPT);
			if (i < 32)
				continue;
			sum = mtls_db_hash64(cp + 32, len - 32);
			memcpy(cp + 24, &sum, 8);
			if (mtls_db_open(&db, cp, len) == 0)
				read_all(&db);
		}
	}
	free(cp);
	free(buf);
}
END_TEST

/* Random words written over the body, every checksum fixed: never a
 * crash. */
START_TEST(garbage)
{
	struct mtls_db db;
	unsigned char *buf, *cp;
	size_t len, i;
	uint64_t sum;
	uint32_t x = 12345, w;
	int round, opened = 0;

	buf = build(&len);
	cp = malloc(len);
	for (round = 0; round < 20000; round++) {
		memcpy(cp, buf, len);
		for (i = 0; i < 4; i++) {
			x = x * 1103515245u + 12345u;
			w = x >> 3;
			memcpy(cp + 48 + (x % (len - 52)), &w, 4);
		}
		sum = mtls_db_hash64(cp + 32, len - 32);
		memcpy(cp + 24, &sum, 8);
		/* a layout the reader refuses stays refused */
		if (mtls_db_seal(cp, len) != 0)
			ck_assert_int_eq(mtls_db_open(&db, cp, len),
			    MTLS_E_CORRUPT);
		else if (mtls_db_open(&db, cp, len) == 0) {
			opened++;
			read_all(&db);
		}
	}
	ck_assert_int_gt(opened, 0);
	free(cp);
	free(buf);
}
END_TEST

/* ---- a buffer filled on demand ---------------------------------------- */

/* The checksum in pieces of every 8-aligned length equals the whole. */
START_TEST(hash_pieces)
{
	unsigned char *buf;
	size_t len, piece, at, n;
	uint64_t h;

	buf = build(&len);
	for (piece = 8; piece < len + 8; piece += 8) {
		h = MTLS_DB_HASH_SEED;
		for (at = 0; at < len; at += n) {
			n = len - at < piece ? len - at : piece;
			h = mtls_db_hash64_add(h, buf + at, n);
		}
		ck_assert_uint_eq(h ^ len, mtls_db_hash64(buf, len));
	}
	free(buf);
}
END_TEST

/*
 * A lazily filled buffer whose pages stay inaccessible until fetched, so
 * that the reader touching a byte it did not ask for is a SIGSEGV (an
 * error of the test), not a quiet read.
 */
struct lazy {
	const unsigned char	*src;
	unsigned char		*buf;
	size_t			 len, pg, size;
	atomic_uchar		*present;
	struct mtls_db_lazy	 how;
	int			 fetched;	/* pages brought in */
	int			 calls;		/* of lazy_fetch */
	long			 broken;	/* this page cannot be (-1) */
};

static int
lazy_fetch(void *ctx, size_t off, size_t n)
{
	struct lazy *z = ctx;
	size_t p, at;

	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(off + n, z->len);
	z->calls++;
	for (p = off / z->pg; p <= (off + n - 1) / z->pg; p++) {
		if (z->present[p])
			continue;
		if ((long)p == z->broken)
			return -1;
		at = p * z->pg;
		ck_assert_int_eq(mprotect(z->buf + at, z->pg, PROT_READ |
		    PROT_WRITE), 0);
		memcpy(z->buf + at, z->src + at, z->len - at < z->pg ?
		    z->len - at : z->pg);
		ck_assert_int_eq(mprotect(z->buf + at, z->pg, PROT_READ), 0);
		atomic_store(&z->present[p], 1);
		z->fetched++;
	}
	return 0;
}

/* The header is there; nothing else. */
static void
lazy_init(struct lazy *z, const unsigned char *src, size_t len)
{
	memset(z, 0, sizeof(*z));
	z->src = src;
	z->len = len;
	z->pg = (size_t)sysconf(_SC_PAGESIZE);
	z->size = (len + z->pg - 1) / z->pg * z->pg;
	z->broken = -1;
	z->buf = mmap(NULL, z->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	ck_assert_ptr_ne(z->buf, MAP_FAILED);
	ck_assert_ptr_nonnull(z->present = calloc(z->size / z->pg, 1));
	ck_assert_int_eq(lazy_fetch(z, 0, MTLS_DB_HDR_SIZE), 0);
	z->fetched = 0;
	z->calls = 0;
	z->how.present = z->present;
	z->how.shift = (unsigned)__builtin_ctzl(z->pg);
	z->how.fetch = lazy_fetch;
	z->how.ctx = z;
}

static void
lazy_free(struct lazy *z)
{
	munmap(z->buf, z->size);
	free(z->present);
}

static uint64_t
sum_of(const unsigned char *p, size_t len)
{
	return mtls_db_hash64(p + MTLS_DB_SUM_FROM, len - MTLS_DB_SUM_FROM);
}

/* n users u0.. in groups g0 (u0..u9) and g1 (every tenth). */
static unsigned char *
build_many(uint32_t n, size_t *len)
{
	struct mtls_db_user_in *uv = calloc(n, sizeof(*uv));
	char (*names)[16] = calloc(n, 16), (*homes)[24] = calloc(n, 24);
	const char **m1 = calloc(n / 10 + 1, sizeof(*m1)), *m0[10];
	struct mtls_db_group_in g[2] = {
		{ "g0", 1800000000, m0, 10 }, { "g1", 1800000001, m1, 0 },
	};
	unsigned char *buf = NULL;
	uint32_t i;

	for (i = 0; i < n; i++) {
		snprintf(names[i], 16, "u%u", i);
		snprintf(homes[i], 24, "/home/u%u", i);
		uv[i] = (struct mtls_db_user_in){ names[i], 1900000000 + i,
		    1800000000, "", homes[i], "/bin/sh", NULL, 0 };
		if (i < 10)
			m0[i] = names[i];
		if (i % 10 == 0)
			m1[g[1].n_members++] = names[i];
	}
	ck_assert_int_eq(mtls_db_build(uv, n, g, 2, &buf, len), 0);
	free(uv);
	free(names);
	free(homes);
	free(m1);
	return buf;
}

/* One pass for the file's checksum and each block's: the same values. */
START_TEST(hash_blocks)
{
	static const size_t blocks[] = { 8, 32, 64, 4096 };
	unsigned char *buf;
	uint64_t h, *sums;
	size_t len, k, at, n, chunk, bl;

	buf = build_many(300, &len);
	sums = calloc(len / 8 + 1, sizeof(*sums));
	for (k = 0; k < NROWS(blocks); k++) {
		bl = blocks[k];
		/* in chunks of a few blocks, as a reader of the file would */
		for (chunk = bl; chunk <= 4 * bl; chunk += bl) {
			h = MTLS_DB_HASH_SEED;
			memset(sums, 0, (len / 8 + 1) * sizeof(*sums));
			for (at = 0; at < len; at += n) {
				n = len - at < chunk ? len - at : chunk;
				h = mtls_db_hash64_blocks(h, buf + at, at, n, bl,
				    sums);
			}
			ck_assert_uint_eq(h ^ (len - MTLS_DB_SUM_FROM),
			    sum_of(buf, len));
			for (at = 0; at < len; at += bl)
				ck_assert_uint_eq(sums[at / bl],
				    mtls_db_hash64(buf + at, len - at < bl ?
				    len - at : bl));
		}
	}
	free(sums);
	free(buf);
}
END_TEST

/* Lookups read the pages they ask for, few of them, and answer right. */
START_TEST(lazy_lookups)
{
	struct lazy z;
	struct mtls_db db;
	struct mtls_db_user u;
	struct mtls_db_group g;
	const char *v;
	unsigned char *buf;
	char name[16], home[24];
	size_t len;
	uint32_t i, n, h, gid;
	int calls;

	buf = build_many(2000, &len);
	lazy_init(&z, buf, len);
	ck_assert_uint_ge(z.size / z.pg, 30);
	ck_assert_int_eq(mtls_db_open_lazy(&db, z.buf, len, sum_of(buf, len),
	    &z.how), 0);
	ck_assert_int_le(z.fetched, 1);	/* the last byte of the strings */
	ck_assert_int_eq(mtls_db_user_by_name(&db, "u1234", &u), 0);
	ck_assert_uint_eq(u.uid, 1900001234);
	ck_assert_str_eq(u.home, "/home/u1234");
	ck_assert_int_le(z.fetched, 1 + 6);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "u%u", i);
		snprintf(home, sizeof(home), "/home/u%u", i);
		ck_assert_int_eq(mtls_db_user_by_name(&db, name, &u), 0);
		ck_assert_uint_eq(u.uid, 1900000000 + i);
		ck_assert_str_eq(u.home, home);
		ck_assert_int_eq(mtls_db_user_by_uid(&db, 1900000000 + i, &u),
		    0);
		ck_assert_str_eq(u.name, name);
	}
	/* what is there is not asked for again */
	calls = z.calls;
	ck_assert_int_eq(mtls_db_user_by_name(&db, "u1234", &u), 0);
	ck_assert_int_eq(mtls_db_user_by_uid(&db, 1900000007, &u), 0);
	ck_assert_int_eq(z.calls, calls);
	ck_assert_int_eq(mtls_db_user_by_name(&db, "u2000", &u),
	    MTLS_E_NOT_FOUND);
	ck_assert_int_eq(mtls_db_group_by_gid(&db, 1800000001, &g), 0);
	ck_assert_uint_eq(g.n_members, 200);
	ck_assert_int_eq(mtls_db_group_member(&db, &g, 199, &v), 0);
	ck_assert_str_eq(v, "u1990");
	ck_assert_int_eq(mtls_db_memberships(&db, "u0", &n, &h), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(mtls_db_membership_gid(&db, h, 1, &gid), 0);
	ck_assert_uint_eq(gid, 1800000001);
	lazy_free(&z);
	free(buf);
}
END_TEST

/* Strings that run over several pages, looked up in an order that
 * starts in the middle of them: each read whole, nothing more touched. */
START_TEST(lazy_long_strings)
{
	struct mtls_db_user_in uv[200];
	struct mtls_db_user u;
	struct mtls_db db;
	struct lazy z;
	char names[200][8], *gecos[200];
	unsigned char *buf = NULL;
	size_t len, glen;
	uint32_t i, k;

	for (i = 0; i < 200; i++) {
		snprintf(names[i], sizeof(names[i]), "u%u", i);
		glen = (size_t)i * 977 % 12000;
		ck_assert_ptr_nonnull(gecos[i] = malloc(glen + 1));
		memset(gecos[i], 'a' + (int)(i % 26), glen);
		gecos[i][glen] = '\0';
		uv[i] = (struct mtls_db_user_in){ names[i], 1900000000 + i,
		    100, gecos[i], "/home/x", "/bin/sh", NULL, 0 };
	}
	ck_assert_int_eq(mtls_db_build(uv, 200, NULL, 0, &buf, &len), 0);
	lazy_init(&z, buf, len);
	ck_assert_int_eq(mtls_db_open_lazy(&db, z.buf, len, sum_of(buf, len),
	    &z.how), 0);
	for (k = 0; k < 2 * 200; k++) {
		i = k * 83 % 200;
		ck_assert_int_eq(mtls_db_user_by_uid(&db, 1900000000 + i, &u),
		    0);
		ck_assert_str_eq(u.name, names[i]);
		ck_assert_str_eq(u.gecos, gecos[i]);
		ck_assert_str_eq(u.home, "/home/x");
	}
	lazy_free(&z);
	for (i = 0; i < 200; i++)
		free(gecos[i]);
	free(buf);
}
END_TEST

/* A wrong sum or an unfetchable page: refused, or answered as corrupt. */
START_TEST(lazy_refusals)
{
	struct lazy z;
	struct mtls_db db;
	struct mtls_db_user u;
	unsigned char *buf;
	char name[16];
	size_t len, last, p;
	uint32_t i, off[MTLS_DB_NSEC], cnt[MTLS_DB_NSEC];
	int ok, corrupt;

	buf = build_many(2000, &len);
	lazy_init(&z, buf, len);
	ck_assert_int_eq(mtls_db_open_lazy(&db, z.buf, len, sum_of(buf, len)
	    ^ 1, &z.how), MTLS_E_CORRUPT);
	ck_assert_int_eq(z.fetched, 0);
	ck_assert_int_eq(mtls_db_open_lazy(&db, z.buf, len - 1,
	    sum_of(buf, len), &z.how), MTLS_E_CORRUPT);
	lazy_free(&z);
	/* the page that ends the strings cannot be read */
	for (i = 0; i < MTLS_DB_NSEC; i++) {
		memcpy(&off[i], buf + 48 + 8 * i, 4);
		memcpy(&cnt[i], buf + 52 + 8 * i, 4);
	}
	last = (size_t)off[3] + cnt[3] - 1;	/* S_STR */
	lazy_init(&z, buf, len);
	z.broken = (long)(last / z.pg);
	ck_assert_int_eq(mtls_db_open_lazy(&db, z.buf, len, sum_of(buf, len),
	    &z.how), MTLS_E_CORRUPT);
	lazy_free(&z);
	/* a page of the user records cannot be read: those users answer
	 * MTLS_E_CORRUPT, the others their entry */
	lazy_init(&z, buf, len);
	p = (off[0] + 32 * 1000) / z.pg;	/* S_USERS */
	ck_assert_uint_ne(p, last / z.pg);
	z.broken = (long)p;
	ck_assert_int_eq(mtls_db_open_lazy(&db, z.buf, len, sum_of(buf, len),
	    &z.how), 0);
	for (i = 0, ok = 0, corrupt = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "u%u", i);
		switch (mtls_db_user_by_name(&db, name, &u)) {
		case 0:
			ck_assert_str_eq(u.name, name);
			ok++;
			break;
		case MTLS_E_CORRUPT:
			corrupt++;
			break;
		default:
			ck_abort_msg("%s: neither found nor corrupt", name);
		}
	}
	ck_assert_int_gt(ok, 1000);
	ck_assert_int_gt(corrupt, 0);
	lazy_free(&z);
	free(buf);
}
END_TEST

/* ---- a file read a block at a time (what the NSS module does) -------- */

uint32_t mtls_db_hash_principal(int kind, const char *value);

enum { T_USERS = 0, T_STR = 3, T_PTAB = 10 };

static uint32_t
hdr32(const unsigned char *p, size_t at)
{
	uint32_t v;

	memcpy(&v, p + at, 4);
	return v;
}

static uint32_t
sec_off(const unsigned char *p, int s)
{
	return hdr32(p, 48 + 8 * (size_t)s);
}

static uint32_t
sec_cnt(const unsigned char *p, int s)
{
	return hdr32(p, 52 + 8 * (size_t)s);
}

/*
 * The header's own checksum, written again after a test changed the
 * header into a layout mtls_db_seal() refuses: of the header but the
 * file's sum (bytes 24-31) and its own (the last 8).
 */
static void
seal_header(unsigned char *p)
{
	size_t at = MTLS_DB_HDR_SIZE - 8;
	uint64_t h;

	h = mtls_db_hash64_add(MTLS_DB_HASH_SEED, p, 24);
	h = mtls_db_hash64_add(h, p + 32, at - 32);
	h ^= at;
	memcpy(p + at, &h, 8);
}

/* A file in memory that the test can cut or change under the reader. */
struct mfile {
	unsigned char	*src;		/* the file's bytes */
	size_t		 size;		/* where it ends now */
	size_t		 len;		/* its length at the open */
	size_t		 bytes;		/* read through mfile_read */
	unsigned char	*base;
	atomic_uchar	*present;
	struct mtls_db	 db;
};

static int
mfile_read(void *ctx, void *dst, size_t n, size_t off)
{
	struct mfile *f = ctx;

	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(off + n, f->len);	/* never past the open size */
	if (off > f->size || n > f->size - off)
		return -1;		/* pread came back short */
	memcpy(dst, f->src + off, n);
	f->bytes += n;
	return 0;
}

static int
mfile_fetch(void *ctx, size_t off, size_t n)
{
	struct mfile *f = ctx;

	return mtls_db_fill(&f->db, off, n) == 0 ? 0 : -1;
}

/* Open src (len bytes, of which size are there) on demand. */
static int
mfile_open(struct mfile *f, unsigned char *src, size_t len, size_t size)
{
	struct mtls_db_lazy lazy;

	memset(f, 0, sizeof(*f));
	f->src = src;
	f->len = len;
	f->size = size;
	f->base = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(f->base, MAP_FAILED);
	ck_assert_ptr_nonnull(f->present = calloc(mtls_db_nblocks(len), 1));
	lazy = (struct mtls_db_lazy){ f->present, MTLS_DB_BLOCK_SHIFT,
	    mfile_fetch, f };
	return mtls_db_open_file(&f->db, f->base, len, &lazy, mfile_read, f);
}

static void
mfile_close(struct mfile *f)
{
	munmap(f->base, f->len);
	free(f->present);
}

/*
 * One lookup in a large file reads a few blocks, not the file: the open
 * reads the header's block and BTOP, the lookup a table, a record and a
 * string block, each with its chunk of sums.  Then every answer is right.
 */
START_TEST(file_reads_little)
{
	struct mtls_db_user u;
	struct mtls_db_group g;
	struct mfile f;
	unsigned char *buf;
	char name[16], home[24];
	size_t len;
	uint32_t i, n, h, gid;

	buf = build_many(50000, &len);
	ck_assert_uint_gt(len, 500 * MTLS_DB_BLOCK);
	ck_assert_int_eq(mfile_open(&f, buf, len, len), 0);
	/* the header's block, and BTOP: 8 bytes per 256 KiB */
	ck_assert_uint_le(f.bytes, MTLS_DB_BLOCK + (len / (256 * 1024) + 1) *
	    8);
	ck_assert_int_eq(mtls_db_user_by_name(&f.db, "u31337", &u), 0);
	ck_assert_uint_eq(u.uid, 1900031337);
	ck_assert_str_eq(u.home, "/home/u31337");
	ck_assert_uint_le(f.bytes, 12 * MTLS_DB_BLOCK);
	ck_assert_int_eq(mtls_db_user_by_uid(&f.db, 1900000042, &u), 0);
	ck_assert_str_eq(u.name, "u42");
	ck_assert_uint_le(f.bytes, 24 * MTLS_DB_BLOCK);
	for (i = 0; i < 50000; i += 7) {
		snprintf(name, sizeof(name), "u%u", i);
		snprintf(home, sizeof(home), "/home/u%u", i);
		ck_assert_int_eq(mtls_db_user_by_name(&f.db, name, &u), 0);
		ck_assert_uint_eq(u.uid, 1900000000 + i);
		ck_assert_str_eq(u.home, home);
		ck_assert_int_eq(mtls_db_user_by_uid(&f.db, 1900000000 + i, &u),
		    0);
		ck_assert_str_eq(u.name, name);
	}
	ck_assert_int_eq(mtls_db_user_by_name(&f.db, "u50000", &u),
	    MTLS_E_NOT_FOUND);
	ck_assert_int_eq(mtls_db_group_by_gid(&f.db, 1800000001, &g), 0);
	ck_assert_uint_eq(g.n_members, 5000);
	ck_assert_int_eq(mtls_db_memberships(&f.db, "u0", &n, &h), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(mtls_db_membership_gid(&f.db, h, 1, &gid), 0);
	ck_assert_uint_eq(gid, 1800000001);
	/* no block is read twice (each comes with 512 bytes of sums) */
	ck_assert_uint_le(f.bytes, len + len / 8);
	mfile_close(&f);
	free(buf);
}
END_TEST

/* A file shorter than its header says, cut anywhere: refused at the open
 * (BTOP, which the open reads, ends the file). */
START_TEST(file_truncated)
{
	struct mtls_db_user u;
	struct mfile f;
	unsigned char *buf;
	size_t len, cut;

	buf = build_many(3000, &len);
	for (cut = 0; cut < len; cut += cut < 2 * MTLS_DB_BLOCK ? 61 : 997) {
		ck_assert_int_eq(mfile_open(&f, buf, len, cut),
		    MTLS_E_CORRUPT);
		ck_assert_int_eq(mtls_db_user_by_name(&f.db, "u1", &u),
		    MTLS_E_CORRUPT);
		mfile_close(&f);
	}
	ck_assert_int_eq(mfile_open(&f, buf, len, len), 0);
	mfile_close(&f);
	free(buf);
}
END_TEST

/* Cut after the open: what needs a block past the cut is corrupt (a
 * short pread), never a wrong answer; once whole again, all answer. */
START_TEST(file_truncated_after_open)
{
	struct mtls_db_user u;
	struct mfile f;
	unsigned char *buf;
	char name[16];
	size_t len;
	uint32_t i;
	int ok = 0, corrupt = 0, r;

	buf = build_many(20000, &len);
	ck_assert_int_eq(mfile_open(&f, buf, len, len), 0);
	ck_assert_int_eq(mtls_db_user_by_name(&f.db, "u7", &u), 0);
	f.size = len / 2;
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "u%u", i);
		r = mtls_db_user_by_name(&f.db, name, &u);
		if (r == 0) {
			ck_assert_str_eq(u.name, name);
			ck_assert_uint_eq(u.uid, 1900000000 + i);
			ok++;
		} else {
			ck_assert_int_eq(r, MTLS_E_CORRUPT);
			corrupt++;
		}
	}
	ck_assert_int_gt(ok, 0);	/* u7, at least: its blocks are in */
	ck_assert_int_gt(corrupt, 0);
	f.size = 0;
	ck_assert_int_eq(mtls_db_user_by_name(&f.db, "u7", &u), 0);
	f.size = len;
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "u%u", i);
		ck_assert_int_eq(mtls_db_user_by_name(&f.db, name, &u), 0);
	}
	mfile_close(&f);
	free(buf);
}
END_TEST

/* A block changed after the open no longer matches its sum. */
START_TEST(file_changed_after_open)
{
	struct mtls_db_user u;
	struct mfile f;
	unsigned char *buf;
	size_t len, at;

	buf = build_many(5000, &len);
	ck_assert_int_eq(mfile_open(&f, buf, len, len), 0);
	/* the user record of u4000 */
	at = sec_off(buf, T_USERS) + 32 * 4000 + 4;
	buf[at] ^= 1;
	ck_assert_int_eq(mtls_db_user_by_uid(&f.db, 1900004000, &u),
	    MTLS_E_CORRUPT);
	buf[at] ^= 1;
	ck_assert_int_eq(mtls_db_user_by_uid(&f.db, 1900004000, &u), 0);
	ck_assert_str_eq(u.name, "u4000");
	mfile_close(&f);
	free(buf);
}
END_TEST

/* A section that reaches past the end of the file, its header sum right:
 * refused by both readers. */
START_TEST(file_section_past_eof)
{
	struct mtls_db db;
	struct mfile f;
	unsigned char *buf;
	size_t len;
	uint32_t v;
	int s;

	buf = build_many(3000, &len);
	for (s = 0; s < MTLS_DB_NSEC; s++) {
		unsigned char *cp = malloc(len);

		memcpy(cp, buf, len);
		v = (uint32_t)len + 8;		/* an offset past the end */
		memcpy(cp + 48 + 8 * s, &v, 4);
		seal_header(cp);
		ck_assert_int_eq(mtls_db_open(&db, cp, len), MTLS_E_CORRUPT);
		ck_assert_int_eq(mfile_open(&f, cp, len, len), MTLS_E_CORRUPT);
		mfile_close(&f);
		memcpy(cp, buf, len);
		/* a count that carries the section past the end */
		v = sec_cnt(cp, s) + (uint32_t)len;
		memcpy(cp + 52 + 8 * s, &v, 4);
		seal_header(cp);
		ck_assert_int_eq(mtls_db_open(&db, cp, len), MTLS_E_CORRUPT);
		ck_assert_int_eq(mfile_open(&f, cp, len, len), MTLS_E_CORRUPT);
		mfile_close(&f);
		free(cp);
	}
	free(buf);
}
END_TEST

/*
 * A record whose string lies past the end of STRINGS (and so of the
 * file), and STRINGS without its final NUL, every sum right: the record
 * is corrupt, the others answer.
 */
START_TEST(file_string_past_eof)
{
	struct mtls_db_user u;
	struct mtls_db_group g;
	const char *m;
	struct mfile f;
	unsigned char *buf;
	size_t len, last;
	uint32_t v;

	buf = build_many(3000, &len);
	v = sec_cnt(buf, T_STR) + (uint32_t)len;
	memcpy(buf + sec_off(buf, T_USERS) + 32 * 2000, &v, 4); /* u2000 */
	ck_assert_int_eq(mtls_db_seal(buf, len), 0);
	ck_assert_int_eq(mfile_open(&f, buf, len, len), 0);
	ck_assert_int_eq(mtls_db_user_by_uid(&f.db, 1900002000, &u),
	    MTLS_E_CORRUPT);
	ck_assert_int_eq(mtls_db_user_by_uid(&f.db, 1900002001, &u), 0);
	ck_assert_str_eq(u.name, "u2001");
	mfile_close(&f);
	free(buf);
	/* the last string runs into the end of the section */
	buf = build_many(3000, &len);
	last = (size_t)sec_off(buf, T_STR) + sec_cnt(buf, T_STR) - 1;
	ck_assert_int_eq(buf[last], 0);
	buf[last] = 'x';
	ck_assert_int_eq(mtls_db_seal(buf, len), 0);
	ck_assert_int_eq(mfile_open(&f, buf, len, len), 0);
	/* g1's last member (u2990, a copy of its own) is the last string
	 * laid out */
	ck_assert_int_eq(mtls_db_group_by_gid(&f.db, 1800000001, &g), 0);
	ck_assert_int_eq(mtls_db_group_member(&f.db, &g, g.n_members - 1,
	    &m), MTLS_E_CORRUPT);
	ck_assert_int_eq(mtls_db_group_member(&f.db, &g, 0, &m), 0);
	ck_assert_str_eq(m, "u0");
	ck_assert_int_eq(mtls_db_user_by_uid(&f.db, 1900000001, &u), 0);
	mfile_close(&f);
	free(buf);
}
END_TEST

/* ---- the principal index ------------------------------------------- */

struct hits {
	uint32_t	idx[16];
	int		n;
};

static void
hit(void *ctx, const struct mtls_db_user *u)
{
	struct hits *h = ctx;

	ck_assert_int_lt(h->n, 16);
	h->idx[h->n++] = u->index;
}

static int
find(const struct mtls_db *db, int kind, const char *value, struct hits *h)
{
	memset(h, 0, sizeof(*h));
	return mtls_db_find_principal(db, kind, value, hit, h);
}

/* One user for each kind of principal, and one that lists them all. */
START_TEST(principal_kinds)
{
	static const char *fp = "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff";
	const struct mtls_db_principal_in p0[] = {
		{ MTLS_PRINCIPAL_SUBJECT, "CN=p0,O=Example" } }, p1[] = {
		{ MTLS_PRINCIPAL_FINGERPRINT, fp } }, p2[] = {
		{ MTLS_PRINCIPAL_EMAIL, "p2@example.org" } }, p3[] = {
		{ MTLS_PRINCIPAL_UPN, "p3@EXAMPLE.ORG" } }, p4[] = {
		{ MTLS_PRINCIPAL_URI, "spiffe://example.org/p4" } };
	const struct mtls_db_user_in uv[] = {
		{ "p0", 1900000000, 100, "", "/h", "/bin/sh", p0, 1 },
		{ "p1", 1900000001, 100, "", "/h", "/bin/sh", p1, 1 },
		{ "p2", 1900000002, 100, "", "/h", "/bin/sh", p2, 1 },
		{ "p3", 1900000003, 100, "", "/h", "/bin/sh", p3, 1 },
		{ "p4", 1900000004, 100, "", "/h", "/bin/sh", p4, 1 },
	};
	const struct mtls_db_principal_in *all[] = { p0, p1, p2, p3, p4 };
	struct mtls_db db;
	struct mfile f;
	struct hits h;
	unsigned char *buf = NULL;
	size_t len;
	int i, k, pass;

	ck_assert_int_eq(mtls_db_build(uv, 5, NULL, 0, &buf, &len), 0);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_int_eq(mfile_open(&f, buf, len, len), 0);
	for (pass = 0; pass < 2; pass++) {
		const struct mtls_db *d = pass == 0 ? &db : &f.db;

		for (i = 0; i < 5; i++) {
			ck_assert_int_eq(find(d, all[i]->kind, all[i]->value,
			    &h), 0);
			ck_assert_int_eq(h.n, 1);
			ck_assert_uint_eq(h.idx[0], (uint32_t)i);
			/* the same value under every other kind: nobody */
			for (k = MTLS_PRINCIPAL_SUBJECT;
			    k <= MTLS_PRINCIPAL_URI; k++) {
				if (k == all[i]->kind)
					continue;
				ck_assert_int_eq(find(d, k, all[i]->value,
				    &h), 0);
				ck_assert_int_eq(h.n, 0);
			}
		}
		ck_assert_int_eq(find(d, MTLS_PRINCIPAL_EMAIL,
		    "p2@example.or", &h), 0);
		ck_assert_int_eq(h.n, 0);
		ck_assert_int_eq(find(d, MTLS_PRINCIPAL_EMAIL, "P2@example.org",
		    &h), 0);
		ck_assert_int_eq(h.n, 0);
	}
	mfile_close(&f);
	free(buf);
}
END_TEST

/*
 * Principals chosen so that all fall in one slot of the table: each is
 * found behind the others, and a missing one in that slot is not.
 */
START_TEST(principal_collisions)
{
	struct mtls_db_principal_in pr[10];
	struct mtls_db_user_in uv[10];
	char vals[10][32], names[10][8], miss[32];
	struct mtls_db db;
	struct hits h;
	unsigned char *buf = NULL;
	size_t len;
	uint32_t c, slot = 0, mask = 31;	/* 10 entries: a table of 32 */
	int n = 0, i;

	for (c = 0; n < 10 || miss[0] == '\0'; c++) {
		char v[32];
		uint32_t s;

		snprintf(v, sizeof(v), "c%u@example.org", c);
		s = mtls_db_hash_principal(MTLS_PRINCIPAL_EMAIL, v) & mask;
		if (c == 0) {
			slot = s;
			miss[0] = '\0';
		}
		if (s != slot)
			continue;
		if (n < 10)
			snprintf(vals[n++], sizeof(vals[0]), "%s", v);
		else
			snprintf(miss, sizeof(miss), "%s", v);
	}
	for (i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		pr[i] = (struct mtls_db_principal_in){ MTLS_PRINCIPAL_EMAIL,
		    vals[i] };
		uv[i] = (struct mtls_db_user_in){ names[i],
		    1900000000 + (uint32_t)i, 100, "", "/h", "/bin/sh", &pr[i],
		    1 };
	}
	ck_assert_int_eq(mtls_db_build(uv, 10, NULL, 0, &buf, &len), 0);
	ck_assert_uint_eq(sec_cnt(buf, T_PTAB), mask + 1);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(find(&db, MTLS_PRINCIPAL_EMAIL, vals[i], &h),
		    0);
		ck_assert_int_eq(h.n, 1);
		ck_assert_uint_eq(h.idx[0], (uint32_t)i);
	}
	ck_assert_int_eq(find(&db, MTLS_PRINCIPAL_EMAIL, miss, &h), 0);
	ck_assert_int_eq(h.n, 0);
	free(buf);
}
END_TEST

/*
 * One principal listed by several accounts, and twice by one: each
 * account found, once for each time it lists it (as the builder keeps
 * them).  An index slot made to name an account that does not list the
 * principal gives no match: the account's own list decides.
 */
START_TEST(principal_duplicates)
{
	const struct mtls_db_principal_in twice[] = {
		{ MTLS_PRINCIPAL_EMAIL, "shared@example.org" },
		{ MTLS_PRINCIPAL_EMAIL, "shared@example.org" } }, once[] = {
		{ MTLS_PRINCIPAL_URI, "x:y" },
		{ MTLS_PRINCIPAL_EMAIL, "shared@example.org" } }, other[] = {
		{ MTLS_PRINCIPAL_EMAIL, "other@example.org" } };
	const struct mtls_db_user_in uv[] = {
		{ "a", 1900000000, 100, "", "/h", "/bin/sh", twice, 2 },
		{ "b", 1900000001, 100, "", "/h", "/bin/sh", other, 1 },
		{ "c", 1900000002, 100, "", "/h", "/bin/sh", once, 2 },
	};
	struct mtls_db db;
	struct hits h;
	unsigned char *buf = NULL;
	size_t len, at;
	uint32_t v, i, moved = 0;
	int seen[3] = { 0, 0, 0 };

	ck_assert_int_eq(mtls_db_build(uv, 3, NULL, 0, &buf, &len), 0);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_int_eq(find(&db, MTLS_PRINCIPAL_EMAIL, "shared@example.org",
	    &h), 0);
	ck_assert_int_eq(h.n, 3);
	for (i = 0; i < (uint32_t)h.n; i++)
		seen[h.idx[i]]++;
	ck_assert_int_eq(seen[0], 2);
	ck_assert_int_eq(seen[1], 0);
	ck_assert_int_eq(seen[2], 1);
	ck_assert_int_eq(find(&db, MTLS_PRINCIPAL_EMAIL, "other@example.org",
	    &h), 0);
	ck_assert_int_eq(h.n, 1);
	ck_assert_uint_eq(h.idx[0], 1);
	/* the slot of b's principal (user index 1, so 2) made to name a */
	for (i = 0; i < sec_cnt(buf, T_PTAB); i++) {
		at = sec_off(buf, T_PTAB) + 8 * (size_t)i;
		if (hdr32(buf, at) == 2) {
			v = 1;
			memcpy(buf + at, &v, 4);
			moved++;
		}
	}
	ck_assert_uint_eq(moved, 1);
	ck_assert_int_eq(mtls_db_seal(buf, len), 0);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), 0);
	ck_assert_int_eq(find(&db, MTLS_PRINCIPAL_EMAIL, "other@example.org",
	    &h), 0);
	ck_assert_int_eq(h.n, 0);
	free(buf);
}
END_TEST

/* A database of format version 1 is refused, and says which it is. */
START_TEST(old_version)
{
	struct mtls_db db;
	struct mfile f;
	unsigned char *buf;
	size_t len;
	uint32_t v = 1;

	buf = build(&len);
	ck_assert_uint_eq(mtls_db_version(buf, len), MTLS_DB_VERSION);
	memcpy(buf + 8, &v, 4);
	seal_header(buf);
	ck_assert_int_eq(mtls_db_seal(buf, len), MTLS_E_CORRUPT);
	ck_assert_uint_eq(mtls_db_version(buf, len), 1);
	ck_assert_int_eq(mtls_db_open(&db, buf, len), MTLS_E_CORRUPT);
	ck_assert_int_eq(mfile_open(&f, buf, len, len), MTLS_E_CORRUPT);
	mfile_close(&f);
	ck_assert_uint_eq(mtls_db_version("MTLSIDX\0\1\0\0\0", 12), 0);
	free(buf);
}
END_TEST

/* ---- the sources ---------------------------------------------------- */

static const char *sys_passwd = "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1::/:/usr/sbin/nologin\nold:x:1900000009:100::/:/bin/sh\n";
static const char *sys_group = "root:x:0:\nusers:x:100:\n"
    "oldg:x:1900000009:\n";

static int
shell_ok(const char *p)
{
	return strcmp(p, "/bin/sh") == 0 || strcmp(p, "/bin/bash") == 0;
}

static const struct {
	const char	*users;
	const char	*groups;
	const char	*error;		/* NULL: accepted */
} src_rows[] = {
	{ "user a\nuid 1900000000\ngid 100\nhome /h\n", "", NULL },
	{ "user a\n  uid 1900000000\n  gid 1900000000\n  home /h\n"
	    "  principal email a@example.org\n  principal uri spiffe://x/a\n"
	    "  principal upn a@EXAMPLE\n  principal subject CN=a\n"
	    "  principal fingerprint " "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\n",
	    "group g\ngid 1900000000\nmember a\nmember root\n", NULL },
	{ "user root\nuid 1900000000\ngid 100\nhome /h\n", "",
	    "already exists in the system's passwd" },
	{ "user a\nuid 1900000009\ngid 100\nhome /h\n", "",
	    "already used in the system's passwd" },
	{ "user a\nuid 1000\ngid 100\nhome /h\n", "", "outside the range" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\n"
	    "user a\nuid 1900000001\ngid 100\nhome /h\n", "",
	    "users:5: duplicate user name 'a' (also line 1)" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\n"
	    "user b\nuid 1900000000\ngid 100\nhome /h\n", "",
	    "duplicate user id 1900000000" },
	{ "user A\nuid 1900000000\ngid 100\nhome /h\n", "",
	    "not a valid user name" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nshell /bin/zsh\n", "",
	    "shell /bin/zsh does not exist" },
	{ "user a\nuid 1900000000\ngid 100\nhome h\n", "",
	    "home must be absolute" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\ngecos a:b\n", "",
	    "no field may contain ':'" },
	{ "user a\nuid 1900000000\ngid 100\n", "", "has no home" },
	{ "user a\ngid 100\nhome /h\n", "", "has no uid" },
	{ "user a\nuid 1900000000\ngid 5\nhome /h\n", "",
	    "primary gid 5 is neither" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nprincipal email a\n",
	    "", "malformed email principal" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nprincipal uri x y\n",
	    "", "malformed uri principal" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nprincipal fingerprint "
	    "abc\n", "", "malformed fingerprint principal" },
	{ "user a\nuid 1900000000\ngid 100\nhome /h\nprincipal dns x\n", "",
	    "unknown principal kind 'dns'" },
	{ "uid 1\n", "", "before the first 'user NAME' line" },
	{ "user a\nuid 1900000000\nuid 1900000001\ngid 100\nhome /h\n"
	    "home /x\n", "", "unknown or repeated key 'home'" },
	{ "", "group users\ngid 1900000000\n",
	    "already exists in the system's group file" },
	{ "", "group g\ngid 1900000009\n", "already used in the system's" },
	{ "", "group g\ngid 1900000000\ngroup h\ngid 1900000000\n",
	    "duplicate group id" },
	{ "", "group g\ngid 1900000000\nmember Bad\n",
	    "'Bad' is not a valid member name" },
};

START_TEST(sources)
{
	struct mtls_idsrc_env env = { MTLS_ID_MIN_DEFAULT, MTLS_ID_MAX_DEFAULT,
	    sys_passwd, sys_group, shell_ok };
	struct mtls_idsrc src;
	struct mtls_err e = { 0, "" };
	int r;

	memset(&src, 0, sizeof(src));
	src.users_path = strdup("users");
	src.groups_path = strdup("groups");
	r = mtls_idsrc_parse_users(&src, "users", strdup(src_rows[_i].users),
	    strlen(src_rows[_i].users), &e);
	if (r == 0)
		r = mtls_idsrc_parse_groups(&src, "groups",
		    strdup(src_rows[_i].groups), strlen(src_rows[_i].groups),
		    &e);
	if (r == 0)
		r = mtls_idsrc_check(&src, &env, &e);
	if (src_rows[_i].error == NULL)
		ck_assert_msg(r == 0, "row %d: %s", _i, e.msg);
	else {
		ck_assert_msg(r != 0, "row %d accepted", _i);
		ck_assert_msg(strstr(e.msg, src_rows[_i].error) != NULL,
		    "row %d: '%s' lacks '%s'", _i, e.msg, src_rows[_i].error);
	}
	mtls_idsrc_clear(&src);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("reader");

	tcase_add_test(tc, lookups);
	tcase_add_test(tc, empty_db);
	tcase_add_test(tc, many);
	suite_add_tcase(s, tc);
	tc = tcase_create("corrupt");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, bitflips);
	tcase_add_test(tc, garbage);
	suite_add_tcase(s, tc);
	tc = tcase_create("lazy");
	tcase_add_test(tc, hash_pieces);
	tcase_add_test(tc, hash_blocks);
	tcase_add_test(tc, lazy_lookups);
	tcase_add_test(tc, lazy_long_strings);
	tcase_add_test(tc, lazy_refusals);
	suite_add_tcase(s, tc);
	tc = tcase_create("file");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, file_reads_little);
	tcase_add_test(tc, file_truncated);
	tcase_add_test(tc, file_truncated_after_open);
	tcase_add_test(tc, file_changed_after_open);
	tcase_add_test(tc, file_section_past_eof);
	tcase_add_test(tc, file_string_past_eof);
	tcase_add_test(tc, old_version);
	suite_add_tcase(s, tc);
	tc = tcase_create("principals");
	tcase_add_test(tc, principal_kinds);
	tcase_add_test(tc, principal_collisions);
	tcase_add_test(tc, principal_duplicates);
	suite_add_tcase(s, tc);
	tc = tcase_create("sources");
	tcase_add_loop_test(tc, sources, 0, NROWS(src_rows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(db_suite());
}
