/*
 * verify_san.c - the syntax of subject alternative names: what a name of
 * each type may hold before mapping rules ever look at it, and the
 * criticality of the extension when it is all that names the subject.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "verify_int.h"

#define OID_SAN		"2.5.29.17"

/* --- subject alternative names ------------------------------------------ */

static int
printable(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return n > 0;
}

int
mtls_vfy_ldh_name(const unsigned char *p, size_t n)
{
	size_t i, lab = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '.') {
			if (lab == 0 || p[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && lab > 0)))
			return 0;
		if (++lab > 63)
			return 0;
	}
	return p[n - 1] != '-';
}

/* LDH labels separated by dots, no final dot; a leading "*." is allowed. */
static int
valid_dns(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == '*' && p[1] == '.') {
		p += 2;
		n -= 2;
	}
	return mtls_vfy_ldh_name(p, n) && p[n - 1] != '.';
}

/*
 * Nonzero when a valid DNS name is an IPv4 address as a URL parser reads
 * one: its last label is a number, decimal or "0x" hexadecimal (the
 * WHATWG URL standard's "ends in a number").  No top-level domain is
 * numeric (RFC 3696 2), so such a name can only mean an address, which
 * belongs in an iPAddress name where IP name constraints apply.
 */
static int
dns_is_ip(const unsigned char *p, size_t n)
{
	size_t i = n;

	while (i > 0 && p[i - 1] != '.')
		i--;
	p += i;
	n -= i;
	if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!((p[i] >= '0' && p[i] <= '9') ||
			    (p[i] >= 'a' && p[i] <= 'f') ||
			    (p[i] >= 'A' && p[i] <= 'F')))
				return 0;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return n > 0;
}

/* local@domain, printable ASCII, one '@', a valid domain. */
static int
valid_email(const unsigned char *p, size_t n)
{
	const unsigned char *at;

	if (!printable(p, n) || (at = memchr(p, '@', n)) == NULL ||
	    at == p || memchr(at + 1, '@', n - (size_t)(at - p) - 1) != NULL)
		return 0;
	return valid_dns(at + 1, n - (size_t)(at - p) - 1) && at[1] != '*';
}

/* scheme ":" rest, printable ASCII. */
static int
valid_uri(const unsigned char *p, size_t n)
{
	size_t i;

	if (!printable(p, n) || !((p[0] >= 'a' && p[0] <= 'z') ||
	    (p[0] >= 'A' && p[0] <= 'Z')))
		return 0;
	for (i = 1; i < n; i++) {
		if (p[i] == ':')
			return i + 1 < n;
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' &&
		    p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '+' || p[i] == '-' || p[i] == '.'))
			return 0;
	}
	return 0;
}

/* A UPN as GnuTLS decodes it: user@realm, no control characters. */
static int
valid_upn(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0 || memchr(p, '@', n) == NULL || p[0] == '@' ||
	    p[n - 1] == '@')
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int
mtls_vfy_check_sans(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	unsigned char buf[1024];
	gnutls_datum_t ext = { NULL, 0 };
	unsigned idx, type, crit = 0, san_crit = 0;
	char extra[300];
	size_t sz;
	int r, ok, present;

	present = gnutls_x509_crt_get_extension_by_oid2(c, OID_SAN, 0, &ext,
	    &san_crit) >= 0;
	gnutls_free(ext.data);
	/* RFC 5280 4.1.2.6: then the names are the subject. */
	if (mtls_vfy_subject_empty(c) && (!present || !san_crit))
		return mtls_vfy_reject(err, MTLS_E_CERT_SAN_NOT_CRITICAL, c,
		    depth, present ? "the extension is not critical" :
		    "there is none");
	for (idx = 0; idx < 256; idx++) {
		sz = sizeof(buf);
		r = gnutls_x509_crt_get_subject_alt_name2(c, idx, buf, &sz,
		    &type, &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
			if (idx == 0 && present)
				return mtls_vfy_reject(err, MTLS_E_CERT_BAD_SAN,
				    c, depth, "empty or unreadable extension");
			return 0;
		}
		if (r < 0)
			return mtls_vfy_reject(err, MTLS_E_CERT_BAD_SAN, c,
			    depth, r == GNUTLS_E_SHORT_MEMORY_BUFFER ?
			    "name longer than 1023 bytes" : gnutls_strerror(r));
		switch (r) {
		case GNUTLS_SAN_RFC822NAME:
			ok = valid_email(buf, sz);
			break;
		case GNUTLS_SAN_DNSNAME:
			ok = valid_dns(buf, sz);
			break;
		case GNUTLS_SAN_URI:
			ok = valid_uri(buf, sz);
			break;
		case GNUTLS_SAN_IPADDRESS:
			ok = sz == 4 || sz == 16;
			break;
		case GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL:
			ok = valid_upn(buf, sz);
			break;
		default:
			ok = 1;
			break;
		}
		if (!ok)
			return mtls_vfy_reject(err, MTLS_E_CERT_BAD_SAN, c,
			    depth, r == GNUTLS_SAN_RFC822NAME ?
			    "bad email address" :
			    r == GNUTLS_SAN_DNSNAME ? "bad DNS name" :
			    r == GNUTLS_SAN_URI ? "bad URI" :
			    r == GNUTLS_SAN_IPADDRESS ? "bad IP address" :
			    "bad user principal name");
		if (r == GNUTLS_SAN_DNSNAME && dns_is_ip(buf, sz)) {
			snprintf(extra, sizeof(extra), "DNS name \"%.*s\"",
			    (int)sz, (const char *)buf);
			return mtls_vfy_reject(err, MTLS_E_CERT_IP_AS_DNS, c,
			    depth, extra);
		}
	}
	return mtls_vfy_reject(err, MTLS_E_CERT_BAD_SAN, c, depth,
	    "too many names");
}

