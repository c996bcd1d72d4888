/*
 * fixtures_nc.c - name constraints and subject alternative names as raw
 * DER for the test PKI (see fixtures_nc.h).  GnuTLS validates what it
 * writes; the tests also need what it would refuse to write.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fixtures_nc.h"

#define OID_NC		"2.5.29.30"
#define OID_SAN		"2.5.29.17"
#define BUF_MAX		16384

struct buf {
	unsigned char	b[BUF_MAX];
	size_t		n;
	int		bad;		/* overflow or bad input */
};

static void
put(struct buf *o, const void *p, size_t n)
{
	if (o->bad || n > sizeof(o->b) - o->n) {
		o->bad = 1;
		return;
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* tag, DER length, content */
static void
put_tlv(struct buf *o, unsigned char tag, const void *p, size_t n)
{
	unsigned char h[4];
	size_t k = 0;

	h[k++] = tag;
	if (n < 0x80)
		h[k++] = (unsigned char)n;
	else if (n < 0x100) {
		h[k++] = 0x81;
		h[k++] = (unsigned char)n;
	} else {
		h[k++] = 0x82;
		h[k++] = (unsigned char)(n >> 8);
		h[k++] = (unsigned char)n;
	}
	put(o, h, k);
	put(o, p, n);
}

static void
put_buf(struct buf *o, unsigned char tag, const struct buf *in)
{
	if (in->bad)
		o->bad = 1;
	put_tlv(o, tag, in->b, in->n);
}

static int
printable_string(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789 '()+,-./:=?", *s) == NULL)
			return 0;
	return 1;
}

/* One "K=V" as an RDN of one attribute. */
static void
put_rdn(struct buf *o, const char *k, size_t kn, const char *v, int utf8)
{
	static const struct {
		const char		*key;
		unsigned char		 oid[9];
		size_t			 len;
		unsigned char		 type;	/* 0: a DirectoryString */
	} keys[] = {
		{ "C", { 0x55, 0x04, 0x06 }, 3, 0x13 },
		{ "O", { 0x55, 0x04, 0x0a }, 3, 0 },
		{ "OU", { 0x55, 0x04, 0x0b }, 3, 0 },
		{ "CN", { 0x55, 0x04, 0x03 }, 3, 0 },
		{ "E", { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 },
		    9, 0x16 },
	};
	struct buf ava = { .n = 0 }, seq = { .n = 0 };
	unsigned char type;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == kn && strncmp(keys[i].key, k,
		    kn) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0])) {
		o->bad = 1;
		return;
	}
	type = keys[i].type;
	if (type == 0)
		type = !utf8 && printable_string(v) ? 0x13 : 0x0c;
	put_tlv(&ava, 0x06, keys[i].oid, keys[i].len);
	put_tlv(&ava, type, v, strlen(v));
	put_buf(&seq, 0x30, &ava);
	put_buf(o, 0x31, &seq);
}

/* A Name from "CN=a,O=b" (most specific first, so written backwards). */
static void
put_dn(struct buf *o, const char *dn, int utf8)
{
	struct buf rdns = { .n = 0 };
	char copy[512], *parts[16], *eq;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", dn);
	for (parts[n] = strtok(copy, ","); parts[n] != NULL && n < 15;
	    parts[n] = strtok(NULL, ","))
		n++;
	while (n-- > 0) {
		if ((eq = strchr(parts[n], '=')) == NULL) {
			o->bad = 1;
			return;
		}
		put_rdn(&rdns, parts[n], (size_t)(eq - parts[n]), eq + 1,
		    utf8);
	}
	put_buf(o, 0x30, &rdns);
}

/* "ADDR" or "ADDR/MASK" as an iPAddress. */
static void
put_ip(struct buf *o, const char *v)
{
	unsigned char b[32];
	char addr[64], *slash;
	int af = strchr(v, ':') != NULL ? AF_INET6 : AF_INET;
	size_t len = af == AF_INET ? 4 : 16;

	snprintf(addr, sizeof(addr), "%s", v);
	if ((slash = strchr(addr, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(af, addr, b) != 1 || (slash != NULL &&
	    inet_pton(af, slash, b + len) != 1)) {
		o->bad = 1;
		return;
	}
	put_tlv(o, 0x87, b, slash != NULL ? 2 * len : len);
}

/* One GeneralName, or n of them for "many". */
static void
put_name(struct buf *o, const char *form, const char *v, int subtree)
{
	static const unsigned char upn[] = {
		0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x03
	};
	struct buf in = { .n = 0 }, x = { .n = 0 };
	char name[64];
	long i, n;

	if (strcmp(form, "many") == 0) {
		n = strtol(v, NULL, 10);
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "dns%ld.example.com", i);
			in.n = 0;
			put_tlv(&in, 0x82, name, strlen(name));
			if (subtree)
				put_buf(o, 0x30, &in);
			else
				put(o, in.b, in.n);
		}
		return;
	}
	if (strcmp(form, "dns") == 0)
		put_tlv(&in, 0x82, v, strlen(v));
	else if (strcmp(form, "email") == 0)
		put_tlv(&in, 0x81, v, strlen(v));
	else if (strcmp(form, "uri") == 0)
		put_tlv(&in, 0x86, v, strlen(v));
	else if (strcmp(form, "ip") == 0)
		put_ip(&in, v);
	else if (strcmp(form, "dn") == 0 || strcmp(form, "dn8") == 0) {
		put_dn(&x, v, form[2] == '8');
		put_buf(&in, 0xa4, &x);
	} else if (strcmp(form, "upn") == 0) {
		struct buf val = { .n = 0 };

		put_tlv(&x, 0x06, upn, sizeof(upn));
		put_tlv(&val, 0x0c, v, strlen(v));
		put_buf(&x, 0xa0, &val);
		put_buf(&in, 0xa0, &x);
	} else
		in.bad = 1;
	if (in.bad)
		o->bad = 1;
	if (subtree)
		put_buf(o, 0x30, &in);
	else
		put(o, in.b, in.n);
}

/* [0] 01 after the first subtree's base: a minimum of 1. */
static void
add_minimum(struct buf *p)
{
	struct buf st = { .n = 0 }, rest = { .n = 0 };
	size_t hdr, len;

	/* p holds SEQUENCE {base} ...: rewrite the first one */
	if (p->n < 2 || p->b[1] >= 0x80) {
		p->bad = 1;
		return;
	}
	hdr = 2;
	len = p->b[1];
	put(&st, p->b + hdr, len);
	put(&st, "\x80\x01\x01", 3);
	put(&rest, p->b + hdr + len, p->n - hdr - len);
	p->n = 0;
	put_buf(p, 0x30, &st);
	put(p, rest.b, rest.n);
}

int
fixtures_nc_extensions(gnutls_x509_crt_t crt, const char *spec,
    const char **what)
{
	static struct buf p, x, san, nc, seq;
	char copy[1024], *item, *save = NULL, *form, *value;
	int crit = 1, min = 0, empty = 0, ret;

	memset(&p, 0, sizeof(p));
	memset(&x, 0, sizeof(x));
	memset(&san, 0, sizeof(san));
	memset(&nc, 0, sizeof(nc));
	memset(&seq, 0, sizeof(seq));
	*what = "name constraints spec";
	snprintf(copy, sizeof(copy), "%s", spec);
	for (item = strtok_r(copy, ";", &save); item != NULL;
	    item = strtok_r(NULL, ";", &save)) {
		if (strcmp(item, "noncrit") == 0) {
			crit = 0;
			continue;
		}
		if (strcmp(item, "min") == 0) {
			min = 1;
			continue;
		}
		if (strcmp(item, "empty") == 0) {
			empty = 1;
			continue;
		}
		if ((form = strchr(item, ':')) == NULL ||
		    (value = strchr(form + 1, ':')) == NULL)
			return GNUTLS_E_INVALID_REQUEST;
		*form++ = '\0';
		*value++ = '\0';
		if (strcmp(item, "p") == 0)
			put_name(&p, form, value, 1);
		else if (strcmp(item, "x") == 0)
			put_name(&x, form, value, 1);
		else if (strcmp(item, "san") == 0)
			put_name(&san, form, value, 0);
		else
			return GNUTLS_E_INVALID_REQUEST;
	}
	if (min)
		add_minimum(p.n > 0 ? &p : &x);
	if (p.n > 0)
		put_buf(&seq, 0xa0, &p);
	if (x.n > 0)
		put_buf(&seq, 0xa1, &x);
	if (p.bad || x.bad || san.bad || seq.bad)
		return GNUTLS_E_INVALID_REQUEST;
	if (seq.n > 0 || empty) {
		put_buf(&nc, 0x30, &seq);
		*what = "set name constraints";
		if ((ret = gnutls_x509_crt_set_extension_by_oid(crt, OID_NC,
		    nc.b, nc.n, crit)) < 0)
			return ret;
	}
	if (san.n > 0) {
		memset(&seq, 0, sizeof(seq));
		put_buf(&seq, 0x30, &san);
		*what = "set subject alternative names";
		if ((ret = gnutls_x509_crt_set_extension_by_oid(crt, OID_SAN,
		    seq.b, seq.n, 0)) < 0)
			return ret;
	}
	return 0;
}
