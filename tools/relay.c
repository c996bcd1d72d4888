/*
 * relay.c - the askpass relay's wire format (relay.h).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "relay.h"

static int
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read exactly n bytes within timeout_ms (negative: no limit). */
static int
read_all(int fd, void *buf, size_t n, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char *p = buf;
	ssize_t got;
	int pr;

	while (n > 0) {
		pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int
relay_send(const char *path, int type, const char *msg, char **reply,
    size_t *len, struct mtls_err *err)
{
	struct sockaddr_un sa;
	size_t mlen = strlen(msg), n = 0;
	unsigned char hdr[4];
	char *buf = NULL;
	ssize_t got;
	int fd = -1, r = MTLS_E_IO;

	*reply = NULL;
	*len = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		r = mtls_err_set(err, MTLS_E_INVAL, "%s: path too long", path);
		goto out;
	}
	if (mlen > RELAY_PROMPT_MAX || type < 0 || type > 0xff) {
		r = mtls_err_set(err, MTLS_E_TOO_LARGE, "the prompt is longer "
		    "than %d bytes", RELAY_PROMPT_MAX);
		goto out;
	}
	if ((buf = malloc(RELAY_REPLY_MAX + 2)) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	hdr[0] = (unsigned char)type;
	hdr[1] = (unsigned char)(mlen >> 16);
	hdr[2] = (unsigned char)(mlen >> 8);
	hdr[3] = (unsigned char)mlen;
	if (write_all(fd, hdr, 4) != 0 || write_all(fd, msg, mlen) != 0) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: cannot send the prompt",
		    path);
		goto out;
	}
	while (n < RELAY_REPLY_MAX + 1 && ((got = read(fd, buf + n,
	    RELAY_REPLY_MAX + 1 - n)) > 0 || (got < 0 && errno == EINTR)))
		if (got > 0)
			n += (size_t)got;
	if (n > RELAY_REPLY_MAX) {
		r = mtls_err_set(err, MTLS_E_TOO_LARGE, "%s: reply too long",
		    path);
		goto out;
	}
	buf[n] = '\0';
	*reply = buf;
	*len = n;
	buf = NULL;
	r = 0;
 out:
	if (buf != NULL) {
		explicit_bzero(buf, RELAY_REPLY_MAX + 2);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

int
relay_ask(const char *path, const char *prompt, char *answer, size_t size,
    struct mtls_err *err)
{
	char *reply = NULL;
	size_t n = 0;
	int r = MTLS_E_IO;

	if (size <= RELAY_ANSWER_MAX) {
		r = mtls_err_set(err, MTLS_E_INVAL, NULL);
		goto out;
	}
	if ((r = relay_send(path, RELAY_PROMPT, prompt, &reply, &n,
	    err)) != 0)
		goto out;
	if (n == 7 && strcmp(reply, "refuse\n") == 0) {
		r = mtls_err_set(err, MTLS_E_DENIED, "mtls ssh did not answer "
		    "the prompt");
		goto out;
	}
	if (n < 4 || strncmp(reply, "ok ", 3) != 0 || reply[n - 1] != '\n' ||
	    memchr(reply, '\n', n - 1) != NULL || n - 4 >= size) {
		r = mtls_err_set(err, MTLS_E_PROTOCOL, "%s: malformed reply",
		    path);
		goto out;
	}
	memcpy(answer, reply + 3, n - 4);
	answer[n - 4] = '\0';
	r = 0;
 out:
	if (reply != NULL) {
		explicit_bzero(reply, n);
		free(reply);
	}
	return r;
}

int
relay_read(int fd, int *type, char **msg, struct mtls_err *err)
{
	unsigned char hdr[4];
	uint32_t len;
	char *p = NULL;
	int r = MTLS_E_IO;

	*msg = NULL;
	if (read_all(fd, hdr, 4, RELAY_TIMEOUT_MS) != 0) {
		r = mtls_err_set(err, MTLS_E_IO, "askpass sent no prompt");
		goto out;
	}
	*type = hdr[0];
	len = (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (len > RELAY_PROMPT_MAX) {
		r = mtls_err_set(err, MTLS_E_TOO_LARGE, "askpass sent a "
		    "prompt of %u bytes", len);
		goto out;
	}
	if ((p = malloc((size_t)len + 1)) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	if (read_all(fd, p, len, RELAY_TIMEOUT_MS) != 0) {
		r = mtls_err_set(err, MTLS_E_IO, "askpass sent a short prompt");
		goto out;
	}
	p[len] = '\0';
	if (strlen(p) != len) {
		r = mtls_err_set(err, MTLS_E_PROTOCOL, "askpass sent a NUL");
		goto out;
	}
	*msg = p;
	p = NULL;
	r = 0;
 out:
	free(p);
	return r;
}

int
relay_read_prompt(int fd, char **prompt, struct mtls_err *err)
{
	int type = -1, r;

	if ((r = relay_read(fd, &type, prompt, err)) != 0)
		return r;
	if (type != RELAY_PROMPT) {
		free(*prompt);
		*prompt = NULL;
		return mtls_err_set(err, MTLS_E_PROTOCOL, "not a prompt");
	}
	return 0;
}

int
relay_reply_text(int fd, const char *text)
{
	if (text == NULL)
		return write_all(fd, "refuse\n", 7) == 0 ? 0 : MTLS_E_IO;
	return write_all(fd, "ok\n", 3) == 0 && write_all(fd, text,
	    strlen(text)) == 0 ? 0 : MTLS_E_IO;
}

int
relay_reply(int fd, const char *answer)
{
	char line[RELAY_ANSWER_MAX + 8];
	int n, r;

	if (answer == NULL || strlen(answer) > RELAY_ANSWER_MAX ||
	    strchr(answer, '\n') != NULL)
		n = snprintf(line, sizeof(line), "refuse\n");
	else
		n = snprintf(line, sizeof(line), "ok %s\n", answer);
	r = write_all(fd, line, (size_t)n) == 0 ? 0 : MTLS_E_IO;
	explicit_bzero(line, sizeof(line));
	return r;
}
