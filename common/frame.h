/*
 * frame.h - the login conversation's framing (doc/conversation.md).
 *
 * TLS records travel inside PAM conversation prompts and answers, which
 * sshd turns into keyboard-interactive requests.  A prompt is one line:
 *
 *	[mtls/2] VERB SEQ PAYLOAD[ TEXT]
 *
 * VERB is hello, data or done; SEQ counts prompts from 0; PAYLOAD is the
 * server's TLS bytes in base64, or "-" for none; TEXT is for a person who
 * sees the prompt.  An answer is one line of at most MTLS_FRAME_ANSWER_MAX
 * bytes: '+' or '.' (more chunks follow / last chunk) and base64 of at
 * most MTLS_FRAME_CHUNK bytes.  An empty answer declines the login.
 *
 * All functions are pure, bounded, and thread-safe.
 */
#ifndef MTLS_FRAME_H
#define MTLS_FRAME_H

#include <stddef.h>

#include "errors.h"

/*
 * Version 2 binds the login to the SSH connection (doc/conversation.md);
 * a version-1 prompt is refused by the client, never answered.
 */
#define MTLS_FRAME_MARKER	"[mtls/2]"
#define MTLS_FRAME_MARKER_V1	"[mtls/1]"
#define MTLS_FRAME_ANSWER_MAX	1000	/* OpenSSH cuts answers at 1023 */
#define MTLS_FRAME_CHUNK	744	/* raw bytes: 1 + 992 base64 <= 1000 */
#define MTLS_FRAME_PROMPT_MAX	(96 * 1024)	/* OpenSSH passes 131071 */
#define MTLS_FRAME_PAYLOAD_MAX	(64 * 1024)	/* decoded bytes of a prompt */

enum mtls_frame_verb {
	MTLS_FRAME_HELLO = 1,	/* start; a person may press Enter to skip */
	MTLS_FRAME_DATA,	/* server bytes; send the next chunk */
	MTLS_FRAME_DONE		/* last server bytes; answer "." */
};

/*
 * Build a prompt into a new NUL-terminated string *out (free()).  data may
 * be NULL when len is 0; human may be NULL.
 */
int mtls_frame_prompt(enum mtls_frame_verb verb, unsigned seq,
    const void *data, size_t len, const char *human, char **out);

/*
 * Find and parse our prompt in text, which may carry other lines before
 * it (PAM_TEXT_INFO joined by ssh) and a "(user@host) " prefix on its
 * line.  *data is a new buffer (free()) or NULL when the payload is "-".
 * MTLS_E_NOT_OURS when there is no marker, MTLS_E_PROTOCOL when the line
 * is malformed.
 */
int mtls_frame_parse_prompt(const char *text, enum mtls_frame_verb *verb,
    unsigned *seq, unsigned char **data, size_t *len);

/*
 * Build an answer into out (size >= MTLS_FRAME_ANSWER_MAX + 1): more is
 * nonzero when further chunks follow; len <= MTLS_FRAME_CHUNK.
 */
int mtls_frame_answer(int more, const void *data, size_t len, char *out,
    size_t size);

/*
 * Parse an answer into data (>= MTLS_FRAME_CHUNK bytes).  MTLS_E_DECLINED
 * for an empty answer, MTLS_E_PROTOCOL for anything malformed (including
 * a trailing newline or an answer longer than MTLS_FRAME_ANSWER_MAX).
 */
int mtls_frame_parse_answer(const char *answer, int *more,
    unsigned char *data, size_t *len);

/* The value of base64 character c, or -1 for any other character. */
int mtls_b64_value(int c);

/* Strict RFC 4648 base64 (padding required, no whitespace). */
size_t mtls_b64_encoded_len(size_t n);
void mtls_b64_encode(const unsigned char *in, size_t n, char *out);
int mtls_b64_decode(const char *in, size_t n, unsigned char *out,
    size_t max, size_t *outlen);

#endif /* MTLS_FRAME_H */
