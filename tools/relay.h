/*
 * relay.h - one prompt from `mtls askpass` to `mtls ssh` and one answer
 * back, over a Unix stream socket in a private directory.
 *
 * askpass sends a 4-byte big-endian header, the message's type in the
 * first byte and its length in the other three, then that many bytes
 * (no NUL, at most RELAY_PROMPT_MAX).  Types: RELAY_PROMPT (a prompt of
 * ssh's), RELAY_KNOWN_HOSTS (ssh ran its KnownHostsCommand: "I\nH\nT\nK"
 * with the tokens %I %H %t %K) and RELAY_AUTHENTICATED (ssh ran its
 * LocalCommand: authentication is over; empty).  For a prompt mtls ssh
 * replies with one line, "ok ANSWER\n" (ANSWER has no newline, at most
 * RELAY_ANSWER_MAX bytes) or "refuse\n"; for known hosts "ok\n" and the
 * lines ssh is to read, or "refuse\n"; then it closes.  One connection
 * per message, as ssh runs a helper once per prompt or lookup.
 */
#ifndef MTLS_RELAY_H
#define MTLS_RELAY_H

#include <stddef.h>

#include "errors.h"

#define RELAY_PROMPT_MAX	(128 * 1024)
#define RELAY_ANSWER_MAX	1023	/* what ssh keeps of an answer */
#define RELAY_TIMEOUT_MS	10000	/* to receive a whole prompt */
#define RELAY_REPLY_MAX		(64 * 1024)	/* known-hosts lines */

#define RELAY_PROMPT		0
#define RELAY_KNOWN_HOSTS	'K'
#define RELAY_AUTHENTICATED	'A'

/*
 * Send a message of type to the socket at path and read the whole reply
 * (no time limit: a person may be typing) into a new *reply (free()),
 * of *len bytes, NUL-terminated, at most RELAY_REPLY_MAX.
 */
int relay_send(const char *path, int type, const char *msg, char **reply,
    size_t *len, struct mtls_err *err);

/*
 * mtls ssh side: read one message from a connection into *type and a
 * new NUL-terminated *msg (free()).  Bounded in size and time.
 */
int relay_read(int fd, int *type, char **msg, struct mtls_err *err);

/* Reply to a known-hosts message with text (NULL: refuse). */
int relay_reply_text(int fd, const char *text);

/*
 * askpass side: send prompt to the socket at path and wait for the reply
 * (no time limit: a person may be typing).  0 with the answer in answer
 * (size > RELAY_ANSWER_MAX), MTLS_E_DENIED when mtls ssh refused, another
 * code with err set when the relay failed.
 */
int relay_ask(const char *path, const char *prompt, char *answer,
    size_t size, struct mtls_err *err);

/*
 * mtls ssh side: read one prompt from a connection into a new
 * NUL-terminated *prompt (free()).  Bounded in size and time.
 */
int relay_read_prompt(int fd, char **prompt, struct mtls_err *err);

/* Reply on fd: answer, or a refusal when answer is NULL. */
int relay_reply(int fd, const char *answer);

#endif /* MTLS_RELAY_H */
