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
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "crlindex.h"
#include "util.h"

#define IDX_MAGIC	"MTLSCRX1"
#define IDX_ENDIAN	0x01020304u
#define IDX_VERSION	3u

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
	uint32_t	scope;
	uint32_t	reserved;
	int64_t		this_update;
	int64_t		next_update;
	uint64_t	offset;		/* of the serials, from the file's start */
	uint64_t	count;
	uint64_t	sum_offset;	/* of the summary: every stride-th serial */
	uint32_t	sum_count;
	uint32_t	stride;
};

_Static_assert(sizeof(struct idx_head) == 192, "index header layout");
_Static_assert(sizeof(struct idx_sect) == 88, "index section layout");
_Static_assert(sizeof(struct mtls_serial) == 21, "serial record layout");

/* Where a section's serials are, beside what crlindex.h shows of it. */
struct sect_loc {
	uint64_t		 offset;
	uint32_t		 stride;
	struct mtls_serial	*summary;	/* every stride-th serial */
	size_t			 sum_count;
};

struct mtls_crlidx {
	int			 fd;
	size_t			 size;
	size_t			 n;
	struct mtls_crlidx_sect	*sects;
	struct sect_loc		*locs;
	unsigned char		 crl_sha256[32];
	unsigned char		 data_sha256[32];
	size_t			 data_off;
	size_t			 data_size;
};

int mtls_crlidx_settle = 2;

/* A record read from an index may claim any length: never past b[]. */
int
mtls_serial_cmp(const void *a, const void *b)
{
	const struct mtls_serial *x = a, *y = b;
	size_t lx = x->len < MTLS_SERIAL_MAX ? x->len : MTLS_SERIAL_MAX;
	size_t ly = y->len < MTLS_SERIAL_MAX ? y->len : MTLS_SERIAL_MAX;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return memcmp(x->b, y->b, lx);
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
	size_t i;

	if (idx == NULL)
		return;
	if (idx->fd >= 0)
		close(idx->fd);
	for (i = 0; idx->locs != NULL && i < idx->n; i++)
		free(idx->locs[i].summary);
	free(idx->locs);
	free(idx->sects);
	free(idx);
}

static int
unusable(struct mtls_err *err, const char *path, const char *why)
{
	return mtls_err_set(err, MTLS_E_CRL_INDEX, "CRL index %s: %s", path,
	    why);
}

/* The serial count that one summary entry stands for. */
static uint32_t
stride_for(size_t n)
{
	uint32_t s = 64;

	while (s < 4096 && (uint64_t)s * s < n)
		s *= 2;
	return s;
}

int
mtls_crlidx_open(const char *idx_path, const struct stat *crl_st,
    unsigned profile, struct mtls_crlidx **out, struct mtls_err *err)
{
	struct mtls_crlidx *idx = NULL;
	struct idx_head h, want;
	struct idx_sect t[MTLS_CRLIDX_MAX_SECTIONS];
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
	if ((idx = calloc(1, sizeof(*idx))) == NULL) {
		close(fd);
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	}
	idx->fd = fd;
	idx->size = (size_t)st.st_size;
	r = MTLS_E_CRL_INDEX;
	if ((uint64_t)st.st_size < sizeof(h) ||
	    mtls_pread_full(fd, &h, sizeof(h), 0) != 0) {
		unusable(err, idx_path, "truncated");
		goto fail;
	}
	memset(&want, 0, sizeof(want));
	bind_stat(&want, crl_st);
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
	if (table_end > idx->size || h.data_size != idx->size - table_end ||
	    (h.n_sections > 0 && mtls_pread_full(fd, t,
	    h.n_sections * sizeof(*t), sizeof(h)) != 0)) {
		unusable(err, idx_path, "truncated");
		goto fail;
	}
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
	    ((idx->sects = calloc(h.n_sections, sizeof(*idx->sects))) == NULL ||
	    (idx->locs = calloc(h.n_sections, sizeof(*idx->locs))) == NULL)) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto fail;
	}
	idx->n = h.n_sections;
	for (i = 0; i < h.n_sections; i++) {
		const size_t rec = sizeof(struct mtls_serial);
		const struct idx_sect *x = &t[i];
		uint64_t want_sum;

		if (x->stride != stride_for(x->count) ||
		    x->sum_count != (x->count + x->stride - 1) / x->stride) {
			unusable(err, idx_path, "a section's summary does not "
			    "fit its serials");
			goto fail;
		}
		want_sum = (uint64_t)x->sum_count * rec;
		if (x->offset < table_end || x->offset > idx->size ||
		    x->count > (idx->size - x->offset) / rec ||
		    x->sum_offset < table_end || x->sum_offset > idx->size ||
		    want_sum > idx->size - x->sum_offset) {
			unusable(err, idx_path, "a section lies outside the "
			    "file");
			goto fail;
		}
		if ((x->scope & ~(uint32_t)MTLS_CRL_SCOPE_ALL) != 0 ||
		    x->reserved != 0) {
			unusable(err, idx_path, "a section's scope is unknown");
			goto fail;
		}
		memcpy(idx->sects[i].issuer, x->issuer, 32);
		idx->sects[i].scope = x->scope;
		idx->sects[i].this_update = x->this_update;
		idx->sects[i].next_update = x->next_update;
		idx->sects[i].n = (size_t)x->count;
		idx->locs[i].offset = x->offset;
		idx->locs[i].stride = x->stride;
		idx->locs[i].sum_count = x->sum_count;
		if (x->sum_count == 0)
			continue;
		if ((idx->locs[i].summary = malloc((size_t)want_sum)) == NULL) {
			r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
			goto fail;
		}
		if (mtls_pread_full(fd, idx->locs[i].summary, (size_t)want_sum,
		    x->sum_offset) != 0) {
			unusable(err, idx_path, "truncated");
			goto fail;
		}
	}
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
mtls_crlidx_lookup(const struct mtls_crlidx *idx, size_t i,
    const struct mtls_serial *key)
{
	const struct sect_loc *l;
	struct mtls_serial *block;
	size_t lo, hi, mid, b, first, count;
	int r;

	if (i >= idx->n)
		return MTLS_E_INVAL;
	l = &idx->locs[i];
	if (l->sum_count == 0 || mtls_serial_cmp(key, &l->summary[0]) < 0)
		return 0;
	/* The last summary entry <= key names the block to read. */
	lo = 0;
	hi = l->sum_count;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (mtls_serial_cmp(&l->summary[mid], key) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	b = lo;
	first = b * l->stride;
	count = idx->sects[i].n - first;
	if (count > l->stride)
		count = l->stride;
	if ((block = malloc(count * sizeof(*block))) == NULL)
		return MTLS_E_NOMEM;
	if (mtls_pread_full(idx->fd, block, count * sizeof(*block),
	    l->offset + first * sizeof(*block)) != 0 ||
	    mtls_serial_cmp(&block[0], &l->summary[b]) != 0)
		r = MTLS_E_CRL_INDEX;
	else
		r = bsearch(key, block, count, sizeof(*block),
		    mtls_serial_cmp) != NULL;
	free(block);
	return r;
}

/* 0 when the serials of section i are valid, sorted and summarized right. */
static int
sect_check(const struct mtls_crlidx *idx, size_t i)
{
	const struct sect_loc *l = &idx->locs[i];
	size_t j, n = idx->sects[i].n;
	struct mtls_serial *all;
	int r = 0;

	if (n == 0)
		return 0;
	if ((all = malloc(n * sizeof(*all))) == NULL)
		return MTLS_E_NOMEM;
	if (mtls_pread_full(idx->fd, all, n * sizeof(*all), l->offset) != 0)
		r = MTLS_E_CRL_INDEX;
	for (j = 0; r == 0 && j < n; j++)
		if (all[j].len == 0 || all[j].len > MTLS_SERIAL_MAX ||
		    (j > 0 && mtls_serial_cmp(&all[j - 1], &all[j]) >= 0) ||
		    (j % l->stride == 0 &&
		    mtls_serial_cmp(&all[j], &l->summary[j / l->stride]) != 0))
			r = MTLS_E_CRL_INDEX;
	free(all);
	return r;
}

int
mtls_crlidx_check_data(const struct mtls_crlidx *idx, struct mtls_err *err)
{
	unsigned char sum[32], buf[65536];
	gnutls_hash_hd_t d;
	size_t i, off, len;
	int r;

	if (gnutls_hash_init(&d, GNUTLS_DIG_SHA256) < 0)
		return mtls_err_set(err, MTLS_E_INTERNAL, NULL);
	for (off = 0; off < idx->data_size; off += len) {
		len = idx->data_size - off < sizeof(buf) ?
		    idx->data_size - off : sizeof(buf);
		if (mtls_pread_full(idx->fd, buf, len, idx->data_off +
		    off) != 0 || gnutls_hash(d, buf, len) < 0) {
			gnutls_hash_deinit(d, NULL);
			return mtls_err_set(err, MTLS_E_CRL_INDEX, "revocation "
			    "index: cannot read");
		}
	}
	gnutls_hash_deinit(d, sum);
	if (memcmp(sum, idx->data_sha256, 32) != 0)
		return mtls_err_set(err, MTLS_E_CRL_INDEX, "revocation index "
		    "data checksum mismatch");
	for (i = 0; i < idx->n; i++)
		if ((r = sect_check(idx, i)) != 0)
			return mtls_err_set(err, r, r == MTLS_E_NOMEM ? NULL :
			    "revocation index: the serials of section %zu are "
			    "out of order or malformed", i);
	return 0;
}

/* What an index file is written from (mtls_crlidx_write). */
struct idx_out {
	const struct mtls_crlidx_sect	*sects;
	size_t				 n;
	struct idx_head			 h;
	struct idx_sect			 t[MTLS_CRLIDX_MAX_SECTIONS];
	gnutls_hash_hd_t		 d;	/* of the serial arrays */
};

/* Write and hash len bytes of the data part. */
static int
out_data(struct idx_out *o, int fd, const void *p, size_t len)
{
	if (len == 0)
		return 0;
	if (gnutls_hash(o->d, p, len) < 0) {
		errno = EIO;
		return -1;
	}
	return mtls_write_all(fd, p, len);
}

/*
 * The file: a header and table zeroed, then each section's serials (from
 * the caller's array, not copied) and summary, then the real header and
 * table, once the data's checksum is known.
 */
static int
out_fill(void *ctx, int fd)
{
	struct idx_out *o = ctx;
	struct mtls_serial sum[256];
	const size_t rec = sizeof(struct mtls_serial);
	size_t i, j, k, head = sizeof(o->h) + o->n * sizeof(o->t[0]);
	unsigned char zero[sizeof(o->h) + sizeof(o->t)];
	int r = -1;

	if (gnutls_hash_init(&o->d, GNUTLS_DIG_SHA256) < 0) {
		errno = EIO;
		return -1;
	}
	memset(zero, 0, sizeof(zero));
	if (mtls_write_all(fd, zero, head) != 0)
		goto out;
	for (i = 0; i < o->n; i++) {
		if (out_data(o, fd, o->sects[i].serials,
		    o->sects[i].n * rec) != 0)
			goto out;
		for (j = 0, k = 0; j < o->sects[i].n; j += o->t[i].stride) {
			sum[k++] = o->sects[i].serials[j];
			if (k == sizeof(sum) / sizeof(sum[0])) {
				if (out_data(o, fd, sum, k * rec) != 0)
					goto out;
				k = 0;
			}
		}
		if (out_data(o, fd, sum, k * rec) != 0)
			goto out;
	}
	gnutls_hash_deinit(o->d, o->h.data_sha256);
	o->d = NULL;
	if (head_digest(&o->h, o->t, o->n, o->h.head_sha256) != 0) {
		errno = EIO;
		goto out;
	}
	memcpy(zero, &o->h, sizeof(o->h));
	memcpy(zero + sizeof(o->h), o->t, o->n * sizeof(o->t[0]));
	if (lseek(fd, 0, SEEK_SET) != 0 || mtls_write_all(fd, zero, head) != 0)
		goto out;
	r = 0;
 out:
	if (o->d != NULL)
		gnutls_hash_deinit(o->d, NULL);
	o->d = NULL;
	return r;
}

int
mtls_crlidx_write(const char *idx_path, const struct stat *crl_st,
    unsigned profile, const unsigned char crl_sha256[32],
    const struct mtls_crlidx_sect *sects, size_t n, struct mtls_err *err)
{
	const size_t rec = sizeof(struct mtls_serial);
	struct idx_out *o;
	size_t i, off, data, cnt;
	uint32_t stride;
	int r;

	if (n > MTLS_CRLIDX_MAX_SECTIONS)
		return mtls_err_set(err, MTLS_E_LIMIT, "%s: more than %d CRLs "
		    "in one file", idx_path, MTLS_CRLIDX_MAX_SECTIONS);
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	o->sects = sects;
	o->n = n;
	data = 0;
	off = sizeof(o->h) + n * sizeof(o->t[0]);
	for (i = 0; i < n; i++) {
		cnt = sects[i].n;
		if (cnt > (SIZE_MAX / 8) / rec) {
			free(o);
			return mtls_err_set(err, MTLS_E_LIMIT, NULL);
		}
		stride = stride_for(cnt);
		memcpy(o->t[i].issuer, sects[i].issuer, 32);
		o->t[i].scope = sects[i].scope;
		o->t[i].this_update = sects[i].this_update;
		o->t[i].next_update = sects[i].next_update;
		o->t[i].offset = off;
		o->t[i].count = cnt;
		o->t[i].stride = stride;
		o->t[i].sum_count = (uint32_t)((cnt + stride - 1) / stride);
		off += cnt * rec;
		o->t[i].sum_offset = off;
		off += o->t[i].sum_count * rec;
		data += (cnt + o->t[i].sum_count) * rec;
	}
	memcpy(o->h.magic, IDX_MAGIC, sizeof(o->h.magic));
	o->h.endian = IDX_ENDIAN;
	o->h.version = IDX_VERSION;
	bind_stat(&o->h, crl_st);
	o->h.profile = profile;
	o->h.n_sections = (uint32_t)n;
	o->h.data_size = data;
	memcpy(o->h.crl_sha256, crl_sha256, 32);
	r = mtls_file_write_atomic_fn(idx_path, 0644, out_fill, o, err);
	free(o);
	return r;
}
