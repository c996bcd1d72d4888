/*
 * test_util.c - the small helpers of common/util.c and common/errors.c:
 * names, numbers, durations, times, fingerprints, hex, safe file reads and
 * the error table.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#include "errors.h"
#include "util.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

#define N32	"abcdefghijklmnopqrstuvwxyz_0-9ab"	/* 32 bytes */

/* Account names.  len 0 means strlen(name). */
static const struct {
	const char	*name;
	size_t		 len;
	int		 valid;
} name_rows[] = {
	{ "a", 0, 1 },
	{ "_x", 0, 1 },
	{ "_", 0, 1 },
	{ "alice", 0, 1 },
	{ "a-b_c9", 0, 1 },
	{ "z9-", 0, 1 },
	{ N32, 0, 1 },
	{ "", 0, 0 },
	{ "Alice", 0, 0 },
	{ "aliCe", 0, 0 },
	{ "1abc", 0, 0 },
	{ "-a", 0, 0 },
	{ "../x", 0, 0 },
	{ "a.b", 0, 0 },
	{ "a:b", 0, 0 },
	{ "a,b", 0, 0 },
	{ "a/b", 0, 0 },
	{ "a b", 0, 0 },
	{ "a\tb", 0, 0 },
	{ "a\nb", 0, 0 },
	{ "ali\0ce", 6, 0 },
	{ "alice\0", 6, 0 },
	{ N32 "c", 0, 0 },
	{ "\xc3\xa9", 0, 0 },		/* é */
	{ "a\xc3\xa9", 0, 0 },
	{ "host$", 0, 0 },
	{ "alice", 3, 1 },		/* only len bytes count: "ali" */
};

START_TEST(test_name_valid)
{
	const char *name = name_rows[_i].name;
	size_t len = name_rows[_i].len != 0 ? name_rows[_i].len :
	    strlen(name);

	ck_assert_msg(mtls_name_valid(name, len) == name_rows[_i].valid,
	    "row %d: '%s' (%zu bytes): expected %s", _i, name, len,
	    name_rows[_i].valid ? "valid" : "invalid");
}
END_TEST

START_TEST(test_name_valid_null)
{
	ck_assert_int_eq(mtls_name_valid(NULL, 0), 0);
	ck_assert_int_eq(mtls_name_valid(NULL, 5), 0);
	ck_assert_int_eq(mtls_name_valid("alice", 0), 0);
}
END_TEST

/* Times: Unix seconds or RFC 3339.  ok 0 means the text is refused. */
#define T2026	1767225600LL		/* 2026-01-01T00:00:00Z */

static const struct {
	const char	*s;
	int		 ok;
	long long	 want;
} time_rows[] = {
	{ "1767225600", 1, T2026 },
	{ "2026-01-01T00:00:00Z", 1, T2026 },
	{ "2026-01-01T01:00:00+01:00", 1, T2026 },
	{ "2025-12-31T19:00:00-05:00", 1, T2026 },
	{ "2026-01-01T05:30:00+05:30", 1, T2026 },
	{ "2026-01-01t00:00:00z", 1, T2026 },
	{ "2026-01-01T00:00:00.123Z", 1, T2026 },
	{ "2026-01-01T00:00:00.999999999Z", 1, T2026 },
	{ "2026-01-01T01:00:00.5+01:00", 1, T2026 },
	{ "0", 1, 0 },
	{ "1970-01-01T00:00:00Z", 1, 0 },
	{ "2024-02-29T00:00:00Z", 1, 1709164800LL },
	{ "2024-02-29T12:00:00Z", 1, 1709208000LL },
	{ "2000-02-29T00:00:00Z", 1, 951782400LL },
	{ "2016-12-31T23:59:60Z", 1, 1483228799LL },	/* leap second */
	{ "9999-12-31T23:59:59Z", 1, 253402300799LL },
	{ "", 0, 0 },
	{ "abc", 0, 0 },
	{ "2026-13-01T00:00:00Z", 0, 0 },
	{ "2026-00-01T00:00:00Z", 0, 0 },
	{ "2026-01-00T00:00:00Z", 0, 0 },
	{ "2026-01-32T00:00:00Z", 0, 0 },
	{ "2026-02-30T00:00:00Z", 0, 0 },
	{ "2026-04-31T00:00:00Z", 0, 0 },
	{ "2025-02-29T00:00:00Z", 0, 0 },
	{ "2100-02-29T00:00:00Z", 0, 0 },
	{ "2026-01-01", 0, 0 },
	{ "2026-01-01T00:00:00", 0, 0 },
	{ "2026-01-01T00:00Z", 0, 0 },
	{ "2026-01-01T24:00:00Z", 0, 0 },
	{ "2026-01-01T00:60:00Z", 0, 0 },
	{ "2026-01-01T00:00:61Z", 0, 0 },
	{ "2026-01-01T00:00:00.Z", 0, 0 },
	{ "2026-01-01T00:00:00Zjunk", 0, 0 },
	{ "2026-01-01T00:00:00+01", 0, 0 },
	{ "2026-01-01T00:00:00+0100", 0, 0 },
	{ "2026-01-01T00:00:00+24:00", 0, 0 },
	{ "2026-01-01T00:00:00+01:60", 0, 0 },
	{ "2026-1-01T00:00:00Z", 0, 0 },
	{ "1969-12-31T23:59:59Z", 0, 0 },
	{ "-5", 0, 0 },
	{ "1e9", 0, 0 },
	{ "+1767225600", 0, 0 },
	{ " 1767225600", 0, 0 },
	{ "1767225600 ", 0, 0 },
	{ "0x10", 0, 0 },
	{ "9999999999999", 0, 0 },
};

START_TEST(test_parse_time)
{
	time_t t = (time_t)-1;
	int r = mtls_parse_time(time_rows[_i].s, &t);

	if (time_rows[_i].ok) {
		ck_assert_msg(r == 0, "row %d: '%s' refused (%d)", _i,
		    time_rows[_i].s, r);
		ck_assert_msg((long long)t == time_rows[_i].want,
		    "row %d: '%s': expected %lld, got %lld", _i,
		    time_rows[_i].s, time_rows[_i].want, (long long)t);
	} else
		ck_assert_msg(r == MTLS_E_INVAL, "row %d: '%s' accepted "
		    "(%d, %lld)", _i, time_rows[_i].s, r, (long long)t);
}
END_TEST

static const struct {
	long long	 t;
	const char	*s;
} fmt_rows[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 951782400LL, "2000-02-29T00:00:00Z" },
	{ 1709208000LL, "2024-02-29T12:00:00Z" },
	{ T2026, "2026-01-01T00:00:00Z" },
	{ T2026 - 1, "2025-12-31T23:59:59Z" },
	{ 253402300799LL, "9999-12-31T23:59:59Z" },
};

/* Format, compare, parse back. */
START_TEST(test_format_time)
{
	char buf[21 + 1];	/* the documented minimum, and a canary */
	time_t back = (time_t)-1;

	buf[21] = '!';
	mtls_format_time((time_t)fmt_rows[_i].t, buf, 21);
	ck_assert_str_eq(buf, fmt_rows[_i].s);
	ck_assert_int_eq(buf[21], '!');
	ck_assert_int_eq(mtls_parse_time(buf, &back), 0);
	ck_assert_int_eq((long long)back, fmt_rows[_i].t);
}
END_TEST

/* Durations.  ok 0 means refused. */
#define TEN_YEARS	(10L * 366 * 86400)

static const struct {
	const char	*s;
	int		 ok;
	long		 want;
} dur_rows[] = {
	{ "3600", 1, 3600 },
	{ "1", 1, 1 },
	{ "30s", 1, 30 },
	{ "5m", 1, 300 },
	{ "36h", 1, 36 * 3600 },
	{ "7d", 1, 604800 },
	{ "2w", 1, 2 * 604800 },
	{ "007d", 1, 604800 },
	{ "316224000", 1, TEN_YEARS },
	{ "3660d", 1, TEN_YEARS },
	{ "522w", 1, 522L * 604800 },
	{ "", 0, 0 },
	{ "0", 0, 0 },
	{ "0s", 0, 0 },
	{ "0w", 0, 0 },
	{ "d", 0, 0 },
	{ "s", 0, 0 },
	{ "7x", 0, 0 },
	{ "7D", 0, 0 },
	{ "7dd", 0, 0 },
	{ "-1", 0, 0 },
	{ "+7d", 0, 0 },
	{ "1.5h", 0, 0 },
	{ "99999999999d", 0, 0 },
	{ "316224001", 0, 0 },
	{ "3661d", 0, 0 },
	{ "523w", 0, 0 },
	{ "7 d", 0, 0 },
	{ " 7d", 0, 0 },
	{ "7d ", 0, 0 },
	{ "1111111111111111d", 0, 0 },
};

START_TEST(test_parse_duration)
{
	long v = -1;
	int r = mtls_parse_duration(dur_rows[_i].s, &v);

	if (dur_rows[_i].ok) {
		ck_assert_msg(r == 0, "row %d: '%s' refused", _i,
		    dur_rows[_i].s);
		ck_assert_msg(v == dur_rows[_i].want, "row %d: '%s': "
		    "expected %ld, got %ld", _i, dur_rows[_i].s,
		    dur_rows[_i].want, v);
	} else
		ck_assert_msg(r == MTLS_E_INVAL, "row %d: '%s' accepted (%ld)",
		    _i, dur_rows[_i].s, v);
}
END_TEST

/* Fingerprints: every accepted form gives fp_bytes. */
#define FP_Q		"0123456789abcdef"
#define FP_HEX		FP_Q FP_Q FP_Q FP_Q
#define FP_QU		"0123456789ABCDEF"
#define FP_UPPER	FP_QU FP_QU FP_QU FP_QU
#define FP_C8		"01:23:45:67:89:ab:cd:ef"
#define FP_COLON	FP_C8 ":" FP_C8 ":" FP_C8 ":" FP_C8
#define FP_C8U		"01:23:45:67:89:AB:CD:EF"
#define FP_COLON_UP	FP_C8U ":" FP_C8U ":" FP_C8U ":" FP_C8U

static const unsigned char fp_bytes[32] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

static const struct {
	const char	*s;
	int		 ok;
} fp_rows[] = {
	{ FP_HEX, 1 },
	{ FP_UPPER, 1 },
	{ FP_COLON, 1 },
	{ FP_COLON_UP, 1 },
	{ "sha256:" FP_HEX, 1 },
	{ "SHA256:" FP_HEX, 1 },
	{ "sha256:" FP_COLON, 1 },
	{ "Sha256:" FP_UPPER, 1 },
	{ "", 0 },
	{ "zz", 0 },
	{ "sha256:", 0 },
	{ FP_Q FP_Q FP_Q "23456789abcdef", 0 },		/* 62 digits */
	{ FP_Q FP_Q FP_Q "0123456789abcde", 0 },	/* 63 digits */
	{ FP_HEX "a", 0 },				/* 65 digits */
	{ FP_HEX "ab", 0 },				/* 66 digits */
	{ FP_Q FP_Q FP_Q "0123456789abcdeg", 0 },	/* non-hex */
	{ "g" FP_Q FP_Q FP_Q "123456789abcdef", 0 },
	{ "0:123456789abcdef" FP_Q FP_Q FP_Q, 0 },	/* colon mid-byte */
	{ "0:1:23:45:67:89:ab:cd:ef:" FP_C8 ":" FP_C8 ":" FP_C8, 0 },
	{ ":" FP_COLON, 0 },				/* leading colon */
	{ FP_COLON ":", 0 },				/* trailing colon */
	{ "01::23:45:67:89:ab:cd:ef:" FP_C8 ":" FP_C8 ":" FP_C8, 0 },
	{ "sha256::" FP_HEX, 0 },
	{ "sha-256:" FP_HEX, 0 },
	{ "sha1:" FP_HEX, 0 },
	{ FP_HEX " ", 0 },
	{ " " FP_HEX, 0 },
	{ "0x" FP_HEX, 0 },
};

START_TEST(test_parse_fingerprint)
{
	unsigned char out[32];
	int r;

	memset(out, 0, sizeof(out));
	r = mtls_parse_fingerprint(fp_rows[_i].s, out);
	if (fp_rows[_i].ok) {
		ck_assert_msg(r == 0, "row %d: '%s' refused", _i,
		    fp_rows[_i].s);
		ck_assert_mem_eq(out, fp_bytes, sizeof(fp_bytes));
	} else
		ck_assert_msg(r == MTLS_E_INVAL, "row %d: '%s' accepted", _i,
		    fp_rows[_i].s);
}
END_TEST

/* Hex with and without colons; the output must not run past its size. */
static const struct {
	const unsigned char	*in;
	size_t			 len;
	const char		*plain;
	const char		*colons;
} hex_rows[] = {
	{ (const unsigned char *)"\x00", 1, "00", "00" },
	{ (const unsigned char *)"\xff\x0a", 2, "ff0a", "ff:0a" },
	{ (const unsigned char *)"\xde\xad\xbe\xef", 4, "deadbeef",
	    "de:ad:be:ef" },
	{ fp_bytes, 32, FP_HEX, FP_COLON },
};

START_TEST(test_hex)
{
	char buf[128];
	size_t n = hex_rows[_i].len;

	memset(buf, '!', sizeof(buf));
	mtls_hex(hex_rows[_i].in, n, 0, buf);
	ck_assert_str_eq(buf, hex_rows[_i].plain);
	ck_assert_int_eq(buf[2 * n + 1], '!');	/* 2*len+1 bytes used */

	memset(buf, '!', sizeof(buf));
	mtls_hex(hex_rows[_i].in, n, 1, buf);
	ck_assert_str_eq(buf, hex_rows[_i].colons);
	ck_assert_int_eq(buf[3 * n], '!');	/* 3*len bytes used */
}
END_TEST

START_TEST(test_hex_roundtrip)
{
	unsigned char in[32], back[32];
	char plain[65], colons[96];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	mtls_hex(in, sizeof(in), 0, plain);
	mtls_hex(in, sizeof(in), 1, colons);
	ck_assert_int_eq(mtls_parse_fingerprint(plain, back), 0);
	ck_assert_mem_eq(back, in, sizeof(in));
	memset(back, 0, sizeof(back));
	ck_assert_int_eq(mtls_parse_fingerprint(colons, back), 0);
	ck_assert_mem_eq(back, in, sizeof(in));
}
END_TEST

static const struct {
	const char	*s;
	int		 ok;
	int		 want;
} bool_rows[] = {
	{ "yes", 1, 1 },
	{ "no", 1, 0 },
	{ "", 0, 0 },
	{ "Yes", 0, 0 },
	{ "NO", 0, 0 },
	{ "true", 0, 0 },
	{ "false", 0, 0 },
	{ "1", 0, 0 },
	{ "0", 0, 0 },
	{ "y", 0, 0 },
	{ "yes ", 0, 0 },
	{ " no", 0, 0 },
	{ "yess", 0, 0 },
};

START_TEST(test_parse_bool)
{
	int v = -1, r = mtls_parse_bool(bool_rows[_i].s, &v);

	if (bool_rows[_i].ok) {
		ck_assert_msg(r == 0, "row %d: '%s' refused", _i,
		    bool_rows[_i].s);
		ck_assert_int_eq(v, bool_rows[_i].want);
	} else
		ck_assert_msg(r == MTLS_E_INVAL, "row %d: '%s' accepted", _i,
		    bool_rows[_i].s);
}
END_TEST

static const struct {
	const char	*s;
	unsigned long	 min;
	unsigned long	 max;
	int		 ok;
	unsigned long	 want;
} uint_rows[] = {
	{ "0", 0, 10, 1, 0 },
	{ "10", 0, 10, 1, 10 },
	{ "5", 5, 5, 1, 5 },
	{ "007", 0, 10, 1, 7 },
	{ "11", 0, 10, 0, 0 },
	{ "0", 1, 10, 0, 0 },
	{ "4", 5, 10, 0, 0 },
	{ "4294967296", 0, ULONG_MAX, 1, 4294967296UL },
	{ "999999999999", 0, ULONG_MAX, 1, 999999999999UL },
	{ "1000000000000", 0, ULONG_MAX, 0, 0 },	/* 13 digits */
	{ "18446744073709551616", 0, ULONG_MAX, 0, 0 },
	{ "", 0, 10, 0, 0 },
	{ "-1", 0, 10, 0, 0 },
	{ "+1", 0, 10, 0, 0 },
	{ " 1", 0, 10, 0, 0 },
	{ "1 ", 0, 10, 0, 0 },
	{ "0x1", 0, 10, 0, 0 },
	{ "1a", 0, 100, 0, 0 },
	{ "1.0", 0, 10, 0, 0 },
};

START_TEST(test_parse_uint)
{
	unsigned long v = 12345;
	int r = mtls_parse_uint(uint_rows[_i].s, uint_rows[_i].min,
	    uint_rows[_i].max, &v);

	if (uint_rows[_i].ok) {
		ck_assert_msg(r == 0, "row %d: '%s' refused", _i,
		    uint_rows[_i].s);
		ck_assert_uint_eq(v, uint_rows[_i].want);
	} else {
		ck_assert_msg(r == MTLS_E_INVAL, "row %d: '%s' accepted", _i,
		    uint_rows[_i].s);
		ck_assert_uint_eq(v, 12345);	/* left alone */
	}
}
END_TEST


/* Safe file reads. */
enum read_kind {
	RD_FILE,	/* content with mode */
	RD_MISSING,
	RD_DIR,
	RD_FOREIGN	/* content, owned by uid 65534 (root only) */
};

#define CONTENT	"hello\nworld\n"

static const struct {
	const char	*what;
	enum read_kind	 kind;
	const char	*content;
	mode_t		 mode;
	int		 any;	/* mtls_file_read_any() */
	size_t		 max;
	int		 want;
	const char	*word;
} read_rows[] = {
	{ "good", RD_FILE, CONTENT, 0644, 0, 1024, 0, NULL },
	{ "read-only", RD_FILE, CONTENT, 0400, 0, 1024, 0, NULL },
	{ "exact max", RD_FILE, CONTENT, 0644, 0, 12, 0, NULL },
	{ "empty", RD_FILE, "", 0644, 0, 1024, 0, NULL },
	{ "empty, max 0", RD_FILE, "", 0644, 0, 0, 0, NULL },
	{ "too large", RD_FILE, CONTENT, 0644, 0, 11, MTLS_E_TOO_LARGE,
	    "11" },
	{ "too large, any", RD_FILE, CONTENT, 0644, 1, 1, MTLS_E_TOO_LARGE,
	    NULL },
	{ "mode 0666", RD_FILE, CONTENT, 0666, 0, 1024, MTLS_E_FILE_MODE,
	    "0666" },
	{ "mode 0620", RD_FILE, CONTENT, 0620, 0, 1024, MTLS_E_FILE_MODE,
	    NULL },
	{ "mode 0602", RD_FILE, CONTENT, 0602, 0, 1024, MTLS_E_FILE_MODE,
	    NULL },
	{ "mode 0666, any", RD_FILE, CONTENT, 0666, 1, 1024, 0, NULL },
	{ "missing", RD_MISSING, NULL, 0, 0, 1024, MTLS_E_FILE_MISSING,
	    NULL },
	{ "missing, any", RD_MISSING, NULL, 0, 1, 1024, MTLS_E_FILE_MISSING,
	    NULL },
	{ "directory", RD_DIR, NULL, 0755, 0, 1024, MTLS_E_FILE_TYPE,
	    "regular" },
	{ "directory, any", RD_DIR, NULL, 0755, 1, 1024, MTLS_E_IO, NULL },
	{ "foreign owner", RD_FOREIGN, CONTENT, 0644, 0, 1024,
	    MTLS_E_FILE_OWNER, "65534" },
	{ "foreign owner, any", RD_FOREIGN, CONTENT, 0644, 1, 1024, 0,
	    NULL },
};

START_TEST(test_file_read)
{
	static char stale[] = "stale";	/* reset to NULL on failure */
	char *dir, *path = NULL, *buf = stale;
	size_t len = 99;
	struct mtls_err err;
	int r;

	if (read_rows[_i].kind == RD_FOREIGN && geteuid() != 0) {
		printf("test_file_read: skipping row %d (%s): not root\n", _i,
		    read_rows[_i].what);
		return;
	}
	dir = tl_row_dir("read", _i);
	switch (read_rows[_i].kind) {
	case RD_FILE:
	case RD_FOREIGN:
		path = tl_write(dir, "f", read_rows[_i].content,
		    strlen(read_rows[_i].content), read_rows[_i].mode);
		if (read_rows[_i].kind == RD_FOREIGN)
			ck_assert_int_eq(chown(path, 65534, 65534), 0);
		break;
	case RD_MISSING:
		ck_assert_int_ge(asprintf(&path, "%s/none", dir), 0);
		break;
	case RD_DIR:
		ck_assert_int_ge(asprintf(&path, "%s/d", dir), 0);
		ck_assert_int_eq(mkdir(path, read_rows[_i].mode), 0);
		break;
	}

	memset(&err, 0, sizeof(err));
	if (read_rows[_i].any)
		r = mtls_file_read_any(path, "test file", read_rows[_i].max,
		    &buf, &len, &err);
	else
		r = mtls_file_read(path, "test file", read_rows[_i].max, &buf,
		    &len, &err);
	ck_assert_msg(r == read_rows[_i].want, "row %d (%s): expected %d, "
	    "got %d (%s)", _i, read_rows[_i].what, read_rows[_i].want, r,
	    err.msg);
	if (r == 0) {
		ck_assert_ptr_nonnull(buf);
		ck_assert_uint_eq(len, strlen(read_rows[_i].content));
		ck_assert_mem_eq(buf, read_rows[_i].content, len);
		ck_assert_int_eq(buf[len], '\0');
		free(buf);
	} else {
		ck_assert_ptr_null(buf);
		ck_assert_uint_eq(len, 0);
		ck_assert_int_eq(err.code, r);
		ck_assert_msg(strstr(err.msg, path) != NULL &&
		    strstr(err.msg, "test file") != NULL,
		    "row %d: '%s' names neither file nor role", _i, err.msg);
		if (read_rows[_i].word != NULL)
			ck_assert_msg(strstr(err.msg, read_rows[_i].word) !=
			    NULL, "row %d: '%s' lacks '%s'", _i, err.msg,
			    read_rows[_i].word);
	}
	free(path);
	free(dir);
}
END_TEST

/*
 * The directories above a file, as sshd's StrictModes: a directory that
 * others may write (and that is not sticky) or that another user owns
 * lets them replace the file.  Mode and owner of the file's directory.
 */
static const struct {
	const char	*what;
	mode_t		 mode;
	uid_t		 owner;		/* (uid_t)-1: the test's own */
	int		 want;
} parent_rows[] = {
	{ "0755", 0755, (uid_t)-1, 0 },
	{ "0700", 0700, (uid_t)-1, 0 },
	{ "0775", 0775, (uid_t)-1, MTLS_E_FILE_MODE },
	{ "0757", 0757, (uid_t)-1, MTLS_E_FILE_MODE },
	{ "0777", 0777, (uid_t)-1, MTLS_E_FILE_MODE },
	{ "1777 (sticky)", 01777, (uid_t)-1, 0 },
	{ "another user's", 0755, 65534, MTLS_E_FILE_OWNER },
};

START_TEST(test_file_read_parents)
{
	char *dir, *sub = NULL, *path, *buf = NULL;
	size_t len = 0;
	struct mtls_err err;
	int r;

	if (parent_rows[_i].owner != (uid_t)-1 && geteuid() != 0) {
		printf("test_file_read_parents: skipping row %d (%s): not "
		    "root\n", _i, parent_rows[_i].what);
		return;
	}
	dir = tl_row_dir("parents", _i);
	ck_assert_int_ge(asprintf(&sub, "%s/d", dir), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	path = tl_write(sub, "f", CONTENT, strlen(CONTENT), 0644);
	ck_assert_int_eq(chmod(sub, parent_rows[_i].mode), 0);
	if (parent_rows[_i].owner != (uid_t)-1)
		ck_assert_int_eq(chown(sub, parent_rows[_i].owner, 0), 0);
	memset(&err, 0, sizeof(err));
	r = mtls_file_read(path, "test file", 1024, &buf, &len, &err);
	ck_assert_msg(r == parent_rows[_i].want, "row %d (%s): expected %d, "
	    "got %d (%s)", _i, parent_rows[_i].what, parent_rows[_i].want, r,
	    err.msg);
	if (r != 0)
		ck_assert_msg(strstr(err.msg, sub) != NULL, "row %d: '%s' does "
		    "not name the directory", _i, err.msg);
	free(buf);
	ck_assert_int_eq(chmod(sub, 0700), 0);
	free(path);
	free(sub);
	free(dir);
}
END_TEST

/*
 * Links and unusual spellings: the directories checked are those of the
 * file's real path, whatever way the path given reaches it.  In each row
 * the test's directory holds "good" (0755) and "bad" (0777, not sticky),
 * each with a file "f"; link, when set, is made (relative to the test's
 * directory) pointing at target.  bad names the directory a refusal must
 * name, relative to the test's directory.
 */
static const struct {
	const char	*what;
	const char	*link, *target;	/* a symbolic link to make, or NULL */
	const char	*path;		/* what is read */
	int		 want;
	const char	*bad;
} link_rows[] = {
	{ "plain, secure", NULL, NULL, "good/f", 0, NULL },
	{ "plain, insecure", NULL, NULL, "bad/f", MTLS_E_FILE_MODE, "bad" },
	{ "link to a file in an insecure directory", "good/l", "../bad/f",
	    "good/l", MTLS_E_FILE_MODE, "bad" },
	{ "through a linked insecure directory", "good/d", "../bad",
	    "good/d/f", MTLS_E_FILE_MODE, "bad" },
	{ "link in an insecure directory to a secure file", "bad/l",
	    "../good/f", "bad/l", 0, NULL },
	{ "through a linked secure directory", "bad/d", "../good", "bad/d/f",
	    0, NULL },
	{ "dot components, secure", NULL, NULL, "bad/../good/./f", 0, NULL },
	{ "dot components, insecure", NULL, NULL, "good/../bad/f",
	    MTLS_E_FILE_MODE, "bad" },
	{ "doubled slash, insecure", NULL, NULL, "bad//f", MTLS_E_FILE_MODE,
	    "bad" },
};

START_TEST(test_file_read_links)
{
	char *dir, *p = NULL, *buf = NULL;
	size_t len = 0;
	struct mtls_err err;
	int r;

	dir = tl_row_dir("links", _i);
	ck_assert_int_ge(asprintf(&p, "%s/good", dir), 0);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(tl_write(p, "f", CONTENT, strlen(CONTENT), 0644));
	free(p);
	ck_assert_int_ge(asprintf(&p, "%s/bad", dir), 0);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	free(tl_write(p, "f", CONTENT, strlen(CONTENT), 0644));
	ck_assert_int_eq(chmod(p, 0777), 0);
	free(p);
	if (link_rows[_i].link != NULL) {
		ck_assert_int_ge(asprintf(&p, "%s/%s", dir,
		    link_rows[_i].link), 0);
		ck_assert_int_eq(symlink(link_rows[_i].target, p), 0);
		free(p);
	}
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, link_rows[_i].path), 0);
	memset(&err, 0, sizeof(err));
	r = mtls_file_read(p, "test file", 1024, &buf, &len, &err);
	ck_assert_msg(r == link_rows[_i].want, "row %d (%s): expected %d, "
	    "got %d (%s)", _i, link_rows[_i].what, link_rows[_i].want, r,
	    err.msg);
	free(p);
	if (r == 0) {
		ck_assert_uint_eq(len, strlen(CONTENT));
		ck_assert_mem_eq(buf, CONTENT, len);
	} else {
		/* The real directory, not the spelling that led to it. */
		ck_assert_int_ge(asprintf(&p, "directory %s/%s ", dir,
		    link_rows[_i].bad), 0);
		ck_assert_msg(strstr(err.msg, p) != NULL, "row %d: '%s' does "
		    "not name %s", _i, err.msg, p);
		free(p);
	}
	free(buf);
	ck_assert_int_ge(asprintf(&p, "%s/bad", dir), 0);
	ck_assert_int_eq(chmod(p, 0700), 0);
	free(p);
	free(dir);
}
END_TEST

/*
 * Within mtls_dircache_begin() and mtls_dircache_end(), a directory that
 * passed is not tested again; outside, and in a new scope, it is.
 */
START_TEST(test_dircache)
{
	char *dir, *sub = NULL, *a, *b, *buf = NULL;
	size_t len = 0;
	struct mtls_err err;

	dir = tl_mkdtemp();
	ck_assert_int_ge(asprintf(&sub, "%s/d", dir), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	a = tl_write(sub, "a", CONTENT, strlen(CONTENT), 0644);
	b = tl_write(sub, "b", CONTENT, strlen(CONTENT), 0644);

	mtls_dircache_begin();
	ck_assert_int_eq(mtls_file_read(a, "test file", 1024, &buf, &len,
	    &err), 0);
	free(buf);
	/* Made unsafe after it passed: this scope does not look again. */
	ck_assert_int_eq(chmod(sub, 0777), 0);
	ck_assert_int_eq(mtls_file_read(b, "test file", 1024, &buf, &len,
	    &err), geteuid() == 0 ? 0 : MTLS_E_FILE_MODE);
	free(buf);
	buf = NULL;
	mtls_dircache_end();
	/* Outside a scope, and in the next one, it is tested. */
	ck_assert_int_eq(mtls_file_read(b, "test file", 1024, &buf, &len,
	    &err), MTLS_E_FILE_MODE);
	ck_assert_ptr_nonnull(strstr(err.msg, sub));
	mtls_dircache_begin();
	ck_assert_int_eq(mtls_file_read(a, "test file", 1024, &buf, &len,
	    &err), MTLS_E_FILE_MODE);
	/* A refusal leaves nothing behind: still refused. */
	ck_assert_int_eq(mtls_file_read(b, "test file", 1024, &buf, &len,
	    &err), MTLS_E_FILE_MODE);
	mtls_dircache_end();
	mtls_dircache_end();	/* twice is harmless */

	ck_assert_int_eq(chmod(sub, 0755), 0);
	free(a);
	free(b);
	free(sub);
	tl_rmdir(dir);
}
END_TEST

/* The descriptor check refuses what is not a regular file. */
START_TEST(test_check_fd_pipe)
{
	struct mtls_err err;
	int fds[2];

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(mtls_file_check_fd(fds[0], "pipe", "test", &err),
	    MTLS_E_FILE_TYPE);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_strdup_freep)
{
	char *p = mtls_strdup("abc");

	ck_assert_ptr_null(mtls_strdup(NULL));
	ck_assert_str_eq(p, "abc");
	mtls_freep(&p);
	ck_assert_ptr_null(p);
	mtls_freep(&p);		/* again: free(NULL) */
	ck_assert_ptr_null(p);
}
END_TEST

/* The error table, built from the same X-macro as errors.c. */
static const struct {
	int		 code;
	const char	*sym;
	const char	*name;
	const char	*msg;
} err_rows[] = {
#define ROW(sym, val, name, msg) { (val), #sym, (name), (msg) },
	MTLS_ERROR_LIST(ROW)
#undef ROW
};

START_TEST(test_error_table)
{
	int i, code = err_rows[_i].code;

	ck_assert_str_eq(mtls_errname(code), err_rows[_i].name);
	ck_assert_str_eq(mtls_strerror(code), err_rows[_i].msg);
	ck_assert_msg(err_rows[_i].name[0] != '\0', "%s: empty name",
	    err_rows[_i].sym);
	ck_assert_msg(err_rows[_i].msg[0] != '\0', "%s: empty message",
	    err_rows[_i].sym);
	ck_assert_msg(strcmp(mtls_strerror(code), "unknown error") != 0,
	    "%s: generic message", err_rows[_i].sym);
	ck_assert_msg(code <= 0, "%s: positive code", err_rows[_i].sym);
	for (i = 0; i < NROWS(err_rows); i++) {
		if (i == _i)
			continue;
		ck_assert_msg(err_rows[i].code != code, "%s and %s share %d",
		    err_rows[i].sym, err_rows[_i].sym, code);
		ck_assert_msg(strcmp(err_rows[i].name, err_rows[_i].name) != 0,
		    "%s and %s share the name '%s'", err_rows[i].sym,
		    err_rows[_i].sym, err_rows[_i].name);
	}
}
END_TEST

START_TEST(test_error_unknown)
{
	static const int codes[] = { 1, -8, -39, -99, -110, -1000, INT_MIN,
	    INT_MAX };
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_str_eq(mtls_strerror(codes[i]), "unknown error");
		ck_assert_ptr_nonnull(mtls_errname(codes[i]));
		ck_assert_str_eq(mtls_errname(codes[i]), "unknown");
	}
	ck_assert_str_eq(mtls_errname(MTLS_E_OK), "ok");
	ck_assert_str_eq(mtls_errname(MTLS_E_CERT_EXPIRED), "expired");
}
END_TEST

static const struct {
	int	code;
	int	rejection;
} rej_rows[] = {
	{ MTLS_E_CERT_EXPIRED, 1 },
	{ MTLS_E_CRL_STALE, 1 },
	{ MTLS_E_CERT_MALFORMED, 1 },
	{ MTLS_E_CERT_REVOKED, 1 },
	{ MTLS_E_CRL_MALFORMED, 1 },
	{ MTLS_E_OK, 0 },
	{ MTLS_E_INTERNAL, 0 },
	{ MTLS_E_NOMEM, 0 },
	{ MTLS_E_CRYPTO, 0 },
	{ MTLS_E_CONFIG, 0 },
	{ MTLS_E_FILE_MISSING, 0 },
	{ MTLS_E_NO_ANCHOR, 0 },
};

START_TEST(test_error_is_rejection)
{
	ck_assert_msg(!!mtls_error_is_rejection(rej_rows[_i].code) ==
	    rej_rows[_i].rejection, "%s: expected %s",
	    mtls_errname(rej_rows[_i].code),
	    rej_rows[_i].rejection ? "a rejection" : "no rejection");
}
END_TEST

START_TEST(test_err_set)
{
	struct mtls_err err;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mtls_err_set(NULL, MTLS_E_IO, "x %d", 1), MTLS_E_IO);
	ck_assert_str_eq(mtls_err_msg(NULL), "unknown error");
	err.code = MTLS_E_NOMEM;
	ck_assert_str_eq(mtls_err_msg(&err), "out of memory");
	ck_assert_int_eq(mtls_err_set(&err, MTLS_E_CONFIG, "%s:%u: %s",
	    "f", 3u, "bad"), MTLS_E_CONFIG);
	ck_assert_int_eq(err.code, MTLS_E_CONFIG);
	ck_assert_str_eq(mtls_err_msg(&err), "f:3: bad");
	ck_assert_int_eq(mtls_err_set(&err, MTLS_E_NOMEM, NULL),
	    MTLS_E_NOMEM);
	ck_assert_str_eq(err.msg, "out of memory");
}
END_TEST

/* Atomic replacement: content, exact mode whatever the umask, no leftovers. */
static const struct {
	const char	*old;		/* existing content, or NULL */
	const char	*data;
	mode_t		 mode;
	const char	*sub;		/* a missing subdirectory, or NULL */
	int		 code;
} atomic_rows[] = {
	{ NULL, "new\n", 0644, NULL, 0 },
	{ NULL, "secret\n", 0600, NULL, 0 },
	{ "old content that is longer\n", "short\n", 0640, NULL, 0 },
	{ "old\n", "", 0644, NULL, 0 },
	{ NULL, "x", 0644, "missing", MTLS_E_IO },
};

START_TEST(test_write_atomic)
{
	struct mtls_err err = { 0, "" };
	char *dir = tl_row_dir("atomic", _i), *path = NULL, *buf = NULL;
	struct stat st;
	size_t len, n = 0;
	mode_t old_umask;
	DIR *d;
	struct dirent *de;
	int r;

	ck_assert_int_ge(asprintf(&path, "%s/%s%sf", dir,
	    atomic_rows[_i].sub != NULL ? atomic_rows[_i].sub : "",
	    atomic_rows[_i].sub != NULL ? "/" : ""), 0);
	if (atomic_rows[_i].old != NULL)
		free(tl_write(dir, "f", atomic_rows[_i].old,
		    strlen(atomic_rows[_i].old), 0644));
	old_umask = umask(077);
	r = mtls_file_write_atomic(path, atomic_rows[_i].data,
	    strlen(atomic_rows[_i].data), atomic_rows[_i].mode, &err);
	umask(old_umask);
	ck_assert_int_eq(r, atomic_rows[_i].code);
	if (r == 0) {
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, atomic_rows[_i].mode);
		ck_assert_int_eq(mtls_file_read_any(path, "t", 1024, &buf,
		    &len, &err), 0);
		ck_assert_str_eq(buf, atomic_rows[_i].data);
	} else
		ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || strstr(de->d_name, ".tmp") != NULL)
			n++;
	closedir(d);
	ck_assert_uint_eq(n, r == 0 || atomic_rows[_i].old != NULL ? 1 : 0);
	free(buf);
	free(path);
	free(dir);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_name_valid, 0, NROWS(name_rows));
	tcase_add_test(tc, test_name_valid_null);
	tcase_add_loop_test(tc, test_parse_time, 0, NROWS(time_rows));
	tcase_add_loop_test(tc, test_format_time, 0, NROWS(fmt_rows));
	tcase_add_loop_test(tc, test_parse_duration, 0, NROWS(dur_rows));
	tcase_add_loop_test(tc, test_parse_fingerprint, 0, NROWS(fp_rows));
	tcase_add_loop_test(tc, test_hex, 0, NROWS(hex_rows));
	tcase_add_test(tc, test_hex_roundtrip);
	tcase_add_loop_test(tc, test_parse_bool, 0, NROWS(bool_rows));
	tcase_add_loop_test(tc, test_parse_uint, 0, NROWS(uint_rows));
	tcase_add_test(tc, test_strdup_freep);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_unchecked_fixture(tc, tl_case_setup, tl_case_teardown);
	tcase_add_loop_test(tc, test_file_read, 0, NROWS(read_rows));
	tcase_add_test(tc, test_check_fd_pipe);
	tcase_add_loop_test(tc, test_write_atomic, 0, NROWS(atomic_rows));
	tcase_add_loop_test(tc, test_file_read_parents, 0, NROWS(parent_rows));
	tcase_add_loop_test(tc, test_file_read_links, 0, NROWS(link_rows));
	tcase_add_test(tc, test_dircache);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_error_table, 0, NROWS(err_rows));
	tcase_add_test(tc, test_error_unknown);
	tcase_add_loop_test(tc, test_error_is_rejection, 0, NROWS(rej_rows));
	tcase_add_test(tc, test_err_set);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(util_suite());
}
