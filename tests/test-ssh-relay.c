/*
 * test-ssh-relay.c - a stand-in for ssh(1) under `mtls ssh` (run through
 * MTLS_SSH): it runs the server side of the login conversation as sshd
 * and pam_mtls would, and carries every prompt to $SSH_ASKPASS the way
 * OpenSSH 9.2 does: argv[1] is "(user@host) " and the prompt, a fresh
 * process per prompt, the answer cut at the first newline and at 1023
 * bytes, and an empty answer when askpass fails.
 *
 * Like OpenSSH 9.2 it also answers -G (hostname and port of the
 * destination, and RELAY_KHC as the person's own KnownHostsCommand), and
 * judges the host key: it runs the KnownHostsCommand of -o (the first
 * value wins) with %I %H %t %K %% expanded, once for ORDER (%K NONE) and
 * once for HOSTNAME with the key, and goes on only when the command
 * printed "%H TYPE BASE64" for that key (StrictHostKeyChecking=yes).
 * With -N it runs LocalCommand after a successful login, as ssh does
 * after authentication, and then waits to be killed.
 *
 * Environment:
 *	RELAY_CONF	the host's mtls.conf (anchors, CRLs, map rules,
 *			host_certificate, host_key, ssh_host_key)
 *	RELAY_USER	the account being logged in to
 *	RELAY_HOST	the host name in the prefix (host.example.com)
 *	RELAY_SSH_KEY	the .pub file of the SSH host key this "ssh"
 *			meets (an impostor's, or the host's own)
 *	RELAY_PROMPT_FIRST  a prompt that is not ours, asked before the
 *			certificate login (a password-first stack)
 *	RELAY_PROMPT_AFTER  a prompt that is not ours, asked after a
 *			successful certificate login (a one-time password);
 *			the login fails (1) unless askpass answers it
 *	RELAY_KHC	for -G: the person's own KnownHostsCommand
 *
 * Prints what the server learned on stderr; exits 0 when the server
 * accepted the login, 1 when it did not, 3 when askpass answered the
 * prompt of RELAY_PROMPT_FIRST, 2 on setup errors, 255 when the host key
 * was not accepted.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "conv.h"
#include "frame.h"
#include "host.h"
#include "sshkey.h"

#define SSH_ANSWER_MAX	1023
#define KHC_OUT_MAX	(64 * 1024)

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

/* ssh's options as far as the fake needs them; the first value wins. */
struct opts {
	const char	*khc, *lc, *strict, *plc;
	const char	*host;
	unsigned	 port;
	int		 dash_n, dash_g;
};

static void
opt_o(struct opts *o, const char *kv)
{
	static const struct { const char *k; size_t off; } keys[] = {
		{ "KnownHostsCommand=", offsetof(struct opts, khc) },
		{ "LocalCommand=", offsetof(struct opts, lc) },
		{ "StrictHostKeyChecking=", offsetof(struct opts, strict) },
		{ "PermitLocalCommand=", offsetof(struct opts, plc) },
	};
	const char **slot;
	size_t i, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = strlen(keys[i].k);
		slot = (const char **)((char *)o + keys[i].off);
		if (strncasecmp(kv, keys[i].k, n) == 0 && *slot == NULL)
			*slot = kv + n;
	}
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const char *a, *at;
	int i;

	memset(o, 0, sizeof(*o));
	o->port = 22;
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (a[0] == '-' && a[1] != '\0') {
			if (strchr(a, 'N') != NULL && a[1] != 'o')
				o->dash_n = 1;
			if (strncmp(a, "-G", 2) == 0)
				o->dash_g = 1;
			if ((strcmp(a, "-o") == 0 || strcmp(a, "-p") == 0 ||
			    strcmp(a, "-l") == 0) && i + 1 < argc) {
				if (a[1] == 'o')
					opt_o(o, argv[i + 1]);
				if (a[1] == 'p')
					o->port = (unsigned)atoi(argv[i + 1]);
				i++;
			}
			continue;
		}
		if (o->host == NULL) {
			at = strrchr(a, '@');
			o->host = at != NULL ? at + 1 : a;
			if (strncmp(a, "ssh://", 6) == 0)
				o->host = "host.example.com";
		}
	}
}

/* Expand %I %H %t %K %% in a word. */
static char *
expand(const char *w, const char *const tok[4])
{
	static const char keys[] = "IHtK";
	char *out = malloc(strlen(w) + 8192), *q = out;
	const char *k;

	if (out == NULL)
		return NULL;
	for (; *w != '\0'; w++) {
		if (*w != '%' || w[1] == '\0') {
			*q++ = *w;
			continue;
		}
		w++;
		if (*w == '%')
			*q++ = '%';
		else if ((k = strchr(keys, *w)) != NULL) {
			strcpy(q, tok[k - keys]);
			q += strlen(q);
		}
	}
	*q = '\0';
	return out;
}

/* Run the KnownHostsCommand as ssh does (split at blanks, no shell). */
static int
run_khc(const char *cmd, const char *const tok[4], char *out, size_t size)
{
	char *copy = strdup(cmd), *av[64], *w, *save = NULL;
	size_t n = 0;
	ssize_t got;
	int ac = 0, fds[2], st = 0, r = -1;
	pid_t pid;

	if (copy == NULL || pipe(fds) != 0)
		goto out;
	for (w = strtok_r(copy, " ", &save); w != NULL && ac < 63;
	    w = strtok_r(NULL, " ", &save))
		av[ac++] = expand(w, tok);
	av[ac] = NULL;
	if ((pid = fork()) == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execv(av[0], av);
		_exit(127);
	}
	close(fds[1]);
	while ((got = read(fds[0], out + n, size - 1 - n)) > 0 ||
	    (got < 0 && errno == EINTR))
		if (got > 0 && (n += (size_t)got) == size - 1)
			break;
	close(fds[0]);
	out[n] = '\0';
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0)
		r = 0;
	while (ac > 0)
		free(av[--ac]);
 out:
	free(copy);
	return r;
}

/*
 * ssh's host key check: ORDER, then HOSTNAME with the key; 0 when the
 * command vouched for it, -1 when ssh would stop.
 */
static int
check_host_key(const struct opts *o, const char *pubfile)
{
	char hname[300], line[4096], out[KHC_OUT_MAX], want[4096];
	const char *tok[4];
	FILE *f;

	if (o->port == 22)
		snprintf(hname, sizeof(hname), "%s", o->host);
	else
		snprintf(hname, sizeof(hname), "[%s]:%u", o->host, o->port);
	if ((f = fopen(pubfile, "r")) == NULL ||
	    fgets(line, sizeof(line), f) == NULL) {
		fprintf(stderr, "fake ssh: cannot read %s\n", pubfile);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	*strchr(strchr(line, ' ') + 1, ' ') = '\0';	/* drop the comment */
	if (o->khc == NULL)
		goto refuse;
	tok[0] = "ORDER";
	tok[1] = hname;
	tok[2] = "NONE";
	tok[3] = "NONE";
	(void)run_khc(o->khc, tok, out, sizeof(out));
	tok[0] = "HOSTNAME";
	tok[2] = line;
	*strchr(line, ' ') = '\0';
	tok[3] = line + strlen(line) + 1;
	if (run_khc(o->khc, tok, out, sizeof(out)) != 0)
		goto refuse;
	snprintf(want, sizeof(want), "%s %s %s\n", hname, tok[2], tok[3]);
	if (strstr(out, want) != NULL)
		return 0;
 refuse:
	if (o->strict != NULL && strcmp(o->strict, "yes") == 0) {
		fprintf(stderr, "fake ssh: Host key verification failed.\n");
		return -1;
	}
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
	struct mtls_sshkeys keys;
	struct opts o;
	int i, status = 2;

	/*
	 * One write per line: mtls ssh may run this as ssh -G while the
	 * connection's own copy writes to the same stderr.
	 */
	setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
	fprintf(stderr, "fake ssh: args:");
	for (i = 1; i < argc; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "\nfake ssh: SSH_ASKPASS_REQUIRE=%s\n",
	    getenv("SSH_ASKPASS_REQUIRE") != NULL ?
	    getenv("SSH_ASKPASS_REQUIRE") : "(unset)");
	memset(&res, 0, sizeof(res));
	memset(&keys, 0, sizeof(keys));
	parse_args(argc, argv, &o);
	if (o.dash_g) {
		printf("user %s\nhostname %s\nport %u\n", f.prefix_user != NULL ?
		    f.prefix_user : "x", o.host != NULL ? o.host : "none",
		    o.port);
		if (getenv("RELAY_KHC") != NULL)
			printf("knownhostscommand %s\n", getenv("RELAY_KHC"));
		return o.host != NULL ? 0 : 255;
	}
	if (getenv("RELAY_SSH_KEY") == NULL ||
	    check_host_key(&o, getenv("RELAY_SSH_KEY")) != 0)
		return 255;
	fprintf(stderr, "fake ssh: host key accepted (%s)\n", o.dash_n ?
	    "probe" : "session");
	if (conf_path == NULL || f.askpass == NULL || f.prefix_user == NULL) {
		fprintf(stderr, "fake ssh: RELAY_CONF, RELAY_USER and "
		    "SSH_ASKPASS are needed\n");
		return 2;
	}
	if (f.prefix_host == NULL)
		f.prefix_host = "host.example.com";
	gnutls_global_init();
	if (getenv("RELAY_PROMPT_FIRST") != NULL && run_askpass(f.askpass,
	    getenv("RELAY_PROMPT_FIRST"), line, sizeof(line)) == 0) {
		fprintf(stderr, "fake ssh: askpass answered '%s'\n", line);
		status = 3;
		goto out;
	}
	if (mtls_conf_load(conf_path, &conf, &err) != 0 ||
	    mtls_verifier_new(conf, &v, &err) != 0 ||
	    mtls_host_load(conf, &host, &err) != 0 ||
	    mtls_sshkeys_load(conf, &keys, &err) != 0) {
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
	p.ssh_keys = &keys;
	if (mtls_conv_server(&p, &res) == 0) {
		fprintf(stderr, "fake ssh: accepted %s\n", p.user);
		status = 0;
		if (getenv("RELAY_PROMPT_AFTER") != NULL && run_askpass(
		    f.askpass, getenv("RELAY_PROMPT_AFTER"), line,
		    sizeof(line)) != 0) {
			fprintf(stderr, "fake ssh: no answer after the "
			    "certificate\n");
			status = 1;
			goto out;
		}
		/* -N: LocalCommand after authentication, then stay */
		if (o.dash_n && o.lc != NULL && o.plc != NULL &&
		    strcmp(o.plc, "yes") == 0) {
			fflush(stderr);
			if (system(o.lc) != 0)
				fprintf(stderr, "fake ssh: LocalCommand "
				    "failed\n");
			for (i = 0; i < 100; i++)
				usleep(100000);
		}
	} else {
		fprintf(stderr, "fake ssh: refused (%s): %s\n",
		    mtls_errname(res.code), mtls_err_msg(&res.err));
		status = 1;
	}
	fprintf(stderr, "fake ssh: client certificates received: %zu\n",
	    res.n_chain);
 out:
	mtls_server_result_clear(&res);
	mtls_sshkeys_clear(&keys);
	if (host != NULL)
		gnutls_certificate_free_credentials(host);
	mtls_verifier_free(v);
	mtls_conf_free(conf);
	gnutls_global_deinit();
	return status;
}
