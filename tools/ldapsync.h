/*
 * ldapsync.h - what `mtls db sync` reads from an LDAP directory.
 *
 * OpenLDAP's libldap does the protocol.  This part knows the sync
 * configuration file, how to reach the directory over TLS only, and how
 * an entry becomes an identity-source block (the text format of
 * mtls-identity(5)), so that `mtls db sync` checks directory accounts
 * with the very validator that checks /etc/mtls/users.
 *
 * An entry is kept as one block of text:
 *	uuid K:ID		(K: u or g, a user or a group entry, since
 *				 one entry may be both; ID entryUUID, or
 *				 objectGUID in hex)
 *	dn DN
 *	user NAME | group NAME
 *	key value ...		(the keys of mtls-identity(5); a group of
 *				 rfc2307bis or ad has "memberdn DN" lines
 *				 resolved when the sources are written)
 * Lines are never empty and never hold a control character: values
 * that would are refused with the entry's DN.
 */
#ifndef MTLS_LDAPSYNC_H
#define MTLS_LDAPSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

#define LS_MAX_URIS		8
#define LS_MAX_PATTRS		8	/* principal_attribute lines */
#define LS_CONF_MAX_SIZE	(64 * 1024)
/* The entries of a directory, as text: twice what a source file may be. */
#define LS_STORE_MAX_BYTES	(1024 * 1024 * 1024)

enum ls_schema { LS_RFC2307 = 0, LS_RFC2307BIS, LS_AD };
enum ls_bind { LS_BIND_NONE = 0, LS_BIND_EXTERNAL, LS_BIND_SIMPLE };

/* The attributes an entry is read from; presets fill them. */
enum ls_attr {
	LA_USER_NAME, LA_UID_NUMBER, LA_GID_NUMBER, LA_GECOS, LA_CN,
	LA_HOME, LA_SHELL, LA_CERT, LA_GROUP_NAME, LA_GROUP_GID, LA_MEMBER,
	LA_UUID, LA_COUNT
};

struct ls_conf {
	char		*path;
	char		*uris[LS_MAX_URIS];
	size_t		 n_uris;
	int		 starttls;
	enum ls_schema	 schema;
	char		*user_base, *group_base;
	char		*user_filter, *group_filter;
	char		*attrs[LA_COUNT];
	int		 member_is_dn;	/* member values are DNs */
	int		 uuid_binary;	/* objectGUID: 16 bytes */
	struct {
		char	*attr;
		int	 kind;		/* MTLS_PRINCIPAL_* */
	}		 pattrs[LS_MAX_PATTRS];
	size_t		 n_pattrs;
	enum ls_bind	 bind;
	char		*bind_dn;
	char		*password_file;
	char		*ca_file;	/* or NULL: mtls.conf's one anchor */
	char		*crl_file;	/* or NULL: mtls.conf's one CRL */
	unsigned	 page_size;
	unsigned	 timeout;	/* seconds, per operation */
	unsigned	 max_removed;	/* percent of accounts */
	char		*state_dir;
	unsigned char	 digest[32];	/* of the file's text */
};

/*
 * Parse the sync configuration text (len bytes; name labels messages)
 * into c, which must be zeroed.  Presets are applied first, then the
 * file's overrides.  Strict: unknown keys, repeated single keys,
 * ldap:// without StartTLS (or ldaps:// with it), no base, no bind:
 * MTLS_E_CONFIG with file:line.  Free with ls_conf_clear().
 */
int ls_conf_parse(struct ls_conf *c, const char *name, const char *text,
    size_t len, struct mtls_err *err);
void ls_conf_clear(struct ls_conf *c);

/* The TLS material of the host, from mtls.conf. */
struct ls_tls {
	const char	*ca_file;	/* the organization's trust anchor */
	const char	*crl_file;	/* its CRL, or NULL */
	const char	*cert_file;	/* host certificate (bind external) */
	const char	*key_file;
};

/* Entries by uuid; each a malloc'd block as described above. */
struct ls_store {
	char		**ent;		/* NULL where one was removed */
	size_t		  n, cap;
	size_t		 *idx;		/* sorted by uuid, built on demand */
	size_t		  n_idx;
	int		  stale;	/* entries appended since */
	size_t		  n_live;
	size_t		  bytes;
};

void ls_store_clear(struct ls_store *s);
/*
 * Add or replace (by uuid) the block b, taken over: 0, MTLS_E_NOMEM, or
 * MTLS_E_TOO_LARGE past LS_STORE_MAX_BYTES.
 */
int ls_store_put(struct ls_store *s, char *b);
/* Remove the entry of uuid (hex); absent is fine. */
int ls_store_del(struct ls_store *s, const char *uuid);
/* Nonzero when an entry of uuid is stored. */
int ls_store_has(struct ls_store *s, const char *uuid);

/* Read a cache file from fd (taken over: closed) into s. */
int ls_store_load(struct ls_store *s, int fd, struct mtls_err *err);
/* Write s as a cache file to fd: 0, or -1 with errno. */
int ls_store_write(const struct ls_store *s, int fd);

/* Where the block of an entry starts in a source text. */
struct ls_line {
	size_t	line;		/* 1 for the first line */
	size_t	ent;		/* the entry's index in the store */
};

/*
 * Write the users and groups sources of s (new malloc'd texts) and where
 * each entry's block starts in them (*ulines, *n_ulines of them, in
 * line order; likewise groups), so that a validation error can name the
 * entry's DN.  Member DNs are resolved to the names of the users stored;
 * a DN that names none of them is left out.
 */
int ls_store_sources(struct ls_store *s, char **users, size_t *ulen,
    struct ls_line **ulines, size_t *n_ulines, char **groups, size_t *glen,
    struct ls_line **glines, size_t *n_glines, struct mtls_err *err);

/* The entry whose block holds line, or SIZE_MAX. */
size_t ls_line_entry(const struct ls_line *map, size_t n, size_t line);

/* The DN of entry i (for messages); a static-free pointer into s. */
const char *ls_store_dn(const struct ls_store *s, size_t i, size_t *len);

struct ls_conn;

/*
 * Connect to the first URI that answers, over TLS (ldaps:// or
 * StartTLS, the server certificate verified against tls->ca_file and
 * the URI's host name), and bind (SASL EXTERNAL with the host
 * certificate, or a simple bind with the password file, which must be
 * root's and private).  Anything else fails with err set.
 */
int ls_connect(const struct ls_conf *c, const struct ls_tls *tls,
    struct ls_conn **out, struct mtls_err *err);
void ls_close(struct ls_conn *lc);
/* The URI of the server that answered. */
const char *ls_conn_uri(const struct ls_conn *lc);

/* Nonzero when the server offers RFC 4533 content synchronization. */
int ls_offers_sync(struct ls_conn *lc);

/*
 * Read every user and group entry with paged searches into s (empty).
 * Returns 0 or an error naming the entry or the server's reason.
 */
int ls_fetch_all(struct ls_conn *lc, const struct ls_conf *c,
    struct ls_store *s, struct mtls_err *err);

/*
 * The changes since cookie (users search when which is 0, groups 1):
 * refreshOnly content synchronization.  With cookie NULL, the directory
 * is asked for its present state through a filter that matches no
 * entry, so only the new cookie comes back.  Changes are recorded in
 * ch (added or changed blocks, deleted or present uuids) for
 * ls_changes_apply(); *newcookie (malloc'd, *newlen bytes) is the
 * cookie to save.  MTLS_E_NOT_FOUND when the server refuses the cookie
 * (a full sync is needed).
 */
struct ls_changes {
	char		**put;		/* added or modified blocks */
	size_t		  n_put, cap_put;
	char		**del;		/* deleted uuids */
	size_t		  n_del, cap_del;
	char		**present;	/* present uuids (present phase) */
	size_t		  n_present, cap_present;
	int		  present_phase; /* entries not present are gone */
};

int ls_sync(struct ls_conn *lc, const struct ls_conf *c, int which,
    const unsigned char *cookie, size_t cookielen, struct ls_changes *ch,
    unsigned char **newcookie, size_t *newlen, struct mtls_err *err);

/* Nonzero when ch changes anything. */
int ls_changes_any(const struct ls_changes *ch);
/*
 * Apply ch to s (blocks in ch are taken over); kind "u:" or "g:" names
 * the entries a present phase of ch speaks for.
 */
int ls_changes_apply(struct ls_changes *ch, struct ls_store *s,
    const char *kind);
void ls_changes_clear(struct ls_changes *ch);

#endif /* MTLS_LDAPSYNC_H */
