/*
 * knownhosts.h - the SSH host keys that hosts' certificates vouched for,
 * kept by mtls ssh in its own known_hosts file.
 *
 * A line is recorded only after a certificate login in which the host
 * proved, with its organization certificate, that the SSH host key the
 * person's ssh verified on that very connection is its own (the
 * binding).  The file is ssh's known_hosts format, unhashed, one key per
 * line: "NAME[,NAME...] TYPE BASE64".  mtls ssh hands the lines for a
 * host to ssh through KnownHostsCommand, so that ssh accepts that key
 * without asking the person, and nothing else.
 */
#ifndef MTLS_KNOWNHOSTS_H
#define MTLS_KNOWNHOSTS_H

#include <stddef.h>

#include "errors.h"
#include "sshkey.h"

#define KH_MAX_SIZE	(4 * 1024 * 1024)	/* bytes of the file */
#define KH_MAX_NAMES	8			/* names of one line */

struct kh_entry {
	char		 *names[KH_MAX_NAMES];
	size_t		  n_names;
	struct mtls_sshkey key;
};

struct kh {
	struct kh_entry	*v;
	size_t		 n;
};

/*
 * The file: $MTLS_KNOWN_HOSTS, else $XDG_STATE_HOME/mtls/known_hosts,
 * else ~/.local/state/mtls/known_hosts.  A new string (free()), or NULL.
 */
char *kh_default_path(void);

/*
 * Read path into kh (zeroed before).  A missing file is an empty list; a
 * file that is not the user's or is writable by others is an error; a
 * malformed line is skipped (it vouches for nothing).
 */
int kh_load(const char *path, struct kh *kh, struct mtls_err *err);

void kh_clear(struct kh *kh);

/* A name as ssh looks it up (%H): host, or [host]:port; no patterns. */
int kh_name_ok(const char *name);

/* 1 when kh holds key for name. */
int kh_vouched(const struct kh *kh, const char *name,
    const struct mtls_sshkey *key);

/* 1 when kh holds any key for name. */
int kh_known(const struct kh *kh, const char *name);

/*
 * The lines to give ssh for name, "NAME TYPE BASE64\n" each, as a new
 * string (free()), "" when there are none; NULL when out of memory.
 */
char *kh_lines(const struct kh *kh, const char *name);

/*
 * Record key for names (each kh_name_ok()) in the file at path, creating
 * its directory (mode 0700) if needed: under a lock, the file is read
 * again, every line that names one of names is dropped (a host's new key
 * replaces the old one), and the file is replaced atomically (mode 0600).
 */
int kh_record(const char *path, char *const *names, size_t n,
    const struct mtls_sshkey *key, struct mtls_err *err);

#endif /* MTLS_KNOWNHOSTS_H */
