/*
 * derbuf.c - DER written by hand into a growing buffer (derbuf.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "derbuf.h"

void
derbuf_put(struct derbuf *b, const void *data, size_t len)
{
	unsigned char *np;
	size_t cap;

	if (b->failed || len == 0)
		return;
	if (b->len + len > b->cap) {
		cap = (b->len + len) * 2 + 256;
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

void
derbuf_tl(struct derbuf *b, unsigned char tag, size_t len, int long_form)
{
	unsigned char h[6];
	size_t n = 0, k;

	h[n++] = tag;
	if (len < 0x80 && !long_form)
		h[n++] = (unsigned char)len;
	else {
		k = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
		h[n++] = (unsigned char)(0x80 | k);
		while (k-- > 0)
			h[n++] = (unsigned char)(len >> (8 * k));
	}
	derbuf_put(b, h, n);
}

void
derbuf_tlv(struct derbuf *b, unsigned char tag, const void *data, size_t len)
{
	derbuf_tl(b, tag, len, 0);
	derbuf_put(b, data, len);
}

void
derbuf_wrap(struct derbuf *to, unsigned char tag, struct derbuf *from)
{
	if (from->failed)
		to->failed = 1;
	derbuf_tlv(to, tag, from->p, from->len);
	from->len = 0;
}

void
derbuf_utctime(struct derbuf *b, time_t t)
{
	struct tm tm;
	char s[64];

	gmtime_r(&t, &tm);
	snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	derbuf_tlv(b, 0x17, s, 13);
}

void
derbuf_free(struct derbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
