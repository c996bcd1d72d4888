/*
 * idsrc.h - the identity source files (users, groups) that `mtls db build`
 * turns into the database; the format is in mtls-identity(5).
 *
 * Parsing is pure (text in, records out); validation takes the system's
 * passwd and group text and a shell test as arguments so that it is pure
 * too.  Not thread-safe on one struct; separate structs are independent.
 */
#ifndef MTLS_IDSRC_H
#define MTLS_IDSRC_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "errors.h"

#define MTLS_ID_USERS		"/etc/mtls/users"
#define MTLS_ID_GROUPS		"/etc/mtls/groups"
#define MTLS_IDSRC_MAX_SIZE	((size_t)512 << 20)	/* bytes of a file */
#define MTLS_ID_MIN_DEFAULT	1900000000u
#define MTLS_ID_MAX_DEFAULT	1999999999u

struct mtls_idsrc {
	struct mtls_db_user_in	*users;
	uint32_t		 n_users;
	struct mtls_db_group_in	*groups;
	uint32_t		 n_groups;
	unsigned		*user_line;	/* where each was defined */
	unsigned		*group_line;
	char			*users_text;	/* owned: records point in */
	char			*groups_text;
	char			*users_path;
	char			*groups_path;
};

/*
 * Parse the users text (len bytes, taken over: freed by
 * mtls_idsrc_clear) into src; name labels messages.  Likewise groups.
 * Errors name file:line.
 */
int mtls_idsrc_parse_users(struct mtls_idsrc *src, const char *name,
    char *text, size_t len, struct mtls_err *err);
int mtls_idsrc_parse_groups(struct mtls_idsrc *src, const char *name,
    char *text, size_t len, struct mtls_err *err);

/* What validation checks against. */
struct mtls_idsrc_env {
	uint32_t	 id_min, id_max;	/* inclusive range */
	const char	*passwd;		/* text of /etc/passwd, or NULL */
	const char	*group;			/* text of /etc/group, or NULL */
	int		(*shell_ok)(const char *path);	/* NULL: any */
};

/*
 * Check src as a whole: valid unique names and ids, ids in range, no
 * clash with the system files, primary groups that exist, absolute homes,
 * shells that pass shell_ok, well-formed principals (fingerprints are
 * normalised to 64 lower-case hex digits in place).  Returns 0 or
 * MTLS_E_CONFIG with the first problem in err.
 */
int mtls_idsrc_check(struct mtls_idsrc *src, const struct mtls_idsrc_env *env,
    struct mtls_err *err);

void mtls_idsrc_clear(struct mtls_idsrc *src);

#endif /* MTLS_IDSRC_H */
