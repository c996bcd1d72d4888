/*
 * frame.h - the login conversation's framing (doc/conversation.md).
 *
 * TLS records travel inside PAM conversation prompts and answers, which
 * sshd turns into keyboard-interactive requests.  A prompt is one line:
 *
 *	[mtls/3] VERB SEQ PAYLOAD[ TEXT]
 *
 * VERB is hello, data or done; SEQ counts prompts from 0; PAYLOAD is the
 * server's TLS bytes in base64, or "-" for none; TEXT is for a person who
 * sees the prompt.  An answer is one line of at most MTLS_FRAME_ANSWER_MAX
 * bytes: '+' or '.' (more chunks follow / last chunk) and base85 of at
 * most MTLS_FRAME_CHUNK bytes.  An empty answer declines the login.
 *
 * All functions are pure, bounded, and thread-safe.
 */
#ifndef MTLS_FRAME_H
#define MTLS_FRAME_H

#include <stddef.h>

#include "errors.h"

/*
 * Version 3 (doc/conversation.md): answers in base85, so that a client's
 * whole second flight fits one answer, and no `done` prompt after a
 * success the client said it needs no word of.  Version 2 (base64
 * answers) is no longer spoken; version 1 had no binding to the SSH
 * connection.  A client refuses a prompt of either, never answers it.
 */
#define MTLS_FRAME_MARKER	"[mtls/3]"
#define MTLS_FRAME_MARKER_V2	"[mtls/2]"
#define MTLS_FRAME_MARKER_V1	"[mtls/1]"
#define MTLS_FRAME_ANSWER_MAX	1021	/* OpenSSH keeps 1023 bytes */
#define MTLS_FRAME_CHUNK	816	/* raw bytes: 1 + 1020 base85 */
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

/*
 * Base85 with the Z85 alphabet (no quote, backslash or blank): four bytes
 * in five characters, most significant first; a last group of k < 4 bytes
 * in k + 1 characters (the group padded with zero bytes, the encoding cut).
 * Decoding is strict: only the canonical encoding of some bytes is taken.
 */
size_t mtls_b85_encoded_len(size_t n);
void mtls_b85_encode(const unsigned char *in, size_t n, char *out);
int mtls_b85_decode(const char *in, size_t n, unsigned char *out,
    size_t max, size_t *outlen);

/* The value of base64 character c, or -1 for any other character. */
int mtls_b64_value(int c);

/* Strict RFC 4648 base64 (padding required, no whitespace). */
size_t mtls_b64_encoded_len(size_t n);
void mtls_b64_encode(const unsigned char *in, size_t n, char *out);
int mtls_b64_decode(const char *in, size_t n, unsigned char *out,
    size_t max, size_t *outlen);

#endif /* MTLS_FRAME_H */
