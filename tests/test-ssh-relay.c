/*
 * test-ssh-relay.c - a stand-in for ssh(1) under `mtls ssh` (run through
 * MTLS_SSH): it runs the server side of the login conversation as sshd
 * and pam_mtls would, and carries every prompt to $SSH_ASKPASS the way
 * OpenSSH 9.2 does: argv[1] is "(user@host) " and the prompt, a fresh
 * process per prompt, the answer cut at the first newline and at 1023
 * bytes, and an empty answer when askpass fails.
 *
 * Environment:
 *	RELAY_CONF	the host's mtls.conf (anchors, CRLs, map rules,
 *			host_certificate, host_key)
 *	RELAY_USER	the account being logged in to
 *	RELAY_HOST	the host name in the prefix (host.example.com)
 *	RELAY_HOSTKEY	when set, first ask a host-key question, which
 *			mtls ssh must not answer by itself
 *
 * Prints what the server learned on stderr; exits 0 when the server
 * accepted the login, 1 when it did not, 3 when askpass answered the
 * host-key question, 2 on setup errors.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "conv.h"
#include "host.h"

#define SSH_ANSWER_MAX	1023

struct fake {
	const char	*askpass;
	const char	*prefix_user;
	const char	*prefix_host;
};

/* Run askpass on text; 0 and its first line, -1 when it failed. */
static int
run_askpass(const char *askpass, const char *text, char *out, size_t size)
{
	char buf[4096];
	size_t n = 0;
	ssize_t got;
	int fds[2], st = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl(askpass, askpass, text, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((got = read(fds[0], buf + n, sizeof(buf) - 1 - n)) > 0 ||
	    (got < 0 && errno == EINTR))
		if (got > 0 && (n += (size_t)got) == sizeof(buf) - 1)
			break;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	buf[n < SSH_ANSWER_MAX ? n : SSH_ANSWER_MAX] = '\0';
	n = strcspn(buf, "\r\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

static int
roundtrip(void *ctx, const char *prompt, char **answer)
{
	const struct fake *f = ctx;
	char *text = NULL, line[SSH_ANSWER_MAX + 1];

	if (asprintf(&text, "(%s@%s) %s", f->prefix_user, f->prefix_host,
	    prompt) < 0)
		return MTLS_E_NOMEM;
	if (run_askpass(f->askpass, text, line, sizeof(line)) != 0)
		line[0] = '\0';		/* what ssh sends then */
	free(text);
	*answer = strdup(line);
	return *answer != NULL ? 0 : MTLS_E_NOMEM;
}

/* Accounts exist without /etc/passwd entries; only root is uid 0. */
static int
lookup(void *ctx, const char *name, uid_t *uid)
{
	(void)ctx;
	*uid = strcmp(name, "root") == 0 ? 0 : 1000;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *conf_path = getenv("RELAY_CONF");
	struct fake f = { getenv("SSH_ASKPASS"), getenv("RELAY_USER"),
	    getenv("RELAY_HOST") };
	struct mtls_conf *conf = NULL;
	struct mtls_verifier *v = NULL;
	gnutls_certificate_credentials_t host = NULL;
	struct mtls_server_params p;
	struct mtls_server_result res;
	struct mtls_err err = { 0, "" };
	char line[SSH_ANSWER_MAX + 1];
	int i, status = 2;

	fprintf(stderr, "fake ssh: args:");
	for (i = 1; i < argc; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "\nfake ssh: SSH_ASKPASS_REQUIRE=%s\n",
	    getenv("SSH_ASKPASS_REQUIRE") != NULL ?
	    getenv("SSH_ASKPASS_REQUIRE") : "(unset)");
	memset(&res, 0, sizeof(res));
	if (conf_path == NULL || f.askpass == NULL || f.prefix_user == NULL) {
		fprintf(stderr, "fake ssh: RELAY_CONF, RELAY_USER and "
		    "SSH_ASKPASS are needed\n");
		return 2;
	}
	if (f.prefix_host == NULL)
		f.prefix_host = "host.example.com";
	gnutls_global_init();
	if (getenv("RELAY_HOSTKEY") != NULL && run_askpass(f.askpass,
	    "The authenticity of host 'host.example.com' can't be "
	    "established.\nAre you sure you want to continue connecting "
	    "(yes/no/[fingerprint])? ", line, sizeof(line)) == 0) {
		fprintf(stderr, "fake ssh: askpass answered the host-key "
		    "question: '%s'\n", line);
		status = 3;
		goto out;
	}
	if (mtls_conf_load(conf_path, &conf, &err) != 0 ||
	    mtls_verifier_new(conf, &v, &err) != 0 ||
	    mtls_host_load(conf, &host, &err) != 0) {
		fprintf(stderr, "fake ssh: %s\n", mtls_err_msg(&err));
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.conf = conf;
	p.verifier = v;
	p.host = host;
	p.user = f.prefix_user;
	p.roundtrip = roundtrip;
	p.ctx = &f;
	p.lookup = lookup;
	if (mtls_conv_server(&p, &res) == 0) {
		fprintf(stderr, "fake ssh: accepted %s\n", p.user);
		status = 0;
	} else {
		fprintf(stderr, "fake ssh: refused (%s): %s\n",
		    mtls_errname(res.code), mtls_err_msg(&res.err));
		status = 1;
	}
	fprintf(stderr, "fake ssh: client certificates received: %zu\n",
	    res.n_chain);
 out:
	mtls_server_result_clear(&res);
	if (host != NULL)
		gnutls_certificate_free_credentials(host);
	mtls_verifier_free(v);
	mtls_conf_free(conf);
	gnutls_global_deinit();
	return status;
}
