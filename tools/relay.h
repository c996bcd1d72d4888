/*
 * relay.h - one prompt from `mtls askpass` to `mtls ssh` and one answer
 * back, over a Unix stream socket in a private directory.
 *
 * askpass sends a 4-byte big-endian length and that many bytes of prompt
 * (no NUL, at most RELAY_PROMPT_MAX); mtls ssh replies with one line,
 * "ok ANSWER\n" (ANSWER has no newline, at most RELAY_ANSWER_MAX bytes)
 * or "refuse\n", and closes.  One connection per prompt, as ssh runs
 * askpass once per prompt.
 */
#ifndef MTLS_RELAY_H
#define MTLS_RELAY_H

#include <stddef.h>

#include "errors.h"

#define RELAY_PROMPT_MAX	(128 * 1024)
#define RELAY_ANSWER_MAX	1023	/* what ssh keeps of an answer */
#define RELAY_TIMEOUT_MS	10000	/* to receive a whole prompt */

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
