/*
 * crlstream.c - one pass over a CRL file in a fixed window (crlstream.h).
 *
 * The bytes pass through a window of WIN octets: the DER of the file, or
 * the base64 of its PEM block decoded as it is read.  Every element read
 * whole (a header field, one entry, the extensions, the signature) must
 * fit in it; the three that hold the rest (CertificateList, tbsCertList,
 * revokedCertificates) are entered, never held.  Memory is the window,
 * the header and the serials: 21 octets each.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "crlstream.h"
#include "errors.h"
#include "frame.h"

#define WIN		(256 * 1024)	/* decoded bytes in view */
#define RAW		(64 * 1024)	/* PEM text read at once */
#define HEAD_MAX	(64 * 1024)	/* a header field, the extensions */
#define SERIAL_RAW_MAX	64		/* INTEGER octets before stripping */

#define PEM_BEGIN	"-----BEGIN X509 CRL-----"
#define PEM_END		"-----END X509 CRL-----"
#define PEM_CRL		"-----BEGIN X509 CRL"

/* A verdict of a step: go on, or stop with OTHER or an MTLS_E_* code. */
#define OK		0
#define OTHER		MTLS_CRLSTREAM_OTHER

struct src {
	int			 fd;
	uint64_t		 size;		/* of the file */
	uint64_t		 roff;		/* next file offset to read */
	gnutls_hash_hd_t	 file_h;	/* SHA-256 of the file's bytes */
	int			 pem;
	/* decoded bytes: buf[r..w) are unread */
	unsigned char		*buf;
	size_t			 r, w;
	uint64_t		 pos;		/* decoded bytes consumed */
	int			 end;		/* no more decoded bytes */
	/* PEM text */
	unsigned char		*raw;
	size_t			 rr, rw;
	int			 raw_eof;
	unsigned		 quad;		/* base64 bits pending */
	int			 nq;		/* sextets in quad */
	int			 pad;		/* '=' seen */
	int			 bol;		/* at the start of a line */
	int			 other;		/* PEM not in its plain form */
	/* the signed bytes: hashed, and kept when keep is set */
	gnutls_hash_hd_t	 tbs_h;
	int			 hashing;
	int			 keep;
	unsigned char		*tbs;
	size_t			 tbs_len, tbs_cap, tbs_max;
};

/* A growing byte string; failed records an allocation failure. */
struct bytes {
	unsigned char	*p;
	size_t		 len, cap;
	int		 failed;
};

static void
bytes_add(struct bytes *b, const void *data, size_t len)
{
	unsigned char *np;
	size_t cap;

	if (b->failed)
		return;
	if (b->len + len > b->cap) {
		cap = b->cap == 0 ? 256 : b->cap;
		while (cap < b->len + len)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

/* A DER tag and definite length (len < 2^32) in front of content. */
static void
bytes_tl(struct bytes *b, unsigned char tag, size_t len)
{
	unsigned char h[6];
	size_t n = 0, k;

	h[n++] = tag;
	if (len < 0x80)
		h[n++] = (unsigned char)len;
	else {
		k = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
		h[n++] = (unsigned char)(0x80 | k);
		while (k-- > 0)
			h[n++] = (unsigned char)(len >> (8 * k));
	}
	bytes_add(b, h, n);
}

/* --- the bytes: DER as it is, or PEM decoded -------------------------- */

/* Read more of the file into raw[]; 0, or MTLS_E_IO. */
static int
raw_more(struct src *s)
{
	ssize_t n;

	if (s->rr > 0) {
		memmove(s->raw, s->raw + s->rr, s->rw - s->rr);
		s->rw -= s->rr;
		s->rr = 0;
	}
	while (s->rw < RAW && s->roff < s->size) {
		n = pread(s->fd, s->raw + s->rw, RAW - s->rw, (off_t)s->roff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return MTLS_E_IO;
		if (n == 0) {
			s->raw_eof = 1;	/* shorter than it was */
			return 0;
		}
		if (gnutls_hash(s->file_h, s->raw + s->rw, (size_t)n) < 0)
			return MTLS_E_IO;
		s->rw += (size_t)n;
		s->roff += (uint64_t)n;
	}
	if (s->roff >= s->size)
		s->raw_eof = 1;
	return 0;
}

/*
 * Decode PEM text into buf[] until it is full or the block ends.  Only the
 * plain form is taken: base64 lines ending in LF or CRLF, padding at the
 * very end, then the END line; anything else sets s->other.
 */
static int
pem_more(struct src *s)
{
	unsigned char c;
	int v, r;

	while (!s->end && WIN - s->w >= 3) {
		if (s->rr == s->rw) {
			if (s->raw_eof) {
				s->other = 1;	/* no END line */
				return 0;
			}
			if ((r = raw_more(s)) != 0)
				return r;
			continue;
		}
		c = s->raw[s->rr];
		if (c == '-' && s->bol) {
			if (s->rw - s->rr < sizeof(PEM_END) - 1 &&
			    !s->raw_eof) {
				if ((r = raw_more(s)) != 0)
					return r;
				continue;
			}
			if (s->rw - s->rr < sizeof(PEM_END) - 1 ||
			    memcmp(s->raw + s->rr, PEM_END,
			    sizeof(PEM_END) - 1) != 0 || s->nq != 0) {
				s->other = 1;
				return 0;
			}
			s->rr += sizeof(PEM_END) - 1;
			s->end = 1;
			return 0;
		}
		s->rr++;
		if (c == '\n') {
			s->bol = 1;
			continue;
		}
		if (c == '\r' && s->rr < s->rw && s->raw[s->rr] == '\n')
			continue;
		s->bol = 0;
		if (c == '=') {
			/* "xx==" or "xxx=": the last quad of the block */
			if (s->nq < 2 || (s->pad && s->nq != 3)) {
				s->other = 1;
				return 0;
			}
			if (!s->pad) {
				s->pad = 1;
				if (s->nq == 2 && (s->quad & 0xf) != 0) {
					s->other = 1;
					return 0;
				}
				if (s->nq == 3 && (s->quad & 0x3) != 0) {
					s->other = 1;
					return 0;
				}
				if (s->nq == 2)
					s->buf[s->w++] = (unsigned char)
					    (s->quad >> 4);
				else {
					s->buf[s->w++] = (unsigned char)
					    (s->quad >> 10);
					s->buf[s->w++] = (unsigned char)
					    (s->quad >> 2);
				}
			}
			if (++s->nq == 4)
				s->nq = 0;
			continue;
		}
		if (s->pad || (v = mtls_b64_value(c)) < 0) {
			s->other = 1;
			return 0;
		}
		s->quad = (s->quad << 6) | (unsigned)v;
		if (++s->nq == 4) {
			s->buf[s->w++] = (unsigned char)(s->quad >> 16);
			s->buf[s->w++] = (unsigned char)(s->quad >> 8);
			s->buf[s->w++] = (unsigned char)s->quad;
			s->quad = 0;
			s->nq = 0;
		}
	}
	return 0;
}

/*
 * Make n decoded bytes available at buf + r: OK; OTHER when they are not
 * there (the DER runs past the end: the caller decides) or the PEM is not
 * plain; or an error.
 */
static int
need(struct src *s, size_t n)
{
	ssize_t k;
	int r;

	if (n > WIN)
		return OTHER;
	while (s->w - s->r < n) {
		if (s->r > 0) {
			memmove(s->buf, s->buf + s->r, s->w - s->r);
			s->w -= s->r;
			s->r = 0;
		}
		if (s->end)
			return OTHER;
		if (s->pem) {
			/* Decoded three at a time: the last octets stay free. */
			if (WIN - s->w < 3)
				return OTHER;
			if ((r = pem_more(s)) != 0)
				return r;
			if (s->other)
				return OTHER;
			continue;
		}
		if (s->roff >= s->size) {
			s->end = 1;
			continue;
		}
		k = pread(s->fd, s->buf + s->w, WIN - s->w, (off_t)s->roff);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return MTLS_E_IO;
		if (k == 0) {
			s->end = 1;
			continue;
		}
		if (gnutls_hash(s->file_h, s->buf + s->w, (size_t)k) < 0)
			return MTLS_E_IO;
		s->w += (size_t)k;
		s->roff += (uint64_t)k;
	}
	return OK;
}

/* Signed bytes: into the digest, and kept when the algorithm needs them. */
static int
signed_bytes(struct src *s, const unsigned char *p, size_t n)
{
	unsigned char *np;
	size_t cap;

	if (gnutls_hash(s->tbs_h, p, n) < 0)
		return MTLS_E_INTERNAL;
	if (!s->keep)
		return OK;
	if (n > s->tbs_max - s->tbs_len)
		return OTHER;
	if (s->tbs_len + n > s->tbs_cap) {
		cap = s->tbs_cap == 0 ? 65536 : s->tbs_cap;
		while (cap < s->tbs_len + n)
			cap *= 2;
		if ((np = realloc(s->tbs, cap)) == NULL)
			return MTLS_E_NOMEM;
		s->tbs = np;
		s->tbs_cap = cap;
	}
	memcpy(s->tbs + s->tbs_len, p, n);
	s->tbs_len += n;
	return OK;
}

/* Consume n available bytes. */
static int
take(struct src *s, size_t n)
{
	const unsigned char *p = s->buf + s->r;

	s->r += n;
	s->pos += n;
	return s->hashing ? signed_bytes(s, p, n) : OK;
}

/* --- canonical DER ------------------------------------------------------ */

/*
 * The tag and length at p (avail bytes): OK with *hl the header size, or
 * OTHER when not canonical or not all there.
 */
static int
tl_parse(const unsigned char *p, size_t avail, unsigned char *tag,
    size_t *len, size_t *hl)
{
	size_t k, i, l;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return OTHER;
	*tag = p[0];
	if (p[1] < 0x80) {
		*len = p[1];
		*hl = 2;
		return OK;
	}
	k = p[1] & 0x7f;
	if (k == 0 || k > 4 || avail < 2 + k || p[2] == 0)
		return OTHER;
	for (l = 0, i = 0; i < k; i++)
		l = (l << 8) | p[2 + i];
	if (l < 0x80)
		return OTHER;
	*len = l;
	*hl = 2 + k;
	return OK;
}

/* The header of the next element in the stream, not consumed. */
static int
tl_peek(struct src *s, unsigned char *tag, size_t *len, size_t *hl)
{
	size_t k;
	int r;

	if ((r = need(s, 2)) != OK)
		return r;
	k = (s->buf[s->r + 1] & 0x80) != 0 ? 2 + (s->buf[s->r + 1] & 0x7f) : 2;
	if (k > 6)
		return OTHER;
	if ((r = need(s, k)) != OK)
		return r;
	return tl_parse(s->buf + s->r, s->w - s->r, tag, len, hl);
}

/* One element of buf[0..n): its tag and content; OTHER if malformed. */
struct el {
	unsigned char		 tag;
	const unsigned char	*p;
	size_t			 len;
};

static int
el_next(const unsigned char **p, size_t *n, struct el *e)
{
	size_t len, hl;

	if (tl_parse(*p, *n, &e->tag, &len, &hl) != OK || len > *n - hl)
		return OTHER;
	e->p = *p + hl;
	e->len = len;
	*p += hl + len;
	*n -= hl + len;
	return OK;
}

/* An OID whose sub-identifiers are minimal and of at most 28 bits. */
static int
oid_ok(const struct el *e)
{
	size_t i, run = 0;

	if (e->tag != 0x06 || e->len == 0 || (e->p[e->len - 1] & 0x80) != 0)
		return 0;
	for (i = 0; i < e->len; i++) {
		if (e->p[i] == 0x80 && run == 0)
			return 0;	/* a sub-identifier with a leading 0 */
		run = (e->p[i] & 0x80) != 0 ? run + 1 : 0;
		if (run >= 4)
			return 0;
	}
	return 1;
}

/* Time as RFC 5280 writes it: YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ. */
static int
time_ok(const struct el *e)
{
	size_t i, n = e->tag == 0x17 ? 13 : e->tag == 0x18 ? 15 : 0;

	if (n == 0 || e->len != n || e->p[n - 1] != 'Z')
		return 0;
	for (i = 0; i + 1 < n; i++)
		if (e->p[i] < '0' || e->p[i] > '9')
			return 0;
	return 1;
}

/*
 * crlEntryExtensions: each Extension with a valid OID, critical present
 * only as TRUE, an OCTET STRING; *crit set for a critical one other than
 * reasonCode (2.5.29.21) and invalidityDate (2.5.29.24).
 */
static int
entry_exts(const unsigned char *p, size_t n, int *crit)
{
	struct el x, oid, b;
	const unsigned char *q;
	size_t m;
	int critical;

	if (n == 0)
		return OTHER;	/* SIZE (1..MAX) */
	while (n > 0) {
		if (el_next(&p, &n, &x) != OK || x.tag != 0x30)
			return OTHER;
		q = x.p;
		m = x.len;
		if (el_next(&q, &m, &oid) != OK || !oid_ok(&oid) ||
		    el_next(&q, &m, &b) != OK)
			return OTHER;
		critical = 0;
		if (b.tag == 0x01) {
			if (b.len != 1 || b.p[0] != 0xff ||
			    el_next(&q, &m, &b) != OK)
				return OTHER;
			critical = 1;
		}
		if (b.tag != 0x04 || m != 0)
			return OTHER;
		if (critical && !(oid.len == 3 && oid.p[0] == 0x55 &&
		    oid.p[1] == 0x1d && (oid.p[2] == 21 || oid.p[2] == 24)))
			*crit = 1;
	}
	return OK;
}

/* Grow the serial array by one; NULL when out of memory. */
static struct mtls_serial *
serial_slot(struct mtls_crlstream *out, size_t *cap)
{
	struct mtls_serial *np;
	size_t nc;

	if (out->n_serials == *cap) {
		nc = *cap == 0 ? 1024 : *cap * 2;
		/* Large blocks are mapped: realloc moves no bytes. */
		if ((np = realloc(out->serials, nc * sizeof(*np))) == NULL)
			return NULL;
		out->serials = np;
		*cap = nc;
	}
	return &out->serials[out->n_serials++];
}

/*
 * One revokedCertificates entry, content p[0..n): a serial of 1 to 64
 * octets that is at most 20 without its leading zeros, a date, and
 * extensions.
 */
static int
entry(struct mtls_crlstream *out, size_t *cap, const unsigned char *p,
    size_t n)
{
	struct el e, t, x;
	struct mtls_serial *sl;
	const unsigned char *b;
	size_t len;

	if (el_next(&p, &n, &e) != OK || e.tag != 0x02 || e.len == 0 ||
	    e.len > SERIAL_RAW_MAX || el_next(&p, &n, &t) != OK ||
	    !time_ok(&t))
		return OTHER;
	if (n > 0 && (el_next(&p, &n, &x) != OK || x.tag != 0x30 || n != 0 ||
	    entry_exts(x.p, x.len, &out->entry_critical) != OK))
		return OTHER;
	b = e.p;
	len = e.len;
	while (len > 1 && b[0] == 0) {
		b++;
		len--;
	}
	if (len > MTLS_SERIAL_MAX)
		return OTHER;
	if ((sl = serial_slot(out, cap)) == NULL)
		return MTLS_E_NOMEM;
	memset(sl, 0, sizeof(*sl));
	sl->len = (unsigned char)len;
	memcpy(sl->b, b, len);
	return OK;
}

static int
cmp_at(const void *a, const void *b, void *base)
{
	const struct mtls_serial *s = base;

	return mtls_serial_cmp(&s[*(const uint32_t *)a],
	    &s[*(const uint32_t *)b]);
}

/*
 * Sort s[0..n-1] in place.  qsort would merge through a copy of the
 * array (21 MB at a million serials); this sorts their 4-octet indexes
 * instead, then moves each record once, cycle by cycle.
 */
static int
serials_sort(struct mtls_serial *s, size_t n)
{
	struct mtls_serial t;
	uint32_t *ix, i, j, k;

	if (n > UINT32_MAX || (ix = malloc(n * sizeof(*ix))) == NULL)
		return MTLS_E_NOMEM;
	for (i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), cmp_at, s);
	/* ix[j]: the record that belongs at j */
	for (i = 0; i < n; i++) {
		if (ix[i] == i)
			continue;
		t = s[i];
		for (j = i; ix[j] != i; j = k) {
			k = ix[j];
			s[j] = s[k];
			ix[j] = j;
		}
		s[j] = t;
		ix[j] = j;
	}
	free(ix);
	return OK;
}

/* --- the walk ----------------------------------------------------------- */

/* Dotted text of a DER OID's content; -1 when it does not fit. */
static int
oid_text(const struct el *e, char *out, size_t size)
{
	unsigned long v = 0;
	size_t i, n = 0;
	int k, first = 1;

	for (i = 0; i < e->len; i++) {
		if (v > (~0UL >> 8))
			return -1;
		v = (v << 7) | (e->p[i] & 0x7f);
		if ((e->p[i] & 0x80) != 0)
			continue;
		if (first)
			k = snprintf(out + n, size - n, "%lu.%lu",
			    v < 80 ? v / 40 : 2, v < 80 ? v % 40 : v - 80);
		else
			k = snprintf(out + n, size - n, ".%lu", v);
		if (k < 0 || (size_t)k >= size - n)
			return -1;
		n += (size_t)k;
		first = 0;
		v = 0;
	}
	return 0;
}

/*
 * The signature AlgorithmIdentifier at the start of tbsCertList: which
 * digest to take of the signed bytes.  RSA (PKCS #1 v1.5) and ECDSA sign
 * a digest, which is taken on the way; EdDSA signs the bytes themselves,
 * which are kept.  Anything else is left to the full parse.
 */
static int
sign_alg(const unsigned char *p, size_t n, struct mtls_crlstream *out,
    struct src *s)
{
	struct el seq, oid;
	char text[128];
	gnutls_sign_algorithm_t sign;
	gnutls_pk_algorithm_t pk;

	if (el_next(&p, &n, &seq) != OK || seq.tag != 0x30 || n != 0)
		return OTHER;
	p = seq.p;
	n = seq.len;
	if (el_next(&p, &n, &oid) != OK || !oid_ok(&oid) ||
	    oid_text(&oid, text, sizeof(text)) != 0)
		return OTHER;
	if ((sign = gnutls_oid_to_sign(text)) == GNUTLS_SIGN_UNKNOWN)
		return OTHER;
	pk = gnutls_sign_get_pk_algorithm(sign);
	out->sign = sign;
	out->dig = gnutls_sign_get_hash_algorithm(sign);
	if (pk == GNUTLS_PK_EDDSA_ED25519 || pk == GNUTLS_PK_EDDSA_ED448) {
		/* The digest is taken all the same, and not used. */
		s->keep = 1;
		out->dig = GNUTLS_DIG_SHA256;
		return OK;
	}
	if ((pk != GNUTLS_PK_RSA && pk != GNUTLS_PK_ECDSA) ||
	    out->dig == GNUTLS_DIG_UNKNOWN)
		return OTHER;
	return OK;
}

/*
 * Read one whole element of at most HEAD_MAX bytes (tag tag, or any tag
 * when tag is 0) into b, consuming it.
 */
static int
whole(struct src *s, unsigned char tag, struct bytes *b, size_t *used)
{
	unsigned char t;
	size_t len, hl;
	int r;

	if ((r = tl_peek(s, &t, &len, &hl)) != OK)
		return r;
	if ((tag != 0 && t != tag) || len > HEAD_MAX)
		return OTHER;
	if ((r = need(s, hl + len)) != OK)
		return r;
	bytes_add(b, s->buf + s->r, hl + len);
	if (b->failed)
		return MTLS_E_NOMEM;
	*used = hl + len;
	return take(s, hl + len);
}

/* Walk the revokedCertificates content of len bytes. */
static int
entries(struct src *s, struct mtls_crlstream *out, size_t len)
{
	unsigned char tag;
	size_t elen, hl, cap = 0;
	int r;

	while (len > 0) {
		if ((r = tl_peek(s, &tag, &elen, &hl)) != OK)
			return r;
		if (tag != 0x30 || hl + elen > len)
			return OTHER;
		if ((r = need(s, hl + elen)) != OK)
			return r;
		if ((r = entry(out, &cap, s->buf + s->r + hl, elen)) != OK)
			return r;
		if ((r = take(s, hl + elen)) != OK)
			return r;
		len -= hl + elen;
	}
	return OK;
}

static int
is_time_tag(unsigned char t)
{
	return t == 0x17 || t == 0x18;
}

/*
 * tbsCertList, its header already read (content of len bytes): the
 * fields go to hdr, the entries to out, the bytes to the digest.
 */
static int
tbs(struct src *s, struct mtls_crlstream *out, size_t len, struct bytes *hdr,
    const unsigned char *tl, size_t tlen)
{
	unsigned char tag;
	size_t used, elen, hl, start;
	int r;

	/* version, when present, then the signature algorithm */
	if ((r = tl_peek(s, &tag, &elen, &hl)) != OK)
		return r;
	start = hdr->len;
	if (tag == 0x02) {
		if ((r = whole(s, 0x02, hdr, &used)) != OK)
			return r;
		if (used > len)
			return OTHER;
		len -= used;
	}
	if ((r = whole(s, 0x30, hdr, &used)) != OK)
		return r;
	if (used > len)
		return OTHER;
	len -= used;
	if ((r = sign_alg(hdr->p + hdr->len - used, used, out, s)) != OK)
		return r;
	/* The digest starts with the bytes already read. */
	if (gnutls_hash_init(&s->tbs_h, out->dig) < 0) {
		s->tbs_h = NULL;
		return MTLS_E_INTERNAL;
	}
	s->hashing = 1;
	if ((r = signed_bytes(s, tl, tlen)) != OK ||
	    (r = signed_bytes(s, hdr->p + start, hdr->len - start)) != OK)
		return r;
	/* issuer, thisUpdate */
	if ((r = whole(s, 0x30, hdr, &used)) != OK || used > len)
		return r != OK ? r : OTHER;
	len -= used;
	if ((r = tl_peek(s, &tag, &elen, &hl)) != OK)
		return r;
	if (!is_time_tag(tag) || (r = whole(s, tag, hdr, &used)) != OK ||
	    used > len)
		return r != OK ? r : OTHER;
	len -= used;
	/* nextUpdate, revokedCertificates, crlExtensions: each optional */
	if (len > 0 && (r = tl_peek(s, &tag, &elen, &hl)) != OK)
		return r;
	if (len > 0 && is_time_tag(tag)) {
		if ((r = whole(s, tag, hdr, &used)) != OK || used > len)
			return r != OK ? r : OTHER;
		len -= used;
		if (len > 0 && (r = tl_peek(s, &tag, &elen, &hl)) != OK)
			return r;
	}
	if (len > 0 && tag == 0x30) {
		if (hl + elen > len)
			return OTHER;
		if ((r = take(s, hl)) != OK ||
		    (r = entries(s, out, elen)) != OK)
			return r;
		len -= hl + elen;
		if (len > 0 && (r = tl_peek(s, &tag, &elen, &hl)) != OK)
			return r;
	}
	if (len > 0 && tag == 0xa0) {
		if ((r = whole(s, 0xa0, hdr, &used)) != OK || used > len)
			return r != OK ? r : OTHER;
		len -= used;
	}
	return len == 0 ? OK : OTHER;
}

/* The rest of a PEM file holds no second CRL (the old parse takes all). */
static int
pem_rest(struct src *s)
{
	const size_t keep = sizeof(PEM_CRL) - 2;
	int r;

	for (;;) {
		if (memmem(s->raw + s->rr, s->rw - s->rr, PEM_CRL,
		    sizeof(PEM_CRL) - 1) != NULL)
			return OTHER;
		if (s->raw_eof)
			return OK;
		if (s->rw - s->rr > keep)
			s->rr = s->rw - keep;
		if ((r = raw_more(s)) != 0)
			return r;
	}
}

/* The first bytes: PEM in its plain form, or DER as the old parse sees it. */
static int
kind(struct src *s)
{
	const unsigned char *z;
	int r;

	if ((r = raw_more(s)) != 0)
		return r;
	if (s->rw >= sizeof(PEM_BEGIN) && memcmp(s->raw, PEM_BEGIN,
	    sizeof(PEM_BEGIN) - 1) == 0) {
		s->pem = 1;
		s->rr = sizeof(PEM_BEGIN) - 1;
		if (s->raw[s->rr] == '\r')
			s->rr++;
		if (s->rr >= s->rw || s->raw[s->rr] != '\n')
			return OTHER;
		s->rr++;
		s->bol = 1;
		return OK;
	}
	/*
	 * DER, for a parse that looks for "-----BEGIN" up to the first NUL:
	 * that NUL must come first, and soon.
	 */
	if (s->rw == 0 || s->raw[0] != 0x30 ||
	    (z = memchr(s->raw, 0, s->rw)) == NULL ||
	    memmem(s->raw, (size_t)(z - s->raw), "-----BEGIN", 10) != NULL)
		return OTHER;
	/* The window reads the file itself from its start. */
	s->roff = 0;
	s->rr = s->rw = 0;
	s->raw_eof = 0;
	gnutls_hash_deinit(s->file_h, NULL);
	if (gnutls_hash_init(&s->file_h, GNUTLS_DIG_SHA256) < 0)
		return MTLS_E_INTERNAL;
	return OK;
}

/* The CRL: CertificateList ::= SEQUENCE { tbs, algorithm, signature }. */
static int
walk(struct src *s, struct mtls_crlstream *out, struct bytes *hdr,
    struct bytes *tail)
{
	unsigned char tag, tl[6];
	size_t len, tlen, hl, used;
	uint64_t at;
	int r;

	if ((r = tl_peek(s, &tag, &len, &hl)) != OK)
		return r;
	if (tag != 0x30)
		return OTHER;
	if ((r = take(s, hl)) != OK)
		return r;
	/* What the outer SEQUENCE claims must be there, and nothing more. */
	if (!s->pem && len != s->size - hl)
		return len > s->size - hl ? MTLS_E_CRL_MALFORMED : OTHER;
	at = s->pos;
	if ((r = tl_peek(s, &tag, &tlen, &hl)) != OK)
		return r;
	if (tag != 0x30 || hl + tlen > len)
		return OTHER;
	memcpy(tl, s->buf + s->r, hl);
	if ((r = take(s, hl)) != OK ||
	    (r = tbs(s, out, tlen, hdr, tl, hl)) != OK)
		return r;
	s->hashing = 0;
	if ((r = whole(s, 0x30, tail, &used)) != OK ||
	    (r = whole(s, 0x03, tail, &used)) != OK)
		return r;
	if (s->pos - at != len)
		return OTHER;
	/* Nothing after the CRL. */
	if ((r = need(s, 1)) == OK)
		return OTHER;
	if (r != OTHER || (s->pem && s->other))
		return r;
	return s->pem ? pem_rest(s) : OK;
}

int
mtls_crlstream_read(int fd, uint64_t size, size_t tbs_max,
    struct mtls_crlstream *out)
{
	struct src s;
	struct bytes hdr = { NULL, 0, 0, 0 }, tail = { NULL, 0, 0, 0 };
	struct bytes crl = { NULL, 0, 0, 0 }, head = { NULL, 0, 0, 0 };
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.size = size;
	s.tbs_max = tbs_max;
	if (gnutls_hash_init(&s.file_h, GNUTLS_DIG_SHA256) < 0)
		return MTLS_E_INTERNAL;
	if ((s.buf = malloc(WIN)) == NULL || (s.raw = malloc(RAW)) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	if ((r = kind(&s)) != OK)
		goto out;
	out->pem = s.pem;
	if ((r = walk(&s, out, &hdr, &tail)) != OK)
		goto out;
	/* The header: the CRL as it is, without its revokedCertificates. */
	bytes_tl(&crl, 0x30, hdr.len);
	bytes_add(&crl, hdr.p, hdr.len);
	bytes_tl(&head, 0x30, crl.len + tail.len);
	bytes_add(&head, crl.p, crl.len);
	bytes_add(&head, tail.p, tail.len);
	if (crl.failed || head.failed) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	out->header = head.p;
	out->header_len = head.len;
	head.p = NULL;
	if (s.keep) {
		out->tbs = s.tbs;
		out->tbs_len = s.tbs_len;
		s.tbs = NULL;
	} else {
		out->digest_len = gnutls_hash_get_len(out->dig);
		gnutls_hash_output(s.tbs_h, out->digest);
	}
	gnutls_hash_output(s.file_h, out->file_sha256);
	/* CAs mostly list in order: then there is nothing to sort. */
	for (i = 1; i < out->n_serials; i++)
		if (mtls_serial_cmp(&out->serials[i - 1],
		    &out->serials[i]) > 0)
			break;
	if (i < out->n_serials)
		r = serials_sort(out->serials, out->n_serials);
 out:
	if (r != OK) {
		int pem = out->pem;

		mtls_crlstream_clear(out);
		out->pem = pem;
	}
	if (s.tbs_h != NULL)
		gnutls_hash_deinit(s.tbs_h, NULL);
	gnutls_hash_deinit(s.file_h, NULL);
	free(s.tbs);
	free(s.buf);
	free(s.raw);
	free(hdr.p);
	free(tail.p);
	free(crl.p);
	free(head.p);
	return r;
}

void
mtls_crlstream_clear(struct mtls_crlstream *out)
{
	if (out == NULL)
		return;
	free(out->header);
	free(out->tbs);
	free(out->serials);
	memset(out, 0, sizeof(*out));
}
