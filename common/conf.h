/*
 * conf.h - mtls.conf, the one configuration file (see mtls.conf(5)).
 *
 * The parsed configuration is plain data: the verifier and the mapper read
 * it, nothing writes it after loading.  Parsing is strict: an unknown key,
 * a repeated single-valued key or a bad value is an error naming file:line.
 */
#ifndef MTLS_CONF_H
#define MTLS_CONF_H

#include <stddef.h>
#include <sys/types.h>

#include "errors.h"

#define MTLS_CONF_MAX_SIZE	(256 * 1024)	/* bytes of mtls.conf */
#define MTLS_CONF_MAX_LINE	4096		/* bytes of one line */
#define MTLS_CONF_MAX_FILES	64		/* entries of one file list */
#define MTLS_CONF_MAX_RULES	4096
#define MTLS_MAX_INTERMEDIATES	8		/* upper bound of the setting */

enum mtls_purpose {
	MTLS_PURPOSE_CLIENT = 1,	/* clientAuth EKU required */
	MTLS_PURPOSE_SERVER,		/* serverAuth EKU required */
	MTLS_PURPOSE_ANY		/* no EKU check (mtls verify only) */
};

/* Security profiles, weakest allowed first; values are ordered. */
enum mtls_profile {
	MTLS_PROFILE_MEDIUM = 1,	/* 112-bit: RSA >= 2048, P-256, Ed25519 */
	MTLS_PROFILE_HIGH,		/* 128-bit: RSA >= 3072 */
	MTLS_PROFILE_ULTRA,		/* 192-bit: RSA >= 8192, P-384 */
	MTLS_PROFILE_FUTURE		/* 256-bit: RSA >= 15360, P-521 */
};

/* Certificate fields a rule can take the account name from. */
enum mtls_field {
	MTLS_FIELD_NONE = 0,
	MTLS_FIELD_CN,		/* subject commonName */
	MTLS_FIELD_UID,		/* subject UID attribute (0.9.2342.19200300.100.1.1) */
	MTLS_FIELD_EMAIL,	/* local part of a SAN rfc822Name under domain= */
	MTLS_FIELD_UPN,		/* user part of a SAN UPN under realm= */
	MTLS_FIELD_URI,		/* rest of a SAN URI after prefix= */
	MTLS_FIELD_DB		/* accounts of the identity database that
				 * list one of the certificate's principals */
};

/*
 * One `map` line.  Either user= (a fixed account) or from= (a name taken
 * from the certificate).  All selectors that are set must match.
 */
struct mtls_rule {
	char		*file;		/* where the rule was written */
	unsigned	 line;
	char		*text;		/* the rule as written, for messages */

	char		*user;		/* fixed account, or NULL */
	enum mtls_field	 from;		/* or derived account */
	char		*domain;	/* from=email: required domain */
	char		*realm;		/* from=upn: required realm */
	char		*prefix;	/* from=uri: required prefix */

	/* selectors (NULL / 0 when unset) */
	char		*issuer;	/* exact issuer DN (a name only) */
	char		*subject;	/* exact subject DN, RFC 4514 */
	char		*subject_suffix; /* trailing RDNs of the subject */
	char		*email;		/* exact SAN rfc822Name */
	char		*upn;		/* exact SAN UPN */
	char		*uri;		/* exact SAN URI */
	int		 has_fingerprint;
	unsigned char	 fingerprint[32]; /* SHA-256 of the DER certificate */
	int		 has_issuer_fingerprint;
	/* SHA-256 of the DER of the direct issuer in the verified path */
	unsigned char	 issuer_fingerprint[32];

	int		 allow_root;	/* may map to uid 0 (needs fingerprint) */
};

struct mtls_conf {
	char		*path;		/* file it came from, or a label */

	char		**anchors;	/* trust_anchor: organization roots */
	size_t		  n_anchors;
	char		**intermediates; /* intermediate: untrusted CA certs */
	size_t		  n_intermediates;
	char		**crls;		/* crl: revocation lists */
	size_t		  n_crls;
	int		  crl_required;	/* a CRL for every issuer in a chain */
	long		  crl_max_age;	/* seconds since thisUpdate; 0: unset */
	char		**crl_url_files; /* crl_url FILE URL: where mtls crl */
	char		**crl_urls;	/* fetch downloads FILE (parallel lists) */
	size_t		  n_crl_urls;
	char		 *crl_cache;	/* crl_cache: index directory, or NULL */
	int		  crl_cache_off; /* crl_cache none */
	/*
	 * Not read from the file: the largest CRL file that may be parsed
	 * whole by GnuTLS or kept whole in memory, 0 for any (and with
	 * MTLS_CRL_LOGIN_READ_FACTOR, the largest read at all).  The PAM
	 * module sets MTLS_CRL_LOGIN_WHOLE_MAX; mtls crl update leaves 0.
	 */
	size_t		  crl_whole_max;

	enum mtls_purpose purpose;
	enum mtls_profile profile;
	unsigned	  max_intermediates;

	char		 *host_cert;	/* host_certificate */
	char		 *host_key;	/* host_key */
	char		 *identity_db;	/* identity_db, or NULL: the default */
	char		 *db_sync;	/* db_sync: the directory to sync the
					 * identity database from, or NULL */
	char		**ssh_host_keys; /* ssh_host_key: paths or glob patterns */
	size_t		  n_ssh_host_keys;

	struct mtls_rule *rules;
	size_t		  n_rules;
};

/*
 * A configuration holding only the defaults (no anchors, no rules): CRLs
 * required, purpose client, profile medium, at most 2 intermediates.
 * *out is set to NULL first; the caller frees it with mtls_conf_free().
 */
int mtls_conf_new(struct mtls_conf **out);

/*
 * Read and parse the file at path into a new configuration.  The file must
 * be a regular file owned by root (or by the effective user) and not
 * writable by group or others (see mtls_file_read()).  Checks that at
 * least one trust anchor is named.  On failure *out is NULL and err says
 * why, with file:line for syntax errors.
 */
int mtls_conf_load(const char *path, struct mtls_conf **out,
    struct mtls_err *err);

/* mtls_conf_load() without the final mtls_conf_check(). */
int mtls_conf_read(const char *path, struct mtls_conf **out,
    struct mtls_err *err);

/*
 * Parse len bytes of configuration text into conf (which holds defaults
 * or earlier settings).  name labels messages.  Pure: touches no file.
 * Does not check for trust anchors (mtls_conf_check() does).  On failure
 * conf may hold part of the text; free it.
 */
int mtls_conf_parse(struct mtls_conf *conf, const char *name,
    const char *text, size_t len, struct mtls_err *err);

/* Final consistency checks after parsing and overrides: an anchor is named. */
int mtls_conf_check(const struct mtls_conf *conf, struct mtls_err *err);

/*
 * Parse one `map` rule's arguments (the text after "map") and append it.
 * Used by the parser; file/line label the rule.
 */
int mtls_conf_add_rule(struct mtls_conf *conf, const char *args,
    const char *file, unsigned line, struct mtls_err *err);

/* The crl_whole_max of a login: 1 MiB of CRL, a few MB parsed. */
#define MTLS_CRL_LOGIN_WHOLE_MAX	(1024UL * 1024)
/*
 * With crl_whole_max set, a CRL file of more than this many times it is
 * not even read in one pass (64 MiB at a login: about 2 million serials,
 * 40 MB of them in memory).
 */
#define MTLS_CRL_LOGIN_READ_FACTOR	64

/* Append path to a file list (anchors, intermediates, crls, ...). */
int mtls_conf_list_add(char ***list, size_t *n, const char *path);

/*
 * The URL configured for the CRL file path (crl_url), or NULL.  The
 * string belongs to conf.
 */
const char *mtls_conf_crl_url(const struct mtls_conf *conf,
    const char *path);

/* Free a file list and reset it to empty. */
void mtls_conf_list_clear(char ***list, size_t *n);

/* Free conf and everything it holds; NULL is fine. */
void mtls_conf_free(struct mtls_conf *conf);

/* Names for messages and --json. */
const char *mtls_field_name(enum mtls_field f);
const char *mtls_purpose_name(enum mtls_purpose p);
const char *mtls_profile_name(enum mtls_profile p);

#endif /* MTLS_CONF_H */
