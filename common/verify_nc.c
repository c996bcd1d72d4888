/*
 * verify_nc.c - name constraints (RFC 5280 4.2.1.10 and 6.1.3 (b), (c)),
 * enforced for every certificate below a constraining CA.
 *
 * GnuTLS 3.7 applies name constraints to the end-entity certificate
 * alone, ignores permitted directoryName subtrees, lets an IPv6 address
 * through IPv4-only constraints, and merges the constraints of a path in
 * time and memory that grow with the product of their sizes.  So the
 * extensions are read here, with a strict DER reader, before GnuTLS sees
 * the path: their form is checked, the work is bounded (and GnuTLS's own
 * check then only meets constraints within those bounds), and every name
 * of every certificate below a constraining CA is checked against it.
 *
 * Each CA's constraints are applied on their own, which is what the
 * intersection of permitted subtrees and union of excluded ones of RFC
 * 5280 6.1.4 amount to.  How names compare, form by form:
 *  - dNSName: the subtree's name, or it with labels added on the left,
 *    ASCII case ignored.  A wildcard label counts as a label; "*.D" is
 *    taken to be excluded when an excluded subtree lies below D.
 *  - rfc822Name: a mailbox (local part exact; case ignored when testing
 *    an excluded subtree), a host, or ".domain" for any host below it.
 *  - iPAddress: address under mask; an IPv4 name is never within an IPv6
 *    subtree nor the reverse, but an IPv4-mapped IPv6 address counts as
 *    excluded by an IPv4 subtree that holds its IPv4 address.
 *  - uniformResourceIdentifier: the host of the URI, which must be a DNS
 *    name (else the certificate is refused): ".domain" for hosts below
 *    domain, otherwise that host alone.
 *  - directoryName: RDN by RDN, the subtree's RDNs a prefix of the name's
 *    RDNs.  Two RDNs match when they have as many attributes and each
 *    attribute of the subtree's has an equal one in the name's: the same
 *    type, and either the same DER or, for string types (Printable,
 *    UTF8, IA5, Visible, BMP, Universal) holding ASCII alone, the same
 *    text once prepared as RFC 4518 prepares it for caseIgnoreMatch
 *    (controls mapped, case folded, insignificant spaces removed), across
 *    string types.  Values this code cannot compare (non-ASCII text,
 *    Teletex and other legacy strings) count as outside a permitted
 *    subtree and inside an excluded one: fail closed both ways.
 * The subject (when not empty), the e-mail addresses in it, every
 * subject alternative name, and the common names of a serverAuth leaf
 * without a dNSName (GnuTLS matches host names against those) are checked.
 * otherName, x400Address, ediPartyName and registeredID constraints are
 * not evaluated: a certificate with a name of a form so constrained is
 * refused, as RFC 5280 allows.
 *
 * GnuTLS still checks the constraints afterwards, more coarsely: it
 * refuses everything below an excluded directoryName subtree, whatever
 * the name, and everything below a subtree of a form it cannot read.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "verify_int.h"

#define OID_NC		"2.5.29.30"
#define OID_SAN		"2.5.29.17"
#define OID_SERVER	"1.3.6.1.5.5.7.3.1"

/*
 * Bounds on the work, each refused beyond with name-constraints-too-large.
 * Every name is compared with every subtree above it once, so a path
 * costs at most (names) x (subtrees) comparisons, each linear in the two
 * names (an RDN comparison is at most NC_MAX_RDN_ATTRS squared attribute
 * comparisons); and the octets those comparisons read are counted, the
 * check stopping at NC_MAX_WORK: it runs before any signature of the path
 * is verified, so what an unauthenticated peer can make it cost is small.
 */
#define NC_MAX_SUBTREES	64	/* in all the constraints of a path */
#define NC_MAX_NAMES	64	/* of one certificate below a constraint */
#define NC_MAX_COMBINED	256	/* product of (permitted + 1) over a path */
#define NC_MAX_RDN_ATTRS 8	/* attributes of one RDN of a subtree */
#define NC_MAX_WORK	1048576	/* octets compared in a path */

#define STR_(x)		#x
#define STR(x)		STR_(x)

/* DER of the attribute types looked for in subjects */
static const unsigned char oid_email[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01
};
static const unsigned char oid_cn[] = { 0x55, 0x04, 0x03 };

/* GeneralName forms, numbered as their context tags (RFC 5280 4.2.1.6). */
enum {
	GN_OTHER, GN_EMAIL, GN_DNS, GN_X400, GN_DIR, GN_EDI, GN_URI, GN_IP,
	GN_RID, GN_NFORMS
};

static const char *const form_name[GN_NFORMS] = {
	"otherName", "e-mail address", "DNS name", "x400Address",
	"directoryName", "ediPartyName", "URI", "IP address", "registeredID"
};

/* How a name compares with a subtree. */
enum within {
	W_NO,		/* outside */
	W_YES,		/* inside */
	W_UNKNOWN,	/* undecided: outside if permitted, inside if excluded */
	W_UNCHECKABLE	/* the name cannot be compared at all: refuse */
};

struct der {
	const unsigned char	*p;
	size_t			 n;
};

struct subtree {
	unsigned	 form;
	int		 excluded;
	struct der	 base;	/* content; a directoryName's RDN sequence */
};

/* The constraints of one CA of the path. */
struct nc_ca {
	size_t		 depth;
	size_t		 first;	/* its subtrees: st[first..first+n-1] */
	size_t		 n;
};

struct nc_path {
	struct subtree	 st[NC_MAX_SUBTREES];
	size_t		 n_st;
	struct nc_ca	 ca[MTLS_VFY_MAX_PATH];
	size_t		 n_ca;
	gnutls_datum_t	 ext[MTLS_VFY_MAX_PATH];	/* owned */
	unsigned long	 combined;	/* product of (permitted + 1) */
	unsigned long	 work;		/* octets compared so far */
};

/* Why a name was refused, for the message. */
struct nc_fail {
	unsigned	 form;
	const char	*what;		/* NULL: form_name[form] */
	struct der	 name;
	size_t		 ca_depth;
	int		 over_work;	/* NC_MAX_WORK was reached */
};

/* --- a strict DER reader ------------------------------------------------- */

/* Take one element off in: its tag and content.  -1 when not DER. */
static int
der_get(struct der *in, unsigned char *tag, struct der *val)
{
	size_t len, hdr = 2, k, i;

	if (in->n < 2 || (in->p[0] & 0x1f) == 0x1f)
		return -1;
	len = in->p[1];
	if (len & 0x80) {
		k = len & 0x7f;
		/* minimal: no leading zero octet, no long form below 128 */
		if (k == 0 || k > 3 || in->n < 2 + k || in->p[2] == 0)
			return -1;
		for (len = 0, i = 0; i < k; i++)
			len = len << 8 | in->p[2 + i];
		if (len < 0x80)
			return -1;
		hdr += k;
	}
	if (len > in->n - hdr)
		return -1;
	*tag = in->p[0];
	val->p = in->p + hdr;
	val->n = len;
	in->p += hdr + len;
	in->n -= hdr + len;
	return 0;
}

static int
der_expect(struct der *in, unsigned char tag, struct der *val)
{
	unsigned char t;

	return der_get(in, &t, val) == 0 && t == tag ? 0 : -1;
}

/*
 * Validate the content of a Name (SEQUENCE OF RDN, each a non-empty SET
 * OF SEQUENCE { type OID, value }): its RDN count and the largest number
 * of attributes in one RDN.  -1 when malformed.
 */
static int
dn_shape(struct der rdns, size_t *n_rdn, size_t *max_attrs)
{
	struct der set, ava, oid, val;
	unsigned char tag;
	size_t attrs;

	*n_rdn = *max_attrs = 0;
	while (rdns.n > 0) {
		if (der_expect(&rdns, 0x31, &set) != 0 || set.n == 0)
			return -1;
		for (attrs = 0; set.n > 0; attrs++)
			if (der_expect(&set, 0x30, &ava) != 0 ||
			    der_expect(&ava, 0x06, &oid) != 0 || oid.n == 0 ||
			    der_get(&ava, &tag, &val) != 0 || ava.n != 0)
				return -1;
		if (attrs > *max_attrs)
			*max_attrs = attrs;
		(*n_rdn)++;
	}
	return 0;
}

/*
 * Take one GeneralName off in: its form and value (the content; for a
 * directoryName, the RDN sequence of its Name).  -1 when malformed.
 */
static int
gn_get(struct der *in, unsigned *form, struct der *val)
{
	unsigned char tag;
	struct der outer;
	int constructed;

	if (der_get(in, &tag, &outer) != 0 || (tag & 0xc0) != 0x80 ||
	    (tag & 0x1f) >= GN_NFORMS)
		return -1;
	*form = tag & 0x1f;
	constructed = *form == GN_OTHER || *form == GN_X400 ||
	    *form == GN_DIR || *form == GN_EDI;
	if (((tag & 0x20) != 0) != constructed)
		return -1;
	*val = outer;
	if (*form == GN_DIR && (der_expect(&outer, 0x30, val) != 0 ||
	    outer.n != 0))
		return -1;
	return 0;
}

/* --- comparing names ----------------------------------------------------- */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
ci_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

/* Every octet printable ASCII, no space. */
static int
graphic(const struct der *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->p[i] <= 0x20 || v->p[i] >= 0x7f)
			return 0;
	return 1;
}

/* name is dom, or ends with "." dom (case ignored). */
static int
dns_under(const unsigned char *name, size_t nl, const unsigned char *dom,
    size_t dl)
{
	if (nl == dl)
		return ci_equal(name, dom, dl);
	return nl > dl && name[nl - dl - 1] == '.' &&
	    ci_equal(name + nl - dl, dom, dl);
}

static enum within
dns_within(const struct der *name, const struct der *c, int excluded)
{
	if (!graphic(name))
		return W_UNKNOWN;
	if (dns_under(name->p, name->n, c->p, c->n))
		return W_YES;
	/* "*.D" stands for names below D, an excluded subtree among them */
	if (excluded && name->n > 2 && name->p[0] == '*' &&
	    name->p[1] == '.' && dns_under(c->p, c->n, name->p + 2,
	    name->n - 2))
		return W_UNKNOWN;
	return W_NO;
}

static enum within
email_within(const struct der *name, const struct der *c, int excluded)
{
	const unsigned char *at = NULL, *cat;
	size_t i, local, dl;

	if (!graphic(name))
		return W_UNKNOWN;
	for (i = 0; i < name->n; i++)
		if (name->p[i] == '@')
			at = name->p + i;
	if (at == NULL)
		return W_UNKNOWN;
	local = (size_t)(at - name->p);
	dl = name->n - local - 1;
	if ((cat = memchr(c->p, '@', c->n)) != NULL) {
		/* a mailbox */
		if ((size_t)(cat - c->p) != local || c->n != name->n ||
		    !ci_equal(at + 1, cat + 1, dl))
			return W_NO;
		if (excluded)
			return ci_equal(name->p, c->p, local) ? W_YES : W_NO;
		return memcmp(name->p, c->p, local) == 0 ? W_YES : W_NO;
	}
	if (c->p[0] == '.')	/* any host below the domain */
		return dl > c->n && ci_equal(at + 1 + dl - c->n, c->p,
		    c->n) ? W_YES : W_NO;
	return dl == c->n && ci_equal(at + 1, c->p, dl) ? W_YES : W_NO;
}

static enum within
ip_within(const struct der *name, const struct der *c)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const unsigned char *a = name->p;
	size_t half = c->n / 2, k;
	enum within yes = W_YES;

	if (name->n == 16 && half == 4 && memcmp(a, mapped, 12) == 0) {
		a += 12;	/* excluded as its IPv4 address would be */
		yes = W_UNKNOWN;
	} else if (name->n != half)
		return W_NO;
	for (k = 0; k < half; k++)
		if ((a[k] ^ c->p[k]) & c->p[half + k])
			return W_NO;
	return yes;
}

/*
 * The host of "scheme://[userinfo@]host[:port][/?#...]" when it is a DNS
 * name; -1 for anything else (no authority, an IP literal, escapes).
 */
static int
uri_host(const struct der *uri, struct der *host)
{
	const unsigned char *p = uri->p, *end = uri->p + uri->n, *s, *h;
	const unsigned char *last;
	size_t i;

	for (s = p; s < end && *s != ':'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (s > p && ((*s >= '0' && *s <= '9') || *s == '+' ||
		    *s == '-' || *s == '.'))))
			return -1;
	if (s == p || end - s < 3 || s[1] != '/' || s[2] != '/')
		return -1;
	h = s + 3;
	for (s = h; s < end && *s != '/' && *s != '?' && *s != '#'; s++)
		if (*s == '@')
			h = s + 1;	/* after the userinfo */
	for (last = h; last < s && *last != ':'; last++)
		;
	for (i = 1; last + i < s; i++)	/* the port */
		if (last[i] < '0' || last[i] > '9')
			return -1;
	host->p = h;
	host->n = (size_t)(last - h);
	if (!mtls_vfy_ldh_name(host->p, host->n))
		return -1;
	/* all digits in the last label: an IPv4 address, not a name */
	for (s = last; s > h && s[-1] != '.'; s--)
		if (s[-1] < '0' || s[-1] > '9')
			return 0;
	return -1;
}

static enum within
uri_within(const struct der *name, const struct der *c)
{
	struct der host;

	if (uri_host(name, &host) != 0)
		return W_UNCHECKABLE;
	if (c->p[0] == '.')
		return host.n > c->n && ci_equal(host.p + host.n - c->n, c->p,
		    c->n) ? W_YES : W_NO;
	return host.n == c->n && ci_equal(host.p, c->p, c->n) ? W_YES : W_NO;
}

/*
 * Width in octets of the code units of a string type compared as text;
 * 0 for types that are not strings; -1 for string types read here only
 * as DER (Numeric, Teletex, Videotex, Graphic, General).
 */
static int
str_width(unsigned char tag)
{
	switch (tag) {
	case 0x0c:		/* UTF8String */
	case 0x13:		/* PrintableString */
	case 0x16:		/* IA5String */
	case 0x1a:		/* VisibleString */
		return 1;
	case 0x1e:		/* BMPString */
		return 2;
	case 0x1c:		/* UniversalString */
		return 4;
	case 0x12:
	case 0x14:
	case 0x15:
	case 0x19:
	case 0x1b:
		return -1;
	}
	return 0;
}

static unsigned long
unit(const struct der *v, size_t i, int w)
{
	unsigned long c = 0;
	int k;

	for (k = 0; k < w; k++)
		c = c << 8 | v->p[i + (size_t)k];
	return c;
}

static int
ascii_only(const struct der *v, int w)
{
	size_t i;

	if (v->n % (size_t)w != 0)
		return 0;
	for (i = 0; i < v->n; i += (size_t)w)
		if (unit(v, i, w) >= 0x80)
			return 0;
	return 1;
}

/* RFC 4518 preparation of an ASCII string, one character at a time. */
struct prep {
	const struct der *v;
	int		 w;
	size_t		 i;
	int		 started;	/* a non-space was seen */
	int		 space;		/* spaces are pending */
	int		 held;		/* next character, or -1 */
};

static int
prep_next(struct prep *s)
{
	int c;

	if (s->held >= 0) {
		c = s->held;
		s->held = -1;
		return c;
	}
	while (s->i < s->v->n) {
		c = (int)unit(s->v, s->i, s->w);
		s->i += (size_t)s->w;
		if (c >= 0x09 && c <= 0x0d)
			c = ' ';		/* mapped to SPACE */
		else if (c < 0x20 || c == 0x7f)
			continue;		/* mapped to nothing */
		if (c == ' ') {
			s->space = s->started;
			continue;
		}
		s->started = 1;
		c = lower(c);
		if (s->space) {			/* inner spaces: one */
			s->space = 0;
			s->held = c;
			return ' ';
		}
		return c;
	}
	return -1;			/* trailing spaces: none */
}

static int
prep_equal(const struct der *a, int wa, const struct der *b, int wb)
{
	struct prep x = { a, wa, 0, 0, 0, -1 }, y = { b, wb, 0, 0, 0, -1 };
	int c;

	do {
		if ((c = prep_next(&x)) != prep_next(&y))
			return 0;
	} while (c >= 0);
	return 1;
}

static enum within
value_cmp(unsigned char ta, const struct der *a, unsigned char tb,
    const struct der *b)
{
	int wa = str_width(ta), wb = str_width(tb);

	if (ta == tb && a->n == b->n && memcmp(a->p, b->p, a->n) == 0)
		return W_YES;
	if (wa == 0 || wb == 0)
		return W_NO;	/* not both strings: compared as DER */
	if (wa < 0 || wb < 0 || !ascii_only(a, wa) || !ascii_only(b, wb))
		return W_UNKNOWN;
	return prep_equal(a, wa, b, wb) ? W_YES : W_NO;
}

static enum within
w_and(enum within a, enum within b)
{
	if (a == W_NO || b == W_NO)
		return W_NO;
	return a == W_UNKNOWN || b == W_UNKNOWN ? W_UNKNOWN : W_YES;
}

static enum within
w_or(enum within a, enum within b)
{
	if (a == W_YES || b == W_YES)
		return W_YES;
	return a == W_UNKNOWN || b == W_UNKNOWN ? W_UNKNOWN : W_NO;
}

/* One attribute of the name's RDN against one of the subtree's. */
static enum within
ava_cmp(struct der a, struct der b, unsigned long *work)
{
	struct der ta, tb, va, vb;
	unsigned char ga, gb;

	if (der_expect(&a, 0x06, &ta) != 0 || der_expect(&b, 0x06, &tb) != 0 ||
	    der_get(&a, &ga, &va) != 0 || der_get(&b, &gb, &vb) != 0 ||
	    ta.n != tb.n || memcmp(ta.p, tb.p, ta.n) != 0)
		return W_NO;
	*work += va.n + vb.n;
	return value_cmp(ga, &va, gb, &vb);
}

static size_t
set_count(struct der set)
{
	struct der ava;
	size_t n = 0;

	while (der_expect(&set, 0x30, &ava) == 0)
		n++;
	return n;
}

/*
 * The name's RDN against the subtree's: as many attributes, each of the
 * subtree's matched by one of the name's.  Subtree RDNs have at most
 * NC_MAX_RDN_ATTRS attributes, so this is at most that squared.
 */
static enum within
rdn_cmp(struct der name, struct der sub, unsigned long *work)
{
	struct der s, a, it;
	enum within all = W_YES, one;

	*work += name.n + sub.n;
	if (set_count(name) != set_count(sub))
		return W_NO;
	while (all != W_NO && der_expect(&sub, 0x30, &s) == 0) {
		one = W_NO;
		it = name;
		while (one != W_YES && der_expect(&it, 0x30, &a) == 0)
			one = w_or(one, ava_cmp(a, s, work));
		all = w_and(all, one);
	}
	return all;
}

/* The RDN sequence name within the subtree's: the latter a prefix. */
static enum within
dn_within(struct der name, struct der sub, unsigned long *work)
{
	struct der ns, ss;
	enum within r = W_YES;

	while (r != W_NO && der_expect(&sub, 0x31, &ss) == 0) {
		if (der_expect(&name, 0x31, &ns) != 0)
			return W_NO;
		r = w_and(r, rdn_cmp(ns, ss, work));
	}
	return r;
}

static enum within
within(unsigned form, const struct der *name, const struct subtree *s,
    unsigned long *work)
{
	if (form != GN_DIR)
		*work += name->n + s->base.n;
	switch (form) {
	case GN_DNS:
		return dns_within(name, &s->base, s->excluded);
	case GN_EMAIL:
		return email_within(name, &s->base, s->excluded);
	case GN_IP:
		return ip_within(name, &s->base);
	case GN_URI:
		return uri_within(name, &s->base);
	case GN_DIR:
		return dn_within(*name, s->base, work);
	}
	return W_UNCHECKABLE;
}

/* One name against the constraints of one CA. */
static int
name_vs_ca(struct nc_path *np, const struct nc_ca *ca, unsigned form,
    const struct der *name)
{
	const struct subtree *s;
	enum within w;
	int has_permitted = 0, permitted = 0;
	size_t k;

	for (k = ca->first; k < ca->first + ca->n; k++) {
		s = &np->st[k];
		if (s->form != form)
			continue;
		w = within(form, name, s, &np->work);
		if (np->work > NC_MAX_WORK)
			return MTLS_E_CERT_NC_TOO_LARGE;
		if (w == W_UNCHECKABLE)
			return MTLS_E_CERT_NAME_UNVERIFIABLE;
		if (s->excluded && w != W_NO)
			return MTLS_E_CERT_NAME_EXCLUDED;
		if (!s->excluded) {
			has_permitted = 1;
			permitted |= w == W_YES;
		}
	}
	return has_permitted && !permitted ? MTLS_E_CERT_NAME_NOT_PERMITTED :
	    0;
}

/* One name of the certificate at depth against every CA above it. */
static int
check_name(struct nc_path *np, size_t depth, unsigned form,
    const char *what, const struct der *name, struct nc_fail *f)
{
	size_t k;
	int r;

	for (k = 0; k < np->n_ca; k++) {
		if (np->ca[k].depth <= depth)
			continue;
		if ((r = name_vs_ca(np, &np->ca[k], form, name)) != 0) {
			f->form = form;
			f->what = what;
			f->name = *name;
			f->ca_depth = np->ca[k].depth;
			f->over_work = np->work > NC_MAX_WORK;
			return r;
		}
	}
	return 0;
}

/* --- reading the constraints --------------------------------------------- */

/* A subtree's base as RFC 5280 4.2.1.10 allows it; 0 or a code, why set. */
static int
base_ok(unsigned form, const struct der *v, const char **why)
{
	const unsigned char *at;
	size_t k, half, n_rdn, attrs;
	int zero = 0;
	struct der o = *v, x;

	*why = NULL;
	switch (form) {
	case GN_DNS:
		if (v->n == 0)
			*why = "an empty dNSName";
		else if (v->p[0] == '.')
			*why = "a dNSName with a leading period";
		else if (!mtls_vfy_ldh_name(v->p, v->n))
			*why = "a dNSName that is not a host name";
		break;
	case GN_URI:
		if (v->n == 0 || !mtls_vfy_ldh_name(v->p + (v->p[0] == '.'),
		    v->n - (v->p[0] == '.')))
			*why = "a URI subtree that is not a host or .domain";
		break;
	case GN_EMAIL:
		at = memchr(v->p, '@', v->n);
		if (v->n == 0)
			*why = "an empty rfc822Name";
		else if (at != NULL && (at == v->p || !graphic(v) ||
		    !mtls_vfy_ldh_name(at + 1, v->n - (size_t)(at - v->p) - 1)))
			*why = "an rfc822Name that is not a mailbox";
		else if (at == NULL && !mtls_vfy_ldh_name(v->p + (v->p[0] == '.'),
		    v->n - (v->p[0] == '.')))
			*why = "an rfc822Name that is not a host or .domain";
		break;
	case GN_IP:
		if (v->n != 8 && v->n != 32) {
			*why = "an iPAddress that is not an address and mask";
			break;
		}
		half = v->n / 2;
		for (k = 0; k < half * 8 && *why == NULL; k++) {
			if (((v->p[half + k / 8] >> (7 - k % 8)) & 1) == 0)
				zero = 1;
			else if (zero)
				*why = "an iPAddress whose mask is not "
				    "contiguous";
		}
		for (k = 0; k < half && *why == NULL; k++)
			if (v->p[k] & ~v->p[half + k])
				*why = "an iPAddress with bits outside its "
				    "mask";
		break;
	case GN_DIR:
		if (dn_shape(*v, &n_rdn, &attrs) != 0)
			*why = "an unreadable directoryName";
		else if (n_rdn == 0)
			*why = "an empty directoryName";
		else if (attrs > NC_MAX_RDN_ATTRS) {
			*why = "a directoryName RDN of more than "
			    STR(NC_MAX_RDN_ATTRS) " attributes";
			return MTLS_E_CERT_NC_TOO_LARGE;
		}
		break;
	case GN_OTHER:
		if (der_expect(&o, 0x06, &x) != 0 || x.n == 0 ||
		    der_expect(&o, 0xa0, &x) != 0 || o.n != 0)
			*why = "an unreadable otherName";
		break;
	case GN_RID:
		if (v->n == 0)
			*why = "an empty registeredID";
		break;
	}
	return *why != NULL ? MTLS_E_CERT_NC_BAD : 0;
}

/* Append the subtrees of one NameConstraints extension (its DER) to np. */
static int
nc_parse(struct nc_path *np, const struct der *ext, const char **why)
{
	struct der in = *ext, seq, trees, st, base;
	struct subtree *s;
	unsigned char tag;
	unsigned form;
	int excluded, any = 0, r;

	if (der_expect(&in, 0x30, &seq) != 0 || in.n != 0) {
		*why = "not a DER sequence";
		return MTLS_E_CERT_NC_BAD;
	}
	for (excluded = 0; excluded < 2; excluded++) {
		if (seq.n == 0 || seq.p[0] != (0xa0 | excluded))
			continue;
		if (der_get(&seq, &tag, &trees) != 0 || trees.n == 0) {
			*why = "an empty or unreadable list of subtrees";
			return MTLS_E_CERT_NC_BAD;
		}
		while (trees.n > 0) {
			if (np->n_st == NC_MAX_SUBTREES) {
				*why = "more than " STR(
				    NC_MAX_SUBTREES) " subtrees in the "
				    "path";
				return MTLS_E_CERT_NC_TOO_LARGE;
			}
			if (der_expect(&trees, 0x30, &st) != 0 ||
			    gn_get(&st, &form, &base) != 0) {
				*why = "an unreadable subtree";
				return MTLS_E_CERT_NC_BAD;
			}
			/* RFC 5280: minimum is zero (absent), no maximum */
			if (st.n != 0) {
				*why = "a subtree with a minimum or maximum";
				return MTLS_E_CERT_NC_BAD;
			}
			if ((r = base_ok(form, &base, why)) != 0)
				return r;
			s = &np->st[np->n_st++];
			s->form = form;
			s->excluded = excluded;
			s->base = base;
		}
		any = 1;
	}
	if (seq.n != 0 || !any) {
		*why = any ? "unexpected content" : "no subtrees";
		return MTLS_E_CERT_NC_BAD;
	}
	return 0;
}

/*
 * Add the constraints of the CA c at depth to np, checking their form and
 * the bounds: NC_MAX_SUBTREES in the path, and the product of
 * (permitted subtrees + 1) over its CAs (what intersecting the permitted
 * subtrees of a path can grow to) at most NC_MAX_COMBINED.
 */
static int
nc_load(struct nc_path *np, gnutls_x509_crt_t c, size_t depth,
    struct mtls_err *err)
{
	struct nc_ca *ca = &np->ca[np->n_ca];
	gnutls_datum_t *ext = &np->ext[np->n_ca];
	struct der d;
	unsigned crit = 0;
	unsigned long permitted = 0;
	const char *why = NULL;
	size_t k;
	int r;

	r = gnutls_x509_crt_get_extension_by_oid2(c, OID_NC, 0, ext, &crit);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return 0;
	np->n_ca++;		/* the extension is freed with np */
	if (r < 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_NC_BAD, c, depth,
		    "unreadable extension");
	if (!crit)
		return mtls_vfy_reject(err, MTLS_E_CERT_NC_NOT_CRITICAL, c,
		    depth, NULL);
	ca->depth = depth;
	ca->first = np->n_st;
	d.p = ext->data;
	d.n = ext->size;
	if ((r = nc_parse(np, &d, &why)) != 0)
		return mtls_vfy_reject(err, r, c, depth, why);
	ca->n = np->n_st - ca->first;
	for (k = ca->first; k < np->n_st; k++)
		permitted += !np->st[k].excluded;
	if (np->combined > NC_MAX_COMBINED / (permitted + 1))
		return mtls_vfy_reject(err, MTLS_E_CERT_NC_TOO_LARGE, c, depth,
		    "the permitted subtrees of the path combine into more "
		    "than " STR(NC_MAX_COMBINED));
	np->combined *= permitted + 1;
	return 0;
}

static void
nc_free(struct nc_path *np)
{
	size_t k;

	for (k = 0; k < np->n_ca; k++)
		gnutls_free(np->ext[k].data);
	np->n_ca = 0;
}

/* --- the names of a certificate ------------------------------------------ */

static int
has_server_eku(gnutls_x509_crt_t c)
{
	char buf[128];
	size_t sz;
	unsigned i, crit;

	for (i = 0; i < 64; i++) {
		sz = sizeof(buf);
		if (gnutls_x509_crt_get_key_purpose_oid(c, i, buf, &sz,
		    &crit) < 0)
			return 0;
		if (strcmp(buf, OID_SERVER) == 0)
			return 1;
	}
	return 0;
}

/* Every name of the subjectAltName extension san (its DER). */
static int
check_san(struct nc_path *np, size_t depth, const struct der *san,
    int *has_dns, size_t *count, struct nc_fail *f)
{
	struct der in = *san, seq, v;
	size_t n_rdn, attrs;
	unsigned form;
	int r;

	if (der_expect(&in, 0x30, &seq) != 0 || in.n != 0 || seq.n == 0)
		return MTLS_E_CERT_BAD_SAN;
	while (seq.n > 0) {
		if (gn_get(&seq, &form, &v) != 0 || (form == GN_DIR &&
		    dn_shape(v, &n_rdn, &attrs) != 0))
			return MTLS_E_CERT_BAD_SAN;
		if (++*count > NC_MAX_NAMES)
			return MTLS_E_CERT_NC_TOO_LARGE;
		*has_dns |= form == GN_DNS;
		if ((r = check_name(np, depth, form, NULL, &v, f)) != 0)
			return r;
	}
	return 0;
}

/*
 * The subject, as a directoryName when not empty; its e-mail addresses;
 * its common names as DNS names when cn_as_dns.
 */
static int
check_subject(struct nc_path *np, size_t depth, const struct der *dn,
    int cn_as_dns, size_t *count, struct nc_fail *f)
{
	struct der in = *dn, rdns, it, set, ava, oid, val;
	size_t n_rdn, attrs;
	unsigned char tag;
	unsigned form;
	int r;

	if (der_expect(&in, 0x30, &rdns) != 0 || in.n != 0 ||
	    dn_shape(rdns, &n_rdn, &attrs) != 0)
		return MTLS_E_CERT_MALFORMED;
	if (n_rdn > 0 && (r = check_name(np, depth, GN_DIR, "subject", &rdns,
	    f)) != 0)
		return r;
	for (it = rdns; der_expect(&it, 0x31, &set) == 0;) {
		while (der_expect(&set, 0x30, &ava) == 0) {
			(void)der_expect(&ava, 0x06, &oid);
			(void)der_get(&ava, &tag, &val);
			if (oid.n == sizeof(oid_email) && memcmp(oid.p,
			    oid_email, oid.n) == 0)
				form = GN_EMAIL;
			else if (cn_as_dns && oid.n == sizeof(oid_cn) &&
			    memcmp(oid.p, oid_cn, oid.n) == 0)
				form = GN_DNS;
			else
				continue;
			if (++*count > NC_MAX_NAMES)
				return MTLS_E_CERT_NC_TOO_LARGE;
			if ((r = check_name(np, depth, form, form == GN_EMAIL ?
			    "e-mail address in the subject" :
			    "common name (as a host name)", &val, f)) != 0)
				return r;
		}
	}
	return 0;
}

/* Print a name into buf for a message: printable ASCII, truncated. */
static void
show_name(const struct nc_fail *f, char *buf, size_t size)
{
	char tmp[80];
	size_t i, n;

	if (f->form == GN_IP && (f->name.n == 4 || f->name.n == 16)) {
		if (inet_ntop(f->name.n == 4 ? AF_INET : AF_INET6, f->name.p,
		    tmp, sizeof(tmp)) == NULL)
			snprintf(tmp, sizeof(tmp), "?");
	} else if (f->form == GN_DIR || f->form == GN_OTHER ||
	    f->form == GN_X400 || f->form == GN_EDI || f->form == GN_RID) {
		tmp[0] = '\0';
	} else {
		n = f->name.n < 64 ? f->name.n : 64;
		for (i = 0; i < n; i++)
			tmp[i] = f->name.p[i] < 0x20 || f->name.p[i] >= 0x7f ?
			    '?' : (char)f->name.p[i];
		snprintf(tmp + n, sizeof(tmp) - n, "%s",
		    f->name.n > n ? "..." : "");
	}
	snprintf(buf, size, "%s%s%s%s under the name constraints at depth %zu",
	    f->what != NULL ? f->what : form_name[f->form],
	    tmp[0] != '\0' ? " \"" : "", tmp, tmp[0] != '\0' ? "\"" : "",
	    f->ca_depth);
}

static int
self_issued(gnutls_x509_crt_t c)
{
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	int eq;

	eq = gnutls_x509_crt_get_raw_issuer_dn(c, &a) >= 0 &&
	    gnutls_x509_crt_get_raw_dn(c, &b) >= 0 && a.size == b.size &&
	    memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	return eq;
}

/* Every name of the certificate c at depth against the CAs above it. */
static int
check_crt(struct nc_path *np, gnutls_x509_crt_t c, size_t depth,
    struct mtls_err *err)
{
	gnutls_datum_t san = { NULL, 0 }, dn = { NULL, 0 };
	struct nc_fail f;
	struct der d;
	char extra[256];
	unsigned crit;
	size_t count = 0;
	int has_dns = 0, r;

	memset(&f, 0, sizeof(f));
	r = gnutls_x509_crt_get_extension_by_oid2(c, OID_SAN, 0, &san, &crit);
	if (r >= 0) {
		d.p = san.data;
		d.n = san.size;
		r = check_san(np, depth, &d, &has_dns, &count, &f);
	} else if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		r = 0;
	else
		r = MTLS_E_CERT_BAD_SAN;
	if (r == 0) {
		if (gnutls_x509_crt_get_raw_dn(c, &dn) < 0)
			r = MTLS_E_CERT_MALFORMED;
		else {
			d.p = dn.data;
			d.n = dn.size;
			r = check_subject(np, depth, &d, depth == 0 &&
			    !has_dns && has_server_eku(c), &count, &f);
		}
	}
	switch (r) {
	case 0:
		break;
	case MTLS_E_CERT_BAD_SAN:
		r = mtls_vfy_reject(err, r, c, depth, "unreadable "
		    "subjectAltName under name constraints");
		break;
	case MTLS_E_CERT_MALFORMED:
		r = mtls_vfy_reject(err, r, c, depth, "unreadable subject");
		break;
	case MTLS_E_CERT_NC_TOO_LARGE:
		r = mtls_vfy_reject(err, r, c, depth, f.over_work ?
		    "comparing its names with the name constraints above it "
		    "reads more than " STR(NC_MAX_WORK) " octets" :
		    "more than " STR(NC_MAX_NAMES) " names under name "
		    "constraints");
		break;
	default:
		show_name(&f, extra, sizeof(extra));	/* f points into both */
		r = mtls_vfy_reject(err, r, c, depth, extra);
		break;
	}
	gnutls_free(san.data);
	gnutls_free(dn.data);
	return r;
}

/* --- entry points -------------------------------------------------------- */

int
mtls_vfy_check_nc(gnutls_x509_crt_t *path, size_t len, struct mtls_err *err)
{
	struct nc_path np;
	gnutls_datum_t ext = { NULL, 0 };
	unsigned crit;
	size_t d, i, lowest;
	int r = MTLS_E_INTERNAL;

	memset(&np, 0, sizeof(np));
	np.combined = 1;
	/* RFC 5280 4.2.1.10: the extension is for CA certificates only */
	if (gnutls_x509_crt_get_extension_by_oid2(path[0], OID_NC, 0, &ext,
	    &crit) != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		r = mtls_vfy_reject(err, MTLS_E_CERT_NC_IN_LEAF, path[0], 0,
		    NULL);
		goto out;
	}
	for (d = len - 1; d >= 1; d--)	/* from the anchor down */
		if ((r = nc_load(&np, path[d], d, err)) != 0)
			goto out;
	/* the lowest constraining CA; certificates below it are checked */
	for (lowest = 0, i = 0; i < np.n_ca; i++)
		lowest = np.ca[i].depth;
	for (i = 0; i < lowest; i++) {
		/* RFC 5280 6.1.3 (b), (c): not self-issued intermediates */
		if (i > 0 && self_issued(path[i]))
			continue;
		if ((r = check_crt(&np, path[i], i, err)) != 0)
			goto out;
	}
	r = 0;
 out:
	gnutls_free(ext.data);
	nc_free(&np);
	return r;
}

int
mtls_vfy_check_nc_ca(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	struct nc_path np;
	int r;

	memset(&np, 0, sizeof(np));
	np.combined = 1;
	r = nc_load(&np, c, depth, err);
	nc_free(&np);
	return r;
}

int
mtls_vfy_nc_match(const unsigned char *nc, size_t nc_len,
    const unsigned char *san, size_t san_len)
{
	struct nc_path np;
	struct nc_fail f;
	struct der d = { nc, nc_len };
	const char *why;
	size_t count = 0;
	int has_dns = 0, r;

	memset(&np, 0, sizeof(np));
	np.ca[0].depth = 1;
	if ((r = nc_parse(&np, &d, &why)) != 0)
		return r;
	np.ca[0].n = np.n_st;
	np.n_ca = 1;	/* nothing to free: no extension was read */
	d.p = san;
	d.n = san_len;
	return check_san(&np, 0, &d, &has_dns, &count, &f);
}
