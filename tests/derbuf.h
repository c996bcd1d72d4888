/*
 * derbuf.h - DER written by hand into a growing buffer, for the programs
 * that make certificates and CRLs GnuTLS will not write (tests/fixtures.c,
 * tests/mkcrl.c, bench/auth_bench.c).
 *
 * Out of memory sets failed and makes every later call a no-op: check it
 * once, when the buffer is used.
 */
#ifndef MTLS_DERBUF_H
#define MTLS_DERBUF_H

#include <stddef.h>
#include <time.h>

struct derbuf {
	unsigned char	*p;
	size_t		 len, cap;
	int		 failed;
};

#define DERBUF_INIT	{ NULL, 0, 0, 0 }

void derbuf_put(struct derbuf *b, const void *data, size_t len);

/*
 * A tag and a definite length in the fewest octets; with long_form even a
 * short length takes the long form (0x81 n), which DER forbids.
 */
void derbuf_tl(struct derbuf *b, unsigned char tag, size_t len,
    int long_form);

/* Tag, length and content. */
void derbuf_tlv(struct derbuf *b, unsigned char tag, const void *data,
    size_t len);

/* The content of from, wrapped in tag, appended to to; from is emptied. */
void derbuf_wrap(struct derbuf *to, unsigned char tag, struct derbuf *from);

/* A UTCTime (YYMMDDHHMMSSZ). */
void derbuf_utctime(struct derbuf *b, time_t t);

void derbuf_free(struct derbuf *b);

#endif /* MTLS_DERBUF_H */
