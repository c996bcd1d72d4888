/*
 * fuzz_db.c - the identity database reader (what the NSS module maps) on
 * arbitrary bytes: open, then every record, every lookup the modules make
 * with the names and ids found, and a few fixed ones.
 */
#include "config.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "root", "alice", "bob", "", "a" };
	struct mtls_db_user u;
	struct mtls_db_group g;
	struct mtls_db db;
	unsigned char *copy;
	uint32_t i, n, h;
	unsigned hits = 0;
	size_t k;

	if (size > FUZZ_DB_MAX)
		return 0;
	/* the reader wants the alignment of a mapping */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (mtls_db_open(&db, copy, size) != 0)
		goto out;
	for (i = 0; i < db.n_users && i < FUZZ_DB_WALK; i++)
		if (mtls_db_user_at(&db, i, &u) == 0)
			walk_user(&db, &u);
	for (i = 0; i < db.n_groups && i < FUZZ_DB_WALK; i++)
		if (mtls_db_group_at(&db, i, &g) == 0)
			walk_group(&db, &g);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		(void)mtls_db_user_by_name(&db, names[k], &u);
		(void)mtls_db_group_by_name(&db, names[k], &g);
		(void)mtls_db_memberships(&db, names[k], &n, &h);
		(void)mtls_db_find_principal(&db, MTLS_PRINCIPAL_EMAIL,
		    names[k], count_user, &hits);
	}
	(void)mtls_db_user_by_uid(&db, 0, &u);
	(void)mtls_db_user_by_uid(&db, 1000, &u);
	(void)mtls_db_group_by_gid(&db, 0, &g);
	(void)mtls_db_group_by_gid(&db, 1000, &g);
 out:
	free(copy);
	return 0;
}
