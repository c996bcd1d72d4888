/*
 * fuzz_db.c - the identity database reader on arbitrary bytes, both ways
 * it reads: a buffer that is all there (mtls db, the tests) and a file
 * read a block at a time on demand (the NSS module, from=db), the latter
 * also with the file cut short after the open.  Each time: open, then
 * every record, every lookup the modules make with the names and ids
 * found, and a few fixed ones.  The input is read as it is and again
 * with every checksum made right (mtls_db_seal), so that changed bytes
 * reach the reader's checks of bounds rather than stop at a checksum.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "fuzz.h"

#define FUZZ_DB_MAX	(1024 * 1024)
#define FUZZ_DB_WALK	256	/* records of each kind looked at */

static void
count_user(void *ctx, const struct mtls_db_user *u)
{
	(*(unsigned *)ctx)++;
	(void)u;
}

static void
walk_user(const struct mtls_db *db, const struct mtls_db_user *u)
{
	struct mtls_db_user v;
	const char *value;
	uint32_t i, n, h, gid;
	unsigned hits = 0;
	int kind;

	(void)mtls_db_user_by_name(db, u->name, &v);
	(void)mtls_db_user_by_uid(db, u->uid, &v);
	for (i = 0; i < u->n_principals && i < FUZZ_DB_WALK; i++)
		if (mtls_db_user_principal(db, u, i, &kind, &value) == 0)
			(void)mtls_db_find_principal(db, kind, value,
			    count_user, &hits);
	if (mtls_db_memberships(db, u->name, &n, &h) == 0)
		for (i = 0; i < n && i < FUZZ_DB_WALK; i++)
			(void)mtls_db_membership_gid(db, h, i, &gid);
}

static void
walk_group(const struct mtls_db *db, const struct mtls_db_group *g)
{
	struct mtls_db_group v;
	const char *name;
	uint32_t i, n, h;

	(void)mtls_db_group_by_name(db, g->name, &v);
	(void)mtls_db_group_by_gid(db, g->gid, &v);
	for (i = 0; i < g->n_members && i < FUZZ_DB_WALK; i++)
		if (mtls_db_group_member(db, g, i, &name) == 0)
			(void)mtls_db_memberships(db, name, &n, &h);
}

/* Every record (up to FUZZ_DB_WALK of a kind) and the fixed lookups. */
static void
walk(const struct mtls_db *db)
{
	static const char *names[] = { "root", "alice", "bob", "", "a" };
	struct mtls_db_user u;
	struct mtls_db_group g;
	uint32_t i, n, h;
	unsigned hits = 0;
	size_t k;

	for (i = 0; i < db->n_users && i < FUZZ_DB_WALK; i++)
		if (mtls_db_user_at(db, i, &u) == 0)
			walk_user(db, &u);
	for (i = 0; i < db->n_groups && i < FUZZ_DB_WALK; i++)
		if (mtls_db_group_at(db, i, &g) == 0)
			walk_group(db, &g);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		(void)mtls_db_user_by_name(db, names[k], &u);
		(void)mtls_db_group_by_name(db, names[k], &g);
		(void)mtls_db_memberships(db, names[k], &n, &h);
		(void)mtls_db_find_principal(db, MTLS_PRINCIPAL_EMAIL,
		    names[k], count_user, &hits);
	}
	(void)mtls_db_user_by_uid(db, 0, &u);
	(void)mtls_db_user_by_uid(db, 1000, &u);
	(void)mtls_db_group_by_gid(db, 0, &g);
	(void)mtls_db_group_by_gid(db, 1000, &g);
}

/* A file in memory, read through mtls_db_read_fn; size may shrink. */
struct mfile {
	const unsigned char	*data;
	size_t			 size;
	struct mtls_db		 db;
};

static int
mfile_read(void *ctx, void *dst, size_t n, size_t off)
{
	struct mfile *f = ctx;

	if (off > f->size || n > f->size - off)
		return -1;
	memcpy(dst, f->data + off, n);
	return 0;
}

static int
mfile_fetch(void *ctx, size_t off, size_t n)
{
	struct mfile *f = ctx;

	return mtls_db_fill(&f->db, off, n) == 0 ? 0 : -1;
}

/* The on-demand reader over data, the file cut to cut bytes after the
 * open when cut < size. */
static void
on_demand(const unsigned char *data, size_t size, size_t cut)
{
	struct mtls_db_lazy lazy;
	struct mfile f = { data, size, { 0 } };
	unsigned char *base;
	atomic_uchar *present;

	if ((base = malloc(size ? size : 1)) == NULL)
		return;
	if ((present = calloc(mtls_db_nblocks(size) + 1, 1)) == NULL) {
		free(base);
		return;
	}
	lazy = (struct mtls_db_lazy){ present, MTLS_DB_BLOCK_SHIFT,
	    mfile_fetch, &f };
	if (mtls_db_open_file(&f.db, base, size, &lazy, mfile_read, &f) == 0) {
		f.size = cut;
		walk(&f.db);
		f.size = size;
		walk(&f.db);
	} else
		walk(&f.db);	/* a closed db answers nothing */
	free(present);
	free(base);
}

/* Both readers over the len bytes at p. */
static void
read_both(const unsigned char *p, size_t len)
{
	struct mtls_db db;
	unsigned char *copy;

	/* the reader wants the alignment of malloc */
	if ((copy = malloc(len ? len : 1)) == NULL)
		return;
	memcpy(copy, p, len);
	if (mtls_db_open(&db, copy, len) == 0)
		walk(&db);
	free(copy);
	on_demand(p, len, len);
	/* cut after the open, somewhere the input decides */
	if (len > MTLS_DB_BLOCK)
		on_demand(p, len, MTLS_DB_BLOCK + p[len - 1] * (len -
		    MTLS_DB_BLOCK) / 256);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *sealed;

	if (size > FUZZ_DB_MAX)
		return 0;
	read_both(data, size);
	if ((sealed = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(sealed, data, size);
	if (mtls_db_seal(sealed, size) == 0)
		read_both(sealed, size);
	free(sealed);
	return 0;
}
