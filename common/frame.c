/*
 * frame.c - prompts and answers of the login conversation.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
mtls_b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void
mtls_b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*out++ = b64chars[v >> 18];
		*out++ = b64chars[(v >> 12) & 63];
		*out++ = b64chars[(v >> 6) & 63];
		*out++ = b64chars[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)in[i] << 16;
		*out++ = b64chars[v >> 18];
		*out++ = b64chars[(v >> 12) & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		*out++ = b64chars[v >> 18];
		*out++ = b64chars[(v >> 12) & 63];
		*out++ = b64chars[(v >> 6) & 63];
		*out++ = '=';
	}
	*out = '\0';
}

/* One more than each character's value; 0 for one outside the alphabet. */
static const unsigned char b64vals[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
	['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
	['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
	['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
	['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
	['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
	['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64
};

/* A table, not comparisons: a login decodes a few kilobytes each way. */
int
mtls_b64_value(int c)
{
	return (int)b64vals[(unsigned char)c] - 1;
}

int
mtls_b64_decode(const char *in, size_t n, unsigned char *out, size_t max,
    size_t *outlen)
{
	size_t i, o = 0, pad = 0;
	int a, b, c, d;

	*outlen = 0;
	if (n % 4 != 0)
		return MTLS_E_PROTOCOL;
	for (i = 0; i < n; i += 4) {
		a = mtls_b64_value(in[i]);
		b = mtls_b64_value(in[i + 1]);
		c = in[i + 2] == '=' ? -2 : mtls_b64_value(in[i + 2]);
		d = in[i + 3] == '=' ? -2 : mtls_b64_value(in[i + 3]);
		if (a < 0 || b < 0 || c == -1 || d == -1 ||
		    (c == -2 && d != -2))
			return MTLS_E_PROTOCOL;
		pad = (c == -2) + (d == -2);
		if (pad > 0 && i + 4 != n)
			return MTLS_E_PROTOCOL;
		/* Non-canonical encodings (stray low bits) are refused. */
		if ((pad == 2 && (b & 15) != 0) || (pad == 1 && (c & 3) != 0))
			return MTLS_E_PROTOCOL;
		if (o + 3 - pad > max)
			return MTLS_E_TOO_LARGE;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((b & 15) << 4 | c >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((c & 3) << 6 | d);
	}
	*outlen = o;
	return 0;
}

static const char b85chars[] = "0123456789abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

size_t
mtls_b85_encoded_len(size_t n)
{
	return n / 4 * 5 + (n % 4 != 0 ? n % 4 + 1 : 0);
}

/* Five digits of v, most significant first, the first k of them to out. */
static void
b85_group(uint32_t v, char *out, size_t k)
{
	char d[5];
	int i;

	for (i = 4; i >= 0; i--) {
		d[i] = b85chars[v % 85];
		v /= 85;
	}
	memcpy(out, d, k);
}

void
mtls_b85_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, j, k;
	uint32_t v;

	for (i = 0; i + 3 < n; i += 4) {
		v = (uint32_t)in[i] << 24 | (uint32_t)in[i + 1] << 16 |
		    (uint32_t)in[i + 2] << 8 | in[i + 3];
		b85_group(v, out, 5);
		out += 5;
	}
	if ((k = n - i) > 0) {
		v = 0;
		for (j = 0; j < k; j++)
			v |= (uint32_t)in[i + j] << (8 * (3 - j));
		b85_group(v, out, k + 1);
		out += k + 1;
	}
	*out = '\0';
}

/* One more than each character's value; 0 for one outside the alphabet. */
static const unsigned char *
b85_table(void)
{
	static const unsigned char table[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
		['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
		['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
		['f'] = 16, ['g'] = 17, ['h'] = 18, ['i'] = 19, ['j'] = 20,
		['k'] = 21, ['l'] = 22, ['m'] = 23, ['n'] = 24, ['o'] = 25,
		['p'] = 26, ['q'] = 27, ['r'] = 28, ['s'] = 29, ['t'] = 30,
		['u'] = 31, ['v'] = 32, ['w'] = 33, ['x'] = 34, ['y'] = 35,
		['z'] = 36, ['A'] = 37, ['B'] = 38, ['C'] = 39, ['D'] = 40,
		['E'] = 41, ['F'] = 42, ['G'] = 43, ['H'] = 44, ['I'] = 45,
		['J'] = 46, ['K'] = 47, ['L'] = 48, ['M'] = 49, ['N'] = 50,
		['O'] = 51, ['P'] = 52, ['Q'] = 53, ['R'] = 54, ['S'] = 55,
		['T'] = 56, ['U'] = 57, ['V'] = 58, ['W'] = 59, ['X'] = 60,
		['Y'] = 61, ['Z'] = 62, ['.'] = 63, ['-'] = 64, [':'] = 65,
		['+'] = 66, ['='] = 67, ['^'] = 68, ['!'] = 69, ['/'] = 70,
		['*'] = 71, ['?'] = 72, ['&'] = 73, ['<'] = 74, ['>'] = 75,
		['('] = 76, [')'] = 77, ['['] = 78, [']'] = 79, ['{'] = 80,
		['}'] = 81, ['@'] = 82, ['%'] = 83, ['$'] = 84, ['#'] = 85
	};

	return table;
}

int
mtls_b85_decode(const char *in, size_t n, unsigned char *out, size_t max,
    size_t *outlen)
{
	const unsigned char *t = b85_table();
	size_t i, j, g, k, o = 0;
	uint64_t v;
	char again[8];

	*outlen = 0;
	if (n % 5 == 1)
		return MTLS_E_PROTOCOL;
	for (i = 0; i < n; i += g) {
		g = n - i < 5 ? n - i : 5;
		k = g - 1;			/* bytes in this group */
		v = 0;
		for (j = 0; j < 5; j++) {
			/* a short group is read padded with the last digit */
			int d = j < g ? (int)t[(unsigned char)in[i + j]] - 1 :
			    84;

			if (d < 0)
				return MTLS_E_PROTOCOL;
			v = v * 85 + (uint64_t)d;
		}
		if (v > 0xffffffffu)
			return MTLS_E_PROTOCOL;
		if (o + k > max)
			return MTLS_E_TOO_LARGE;
		for (j = 0; j < k; j++)
			out[o + j] = (unsigned char)(v >> (8 * (3 - j)));
		if (g < 5) {
			/* canonical: what these bytes encode to, exactly */
			mtls_b85_encode(out + o, k, again);
			if (memcmp(again, in + i, g) != 0)
				return MTLS_E_PROTOCOL;
		}
		o += k;
	}
	*outlen = o;
	return 0;
}

static const char *const verbs[] = { NULL, "hello", "data", "done" };

int
mtls_frame_prompt(enum mtls_frame_verb verb, unsigned seq, const void *data,
    size_t len, const char *human, char **out)
{
	size_t hl = human != NULL ? strlen(human) : 0, size;
	char *p = NULL;
	int n;

	*out = NULL;
	if (verb < MTLS_FRAME_HELLO || verb > MTLS_FRAME_DONE ||
	    len > MTLS_FRAME_PAYLOAD_MAX || hl > 256)
		return MTLS_E_INVAL;
	size = sizeof(MTLS_FRAME_MARKER) + 8 + 12 + mtls_b64_encoded_len(len) +
	    hl + 4;
	if ((p = malloc(size)) == NULL)
		return MTLS_E_NOMEM;
	n = snprintf(p, size, "%s %s %u ", MTLS_FRAME_MARKER, verbs[verb], seq);
	if (len == 0)
		strcpy(p + n, "-");
	else
		mtls_b64_encode(data, len, p + n);
	if (hl > 0) {
		strcat(p, " ");
		strcat(p, human);
	}
	*out = p;
	return 0;
}

int
mtls_frame_parse_prompt(const char *text, enum mtls_frame_verb *verb,
    unsigned *seq, unsigned char **data, size_t *len)
{
	const char *m, *p, *end;
	size_t n, vl, plen;
	unsigned long s = 0;
	unsigned char *buf = NULL;
	int i, r = MTLS_E_PROTOCOL;

	*data = NULL;
	*len = 0;
	n = strnlen(text, MTLS_FRAME_PROMPT_MAX + 1);
	if (n > MTLS_FRAME_PROMPT_MAX)
		return MTLS_E_PROTOCOL;
	/* The marker must start a line, or follow ssh's "(user@host) ". */
	for (m = strstr(text, MTLS_FRAME_MARKER); m != NULL;
	    m = strstr(m + 1, MTLS_FRAME_MARKER))
		if (m == text || m[-1] == '\n' || (m[-1] == ' ' &&
		    m - text >= 2 && m[-2] == ')'))
			break;
	if (m == NULL)
		return MTLS_E_NOT_OURS;
	p = m + strlen(MTLS_FRAME_MARKER);
	if (*p++ != ' ')
		goto out;
	for (i = MTLS_FRAME_HELLO; i <= MTLS_FRAME_DONE; i++) {
		vl = strlen(verbs[i]);
		if (strncmp(p, verbs[i], vl) == 0 && p[vl] == ' ')
			break;
	}
	if (i > MTLS_FRAME_DONE)
		goto out;
	*verb = (enum mtls_frame_verb)i;
	p += vl + 1;
	for (n = 0; p[n] >= '0' && p[n] <= '9' && n < 10; n++)
		s = s * 10 + (unsigned long)(p[n] - '0');
	if (n == 0 || n >= 10 || p[n] != ' ' || (n > 1 && p[0] == '0'))
		goto out;
	*seq = (unsigned)s;
	p += n + 1;
	end = p + strcspn(p, " \n");
	plen = (size_t)(end - p);
	if (plen == 1 && *p == '-') {
		r = 0;
		goto out;
	}
	if (plen == 0 || plen / 4 * 3 > MTLS_FRAME_PAYLOAD_MAX)
		goto out;
	if ((buf = malloc(plen / 4 * 3 + 1)) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	if ((r = mtls_b64_decode(p, plen, buf, plen / 4 * 3, len)) != 0) {
		r = MTLS_E_PROTOCOL;
		goto out;
	}
	*data = buf;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	return r;
}

int
mtls_frame_answer(int more, const void *data, size_t len, char *out,
    size_t size)
{
	if (len > MTLS_FRAME_CHUNK || size < MTLS_FRAME_ANSWER_MAX + 1)
		return MTLS_E_INVAL;
	out[0] = more ? '+' : '.';
	mtls_b85_encode(data, len, out + 1);
	return 0;
}

int
mtls_frame_parse_answer(const char *answer, int *more, unsigned char *data,
    size_t *len)
{
	size_t n;

	*len = 0;
	if (answer == NULL || answer[0] == '\0')
		return MTLS_E_DECLINED;
	n = strnlen(answer, MTLS_FRAME_ANSWER_MAX + 1);
	if (n > MTLS_FRAME_ANSWER_MAX)
		return MTLS_E_PROTOCOL;
	if (answer[0] != '+' && answer[0] != '.')
		return MTLS_E_PROTOCOL;
	*more = answer[0] == '+';
	if (mtls_b85_decode(answer + 1, n - 1, data, MTLS_FRAME_CHUNK,
	    len) != 0)
		return MTLS_E_PROTOCOL;
	return 0;
}
