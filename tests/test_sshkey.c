/*
 * test_sshkey.c - SSH public keys as the connection binding compares them:
 * the wire parser on real keys and certificates of every supported type
 * (made with ssh-keygen, fingerprints as ssh-keygen -l printed them) and
 * on one row per malformation, the .pub line parser, and loading a host's
 * keys from files named by glob patterns.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#include "conf.h"
#include "errors.h"
#include "frame.h"
#include "sshkey.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

/*
 * Made with OpenSSH 9.2:
 *	ssh-keygen -t ed25519|ecdsa -b 256|384|521|rsa -b 2048 -f KEY
 *	ssh-keygen -s ca -h -I id -n name KEY.pub
 * and ssh-keygen -lf KEY.pub for the fingerprints (the certificate's is
 * the same: ssh-keygen -l shows the certified key's).
 */
#define ED25519_B64 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIFRd9WD5eQcFkH55F3eTyRW+hdQzEyinZXKZ" \
	"aj+elvNq"
#define ED25519_CERT_B64 \
	"AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIKjFqBJu" \
	"B/9QMx0cCJw1kM1WqauuQhptz7I2UklGhyKKAAAAIFRd9WD5eQcFkH55F3eT" \
	"yRW+hdQzEyinZXKZaj+elvNqAAAAAAAAAAAAAAACAAAAAmlkAAAACAAAAARu" \
	"YW1lAAAAAAAAAAD//////////wAAAAAAAAAAAAAAAAAAADMAAAALc3NoLWVk" \
	"MjU1MTkAAAAg/Q5UmAgX8zqDEVe0EqvDug1od5pWP8UCbZr3oyMSwYgAAABT" \
	"AAAAC3NzaC1lZDI1NTE5AAAAQJn5f9azkYKv7L327uBgHdwYtsckGEO1afAl" \
	"USlU9soeqzsv7LssK3jlPRhNxhh+A1udMgsNJ3xTC+UpjE+3VQo="
#define ED25519_TYPE	"ssh-ed25519"
#define ED25519_FP	"SHA256:ysxyUsQIaXdV2JYGEB+fmpeoyMEeCaARmEntgIT4kXk"

#define P256_B64 \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIZSWz8+" \
	"pSEX1FwmRI3gli6xxcz23nKZu1V5aT/8vr912FNNFsv7ZgUzu27Q1JQh1aVi" \
	"tlhiDyXOC+f8K8Jhw04="
#define P256_CERT_B64 \
	"AAAAKGVjZHNhLXNoYTItbmlzdHAyNTYtY2VydC12MDFAb3BlbnNzaC5jb20A" \
	"AAAgDROzfS1thcNrNznGvHqqom0iwHzp4vL53CxUzMuaA/EAAAAIbmlzdHAy" \
	"NTYAAABBBIZSWz8+pSEX1FwmRI3gli6xxcz23nKZu1V5aT/8vr912FNNFsv7" \
	"ZgUzu27Q1JQh1aVitlhiDyXOC+f8K8Jhw04AAAAAAAAAAAAAAAIAAAACaWQA" \
	"AAAIAAAABG5hbWUAAAAAAAAAAP//////////AAAAAAAAAAAAAAAAAAAAMwAA" \
	"AAtzc2gtZWQyNTUxOQAAACD9DlSYCBfzOoMRV7QSq8O6DWh3mlY/xQJtmvej" \
	"IxLBiAAAAFMAAAALc3NoLWVkMjU1MTkAAABA6b+9JX72xOe0G1duob+tlyt7" \
	"0JhhG+dsZhb+ojKrEmJzCILyJPcl03itsHRL6QTLVDlb0HCdwxkWqYPQKvUP" \
	"CA=="
#define P256_TYPE	"ecdsa-sha2-nistp256"
#define P256_FP	"SHA256:aKaRZIBrMoR/QS+hHPl1WvnShbhs4DpudiGK9i8AnHQ"

#define P384_B64 \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBPQfB7Qi" \
	"0/hbExabd0QGe+QIejfue/w+vpyPKmQPCNMLXwMNooslkoGzD+j/g2BAWGAp" \
	"TWGh234d8pGu0xRJjh8hqe8J2In/h/d/Ub+BYxPxSo0QM/ZJFSLNLbMHyM7X" \
	"dw=="
#define P384_CERT_B64 \
	"AAAAKGVjZHNhLXNoYTItbmlzdHAzODQtY2VydC12MDFAb3BlbnNzaC5jb20A" \
	"AAAgAzBr2dzqlUXVlZpW57EMgBjXgRH3jvLV0Js/cgiJtH4AAAAIbmlzdHAz" \
	"ODQAAABhBPQfB7Qi0/hbExabd0QGe+QIejfue/w+vpyPKmQPCNMLXwMNoosl" \
	"koGzD+j/g2BAWGApTWGh234d8pGu0xRJjh8hqe8J2In/h/d/Ub+BYxPxSo0Q" \
	"M/ZJFSLNLbMHyM7XdwAAAAAAAAAAAAAAAgAAAAJpZAAAAAgAAAAEbmFtZQAA" \
	"AAAAAAAA//////////8AAAAAAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5" \
	"AAAAIP0OVJgIF/M6gxFXtBKrw7oNaHeaVj/FAm2a96MjEsGIAAAAUwAAAAtz" \
	"c2gtZWQyNTUxOQAAAECVGeUMgZH4N9uCLwRHWB2o03MAxx7vEW4NEz9+PIIs" \
	"qhbGCN7Ewdc6FrRJmXNIzxWkBEBOS03SqpB1oovRWa0H"
#define P384_TYPE	"ecdsa-sha2-nistp384"
#define P384_FP	"SHA256:IUMYsqXsNYHif8xSBBhvhuNWRIBV+R1b3x3UgDmbuXs"

#define P521_B64 \
	"AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAEcBZtn" \
	"Zt1u3sT4pbXQJDmSY9y9SPpZXgdd6cS5DfsriKxbt+VyAAybCPSln2EJSvz2" \
	"LPXzaj1z/RusYXJdsgZYjwHd1Zz6XO1W6Zl0nTxdb1ApMUKj4Zrj9NM0hhVS" \
	"0KQa2HRL69JuodzINUOsQ0bhFLnqE+uXfAVGPsGdgclX2BTRTA=="
#define P521_CERT_B64 \
	"AAAAKGVjZHNhLXNoYTItbmlzdHA1MjEtY2VydC12MDFAb3BlbnNzaC5jb20A" \
	"AAAgGz6YVuHr/PqzF43K1RqgvMDsa/AWyV6b2/d1NSINAw4AAAAIbmlzdHA1" \
	"MjEAAACFBAEcBZtnZt1u3sT4pbXQJDmSY9y9SPpZXgdd6cS5DfsriKxbt+Vy" \
	"AAybCPSln2EJSvz2LPXzaj1z/RusYXJdsgZYjwHd1Zz6XO1W6Zl0nTxdb1Ap" \
	"MUKj4Zrj9NM0hhVS0KQa2HRL69JuodzINUOsQ0bhFLnqE+uXfAVGPsGdgclX" \
	"2BTRTAAAAAAAAAAAAAAAAgAAAAJpZAAAAAgAAAAEbmFtZQAAAAAAAAAA////" \
	"//////8AAAAAAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIP0OVJgI" \
	"F/M6gxFXtBKrw7oNaHeaVj/FAm2a96MjEsGIAAAAUwAAAAtzc2gtZWQyNTUx" \
	"OQAAAEDNJog3+dAa44JtBoykciHGab2CGeONQQsdQ0rgKgyfG/QfMoA6Q1/s" \
	"BLEqDjsQe/0svqPYFbsMR8NdOcZKfPgL"
#define P521_TYPE	"ecdsa-sha2-nistp521"
#define P521_FP	"SHA256:nDFAP2cEyWEye4ZTazqkbVNY/1llLpF0v5eOdVechcg"

#define RSA_B64 \
	"AAAAB3NzaC1yc2EAAAADAQABAAABAQDVBvp5r0y79z/swAiIjR+B/Rm/px3X" \
	"WT2x3m2b1WRnhCT7VMMaLi9DSCsd8TKuYjIX1jPHv3W83Vo+Ta6oWPZhF7O6" \
	"5XBRBvJlW8Rbc7El+AYiynLHpdtSnFE59tFu5apK+9fWJxahDqGOaBZk3Dql" \
	"7uyAzo4Hg/ecbBu4LD9wCsOuxu2IrN0L4S4jlY3p+WHJcWdPpGlGX+17zNes" \
	"eZ16qUGeXse8HzAc1YypARNVhqQOhQulvSNqrU4vSGvoPtw7anxd+8JVQiVl" \
	"487xH1fI6UPT8c7X9WUcbCfhHLh2azDjqD5lyEHPZFCaPNIfPmr5e6GfJyfR" \
	"KWhqGn589HK3"
#define RSA_CERT_B64 \
	"AAAAHHNzaC1yc2EtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgz0XN8CWBmY+b" \
	"jHNBoBLDdXR3Vk6VbFNDzDHfy1ISeBMAAAADAQABAAABAQDVBvp5r0y79z/s" \
	"wAiIjR+B/Rm/px3XWT2x3m2b1WRnhCT7VMMaLi9DSCsd8TKuYjIX1jPHv3W8" \
	"3Vo+Ta6oWPZhF7O65XBRBvJlW8Rbc7El+AYiynLHpdtSnFE59tFu5apK+9fW" \
	"JxahDqGOaBZk3Dql7uyAzo4Hg/ecbBu4LD9wCsOuxu2IrN0L4S4jlY3p+WHJ" \
	"cWdPpGlGX+17zNeseZ16qUGeXse8HzAc1YypARNVhqQOhQulvSNqrU4vSGvo" \
	"Ptw7anxd+8JVQiVl487xH1fI6UPT8c7X9WUcbCfhHLh2azDjqD5lyEHPZFCa" \
	"PNIfPmr5e6GfJyfRKWhqGn589HK3AAAAAAAAAAAAAAACAAAAAmlkAAAACAAA" \
	"AARuYW1lAAAAAAAAAAD//////////wAAAAAAAAAAAAAAAAAAADMAAAALc3No" \
	"LWVkMjU1MTkAAAAg/Q5UmAgX8zqDEVe0EqvDug1od5pWP8UCbZr3oyMSwYgA" \
	"AABTAAAAC3NzaC1lZDI1NTE5AAAAQCMA9k+yjGdoxLJ/ZZBV67pcDK4va+2H" \
	"GXhgJMl7X6lp5Fk4iGUD4Zdq3H9iJ5LAmFTQrhXfoQr5WKNf5yQ83gg="
#define RSA_TYPE	"ssh-rsa"
#define RSA_FP	"SHA256:XIzxXazxoLm4MI9eI8AGu1P8gxdZbCQ9nTp5qk44dAg"

#define OTHER_B64 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIGoCZ2IC3AzIYI1kSTSs+dqe11BatvgImZJ+" \
	"Y/HG2KPQ"
#define OTHER_CERT_B64 \
	"AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIHpEGmlK" \
	"MLA9r+I52RaGULHELGCJlOxHA+V9O3LcT2klAAAAIGoCZ2IC3AzIYI1kSTSs" \
	"+dqe11BatvgImZJ+Y/HG2KPQAAAAAAAAAAAAAAACAAAAA2lkMgAAAAgAAAAE" \
	"bmFtZQAAAAAAAAAA//////////8AAAAAAAAAAAAAAAAAAAAzAAAAC3NzaC1l" \
	"ZDI1NTE5AAAAIP0OVJgIF/M6gxFXtBKrw7oNaHeaVj/FAm2a96MjEsGIAAAA" \
	"UwAAAAtzc2gtZWQyNTUxOQAAAEAYLRQjMkD/ZXutBlxpGXe7rQywk0xSZV1K" \
	"K83JIBMdcyHpo4dxJ5dfzFLgpyMcTLhdmRrw+4jDXxMmt2vR+YwI"
#define OTHER_TYPE	"ssh-ed25519"
#define OTHER_FP	"SHA256:bsk6U6UrnYYmzD8/AaZAeY1dZxUvZRf25hPpvex7mIs"

/* The real keys: plain .pub line, certificate, what ssh-keygen -l said. */
static const struct rkey {
	const char	*type;
	const char	*b64;
	const char	*cert;		/* base64 of its host certificate */
	const char	*fp;
	const char	*label;
} rkeys[] = {
	{ ED25519_TYPE, ED25519_B64, ED25519_CERT_B64, ED25519_FP, "ED25519" },
	{ P256_TYPE, P256_B64, P256_CERT_B64, P256_FP, "ECDSA" },
	{ P384_TYPE, P384_B64, P384_CERT_B64, P384_FP, "ECDSA" },
	{ P521_TYPE, P521_B64, P521_CERT_B64, P521_FP, "ECDSA" },
	{ RSA_TYPE, RSA_B64, RSA_CERT_B64, RSA_FP, "RSA" },
	{ OTHER_TYPE, OTHER_B64, OTHER_CERT_B64, OTHER_FP, "ED25519" },
};

#define CERT_SUFFIX	"-cert-v01@openssh.com"

/* Decode test base64 into a new exact-size buffer. */
static unsigned char *
unb64(const char *s, size_t *len)
{
	unsigned char *b = malloc(MTLS_SSHKEY_BLOB_MAX), *e;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(mtls_b64_decode(s, strlen(s), b,
	    MTLS_SSHKEY_BLOB_MAX, len), 0);
	e = malloc(*len);
	ck_assert_ptr_nonnull(e);
	memcpy(e, b, *len);
	free(b);
	return e;
}

/* Parse len bytes of b from an exact-size copy (reads past it show). */
static int
from_blob(const unsigned char *b, size_t len, struct mtls_sshkey *k)
{
	unsigned char *c = malloc(len > 0 ? len : 1);
	int r;

	ck_assert_ptr_nonnull(c);
	if (len > 0)
		memcpy(c, b, len);
	r = mtls_sshkey_from_blob(c, len, k);
	free(c);
	return r;
}

/* Each plain key parses into itself and gives ssh-keygen's fingerprint. */
START_TEST(test_plain)
{
	const struct rkey *rk = &rkeys[_i];
	struct mtls_sshkey k;
	unsigned char *b;
	char *s;
	size_t len;

	b = unb64(rk->b64, &len);
	ck_assert_int_eq(from_blob(b, len, &k), 0);
	ck_assert_str_eq(k.type, rk->type);
	ck_assert_str_eq(k.fp, rk->fp);
	ck_assert_str_eq(mtls_sshkey_type_label(&k), rk->label);
	ck_assert_uint_eq(k.len, len);
	ck_assert_mem_eq(k.blob, b, len);
	s = mtls_sshkey_base64(&k);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, rk->b64);
	free(s);
	mtls_sshkey_clear(&k);
	ck_assert_ptr_null(k.blob);
	ck_assert_uint_eq(k.len, 0);
	free(b);
}
END_TEST

/* A certificate is its plain key; of another key, it is not that one. */
START_TEST(test_cert)
{
	const struct rkey *rk = &rkeys[_i];
	struct mtls_sshkey plain, cert, k;
	unsigned char *b;
	size_t len, i;

	b = unb64(rk->b64, &len);
	ck_assert_int_eq(from_blob(b, len, &plain), 0);
	free(b);
	b = unb64(rk->cert, &len);
	ck_assert_int_eq(from_blob(b, len, &cert), 0);
	free(b);
	ck_assert_int_ne(mtls_sshkey_equal(&plain, &cert), 0);
	ck_assert_str_eq(cert.type, rk->type);
	ck_assert_str_eq(cert.fp, rk->fp);
	ck_assert_uint_eq(cert.len, plain.len);
	ck_assert_mem_eq(cert.blob, plain.blob, plain.len);
	for (i = 0; i < (size_t)NROWS(rkeys); i++) {
		if (i == (size_t)_i)
			continue;
		b = unb64(rkeys[i].b64, &len);
		ck_assert_int_eq(from_blob(b, len, &k), 0);
		ck_assert_msg(!mtls_sshkey_equal(&cert, &k), "certificate of "
		    "key %d equals key %zu", _i, i);
		ck_assert_str_ne(cert.fp, k.fp);
		mtls_sshkey_clear(&k);
		free(b);
		b = unb64(rkeys[i].cert, &len);
		ck_assert_int_eq(from_blob(b, len, &k), 0);
		ck_assert(!mtls_sshkey_equal(&plain, &k));
		mtls_sshkey_clear(&k);
		free(b);
	}
	mtls_sshkey_clear(&plain);
	mtls_sshkey_clear(&cert);
}
END_TEST

/*
 * A plain key cut short at any length fails, and so does one with a
 * byte after it.  A certificate cut anywhere up to the end of the key it
 * carries fails; what follows the key is not read (signatures are not
 * checked), so a cut after it still gives the key.
 */
START_TEST(test_truncated)
{
	const struct rkey *rk = &rkeys[_i];
	struct mtls_sshkey k;
	unsigned char *b, *longer;
	size_t len, l, keyend;

	b = unb64(rk->b64, &len);
	for (l = 0; l < len; l++)
		ck_assert_msg(from_blob(b, l, &k) == MTLS_E_PROTOCOL &&
		    k.blob == NULL, "key %d cut at %zu of %zu parses", _i, l,
		    len);
	longer = malloc(len + 1);
	ck_assert_ptr_nonnull(longer);
	memcpy(longer, b, len);
	longer[len] = 0;
	ck_assert_int_eq(from_blob(longer, len + 1, &k), MTLS_E_PROTOCOL);
	longer[len] = 'x';
	ck_assert_int_eq(from_blob(longer, len + 1, &k), MTLS_E_PROTOCOL);
	free(longer);
	free(b);

	/* type, nonce (32 bytes from ssh-keygen), then the plain fields */
	b = unb64(rk->cert, &len);
	ck_assert_int_eq(from_blob(b, len, &k), 0);
	keyend = 4 + strlen(rk->type) + strlen(CERT_SUFFIX) + 4 + 32 +
	    (k.len - 4 - strlen(rk->type));
	mtls_sshkey_clear(&k);
	ck_assert_uint_lt(keyend, len);
	for (l = 0; l < keyend; l++)
		ck_assert_msg(from_blob(b, l, &k) == MTLS_E_PROTOCOL,
		    "certificate %d cut at %zu of %zu parses", _i, l, len);
	ck_assert_int_eq(from_blob(b, keyend, &k), 0);
	ck_assert_str_eq(k.fp, rk->fp);
	mtls_sshkey_clear(&k);
	free(b);
}
END_TEST

/*
 * Blobs built from fields, each written as an SSH string, then raw bytes.
 * ok 1: it parses.
 */
struct field {
	const char	*s;
	size_t		 len;
};
#define F(lit)		{ lit, sizeof(lit) - 1 }
#define RAW(lit)	lit, sizeof(lit) - 1

#define X16		"aaaaaaaaaaaaaaaa"
#define X32		X16 X16
#define PK32		"0123456789abcdef0123456789abcdef"
#define Q256		"\x04" X32 X32
#define Q384		"\x04" X32 X16 X32 X16
#define Q521		"\x04" X32 X32 "aa" X32 X32 "aa"
#define E65537		"\x01\x00\x01"
#define N_OK		"\x00\xc5" X32 X32
#define ED_T		"ssh-ed25519"
#define P256_T		"ecdsa-sha2-nistp256"
#define RSA_T		"ssh-rsa"
#define NONCE		X32

static const struct {
	const char	*what;
	struct field	 f[5];
	const char	*raw;
	size_t		 rawlen;
	int		 ok;
} blob_rows[] = {
	{ "ed25519", { F(ED_T), F(PK32) }, NULL, 0, 1 },
	{ "ed25519, 31 bytes", { F(ED_T), F("0123456789abcdef0123456789abcde") },
	    NULL, 0, 0 },
	{ "ed25519, 33 bytes", { F(ED_T), F(PK32 "0") }, NULL, 0, 0 },
	{ "ed25519, empty key", { F(ED_T), F("") }, NULL, 0, 0 },
	{ "ed25519, no key", { F(ED_T) }, NULL, 0, 0 },
	{ "ed25519, a NUL after", { F(ED_T), F(PK32) }, RAW("\0"), 0 },
	{ "ed25519, a string after", { F(ED_T), F(PK32), F("") }, NULL, 0, 0 },
	{ "p256", { F(P256_T), F("nistp256"), F(Q256) }, NULL, 0, 1 },
	{ "p384", { F("ecdsa-sha2-nistp384"), F("nistp384"), F(Q384) }, NULL,
	    0, 1 },
	{ "p521", { F("ecdsa-sha2-nistp521"), F("nistp521"), F(Q521) }, NULL,
	    0, 1 },
	{ "p256 naming nistp384", { F(P256_T), F("nistp384"), F(Q256) },
	    NULL, 0, 0 },
	{ "p384 naming nistp256", { F("ecdsa-sha2-nistp384"), F("nistp256"),
	    F(Q256) }, NULL, 0, 0 },
	{ "p521 naming nistp384", { F("ecdsa-sha2-nistp521"), F("nistp384"),
	    F(Q384) }, NULL, 0, 0 },
	{ "curve name with a NUL", { F(P256_T), F("nistp256\0"), F(Q256) },
	    NULL, 0, 0 },
	{ "curve name empty", { F(P256_T), F(""), F(Q256) }, NULL, 0, 0 },
	{ "compressed point", { F(P256_T), F("nistp256"), F("\x02" X32) },
	    NULL, 0, 0 },
	{ "point not starting 04", { F(P256_T), F("nistp256"),
	    F("\x05" X32 X32) }, NULL, 0, 0 },
	{ "empty point", { F(P256_T), F("nistp256"), F("") }, NULL, 0, 0 },
	{ "p384 point on p256", { F(P256_T), F("nistp256"), F(Q384) }, NULL,
	    0, 0 },
	{ "no point", { F(P256_T), F("nistp256") }, NULL, 0, 0 },
	{ "p256, trailing", { F(P256_T), F("nistp256"), F(Q256) }, RAW("x"),
	    0 },
	{ "rsa", { F(RSA_T), F(E65537), F(N_OK) }, NULL, 0, 1 },
	{ "rsa, n without a zero byte", { F(RSA_T), F(E65537),
	    F("\x7f" X32) }, NULL, 0, 1 },
	{ "rsa, e empty", { F(RSA_T), F(""), F(N_OK) }, NULL, 0, 0 },
	{ "rsa, e zero", { F(RSA_T), F("\x00"), F(N_OK) }, NULL, 0, 0 },
	{ "rsa, e negative", { F(RSA_T), F("\x81"), F(N_OK) }, NULL, 0, 0 },
	{ "rsa, e leading zero", { F(RSA_T), F("\x00" E65537), F(N_OK) },
	    NULL, 0, 0 },
	{ "rsa, n empty", { F(RSA_T), F(E65537), F("") }, NULL, 0, 0 },
	{ "rsa, n negative", { F(RSA_T), F(E65537), F("\xc5" X32) }, NULL, 0,
	    0 },
	{ "rsa, n two leading zeros", { F(RSA_T), F(E65537),
	    F("\x00" N_OK) }, NULL, 0, 0 },
	{ "rsa, no n", { F(RSA_T), F(E65537) }, NULL, 0, 0 },
	{ "rsa, trailing", { F(RSA_T), F(E65537), F(N_OK) }, RAW("\0\0\0\0"),
	    0 },
	{ "ed25519 cert, nothing after the key", {
	    F("ssh-ed25519-cert-v01@openssh.com"), F(NONCE), F(PK32) }, NULL,
	    0, 1 },
	{ "ed25519 cert, the rest not read", {
	    F("ssh-ed25519-cert-v01@openssh.com"), F(NONCE), F(PK32) },
	    RAW("\xff\xff\xff\xff"), 1 },
	{ "ed25519 cert, no nonce", { F("ssh-ed25519-cert-v01@openssh.com") },
	    NULL, 0, 0 },
	{ "ed25519 cert, 31-byte key", {
	    F("ssh-ed25519-cert-v01@openssh.com"), F(NONCE),
	    F("0123456789abcdef0123456789abcde") }, NULL, 0, 0 },
	{ "p256 cert, wrong curve", {
	    F("ecdsa-sha2-nistp256-cert-v01@openssh.com"), F(NONCE),
	    F("nistp521"), F(Q256) }, NULL, 0, 0 },
	{ "rsa cert, negative n", { F("ssh-rsa-cert-v01@openssh.com"),
	    F(NONCE), F(E65537), F("\xc5" X32) }, NULL, 0, 0 },
	{ "rsa cert v00", { F("ssh-rsa-cert-v00@openssh.com"), F(NONCE),
	    F(E65537), F(N_OK) }, NULL, 0, 0 },
	{ "ssh-dss", { F("ssh-dss"), F("p"), F("q"), F("g"), F("y") }, NULL,
	    0, 0 },
	{ "sk-ssh-ed25519", { F("sk-ssh-ed25519@openssh.com"), F(PK32),
	    F("ssh:") }, NULL, 0, 0 },
	{ "sk-ecdsa", { F("sk-ecdsa-sha2-nistp256@openssh.com"),
	    F("nistp256"), F(Q256), F("ssh:") }, NULL, 0, 0 },
	{ "sk-ed25519 cert", { F("sk-ssh-ed25519-cert-v01@openssh.com"),
	    F(NONCE), F(PK32), F("ssh:") }, NULL, 0, 0 },
	{ "ssh-ed448", { F("ssh-ed448"), F(PK32 X16 X16) }, NULL, 0, 0 },
	{ "rsa-sha2-256 (a signature name)", { F("rsa-sha2-256"),
	    F(E65537), F(N_OK) }, NULL, 0, 0 },
	{ "type with a NUL", { F("ssh-ed25519\0"), F(PK32) }, NULL, 0, 0 },
	{ "type cut short", { F("ssh-ed2551"), F(PK32) }, NULL, 0, 0 },
	{ "type in capitals", { F("SSH-ED25519"), F(PK32) }, NULL, 0, 0 },
	{ "empty type", { F(""), F(PK32) }, NULL, 0, 0 },
	{ "empty blob", { { NULL, 0 } }, NULL, 0, 0 },
	/* lengths that lie */
	{ "length of 3 bytes", { { NULL, 0 } }, RAW("\0\0\0"), 0 },
	{ "type longer than the blob", { { NULL, 0 } },
	    RAW("\0\0\0\x0c" "ssh-ed25519"), 0 },
	{ "type of 2^32-1 bytes", { { NULL, 0 } },
	    RAW("\xff\xff\xff\xff" "ssh-ed25519"), 0 },
	{ "key of 2^32-1 bytes", { F(ED_T) }, RAW("\xff\xff\xff\xff" PK32),
	    0 },
	{ "key of 2^31 bytes", { F(ED_T) }, RAW("\x80\0\0\0" PK32), 0 },
	{ "key of 33 bytes, 32 there", { F(ED_T) }, RAW("\0\0\0\x21" PK32),
	    0 },
	{ "key length cut short", { F(ED_T) }, RAW("\0\0\0"), 0 },
	{ "point length past the end", { F(P256_T), F("nistp256") },
	    RAW("\0\0\0\x42" Q256), 0 },
};

/* Append an SSH string to b (size MTLS_SSHKEY_BLOB_MAX * 2). */
static void
put_string(unsigned char *b, size_t *n, const void *s, size_t len)
{
	ck_assert_uint_le(*n + 4 + len, 2 * MTLS_SSHKEY_BLOB_MAX);
	b[(*n)++] = (unsigned char)(len >> 24);
	b[(*n)++] = (unsigned char)(len >> 16);
	b[(*n)++] = (unsigned char)(len >> 8);
	b[(*n)++] = (unsigned char)len;
	memcpy(b + *n, s, len);
	*n += len;
}

START_TEST(test_blob_rows)
{
	unsigned char b[2 * MTLS_SSHKEY_BLOB_MAX];
	struct mtls_sshkey k;
	size_t n = 0, i;
	int r;

	for (i = 0; i < 5 && blob_rows[_i].f[i].s != NULL; i++)
		put_string(b, &n, blob_rows[_i].f[i].s, blob_rows[_i].f[i].len);
	memcpy(b + n, blob_rows[_i].raw != NULL ? blob_rows[_i].raw : "",
	    blob_rows[_i].rawlen);
	n += blob_rows[_i].rawlen;
	r = from_blob(b, n, &k);
	if (blob_rows[_i].ok) {
		ck_assert_msg(r == 0, "row %d (%s): refused (%d)", _i,
		    blob_rows[_i].what, r);
		ck_assert_ptr_nonnull(k.blob);
		ck_assert_int_eq(strncmp(k.fp, "SHA256:", 7), 0);
		ck_assert_uint_eq(strlen(k.fp), 7 + 43);
	} else {
		ck_assert_msg(r == MTLS_E_PROTOCOL, "row %d (%s): expected "
		    "MTLS_E_PROTOCOL, got %d", _i, blob_rows[_i].what, r);
		ck_assert_ptr_null(k.blob);
		ck_assert_uint_eq(k.len, 0);
	}
	mtls_sshkey_clear(&k);
}
END_TEST

/* A blob of exactly MTLS_SSHKEY_BLOB_MAX bytes parses; one more does not. */
START_TEST(test_blob_max)
{
	static unsigned char n_big[MTLS_SSHKEY_BLOB_MAX];
	unsigned char b[2 * MTLS_SSHKEY_BLOB_MAX];
	struct mtls_sshkey k;
	size_t n = 0, nl;

	/* string "ssh-rsa", string e, string n: 11 + 7 + 4 + nl bytes */
	nl = MTLS_SSHKEY_BLOB_MAX - 11 - 7 - 4 + (size_t)_i;
	memset(n_big, 0x7f, sizeof(n_big));
	put_string(b, &n, RSA_T, strlen(RSA_T));
	put_string(b, &n, E65537, 3);
	put_string(b, &n, n_big, nl);
	ck_assert_uint_eq(n, MTLS_SSHKEY_BLOB_MAX + (size_t)_i);
	ck_assert_int_eq(from_blob(b, n, &k), _i == 0 ? 0 : MTLS_E_PROTOCOL);
	mtls_sshkey_clear(&k);
}
END_TEST

/*
 * .pub lines.  key: the index in rkeys[] of the key the line holds, or -1
 * when it is refused.  len 0 means strlen.
 */
#define ED_B64		ED25519_B64
/* ED25519_B64 but its last 8 characters */
#define ED_HEAD	"AAAAC3NzaC1lZDI1NTE5AAAAIFRd9WD5eQcFkH55F3eTyRW+hdQzEyinZXKZ"
#define ED_CERT		"ssh-ed25519" CERT_SUFFIX

static const struct {
	const char	*what;
	const char	*line;
	size_t		 len;
	int		 key;
} line_rows[] = {
	{ "ed25519 with comment", ED25519_TYPE " " ED_B64 " ed@test", 0, 0 },
	{ "no comment", ED25519_TYPE " " ED_B64, 0, 0 },
	{ "newline", ED25519_TYPE " " ED_B64 " ed@test\n", 0, 0 },
	{ "CRLF", ED25519_TYPE " " ED_B64 " ed@test\r\n", 0, 0 },
	{ "CRLF, no comment", ED25519_TYPE " " ED_B64 "\r\n", 0, 0 },
	{ "tabs", "\t" ED25519_TYPE "\t\t" ED_B64 "\ted@test\t", 0, 0 },
	{ "blanks around", "  " ED25519_TYPE " \t " ED_B64 "   \n", 0, 0 },
	{ "comment with blanks", ED25519_TYPE " " ED_B64 " a b\tc  d", 0, 0 },
	{ "comment with UTF-8", ED25519_TYPE " " ED_B64 " J\xc3\xa9r\xc3\xb4me",
	    0, 0 },
	{ "p256", P256_TYPE " " P256_B64 " p256@test\n", 0, 1 },
	{ "p384", P384_TYPE " " P384_B64 "\n", 0, 2 },
	{ "p521", P521_TYPE " " P521_B64 " p521@test", 0, 3 },
	{ "rsa", RSA_TYPE " " RSA_B64 " rsa@test\r\n", 0, 4 },
	{ "ed25519 cert", ED_CERT " " ED25519_CERT_B64 " ed@test\n", 0, 0 },
	{ "p384 cert", P384_TYPE CERT_SUFFIX " " P384_CERT_B64, 0, 2 },
	{ "rsa cert", RSA_TYPE CERT_SUFFIX " " RSA_CERT_B64 " x\n", 0, 4 },
	/* refused */
	{ "empty", "", 0, -1 },
	{ "newline only", "\n", 0, -1 },
	{ "blanks only", " \t \r\n", 0, -1 },
	{ "type only", ED25519_TYPE "\n", 0, -1 },
	{ "type and blanks", ED25519_TYPE "   \n", 0, -1 },
	{ "base64 only", ED_B64 "\n", 0, -1 },
	{ "rsa type, ed25519 key", RSA_TYPE " " ED_B64, 0, -1 },
	{ "p384 type, p256 key", P384_TYPE " " P256_B64, 0, -1 },
	{ "cert type, plain key", ED_CERT " " ED_B64, 0, -1 },
	{ "plain type, cert", ED25519_TYPE " " ED25519_CERT_B64, 0, -1 },
	{ "type in capitals", "SSH-ED25519 " ED_B64, 0, -1 },
	{ "comment first", "#" ED25519_TYPE " " ED_B64, 0, -1 },
	{ "authorized_keys options", "restrict " ED25519_TYPE " " ED_B64, 0,
	    -1 },
	{ "known_hosts host name", "example.com " ED25519_TYPE " " ED_B64, 0,
	    -1 },
	{ "padding where none belongs", ED25519_TYPE " " ED_HEAD "aj+elvNq==",
	    0, -1 },
	{ "character outside base64", ED25519_TYPE " " ED_HEAD "aj+elvN*", 0,
	    -1 },
	{ "url-safe base64", ED25519_TYPE " "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIFRd9WD5eQcFkH55F3eTyRW-hdQzEyinZXKZ"
	    "aj-elvNq", 0, -1 },
	{ "base64 cut short", ED25519_TYPE " " ED_HEAD "aj+elv", 0, -1 },
	{ "base64 with a blank inside", ED25519_TYPE " "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIFRd9WD5eQcF kH55F3eTyRW+hdQzEyinZXKZ"
	    "aj+elvNq", 0, -1 },
	{ "base64 of a truncated key", ED25519_TYPE " " ED_HEAD "aj+elg==", 0,
	    -1 },
	{ "two newlines", ED25519_TYPE " " ED_B64 "\n\n", 0, -1 },
	{ "CR alone at the end", ED25519_TYPE " " ED_B64 "\r", 0, -1 },
	{ "CR in the comment", ED25519_TYPE " " ED_B64 " a\rb", 0, -1 },
	{ "escape in the comment", ED25519_TYPE " " ED_B64 " \033[2J", 0, -1 },
	{ "DEL in the comment", ED25519_TYPE " " ED_B64 " a\177", 0, -1 },
	{ "NUL in the comment", ED25519_TYPE " " ED_B64 " a\0b",
	    sizeof(ED25519_TYPE " " ED_B64 " a\0b") - 1, -1 },
	{ "NUL after the key", ED25519_TYPE " " ED_B64 "\0",
	    sizeof(ED25519_TYPE " " ED_B64 "\0") - 1, -1 },
	{ "ssh-dss", "ssh-dss AAAAB3NzaC1kc3M=", 0, -1 },
	{ "second line", ED25519_TYPE " " ED_B64 "\n" P256_TYPE " " P256_B64,
	    0, -1 },
	/* only len bytes count: the line ends inside the base64 */
	{ "len cuts the base64", ED25519_TYPE " " ED_B64,
	    sizeof(ED25519_TYPE " " ED_B64) - 1 - 4, -1 },
	{ "len ends before the comment", ED25519_TYPE " " ED_B64 " ed@test",
	    sizeof(ED25519_TYPE " " ED_B64) - 1, 0 },
};

START_TEST(test_line_rows)
{
	const char *line = line_rows[_i].line;
	size_t len = line_rows[_i].len != 0 ? line_rows[_i].len :
	    strlen(line);
	struct mtls_sshkey k, want;
	unsigned char *b;
	char *copy;
	size_t bl;
	int r;

	/* an exact-size copy without a NUL: the parser must honour len */
	copy = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, line, len);
	r = mtls_sshkey_from_line(copy, len, &k);
	free(copy);
	if (line_rows[_i].key < 0) {
		ck_assert_msg(r == MTLS_E_PROTOCOL, "row %d (%s): expected "
		    "MTLS_E_PROTOCOL, got %d", _i, line_rows[_i].what, r);
		ck_assert_ptr_null(k.blob);
		return;
	}
	ck_assert_msg(r == 0, "row %d (%s): refused (%d)", _i,
	    line_rows[_i].what, r);
	b = unb64(rkeys[line_rows[_i].key].b64, &bl);
	ck_assert_int_eq(from_blob(b, bl, &want), 0);
	ck_assert_msg(mtls_sshkey_equal(&k, &want), "row %d (%s): another "
	    "key", _i, line_rows[_i].what);
	ck_assert_str_eq(k.fp, rkeys[line_rows[_i].key].fp);
	mtls_sshkey_clear(&want);
	mtls_sshkey_clear(&k);
	free(b);
}
END_TEST

/*
 * A line of MTLS_SSHKEY_LINE_MAX bytes (a long comment) parses; one
 * more byte does not; base64 longer than a blob may be does not either.
 */
START_TEST(test_line_max)
{
	static char line[MTLS_SSHKEY_LINE_MAX + 2];
	static const char head[] = ED25519_TYPE " " ED_B64 " ";
	struct mtls_sshkey k;
	size_t n, b64max = mtls_b64_encoded_len(MTLS_SSHKEY_BLOB_MAX);

	memset(line, 'c', sizeof(line));
	memcpy(line, head, sizeof(head) - 1);
	ck_assert_int_eq(mtls_sshkey_from_line(line, MTLS_SSHKEY_LINE_MAX,
	    &k), 0);
	mtls_sshkey_clear(&k);
	line[MTLS_SSHKEY_LINE_MAX - 1] = '\n';
	ck_assert_int_eq(mtls_sshkey_from_line(line, MTLS_SSHKEY_LINE_MAX,
	    &k), 0);
	mtls_sshkey_clear(&k);
	line[MTLS_SSHKEY_LINE_MAX] = '\n';
	ck_assert_int_eq(mtls_sshkey_from_line(line, MTLS_SSHKEY_LINE_MAX + 1,
	    &k), MTLS_E_PROTOCOL);
	ck_assert_ptr_null(k.blob);

	/* "ssh-ed25519 " and base64 of more than MTLS_SSHKEY_BLOB_MAX bytes */
	n = strlen(ED25519_TYPE " ");
	memset(line + n, 'A', b64max + 4);
	ck_assert_int_eq(mtls_sshkey_from_line(line, n + b64max + 4, &k),
	    MTLS_E_PROTOCOL);
	/* one quad less decodes, into zeros: a type of no bytes */
	ck_assert_int_eq(mtls_sshkey_from_line(line, n + b64max - 4, &k),
	    MTLS_E_PROTOCOL);
}
END_TEST

/* equal, find and the frees on empty and NULL arguments. */
START_TEST(test_equal_find)
{
	struct mtls_sshkeys ks;
	struct mtls_sshkey a, none;
	unsigned char *b;
	size_t len, i;

	memset(&ks, 0, sizeof(ks));
	memset(&none, 0, sizeof(none));
	for (i = 0; i < 3; i++) {
		b = unb64(rkeys[i].b64, &len);
		ck_assert_int_eq(from_blob(b, len, &ks.v[ks.n]), 0);
		ks.path[ks.n++] = strdup(rkeys[i].type);
		free(b);
	}
	b = unb64(rkeys[1].cert, &len);
	ck_assert_int_eq(from_blob(b, len, &a), 0);
	free(b);
	ck_assert_int_eq(mtls_sshkeys_find(&ks, &a), 1);
	ck_assert_int_eq(mtls_sshkeys_find(&ks, &ks.v[2]), 2);
	ck_assert_int_eq(mtls_sshkeys_find(&ks, &none), -1);
	ck_assert_int_eq(mtls_sshkeys_find(NULL, &a), -1);
	ck_assert_int_eq(mtls_sshkey_equal(&none, &none), 0);
	ck_assert_int_eq(mtls_sshkey_equal(&a, &none), 0);
	ck_assert_ptr_null(mtls_sshkey_base64(&none));
	ck_assert_str_eq(mtls_sshkey_type_label(&none), "unknown");
	mtls_sshkey_clear(&a);
	ck_assert_int_eq(mtls_sshkeys_find(&ks, &a), -1);
	b = unb64(rkeys[5].b64, &len);
	ck_assert_int_eq(from_blob(b, len, &a), 0);
	free(b);
	ck_assert_int_eq(mtls_sshkeys_find(&ks, &a), -1);
	mtls_sshkey_clear(&a);
	mtls_sshkeys_clear(&ks);
	ck_assert_uint_eq(ks.n, 0);
	ck_assert_ptr_null(ks.path[0]);
	mtls_sshkeys_clear(&ks);
	mtls_sshkeys_clear(NULL);
	mtls_sshkey_clear(NULL);
}
END_TEST

/* ---- loading a host's keys ------------------------------------------------ */

#define ED_LINE		ED25519_TYPE " " ED_B64 " ed@test\n"
#define ED_CERT_LINE	ED_CERT " " ED25519_CERT_B64 " ed@test\n"
#define P256_LINE	P256_TYPE " " P256_B64 " p256@test\n"
#define RSA_LINE	RSA_TYPE " " RSA_B64 " rsa@test\n"

/* A file of a row: a name ending in '/' is a directory. */
struct lfile {
	const char	*name;
	const char	*text;
	mode_t		 mode;
};

/*
 * One row per situation.  Patterns are under the row's directory.  n is
 * the number of keys loaded, fps their fingerprints in order; word must
 * be in the error message.
 */
static const struct {
	const char	*what;
	struct lfile	 files[4];
	const char	*pats[3];
	int		 rv;
	size_t		 n;
	const char	*fps[3];
	const char	*word;
} load_rows[] = {
	{ "sorted, 0644", { { "ssh_host_rsa_key.pub", RSA_LINE, 0644 },
	    { "ssh_host_ed25519_key.pub", ED_LINE, 0644 },
	    { "ssh_host_ecdsa_key.pub", P256_LINE, 0644 },
	    { "ssh_host_rsa_key", "private", 0600 } },
	    { "ssh_host_*_key.pub" }, 0, 3, { P256_FP, ED25519_FP, RSA_FP },
	    NULL },
	{ "a plain path, 0444", { { "key.pub", ED_LINE, 0444 } },
	    { "key.pub" }, 0, 1, { ED25519_FP }, NULL },
	{ "0600", { { "key.pub", ED_LINE, 0600 } }, { "key.pub" }, 0, 1,
	    { ED25519_FP }, NULL },
	{ "patterns in order", { { "a.pub", ED_LINE, 0644 },
	    { "b.pub", P256_LINE, 0644 } }, { "b.pub", "a.pub" }, 0, 2,
	    { P256_FP, ED25519_FP }, NULL },
	{ "comments and blank lines first", { { "key.pub",
	    "# the host's key\n\n \t\n\r\n  # indented comment\n" ED_LINE
	    "\n# after\n", 0644 } }, { "*.pub" }, 0, 1, { ED25519_FP }, NULL },
	{ "CRLF lines", { { "key.pub", "# c\r\n"
	    P256_TYPE " " P256_B64 " p256@test\r\n\r\n", 0644 } }, { "*.pub" },
	    0, 1, { P256_FP }, NULL },
	{ "a certificate file", { { "key-cert.pub", ED_CERT_LINE, 0644 } },
	    { "*.pub" }, 0, 1, { ED25519_FP }, NULL },
	{ "duplicates collapse", { { "a.pub", ED_LINE, 0644 },
	    { "a-cert.pub", ED_CERT_LINE, 0644 },
	    { "c.pub", ED25519_TYPE "\t" ED_B64 " another comment\n", 0644 },
	    { "d.pub", P256_LINE, 0644 } }, { "*.pub", "a.pub", "d.pub" }, 0,
	    2, { ED25519_FP, P256_FP }, NULL },
	{ "one pattern matches nothing", { { "key.pub", ED_LINE, 0644 } },
	    { "none/*.pub", "*.none", "*.pub" }, 0, 1, { ED25519_FP }, NULL },
	{ "0666 refused", { { "key.pub", ED_LINE, 0666 } }, { "*.pub" },
	    MTLS_E_FILE_MODE, 0, { NULL }, "key.pub" },
	{ "0664 refused", { { "key.pub", ED_LINE, 0664 } }, { "*.pub" },
	    MTLS_E_FILE_MODE, 0, { NULL }, "writable by group or others" },
	{ "a good file, then a 0602 one", { { "a.pub", ED_LINE, 0644 },
	    { "b.pub", P256_LINE, 0602 } }, { "*.pub" }, MTLS_E_FILE_MODE, 0,
	    { NULL }, "b.pub" },
	{ "nothing matches", { { "key", ED_LINE, 0644 } }, { "*.pub" },
	    MTLS_E_NO_HOST_KEYS, 0, { NULL }, "*.pub" },
	{ "no such file", { { NULL, NULL, 0 } }, { "a.pub", "b/*.pub" },
	    MTLS_E_NO_HOST_KEYS, 0, { NULL }, "b/*.pub" },
	{ "malformed key", { { "key.pub", "ssh-ed25519 AAAA\n", 0644 } },
	    { "*.pub" }, MTLS_E_PROTOCOL, 0, { NULL }, "key.pub: line 1" },
	{ "unsupported type", { { "key.pub", "\n# dss\nssh-dss "
	    "AAAAB3NzaC1kc3M=\n", 0644 } }, { "*.pub" }, MTLS_E_PROTOCOL, 0,
	    { NULL }, "line 3: not an SSH public key: unsupported key type" },
	{ "type word of another key", { { "key.pub", RSA_TYPE " " ED_B64 "\n",
	    0644 } }, { "*.pub" }, MTLS_E_PROTOCOL, 0, { NULL },
	    "type word" },
	{ "no key in the file", { { "key.pub", "# nothing\n\n", 0644 } },
	    { "*.pub" }, MTLS_E_PROTOCOL, 0, { NULL }, "holds no key" },
	{ "empty file", { { "key.pub", "", 0644 } }, { "*.pub" },
	    MTLS_E_PROTOCOL, 0, { NULL }, "key.pub: holds no key" },
	{ "two keys in a file", { { "key.pub", ED_LINE "# x\n" P256_LINE,
	    0644 } }, { "*.pub" }, MTLS_E_PROTOCOL, 0, { NULL },
	    "key.pub: line 3: a second key" },
	{ "a private key", { { "key", "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\n"
	    "-----END OPENSSH PRIVATE KEY-----\n", 0600 } }, { "key" },
	    MTLS_E_PROTOCOL, 0, { NULL }, "key: line 1" },
	{ "a good file, then a bad one", { { "a.pub", ED_LINE, 0644 },
	    { "b.pub", "ssh-ed25519\n", 0644 } }, { "*.pub" },
	    MTLS_E_PROTOCOL, 0, { NULL }, "b.pub" },
	{ "a directory matches", { { "a.pub", ED_LINE, 0644 },
	    { "b.pub/", NULL, 0755 } }, { "*.pub" }, MTLS_E_FILE_TYPE, 0,
	    { NULL }, "b.pub" },
};

/* A configuration naming pats (under dir). */
static struct mtls_conf *
conf_with(const char *dir, const char *const *pats, size_t np)
{
	struct mtls_conf *c = NULL;
	char path[4096];
	size_t i;

	ck_assert_int_eq(mtls_conf_new(&c), 0);
	for (i = 0; i < np && pats[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pats[i]);
		ck_assert_int_eq(mtls_conf_list_add(&c->ssh_host_keys,
		    &c->n_ssh_host_keys, path), 0);
	}
	return c;
}

START_TEST(test_load_rows)
{
	char *dir = tl_row_dir("load", _i), *p, path[4096];
	struct mtls_sshkeys ks;
	struct mtls_conf *c;
	struct mtls_err err;
	size_t i;
	int r;

	memset(&ks, 0, sizeof(ks));
	memset(&err, 0, sizeof(err));
	for (i = 0; i < 4 && load_rows[_i].files[i].name != NULL; i++) {
		const struct lfile *f = &load_rows[_i].files[i];

		if (f->text == NULL) {
			snprintf(path, sizeof(path), "%s/%s", dir, f->name);
			ck_assert_int_eq(mkdir(path, f->mode), 0);
			continue;
		}
		p = tl_write(dir, f->name, f->text, strlen(f->text), f->mode);
		free(p);
	}
	c = conf_with(dir, load_rows[_i].pats, 3);
	r = mtls_sshkeys_load(c, &ks, &err);
	ck_assert_msg(r == load_rows[_i].rv, "row %d (%s): expected %d, got "
	    "%d (%s)", _i, load_rows[_i].what, load_rows[_i].rv, r, err.msg);
	ck_assert_uint_eq(ks.n, load_rows[_i].n);
	for (i = 0; i < ks.n; i++) {
		ck_assert_str_eq(ks.v[i].fp, load_rows[_i].fps[i]);
		ck_assert_int_eq(strncmp(ks.path[i], dir, strlen(dir)), 0);
		ck_assert_int_eq(mtls_sshkeys_find(&ks, &ks.v[i]), (int)i);
	}
	if (r != 0) {
		ck_assert_int_eq(err.code, r);
		ck_assert_msg(strstr(err.msg, load_rows[_i].word) != NULL,
		    "row %d (%s): '%s' lacks '%s'", _i, load_rows[_i].what,
		    err.msg, load_rows[_i].word);
		ck_assert_ptr_null(ks.path[0]);
	}
	mtls_sshkeys_clear(&ks);
	mtls_conf_free(c);
	free(dir);
}
END_TEST

/* Write made-up Ed25519 key number i (any 32 bytes parse) to dir/name. */
static void
write_key(const char *dir, const char *name, unsigned i)
{
	unsigned char b[64];
	char b64[128], line[256], *p;
	size_t len = 0;

	put_string(b, &len, ED_T, strlen(ED_T));
	put_string(b, &len, PK32, 32);
	b[len - 1] = (unsigned char)i;
	mtls_b64_encode(b, len, b64);
	snprintf(line, sizeof(line), "%s %s key%u\n", ED_T, b64, i);
	p = tl_write(dir, name, line, strlen(line), 0644);
	free(p);
}

/* Keys from to from + n - 1, as kNNN.pub. */
static void
write_keys(const char *dir, unsigned from, unsigned n)
{
	char name[32];
	unsigned i;

	for (i = from; i < from + n; i++) {
		snprintf(name, sizeof(name), "k%03u.pub", i);
		write_key(dir, name, i);
	}
}

/*
 * MTLS_SSHKEY_MAX_KEYS distinct keys load; duplicates do not count; one
 * key more is an error naming the file that brought it.
 */
START_TEST(test_load_max)
{
	char *dir = tl_row_dir("max", 0);
	static const char *const pats[] = { "*.pub", "k000.pub" };
	struct mtls_sshkeys ks;
	struct mtls_conf *c;
	struct mtls_err err;

	memset(&ks, 0, sizeof(ks));
	memset(&err, 0, sizeof(err));
	write_keys(dir, 0, MTLS_SSHKEY_MAX_KEYS);
	write_key(dir, "z-dup.pub", 0);	/* k000.pub's key again */
	c = conf_with(dir, pats, 2);
	ck_assert_int_eq(mtls_sshkeys_load(c, &ks, &err), 0);
	ck_assert_uint_eq(ks.n, MTLS_SSHKEY_MAX_KEYS);
	mtls_sshkeys_clear(&ks);

	write_keys(dir, MTLS_SSHKEY_MAX_KEYS, 1);
	ck_assert_int_eq(mtls_sshkeys_load(c, &ks, &err), MTLS_E_TOO_LARGE);
	ck_assert_uint_eq(ks.n, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "k032.pub"));
	ck_assert_ptr_nonnull(strstr(err.msg, "more than 32"));
	mtls_sshkeys_clear(&ks);
	mtls_conf_free(c);
	free(dir);
}
END_TEST

/*
 * No ssh_host_key: the default pattern.  What it finds depends on the
 * machine; when it finds nothing, the message names the pattern.
 */
START_TEST(test_load_default)
{
	struct mtls_sshkeys ks;
	struct mtls_conf *c = NULL;
	struct mtls_err err;
	int r, r2;

	memset(&ks, 0, sizeof(ks));
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_conf_new(&c), 0);
	r = mtls_sshkeys_load(c, &ks, &err);
	if (r == MTLS_E_NO_HOST_KEYS)
		ck_assert_ptr_nonnull(strstr(err.msg,
		    MTLS_DEFAULT_SSH_HOST_KEYS));
	if (r != 0)
		ck_assert_uint_eq(ks.n, 0);
	mtls_sshkeys_clear(&ks);
	r2 = mtls_sshkeys_load(NULL, &ks, &err);
	ck_assert_int_eq(r2, r);
	mtls_sshkeys_clear(&ks);
	mtls_conf_free(c);
}
END_TEST

/*
 * The owner test: as root, a key file of another user is refused; as a
 * user, a directory the pattern needs that cannot be read is an error,
 * not a pattern that matches nothing.
 */
START_TEST(test_load_owner)
{
	char *dir = tl_row_dir("owner", 0), *p, sub[4096];
	static const char *const pats[] = { "key.pub", "locked/*.pub" };
	struct mtls_sshkeys ks;
	struct mtls_conf *c;
	struct mtls_err err;

	memset(&ks, 0, sizeof(ks));
	memset(&err, 0, sizeof(err));
	p = tl_write(dir, "key.pub", ED_LINE, strlen(ED_LINE), 0644);
	snprintf(sub, sizeof(sub), "%s/locked", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	free(tl_write(sub, "key.pub", P256_LINE, strlen(P256_LINE), 0644));
	c = conf_with(dir, pats, 2);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(p, 65534, 65534), 0);
		ck_assert_int_eq(mtls_sshkeys_load(c, &ks, &err),
		    MTLS_E_FILE_OWNER);
		ck_assert_ptr_nonnull(strstr(err.msg, p));
	} else {
		ck_assert_int_eq(chmod(sub, 0), 0);
		ck_assert_int_eq(mtls_sshkeys_load(c, &ks, &err), MTLS_E_IO);
		ck_assert_ptr_nonnull(strstr(err.msg, "locked/*.pub"));
		ck_assert_int_eq(chmod(sub, 0700), 0);
	}
	ck_assert_uint_eq(ks.n, 0);
	mtls_sshkeys_clear(&ks);
	mtls_conf_free(c);
	free(p);
	free(dir);
}
END_TEST

static Suite *
sshkey_suite(void)
{
	Suite *s = suite_create("sshkey");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_loop_test(tc, test_plain, 0, NROWS(rkeys));
	tcase_add_loop_test(tc, test_cert, 0, NROWS(rkeys));
	tcase_add_loop_test(tc, test_truncated, 0, NROWS(rkeys));
	tcase_add_loop_test(tc, test_blob_rows, 0, NROWS(blob_rows));
	tcase_add_loop_test(tc, test_blob_max, 0, 2);
	tcase_add_loop_test(tc, test_line_rows, 0, NROWS(line_rows));
	tcase_add_test(tc, test_line_max);
	tcase_add_test(tc, test_equal_find);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_unchecked_fixture(tc, tl_case_setup, tl_case_teardown);
	tcase_add_loop_test(tc, test_load_rows, 0, NROWS(load_rows));
	tcase_add_test(tc, test_load_max);
	tcase_add_test(tc, test_load_default);
	tcase_add_test(tc, test_load_owner);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(sshkey_suite());
}
