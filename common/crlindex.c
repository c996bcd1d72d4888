/*
 * crlindex.c - revocation indexes (see crlindex.h for the format and what
 * an index is trusted for).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "crlindex.h"
#include "util.h"

#define IDX_MAGIC	"MTLSCRX1"
#define IDX_ENDIAN	0x01020304u
#define IDX_VERSION	1u

struct idx_head {
	char		magic[8];
	uint32_t	endian;
	uint32_t	version;
	uint64_t	crl_dev;
	uint64_t	crl_ino;
	uint64_t	crl_size;
	int64_t		crl_mtime_s;
	int64_t		crl_mtime_ns;
	int64_t		crl_ctime_s;
	int64_t		crl_ctime_ns;
	uint32_t	profile;
	uint32_t	n_sections;
	uint64_t	data_size;	/* bytes after the section table */
	uint64_t	reserved;
	unsigned char	crl_sha256[32];
	unsigned char	data_sha256[32];	/* the serial arrays */
	unsigned char	head_sha256[32];	/* head (this zeroed) + table */
};

struct idx_sect {
	unsigned char	issuer[32];
	int64_t		this_update;
	int64_t		next_update;
	uint64_t	offset;		/* from the start of the file */
	uint64_t	count;
};

_Static_assert(sizeof(struct idx_head) == 192, "index header layout");
_Static_assert(sizeof(struct idx_sect) == 64, "index section layout");
_Static_assert(sizeof(struct mtls_serial) == 21, "serial record layout");

struct mtls_crlidx {
	void			*map;
	size_t			 size;
	size_t			 n;
	struct mtls_crlidx_sect	*sects;
	unsigned char		 crl_sha256[32];
	unsigned char		 data_sha256[32];
	size_t			 data_off;
	size_t			 data_size;
};

int mtls_crlidx_settle = 2;

int
mtls_serial_cmp(const void *a, const void *b)
{
	const struct mtls_serial *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->b, y->b, x->len);
}

int
mtls_crlidx_path(const char *dir, const char *crl_path, char *out,
    size_t size)
{
	unsigned char h[32];
	char hex[41];
	int n;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, crl_path, strlen(crl_path),
	    h) < 0)
		return -1;
	mtls_hex(h, 20, 0, hex);
	n = snprintf(out, size, "%s/crl-%s", dir, hex);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
mtls_crlidx_dir_check(const char *dir, struct mtls_err *err)
{
	struct stat st;

	if (lstat(dir, &st) != 0)
		return mtls_err_set(err, errno == ENOENT ? MTLS_E_FILE_MISSING :
		    MTLS_E_IO, "CRL index directory %s: %s", dir,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return mtls_err_set(err, MTLS_E_FILE_TYPE, "CRL index directory "
		    "%s: not a directory", dir);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return mtls_err_set(err, MTLS_E_FILE_OWNER, "CRL index "
		    "directory %s: owned by uid %lu; must be owned by root", dir,
		    (unsigned long)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return mtls_err_set(err, MTLS_E_FILE_MODE, "CRL index directory "
		    "%s: mode %04o is writable by group or others", dir,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

static void
bind_stat(struct idx_head *h, const struct stat *st)
{
	h->crl_dev = (uint64_t)st->st_dev;
	h->crl_ino = (uint64_t)st->st_ino;
	h->crl_size = (uint64_t)st->st_size;
	h->crl_mtime_s = (int64_t)st->st_mtim.tv_sec;
	h->crl_mtime_ns = (int64_t)st->st_mtim.tv_nsec;
	h->crl_ctime_s = (int64_t)st->st_ctim.tv_sec;
	h->crl_ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

/* SHA-256 of the header (its own checksum zeroed) and the section table. */
static int
head_digest(const struct idx_head *h, const struct idx_sect *t, size_t n,
    unsigned char out[32])
{
	struct idx_head copy = *h;
	gnutls_hash_hd_t d;

	memset(copy.head_sha256, 0, sizeof(copy.head_sha256));
	if (gnutls_hash_init(&d, GNUTLS_DIG_SHA256) < 0)
		return -1;
	if (gnutls_hash(d, &copy, sizeof(copy)) < 0 ||
	    (n > 0 && gnutls_hash(d, t, n * sizeof(*t)) < 0)) {
		gnutls_hash_deinit(d, NULL);
		return -1;
	}
	gnutls_hash_deinit(d, out);
	return 0;
}

void
mtls_crlidx_close(struct mtls_crlidx *idx)
{
	if (idx == NULL)
		return;
	if (idx->map != NULL)
		munmap(idx->map, idx->size);
	free(idx->sects);
	free(idx);
}

static int
unusable(struct mtls_err *err, const char *path, const char *why)
{
	return mtls_err_set(err, MTLS_E_CRL_INDEX, "CRL index %s: %s", path,
	    why);
}

int
mtls_crlidx_open(const char *idx_path, const struct stat *crl_st,
    unsigned profile, struct mtls_crlidx **out, struct mtls_err *err)
{
	struct mtls_crlidx *idx = NULL;
	struct idx_head h, want;
	const struct idx_sect *t;
	unsigned char sum[32];
	struct stat st;
	size_t i, table_end;
	int fd, r;

	*out = NULL;
	fd = open(idx_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
	    O_NONBLOCK);
	if (fd < 0)
		return mtls_err_set(err, errno == ENOENT ? MTLS_E_FILE_MISSING :
		    MTLS_E_CRL_INDEX, "CRL index %s: %s", idx_path,
		    strerror(errno));
	if ((r = mtls_file_check_fd(fd, idx_path, "CRL index", err)) != 0 ||
	    fstat(fd, &st) != 0) {
		close(fd);
		return r != 0 ? r : unusable(err, idx_path, strerror(errno));
	}
	if ((uint64_t)st.st_size < sizeof(h) || (uint64_t)st.st_size >
	    (uint64_t)SIZE_MAX / 2) {
		close(fd);
		return unusable(err, idx_path, "truncated");
	}
	if ((idx = calloc(1, sizeof(*idx))) == NULL) {
		close(fd);
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	}
	idx->size = (size_t)st.st_size;
	idx->map = mmap(NULL, idx->size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (idx->map == MAP_FAILED) {
		idx->map = NULL;
		r = unusable(err, idx_path, strerror(errno));
		goto fail;
	}
	memcpy(&h, idx->map, sizeof(h));
	memset(&want, 0, sizeof(want));
	bind_stat(&want, crl_st);
	r = MTLS_E_CRL_INDEX;
	if (memcmp(h.magic, IDX_MAGIC, sizeof(h.magic)) != 0 ||
	    h.endian != IDX_ENDIAN || h.version != IDX_VERSION) {
		unusable(err, idx_path, "not a revocation index of this "
		    "version");
		goto fail;
	}
	if (h.n_sections > MTLS_CRLIDX_MAX_SECTIONS) {
		unusable(err, idx_path, "too many sections");
		goto fail;
	}
	table_end = sizeof(h) + h.n_sections * sizeof(struct idx_sect);
	if (table_end > idx->size || h.data_size != idx->size - table_end) {
		unusable(err, idx_path, "truncated");
		goto fail;
	}
	t = (const struct idx_sect *)((const char *)idx->map + sizeof(h));
	if (head_digest(&h, t, h.n_sections, sum) != 0 ||
	    memcmp(sum, h.head_sha256, sizeof(sum)) != 0) {
		unusable(err, idx_path, "header checksum mismatch");
		goto fail;
	}
	if (h.crl_dev != want.crl_dev || h.crl_ino != want.crl_ino ||
	    h.crl_size != want.crl_size ||
	    h.crl_mtime_s != want.crl_mtime_s ||
	    h.crl_mtime_ns != want.crl_mtime_ns ||
	    h.crl_ctime_s != want.crl_ctime_s ||
	    h.crl_ctime_ns != want.crl_ctime_ns) {
		unusable(err, idx_path, "built from another version of the "
		    "CRL file");
		goto fail;
	}
	if (h.profile != profile) {
		unusable(err, idx_path, "built under another "
		    "security_profile");
		goto fail;
	}
	if (h.n_sections > 0 &&
	    (idx->sects = calloc(h.n_sections, sizeof(*idx->sects))) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto fail;
	}
	for (i = 0; i < h.n_sections; i++) {
		struct idx_sect s;

		memcpy(&s, &t[i], sizeof(s));
		if (s.offset < table_end || s.offset > idx->size ||
		    s.count > (idx->size - s.offset) /
		    sizeof(struct mtls_serial)) {
			unusable(err, idx_path, "a section lies outside the "
			    "file");
			goto fail;
		}
		memcpy(idx->sects[i].issuer, s.issuer, 32);
		idx->sects[i].this_update = s.this_update;
		idx->sects[i].next_update = s.next_update;
		idx->sects[i].serials = (const struct mtls_serial *)
		    ((const char *)idx->map + s.offset);
		idx->sects[i].n = (size_t)s.count;
	}
	idx->n = h.n_sections;
	memcpy(idx->crl_sha256, h.crl_sha256, 32);
	memcpy(idx->data_sha256, h.data_sha256, 32);
	idx->data_off = table_end;
	idx->data_size = (size_t)h.data_size;
	*out = idx;
	return 0;
 fail:
	mtls_crlidx_close(idx);
	return r;
}

size_t
mtls_crlidx_count(const struct mtls_crlidx *idx)
{
	return idx->n;
}

const struct mtls_crlidx_sect *
mtls_crlidx_sect(const struct mtls_crlidx *idx, size_t i)
{
	return i < idx->n ? &idx->sects[i] : NULL;
}

const unsigned char *
mtls_crlidx_crl_sha256(const struct mtls_crlidx *idx)
{
	return idx->crl_sha256;
}

int
mtls_crlidx_check_data(const struct mtls_crlidx *idx, struct mtls_err *err)
{
	unsigned char sum[32];
	size_t i, j;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256,
	    (const char *)idx->map + idx->data_off, idx->data_size, sum) < 0 ||
	    memcmp(sum, idx->data_sha256, 32) != 0)
		return mtls_err_set(err, MTLS_E_CRL_INDEX, "revocation index "
		    "data checksum mismatch");
	for (i = 0; i < idx->n; i++) {
		const struct mtls_crlidx_sect *s = &idx->sects[i];

		for (j = 0; j < s->n; j++) {
			if (s->serials[j].len == 0 ||
			    s->serials[j].len > MTLS_SERIAL_MAX ||
			    (j > 0 && mtls_serial_cmp(&s->serials[j - 1],
			    &s->serials[j]) >= 0))
				return mtls_err_set(err, MTLS_E_CRL_INDEX,
				    "revocation index: serial %zu of section "
				    "%zu is out of order or malformed", j, i);
		}
	}
	return 0;
}

int
mtls_crlidx_write(const char *idx_path, const struct stat *crl_st,
    unsigned profile, const unsigned char crl_sha256[32],
    const struct mtls_crlidx_sect *sects, size_t n, struct mtls_err *err)
{
	struct idx_head h;
	struct idx_sect *t;
	unsigned char *buf = NULL;
	size_t i, total, off, data;
	int r;

	if (n > MTLS_CRLIDX_MAX_SECTIONS)
		return mtls_err_set(err, MTLS_E_LIMIT, "%s: more than %d CRLs "
		    "in one file", idx_path, MTLS_CRLIDX_MAX_SECTIONS);
	data = 0;
	for (i = 0; i < n; i++) {
		if (sects[i].n > (SIZE_MAX / 4) / sizeof(struct mtls_serial))
			return mtls_err_set(err, MTLS_E_LIMIT, NULL);
		data += sects[i].n * sizeof(struct mtls_serial);
	}
	off = sizeof(h) + n * sizeof(*t);
	total = off + data;
	if ((buf = calloc(1, total)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	t = (struct idx_sect *)(buf + sizeof(h));
	for (i = 0; i < n; i++) {
		memcpy(t[i].issuer, sects[i].issuer, 32);
		t[i].this_update = sects[i].this_update;
		t[i].next_update = sects[i].next_update;
		t[i].offset = off;
		t[i].count = sects[i].n;
		if (sects[i].n > 0)
			memcpy(buf + off, sects[i].serials,
			    sects[i].n * sizeof(struct mtls_serial));
		off += sects[i].n * sizeof(struct mtls_serial);
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, IDX_MAGIC, sizeof(h.magic));
	h.endian = IDX_ENDIAN;
	h.version = IDX_VERSION;
	bind_stat(&h, crl_st);
	h.profile = profile;
	h.n_sections = (uint32_t)n;
	h.data_size = data;
	memcpy(h.crl_sha256, crl_sha256, 32);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, buf + sizeof(h) +
	    n * sizeof(*t), data, h.data_sha256) < 0 ||
	    head_digest(&h, t, n, h.head_sha256) != 0) {
		free(buf);
		return mtls_err_set(err, MTLS_E_INTERNAL, "SHA-256 failed");
	}
	memcpy(buf, &h, sizeof(h));
	r = mtls_file_write_atomic(idx_path, buf, total, 0644, err);
	free(buf);
	return r;
}
