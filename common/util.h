/*
 * util.h - small helpers shared by common/: safe file reads, validated
 * names, numbers, durations and times.  All are pure or touch only the
 * file they are given; all are thread-safe.
 */
#ifndef MTLS_UTIL_H
#define MTLS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "errors.h"

#define MTLS_NAME_MAX	32	/* bytes of a POSIX user name */

/*
 * Read a whole file of at most max bytes into a new NUL-terminated buffer.
 * The file is checked on the open descriptor (no race with a rename): it
 * must be a regular file, owned by root or by the effective uid, and not
 * writable by group or others.  what names the file's role in messages
 * ("trust anchor", "configuration").  On success *buf (free with free())
 * and *len are set; on failure *buf is NULL and err says why.
 */
int mtls_file_read(const char *path, const char *what, size_t max,
    char **buf, size_t *len, struct mtls_err *err);

/*
 * mtls_file_read() for a private key: also refuses a file that group or
 * others may read.  The caller wipes *buf (explicit_bzero) before freeing.
 */
int mtls_file_read_secret(const char *path, const char *what, size_t max,
    char **buf, size_t *len, struct mtls_err *err);

/*
 * mtls_file_read() without the ownership and mode test, for input that is
 * not trusted anyway (a certificate to be verified).
 */
int mtls_file_read_any(const char *path, const char *what, size_t max,
    char **buf, size_t *len, struct mtls_err *err);

/*
 * Replace path with len bytes of data, atomically: the bytes go to a new
 * temporary file in the same directory (mode applied with fchmod, so the
 * umask does not matter), which is fsync'd and renamed over path; then the
 * directory is fsync'd.  A crash at any point leaves either the old file
 * or the new one, never a mix; at worst a stray ".NAME.tmpXXXXXX" file.
 * Returns 0, or a negative MTLS_E_* code with err set.  Not safe against
 * concurrent writers of the same path: callers serialize (a lock file).
 */
int mtls_file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct mtls_err *err);

/* Write all of data to fd, retrying short writes; 0, or -1 with errno. */
int mtls_write_all(int fd, const void *data, size_t len);

/*
 * The same, with the content written by fill(ctx, fd) into the temporary
 * file (0, or -1 with errno set), for content too large to build in
 * memory first.
 */
int mtls_file_write_atomic_fn(const char *path, mode_t mode,
    int (*fill)(void *ctx, int fd), void *ctx, struct mtls_err *err);

/*
 * Open path for reading and apply the ownership and mode test of
 * mtls_file_read() to the descriptor.  0 with *fd set, or a code with err
 * set and *fd -1.
 */
int mtls_file_open(const char *path, const char *what, int *fd,
    struct mtls_err *err);

/* Read exactly len bytes of fd at off (pread, EINTR retried): 0, or -1
 * on an error or when the file ends first. */
int mtls_pread_full(int fd, void *buf, size_t len, uint64_t off);

/* Read the rest of fd (at most max bytes) as mtls_file_read() does. */
int mtls_fd_read(int fd, const char *path, const char *what, size_t max,
    char **buf, size_t *len, struct mtls_err *err);

/*
 * The directories above path (resolved with realpath), up to "/", as
 * sshd's StrictModes checks them: each owned by root or the effective
 * user and not writable by group or others, unless sticky (like /tmp,
 * where nobody else can rename or remove our entries).  Otherwise someone
 * else could replace the file between two reads.  mtls_file_open() and
 * so mtls_file_read() apply it.
 */
int mtls_path_check_parents(const char *path, const char *what,
    struct mtls_err *err);

/*
 * Between these two calls, in the calling thread, a directory that passed
 * mtls_path_check_parents() is not tested again: for the files that one
 * login reads within a moment, not across a conversation.  Calling
 * mtls_dircache_begin() again starts afresh.
 */
void mtls_dircache_begin(void);
void mtls_dircache_end(void);

/* The ownership and mode test of mtls_file_read() on an open descriptor. */
int mtls_file_check_fd(int fd, const char *path, const char *what,
    struct mtls_err *err);

/*
 * Nonzero when name (len bytes, not NUL-terminated necessarily) is a valid
 * account name: [a-z_][a-z0-9_-]{0,31}.  Never case-folds.
 */
int mtls_name_valid(const char *name, size_t len);

/* strdup that returns NULL on NULL. */
char *mtls_strdup(const char *s);

/* Free *p and set it to NULL. */
void mtls_freep(char **p);

/* Parse "yes"/"no" into *out (1/0). */
int mtls_parse_bool(const char *s, int *out);

/* Parse a decimal unsigned integer in [min, max]. */
int mtls_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

/* Parse an id range "LO-HI" (1 <= LO <= HI < 2^31). */
int mtls_parse_id_range(const char *s, uint32_t *lo, uint32_t *hi);

/* Parse a duration: N, Ns, Nm, Nh, Nd or Nw (at most 10 years) into seconds. */
int mtls_parse_duration(const char *s, long *out);

/*
 * Parse a time: Unix seconds ("1767225600") or RFC 3339
 * ("2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", fractional seconds
 * ignored).
 */
int mtls_parse_time(const char *s, time_t *out);

/* Format t as RFC 3339 UTC ("2026-01-01T00:00:00Z") into buf (>= 21 bytes). */
void mtls_format_time(time_t t, char *buf, size_t size);

/*
 * Parse a SHA-256 fingerprint: 64 hex digits, optionally with ':' between
 * byte pairs and an optional "sha256:" prefix; case-insensitive.
 */
int mtls_parse_fingerprint(const char *s, unsigned char out[32]);

/*
 * Lower-case hex of len bytes into out: 2*len+1 bytes, or 3*len bytes with
 * ':' separators.
 */
void mtls_hex(const unsigned char *in, size_t len, int colons, char *out);

#endif /* MTLS_UTIL_H */
