/*
 * dbbuild.c - lay out an identity database (the format is described in
 * db.c).  Strings are stored once however often they occur (shells,
 * homes' prefixes are not split: whole strings only).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errors.h"

uint32_t mtls_db_hash_name(const char *s);
uint32_t mtls_db_hash_id(uint32_t id);
uint32_t mtls_db_hash_principal(int kind, const char *value);

#define NTAB		6	/* hash tables */
#define S_SECS		(MTLS_DB_NSEC - 2)	/* sections before BSUM */

struct buf {
	unsigned char	*p;
	size_t		 len, cap;
};

static int
buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	unsigned char *np;

	if (more > MTLS_DB_MAX_SIZE || b->len + more > MTLS_DB_MAX_SIZE)
		return MTLS_E_TOO_LARGE;
	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL)
		return MTLS_E_NOMEM;
	b->p = np;
	b->cap = cap;
	return 0;
}

static int
buf_add(struct buf *b, const void *d, size_t n)
{
	int r;

	if ((r = buf_reserve(b, n)) != 0)
		return r;
	memcpy(b->p + b->len, d, n);
	b->len += n;
	return 0;
}

/* Zeros up to a multiple of align (a power of two up to a block). */
static int
buf_pad(struct buf *b, size_t align)
{
	static const unsigned char zero[MTLS_DB_BLOCK];

	if (b->len % align == 0)
		return 0;
	return buf_add(b, zero, align - b->len % align);
}

static int
buf_u32(struct buf *b, uint32_t v)
{
	return buf_add(b, &v, sizeof(v));
}

/* The string pool with a table so that equal strings share one copy. */
struct pool {
	struct buf	 s;
	uint32_t	*tab;	/* offset + 1 */
	uint32_t	 mask;
	uint32_t	 n;
};

static int
pool_add(struct pool *pl, const char *str, uint32_t *off)
{
	uint32_t h, i, *nt, nm, j;
	size_t len = strlen(str) + 1;
	int r;

	if (pl->tab == NULL || pl->n * 2 >= pl->mask) {
		nm = pl->tab == NULL ? 1023 : pl->mask * 2 + 1;
		if ((nt = calloc((size_t)nm + 1, sizeof(*nt))) == NULL)
			return MTLS_E_NOMEM;
		for (j = 0; pl->tab != NULL && j <= pl->mask; j++) {
			if (pl->tab[j] == 0)
				continue;
			h = mtls_db_hash_name((char *)pl->s.p +
			    pl->tab[j] - 1) & nm;
			while (nt[h] != 0)
				h = (h + 1) & nm;
			nt[h] = pl->tab[j];
		}
		free(pl->tab);
		pl->tab = nt;
		pl->mask = nm;
	}
	for (i = mtls_db_hash_name(str) & pl->mask; pl->tab[i] != 0;
	    i = (i + 1) & pl->mask) {
		if (strcmp((char *)pl->s.p + pl->tab[i] - 1, str) == 0) {
			*off = pl->tab[i] - 1;
			return 0;
		}
	}
	if (pl->s.len + len > UINT32_MAX - 1)
		return MTLS_E_TOO_LARGE;
	*off = (uint32_t)pl->s.len;
	if ((r = buf_add(&pl->s, str, len)) != 0)
		return r;
	pl->tab[i] = *off + 1;
	pl->n++;
	return 0;
}

/*
 * A copy of str at the end of the pool, even when it holds one already:
 * a group's member names one after the other, so that a lookup of a
 * large group reads a few blocks, not one for each member (shared
 * copies lie wherever their users' records put them).
 */
static int
pool_append(struct pool *pl, const char *str, uint32_t *off)
{
	size_t len = strlen(str) + 1;

	if (pl->s.len + len > UINT32_MAX - 1)
		return MTLS_E_TOO_LARGE;
	*off = (uint32_t)pl->s.len;
	return buf_add(&pl->s, str, len);
}

/* Smallest power of two above 2n (tables at most half full). */
static uint32_t
table_size(uint32_t n)
{
	uint32_t c = 8;

	while (c <= 2 * (uint64_t)n)
		c *= 2;
	return c;
}

struct pair {
	const char	*member;
	uint32_t	 group;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->member, y->member);

	if (c != 0)
		return c;
	return x->group < y->group ? -1 : x->group > y->group;
}

struct table {
	uint32_t	*v;
	uint32_t	 n;
};

/* Slots of (index + 1, hash): see db.c. */
static void
table_put(struct table *t, uint32_t h, uint32_t idx)
{
	uint32_t i = h & (t->n - 1);

	while (t->v[2 * i] != 0)
		i = (i + 1) & (t->n - 1);
	t->v[2 * i] = idx + 1;
	t->v[2 * i + 1] = h;
}

int
mtls_db_build(const struct mtls_db_user_in *users, uint32_t n_users,
    const struct mtls_db_group_in *groups, uint32_t n_groups,
    unsigned char **out, size_t *out_len)
{
	struct pool pl = { { NULL, 0, 0 }, NULL, 0, 0 };
	struct buf u32 = { NULL, 0, 0 };
	struct buf f = { NULL, 0, 0 };
	struct buf ubuf = { NULL, 0, 0 }, gbuf = { NULL, 0, 0 };
	struct buf mbuf = { NULL, 0, 0 }, pbuf = { NULL, 0, 0 };
	struct table t[NTAB] = { { NULL, 0 } };
	struct pair *pairs = NULL;
	size_t np = 0, i, j, k, n_mem = 0, n_pe = 0;
	uint32_t off[MTLS_DB_NSEC], cnt[MTLS_DB_NSEC], s, v;
	int r = MTLS_E_NOMEM;

	*out = NULL;
	*out_len = 0;
	if (n_users > MTLS_DB_MAX_RECORDS || n_groups > MTLS_DB_MAX_RECORDS) {
		r = MTLS_E_TOO_LARGE;
		goto out;
	}
	/* USERS and their principals */
	for (i = 0; i < n_users; i++) {
		const struct mtls_db_user_in *u = &users[i];
		uint32_t rec[8];

		if ((r = pool_add(&pl, u->name, &rec[0])) != 0 ||
		    (r = pool_add(&pl, u->gecos ? u->gecos : "", &rec[3])) !=
		    0 || (r = pool_add(&pl, u->home, &rec[4])) != 0 ||
		    (r = pool_add(&pl, u->shell, &rec[5])) != 0)
			goto out;
		rec[1] = u->uid;
		rec[2] = u->gid;
		rec[6] = (uint32_t)(u32.len / 4);
		rec[7] = u->n_principals;
		for (j = 0; j < u->n_principals; j++) {
			if ((r = pool_add(&pl, u->principals[j].value, &s)) !=
			    0 || (r = buf_u32(&u32,
			    (uint32_t)u->principals[j].kind)) != 0 ||
			    (r = buf_u32(&u32, s)) != 0)
				goto out;
			/* for the index: kind, string, user */
			if ((r = buf_u32(&pbuf,
			    (uint32_t)u->principals[j].kind)) != 0 ||
			    (r = buf_u32(&pbuf, s)) != 0 ||
			    (r = buf_u32(&pbuf, (uint32_t)i)) != 0)
				goto out;
			n_pe++;
		}
		if ((r = buf_add(&ubuf, rec, sizeof(rec))) != 0)
			goto out;
	}
	/* GROUPS and their members */
	for (i = 0; i < n_groups; i++)
		np += groups[i].n_members;
	if (np > 0 && (pairs = calloc(np, sizeof(*pairs))) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	for (i = 0, k = 0; i < n_groups; i++) {
		uint32_t rec[4];

		if ((r = pool_add(&pl, groups[i].name, &rec[0])) != 0)
			goto out;
		rec[1] = groups[i].gid;
		rec[2] = (uint32_t)(u32.len / 4);
		rec[3] = groups[i].n_members;
		for (j = 0; j < groups[i].n_members; j++) {
			if ((r = pool_append(&pl, groups[i].members[j], &s)) !=
			    0 || (r = buf_u32(&u32, s)) != 0)
				goto out;
			pairs[k].member = groups[i].members[j];
			pairs[k++].group = (uint32_t)i;
		}
		if ((r = buf_add(&gbuf, rec, sizeof(rec))) != 0)
			goto out;
	}
	/* MEMBERS: each distinct member name with the groups listing it */
	if (np > 0)
		qsort(pairs, np, sizeof(*pairs), pair_cmp);
	for (i = 0; i < np; i = j) {
		uint32_t rec[3];

		if ((r = pool_add(&pl, pairs[i].member, &rec[0])) != 0)
			goto out;
		rec[1] = (uint32_t)(u32.len / 4);
		for (j = i; j < np && strcmp(pairs[j].member,
		    pairs[i].member) == 0; j++) {
			/* a group naming a member twice counts once */
			if (j > i && pairs[j].group == pairs[j - 1].group)
				continue;
			if ((r = buf_u32(&u32, pairs[j].group)) != 0)
				goto out;
		}
		rec[2] = (uint32_t)(u32.len / 4) - rec[1];
		if ((r = buf_add(&mbuf, rec, sizeof(rec))) != 0)
			goto out;
		n_mem++;
	}
	/* the tables */
	if (n_pe > MTLS_DB_MAX_RECORDS * (size_t)4) {
		r = MTLS_E_TOO_LARGE;
		goto out;
	}
	{
		const uint32_t tn[NTAB] = { table_size(n_users),
		    table_size(n_users), table_size(n_groups),
		    table_size(n_groups), table_size((uint32_t)n_mem),
		    table_size((uint32_t)n_pe) };

		for (i = 0; i < NTAB; i++) {
			t[i].n = tn[i];
			if ((t[i].v = calloc(tn[i], 2 * sizeof(uint32_t))) ==
			    NULL) {
				r = MTLS_E_NOMEM;
				goto out;
			}
		}
	}
	for (i = 0; i < n_users; i++) {
		table_put(&t[0], mtls_db_hash_name(users[i].name), (uint32_t)i);
		table_put(&t[1], mtls_db_hash_id(users[i].uid), (uint32_t)i);
	}
	for (i = 0; i < n_groups; i++) {
		table_put(&t[2], mtls_db_hash_name(groups[i].name),
		    (uint32_t)i);
		table_put(&t[3], mtls_db_hash_id(groups[i].gid), (uint32_t)i);
	}
	for (i = 0; i < n_mem; i++) {
		memcpy(&v, mbuf.p + i * 12, 4);
		table_put(&t[4], mtls_db_hash_name((char *)pl.s.p + v),
		    (uint32_t)i);
	}
	for (i = 0; i < n_pe; i++) {
		uint32_t kind;

		uint32_t user;

		memcpy(&kind, pbuf.p + i * 12, 4);
		memcpy(&v, pbuf.p + i * 12 + 4, 4);
		memcpy(&user, pbuf.p + i * 12 + 8, 4);
		table_put(&t[5], mtls_db_hash_principal((int)kind,
		    (char *)pl.s.p + v), user);
	}
	if (pl.s.len == 0 && (r = buf_add(&pl.s, "", 1)) != 0)
		goto out;

	/*
	 * The file: the header's block, the data sections each 8-aligned,
	 * then from a block boundary the block sums (BSUM) and the sums of
	 * those (BTOP), which mtls_db_seal() fills.
	 */
	{
		const struct buf *secs[S_SECS] = { &ubuf, &gbuf, &mbuf,
		    &pl.s, &u32, NULL, NULL, NULL, NULL, NULL, NULL };
		static const uint32_t esz[S_SECS] = { 32, 16, 12, 1, 4,
		    8, 8, 8, 8, 8, 8 };
		static const int tabsec[S_SECS] = { -1, -1, -1, -1, -1,
		    0, 1, 2, 3, 4, 5 };
		size_t nd, ns;

		if ((r = buf_reserve(&f, MTLS_DB_BLOCK)) != 0)
			goto out;
		memset(f.p, 0, MTLS_DB_BLOCK);
		f.len = MTLS_DB_BLOCK;
		for (i = 0; i < S_SECS; i++) {
			const void *d = secs[i] ? secs[i]->p :
			    (const void *)t[tabsec[i]].v;
			size_t n = secs[i] ? secs[i]->len :
			    (size_t)t[tabsec[i]].n * 8;

			if ((r = buf_pad(&f, 8)) != 0)
				goto out;
			if (f.len > UINT32_MAX) {
				r = MTLS_E_TOO_LARGE;
				goto out;
			}
			off[i] = (uint32_t)f.len;
			cnt[i] = (uint32_t)(n / esz[i]);
			if (n > 0 && (r = buf_add(&f, d, n)) != 0)
				goto out;
		}
		if ((r = buf_pad(&f, MTLS_DB_BLOCK)) != 0)
			goto out;
		nd = f.len / MTLS_DB_BLOCK;
		ns = (nd + 63) / 64;	/* BTOP: a sum per 64 of BSUM */
		if (f.len + nd * 8 + ns * 8 > UINT32_MAX) {
			r = MTLS_E_TOO_LARGE;
			goto out;
		}
		off[S_SECS] = (uint32_t)f.len;		/* BSUM */
		cnt[S_SECS] = (uint32_t)nd;
		off[S_SECS + 1] = (uint32_t)(f.len + nd * 8);
		cnt[S_SECS + 1] = (uint32_t)ns;		/* BTOP */
		if ((r = buf_reserve(&f, nd * 8 + ns * 8)) != 0)
			goto out;
		memset(f.p + f.len, 0, nd * 8 + ns * 8);
		f.len += nd * 8 + ns * 8;
	}
	{
		uint32_t w32;
		uint64_t w64;

		memcpy(f.p, MTLS_DB_MAGIC, 8);
		w32 = MTLS_DB_VERSION;
		memcpy(f.p + 8, &w32, 4);
		w32 = 0x01020304u;
		memcpy(f.p + 12, &w32, 4);
		w64 = f.len;
		memcpy(f.p + 16, &w64, 8);
		memcpy(f.p + 32, &n_users, 4);
		memcpy(f.p + 36, &n_groups, 4);
		w32 = (uint32_t)n_mem;
		memcpy(f.p + 40, &w32, 4);
		w32 = (uint32_t)n_pe;
		memcpy(f.p + 44, &w32, 4);
		for (i = 0; i < MTLS_DB_NSEC; i++) {
			memcpy(f.p + 48 + 8 * i, &off[i], 4);
			memcpy(f.p + 48 + 8 * i + 4, &cnt[i], 4);
		}
		w32 = MTLS_DB_BLOCK_SHIFT;
		memcpy(f.p + 48 + 8 * MTLS_DB_NSEC, &w32, 4);
		if ((r = mtls_db_seal(f.p, f.len)) != 0) {
			r = MTLS_E_INTERNAL;
			goto out;
		}
	}
	*out = f.p;
	*out_len = f.len;
	f.p = NULL;
	r = 0;
 out:
	free(ubuf.p);
	free(gbuf.p);
	free(mbuf.p);
	free(pbuf.p);
	for (i = 0; i < NTAB; i++)
		free(t[i].v);
	free(pairs);
	free(pl.s.p);
	free(pl.tab);
	free(u32.p);
	free(f.p);
	return r;
}
