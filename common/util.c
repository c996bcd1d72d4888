/*
 * util.c - helpers shared by common/.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* The ownership and mode test of mtls_file_check_fd() on fstat()'s answer. */
static int
check_st(const struct stat *st, const char *path, const char *what,
    struct mtls_err *err)
{
	if (!S_ISREG(st->st_mode))
		return mtls_err_set(err, MTLS_E_FILE_TYPE,
		    "%s %s: not a regular file", what, path);
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return mtls_err_set(err, MTLS_E_FILE_OWNER,
		    "%s %s: owned by uid %lu; must be owned by root%s",
		    what, path, (unsigned long)st->st_uid,
		    geteuid() != 0 ? " or the invoking user" : "");
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return mtls_err_set(err, MTLS_E_FILE_MODE,
		    "%s %s: mode %04o is writable by group or others; "
		    "use chmod go-w", what, path,
		    (unsigned)(st->st_mode & 07777));
	return 0;
}

int
mtls_file_check_fd(int fd, const char *path, const char *what,
    struct mtls_err *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return mtls_err_set(err, MTLS_E_IO, "%s %s: cannot stat: %s",
		    what, path, strerror(errno));
	return check_st(&st, path, what, err);
}

/* A private key must not be readable by group or others either. */
static int
secret_mode(const struct stat *st, const char *path, const char *what,
    struct mtls_err *err)
{
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return mtls_err_set(err, MTLS_E_FILE_MODE, "%s %s: mode %04o "
		    "lets group or others read it; use chmod 600", what, path,
		    (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Move b (got bytes used) to a new buffer of size n, wiping the old one. */
static char *
grow(char *b, size_t got, size_t old, size_t n)
{
	char *nb = malloc(n);

	if (nb != NULL && got > 0)
		memcpy(nb, b, got);
	explicit_bzero(b, old);
	free(b);
	return nb;
}

/* mtls_fd_read(); st, when not NULL, is what fstat() said of fd. */
static int
fd_read(int fd, const struct stat *st, const char *path, const char *what,
    size_t max, char **buf, size_t *len, struct mtls_err *err)
{
	struct stat own;
	char *b;
	size_t got = 0, cap;
	ssize_t n;

	*buf = NULL;
	*len = 0;
	/* Sized from fstat, grown if the file is longer than it said. */
	cap = 64 * 1024;
	if (st == NULL && fstat(fd, &own) == 0)
		st = &own;
	if (st != NULL && S_ISREG(st->st_mode) && st->st_size >= 0 &&
	    (uint64_t)st->st_size <= (uint64_t)max)
		cap = (size_t)st->st_size + 1;
	if (cap > max + 1)
		cap = max + 1;
	if ((b = malloc(cap)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	for (;;) {
		if (got == cap) {
			size_t ncap = cap > (max + 1) / 2 ? max + 1 : cap * 2;

			if (got > max) {
				explicit_bzero(b, cap);
				free(b);
				return mtls_err_set(err, MTLS_E_TOO_LARGE,
				    "%s %s: larger than %zu bytes", what, path,
				    max);
			}
			if ((b = grow(b, got, cap, ncap)) == NULL)
				return mtls_err_set(err, MTLS_E_NOMEM, NULL);
			cap = ncap;
		}
		n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			explicit_bzero(b, cap);
			free(b);
			return mtls_err_set(err, MTLS_E_IO, "%s %s: read: %s",
			    what, path, strerror(errno));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	/* End of file came from a read into free room: got < cap <= max + 1. */
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

int
mtls_fd_read(int fd, const char *path, const char *what, size_t max,
    char **buf, size_t *len, struct mtls_err *err)
{
	return fd_read(fd, NULL, path, what, max, buf, len, err);
}

/*
 * Directories that passed the test of mtls_path_check_parents() since
 * mtls_dircache_begin() in this thread, each with all the directories
 * above it, all owned by root (so that no change of the effective user
 * matters): a login that reads several files from /etc/mtls checks
 * /etc/mtls, /etc and / once.
 */
#define DIRCACHE_MAX	16
struct dircache {
	size_t	 n;
	char	*dir[DIRCACHE_MAX];
};
static _Thread_local struct dircache *dircache;

void
mtls_dircache_begin(void)
{
	mtls_dircache_end();
	/* Without memory there is no cache: every test is then made. */
	dircache = calloc(1, sizeof(*dircache));
}

void
mtls_dircache_end(void)
{
	size_t i;

	if (dircache == NULL)
		return;
	for (i = 0; i < dircache->n; i++)
		free(dircache->dir[i]);
	free(dircache);
	dircache = NULL;
}

static int
dircache_has(const char *dir)
{
	size_t i;

	if (dircache == NULL)
		return 0;
	for (i = 0; i < dircache->n; i++)
		if (strcmp(dircache->dir[i], dir) == 0)
			return 1;
	return 0;
}

/* Remember the directories above real, a path whose test they all passed. */
static void
dircache_add(const char *real)
{
	char *d, *slash;

	if (dircache == NULL || (d = strdup(real)) == NULL)
		return;
	while ((slash = strrchr(d, '/')) != NULL) {
		slash[slash == d] = '\0';
		if (dircache_has(d) || dircache->n == DIRCACHE_MAX)
			break;
		if ((dircache->dir[dircache->n] = strdup(d)) == NULL)
			break;
		dircache->n++;
		if (d[1] == '\0')
			break;
	}
	free(d);
}

/*
 * Nonzero when path is absolute and has no empty, "." or ".." component:
 * when none of its components is a symbolic link, it is its own real
 * path.
 */
static int
plain_path(const char *path)
{
	const char *p = path;

	if (*p != '/')
		return 0;
	while (*p == '/') {
		p++;
		if (*p == '/' || *p == '\0')
			return 0;
		if (p[0] == '.' && (p[1] == '/' || p[1] == '\0' ||
		    (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))))
			return 0;
		p += strcspn(p, "/");
	}
	return 1;
}

/*
 * mtls_path_check_parents(); link_free: path's last component is known
 * not to be a symbolic link.  realpath() reads every component as a link
 * before the directories are checked.  When the file is no link and the
 * path is plain, lstat() of each directory answers both questions at
 * once: none being a link, the path is its own real path and those are
 * the directories to check.  Anything else (a link, a failed check)
 * starts again the long way, which also gives the message.
 */
static int
check_parents(const char *path, const char *what, int link_free,
    struct mtls_err *err)
{
	struct stat st;
	char *real = NULL, *slash;
	int r = MTLS_E_IO, resolved = 0, root = 1;

	if (!link_free || !plain_path(path) ||
	    (real = strdup(path)) == NULL)
		goto resolve;
 again:
	while ((slash = strrchr(real, '/')) != NULL) {
		slash[slash == real] = '\0';	/* "/a/b" -> "/a" -> "/" */
		/* Passed in this login, and so did all above it. */
		if (dircache_has(real))
			break;
		if (!resolved && (lstat(real, &st) != 0 ||
		    S_ISLNK(st.st_mode) ||
		    (st.st_uid != 0 && st.st_uid != geteuid()) ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (st.st_mode & S_ISVTX) == 0)))
			goto resolve;
		if (resolved && stat(real, &st) != 0) {
			r = mtls_err_set(err, MTLS_E_IO, "%s %s: directory %s: "
			    "%s", what, path, real, strerror(errno));
			goto out;
		}
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			r = mtls_err_set(err, MTLS_E_FILE_OWNER, "%s %s: "
			    "directory %s is owned by uid %lu; it must be "
			    "owned by root%s", what, path, real,
			    (unsigned long)st.st_uid, geteuid() != 0 ?
			    " or the invoking user" : "");
			goto out;
		}
		/* A sticky directory (/tmp) lets nobody replace our entry. */
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (st.st_mode & S_ISVTX) == 0) {
			r = mtls_err_set(err, MTLS_E_FILE_MODE, "%s %s: "
			    "directory %s (mode %04o) is writable by group or "
			    "others, who could replace the file; use chmod "
			    "go-w", what, path, real,
			    (unsigned)(st.st_mode & 07777));
			goto out;
		}
		root = root && st.st_uid == 0;
		if (real[1] == '\0')
			break;
	}
	r = 0;
	/* Free of links, path spells its directories as they are. */
	if (!resolved && root)
		dircache_add(path);
	goto out;
 resolve:
	free(real);
	resolved = 1;
	if ((real = realpath(path, NULL)) == NULL) {
		r = mtls_err_set(err, MTLS_E_FILE_MISSING, "%s %s: %s", what,
		    path, strerror(errno));
		goto out;
	}
	goto again;
 out:
	free(real);
	return r;
}

int
mtls_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int
mtls_path_check_parents(const char *path, const char *what,
    struct mtls_err *err)
{
	return check_parents(path, what, 0, err);
}

/* mtls_file_open(), keeping what fstat() said of the file in *st. */
static int
open_checked(const char *path, const char *what, int *fd, struct stat *st,
    struct mtls_err *err)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	int r, link_free = 1;

	/* Opened without following a link, the file is known to be none. */
	if ((*fd = open(path, flags | O_NOFOLLOW)) < 0 && errno == ELOOP) {
		link_free = 0;
		*fd = open(path, flags);
	}
	if (*fd < 0)
		return mtls_err_set(err, MTLS_E_FILE_MISSING, "%s %s: %s", what,
		    path, strerror(errno));
	if (fstat(*fd, st) != 0)
		r = mtls_err_set(err, MTLS_E_IO, "%s %s: cannot stat: %s",
		    what, path, strerror(errno));
	else if ((r = check_st(st, path, what, err)) == 0)
		r = check_parents(path, what, link_free, err);
	if (r != 0) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

int
mtls_file_open(const char *path, const char *what, int *fd,
    struct mtls_err *err)
{
	struct stat st;

	return open_checked(path, what, fd, &st, err);
}

/* check: 0 none, 1 ownership and no group/other write, 2 also no read. */
static int
read_file(const char *path, const char *what, size_t max, int check,
    char **buf, size_t *len, struct mtls_err *err)
{
	struct stat st;
	int r, fd;

	*buf = NULL;
	*len = 0;
	if (check)
		r = open_checked(path, what, &fd, &st, err);
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) < 0)
		r = mtls_err_set(err, MTLS_E_FILE_MISSING, "%s %s: %s", what,
		    path, strerror(errno));
	else
		r = 0;
	if (r != 0)
		return r;
	if (check == 2)
		r = secret_mode(&st, path, what, err);
	/* A checked file was just measured: fstat() need not be asked again. */
	if (r == 0)
		r = fd_read(fd, check ? &st : NULL, path, what, max, buf, len,
		    err);
	close(fd);
	return r;
}

int
mtls_file_read(const char *path, const char *what, size_t max, char **buf,
    size_t *len, struct mtls_err *err)
{
	return read_file(path, what, max, 1, buf, len, err);
}

int
mtls_file_read_secret(const char *path, const char *what, size_t max,
    char **buf, size_t *len, struct mtls_err *err)
{
	return read_file(path, what, max, 2, buf, len, err);
}

int
mtls_file_read_any(const char *path, const char *what, size_t max,
    char **buf, size_t *len, struct mtls_err *err)
{
	return read_file(path, what, max, 0, buf, len, err);
}

int
mtls_name_valid(const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0 || len > MTLS_NAME_MAX)
		return 0;
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (i = 1; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

char *
mtls_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

void
mtls_freep(char **p)
{
	free(*p);
	*p = NULL;
}

int
mtls_parse_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(s, "no") == 0) {
		*out = 0;
		return 0;
	}
	return MTLS_E_INVAL;
}

int
mtls_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0' || strlen(s) > 12)
		return MTLS_E_INVAL;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return MTLS_E_INVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return MTLS_E_INVAL;
	*out = v;
	return 0;
}

int
mtls_parse_duration(const char *s, long *out)
{
	char num[16];
	size_t n = strlen(s);
	unsigned long v, mult = 1;

	if (n == 0 || n >= sizeof(num))
		return MTLS_E_INVAL;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: mult = 0; break;
	}
	if (mult != 0)
		num[n - 1] = '\0';
	else
		mult = 1;
	if (mtls_parse_uint(num, 1, 10UL * 366 * 86400, &v) != 0)
		return MTLS_E_INVAL;
	if (v > 10UL * 366 * 86400 / mult)
		return MTLS_E_INVAL;
	*out = (long)(v * mult);
	return 0;
}

/* Read exactly n digits at *p into *v. */
static int
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm needed). */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
mtls_parse_time(const char *s, time_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int Y, M, D, h, mi, sec, oh = 0, om = 0, sign = 0;
	unsigned long secs;
	long long t;
	const char *p = s;

	if (strchr(s, '-') == NULL) {
		if (mtls_parse_uint(s, 0, 253402300799UL, &secs) != 0)
			return MTLS_E_INVAL;
		*out = (time_t)secs;
		return 0;
	}
	if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) ||
	    *p++ != '-' || digits(&p, 2, &D) || (*p != 'T' && *p != 't' &&
	    *p != ' '))
		return MTLS_E_INVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec))
		return MTLS_E_INVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return MTLS_E_INVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return MTLS_E_INVAL;
	} else
		return MTLS_E_INVAL;
	if (*p != '\0' || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] ||
	    h > 23 || mi > 59 || sec > 60)
		return MTLS_E_INVAL;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) ||
	    Y % 400 == 0))
		return MTLS_E_INVAL;
	if (sec == 60)
		sec = 59;	/* a leap second is the second before */
	t = days_from_civil(Y, M, D) * 86400LL + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	if (t < 0)
		return MTLS_E_INVAL;
	*out = (time_t)t;
	return 0;
}

void
mtls_format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mtls_parse_fingerprint(const char *s, unsigned char out[32])
{
	size_t i;
	int hi, lo;

	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	for (i = 0; i < 32; i++) {
		if (i > 0 && *s == ':')
			s++;
		if ((hi = hexval(s[0])) < 0 || (lo = hexval(s[1])) < 0)
			return MTLS_E_INVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return *s == '\0' ? 0 : MTLS_E_INVAL;
}

void
mtls_hex(const unsigned char *in, size_t len, int colons, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		if (colons && i > 0)
			*out++ = ':';
		*out++ = hx[in[i] >> 4];
		*out++ = hx[in[i] & 15];
	}
	*out = '\0';
}

/* fsync the directory holding path, so that a rename in it is durable. */
static int
sync_parent(const char *path, struct mtls_err *err)
{
	char dir[PATH_MAX];
	const char *slash;
	size_t n;
	int fd, r = MTLS_E_IO;

	if ((slash = strrchr(path, '/')) == NULL)
		strcpy(dir, ".");
	else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return mtls_err_set(err, MTLS_E_TOO_LARGE,
			    "%s: path too long", path);
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return mtls_err_set(err, MTLS_E_IO, "%s: %s", dir,
		    strerror(errno));
	if (fsync(fd) != 0)
		mtls_err_set(err, MTLS_E_IO, "%s: fsync: %s", dir,
		    strerror(errno));
	else
		r = 0;
	close(fd);
	return r;
}

int
mtls_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct bytes_out {
	const void	*data;
	size_t		 len;
};

static int
write_bytes(void *ctx, int fd)
{
	const struct bytes_out *b = ctx;

	return mtls_write_all(fd, b->data, b->len);
}

int
mtls_file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct mtls_err *err)
{
	struct bytes_out b = { data, len };

	return mtls_file_write_atomic_fn(path, mode, write_bytes, &b, err);
}

int
mtls_file_write_atomic_fn(const char *path, mode_t mode,
    int (*fill)(void *ctx, int fd), void *ctx, struct mtls_err *err)
{
	char tmp[PATH_MAX];
	const char *base;
	int fd = -1, n, r = MTLS_E_IO;

	tmp[0] = '\0';
	base = strrchr(path, '/');
	n = base == NULL ?
	    snprintf(tmp, sizeof(tmp), ".%s.tmpXXXXXX", path) :
	    snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmpXXXXXX",
	    (int)(base - path), path, base + 1);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		tmp[0] = '\0';
		r = mtls_err_set(err, MTLS_E_TOO_LARGE, "%s: path too long",
		    path);
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: cannot create a "
		    "temporary file: %s", path, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (fchmod(fd, mode) != 0 || fill(ctx, fd) != 0 || fsync(fd) != 0) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n != 0 || rename(tmp, path) != 0) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	r = sync_parent(path, err);
 out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return r;
}

int
mtls_parse_id_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	unsigned long a, b;
	char buf[32], *dash;

	if (strlen(s) >= sizeof(buf))
		return MTLS_E_INVAL;
	strcpy(buf, s);
	if ((dash = strchr(buf, '-')) == NULL)
		return MTLS_E_INVAL;
	*dash = '\0';
	if (mtls_parse_uint(buf, 1, 0x7fffffffUL, &a) != 0 ||
	    mtls_parse_uint(dash + 1, 1, 0x7fffffffUL, &b) != 0 || a > b)
		return MTLS_E_INVAL;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 0;
}
