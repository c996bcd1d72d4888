/*
 * cmd_ssh.c - mtls ssh: the client side of a certificate login over
 * SSH.
 *
 * mtls ssh holds the person's key and the TLS client session for the
 * whole connection and runs the system ssh with SSH_ASKPASS pointing to
 * the mtls-askpass program (askpass.c, through a link in a private
 * directory), and the same link as ssh's KnownHostsCommand.  ssh runs a
 * fresh helper for every prompt and every host key lookup; each relays
 * its message to mtls ssh over a Unix socket in that directory
 * (relay.h).
 *
 * The login is bound to the SSH connection: the host key ssh verified
 * (learned from the KnownHostsCommand call that carries it, from a child
 * of our own ssh) is sent inside TLS, and the host refuses a login whose
 * key is not its own.  ssh accepts a host key only when a host's
 * certificate vouched for it in an earlier binding (knownhosts.h); on
 * first contact, or when the key changed, a probe connection that can
 * carry nothing (no session, no forwarding) does the certificate login
 * alone, and the key is recorded only when the host accepted the binding.
 * Any refusal of the host ends the connection at once: nothing it asks
 * afterwards reaches the person.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cli.h"
#include "conv.h"
#include "frame.h"
#include "knownhosts.h"
#include "p11.h"
#include "relay.h"
#include "relaydir.h"
#include "sshargs.h"
#include "sshconf.h"
#include "util.h"

#define EXIT_SSH_FAILED	255	/* like ssh when it cannot connect */
#define CERT_MAX	(256 * 1024)
#define KEY_MAX		(64 * 1024)
#define ASKPASS_NAME	RELAY_ASKPASS_NAME
#define SSH_G_MAX	(256 * 1024)	/* what ssh -G prints */
#define MAX_PROMPTS	(MTLS_CLIENT_MAX_PROMPTS + 16) /* all told */
#define PROBE_TIMEOUT	90	/* seconds for a whole probe */
#define PROBE_GRACE	10	/* after the outcome, for ssh to finish */
/* The probe accepts plain keys only: a certificate blob cannot be
 * accepted through a known_hosts line. */
#define PLAIN_HOSTKEY_ALGS "ssh-ed25519,ecdsa-sha2-nistp256," \
	"ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"

struct ssh_opts {
	const char	*cert, *key, *config, *host_name;
	char		*buf[3];	/* defaults built here */
	int		 bare;		/* run as mtls-ssh: no mtls options */
};

/* What ssh -G says of the destination. */
struct ssh_cfg {
	char	*hostname, *alias, *khc;
	unsigned port;
	int	 batch;		/* BatchMode yes */
};

enum conn_mode { CONN_PROBE, CONN_REAL };

/* One run of ssh and what the relay learned while it ran. */
struct conn {
	enum conn_mode		 mode;
	pid_t			 pid;		/* ssh */
	struct mtls_client	*client;
	const struct kh		*kh;		/* vouched keys */
	const char		*kh_path;
	const char		*host;		/* the name the cert must hold */
	struct mtls_sshkey	 key;		/* what ssh verified */
	int			 have_key;
	char			 hname[320];	/* ssh's %H for it */
	int			 vouched;	/* REAL: key was vouched */
	int			 need_probe;	/* REAL: key was not */
	int			 recorded;	/* PROBE: key now vouched */
	int			 authenticated;	/* ssh ran LocalCommand */
	int			 killed;
	int			 batch;		/* no person may be asked */
	int			 batch_asked;	/* and ssh asked one */
	time_t			 deadline;	/* PROBE: end by then */
	int			 failed;	/* first failure, or 0 */
	struct mtls_err		 err;
	unsigned		 ours, prompts;
};

extern char **environ;

static volatile sig_atomic_t forward_sig;

static void
usage_ssh(FILE *f)
{
	fprintf(f, "usage: mtls ssh [--cert FILE] [--key FILE|pkcs11:URI] "
	    "[--config FILE]\n"
	    "                [--host-name NAME] [ssh options] [user@]host "
	    "[command...]\n");
}

/* $XDG_CONFIG_HOME/mtls/name, or ~/.config/mtls/name; malloc'd. */
static char *
xdg_path(const char *name)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char *p = NULL;

	if (x != NULL && x[0] == '/') {
		if (asprintf(&p, "%s/mtls/%s", x, name) < 0)
			p = NULL;
		return p;
	}
	if ((home == NULL || home[0] != '/') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || asprintf(&p, "%s/.config/mtls/%s", home,
	    name) < 0)
		p = NULL;
	return p;
}

static const char *
env_or_xdg(const char *var, const char *name, char **buf)
{
	const char *v = getenv(var);

	if (v != NULL && *v != '\0')
		return v;
	return *buf = xdg_path(name);
}

/* The mtls options in front of ssh's; returns the index of ssh's first. */
static int
parse_opts(int argc, char **argv, struct ssh_opts *o)
{
	static const char *const names[] = { "--cert", "--key", "--config",
	    "--host-name" };
	const char **slot[] = { &o->cert, &o->key, &o->config,
	    &o->host_name };
	int i;
	size_t k, n;

	if (o->bare)
		return 1;	/* mtls-ssh: ssh's arguments alone */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage_ssh(stdout);
			exit(0);
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			n = strlen(names[k]);
			if (strncmp(argv[i], names[k], n) != 0)
				continue;
			if (argv[i][n] == '=') {
				*slot[k] = argv[i] + n + 1;
				break;
			}
			if (argv[i][n] == '\0') {
				if (i + 1 >= argc) {
					fprintf(stderr, "mtls ssh: %s needs "
					    "an argument\n", names[k]);
					usage_ssh(stderr);
					exit(EXIT_SSH_FAILED);
				}
				*slot[k] = argv[++i];
				break;
			}
		}
		if (k == sizeof(names) / sizeof(names[0]))
			break;
	}
	return i;
}

/* Fill in the defaults; 0, or -1 after a message. */
static int
resolve_files(struct ssh_opts *o)
{
	const char *c = getenv("MTLS_CONFIG");

	if (o->cert == NULL)
		o->cert = env_or_xdg("MTLS_CERT", "cert.pem", &o->buf[0]);
	if (o->key == NULL)
		o->key = env_or_xdg("MTLS_KEY", "key.pem", &o->buf[1]);
	if (o->config == NULL && c != NULL && *c != '\0')
		o->config = c;
	if (o->config == NULL) {
		o->buf[2] = xdg_path("mtls.conf");
		o->config = o->buf[2] != NULL && access(o->buf[2], F_OK) == 0 ?
		    o->buf[2] : MTLS_DEFAULT_CONFIG;
	}
	if (o->cert == NULL || o->key == NULL) {
		fprintf(stderr, "mtls ssh: no home directory to find the "
		    "certificate in: give --cert and --key\n");
		return -1;
	}
	return 0;
}

/* A PEM key that a passphrase locks (PKCS#8, or OpenSSL's old form). */
static int
key_encrypted(const char *buf, size_t len)
{
	static const char *const marks[] = {
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED" };
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (memmem(buf, len, marks[i], strlen(marks[i])) != NULL)
			return 1;
	return 0;
}

/*
 * The person's certificate and key (a file, or a pkcs11: URI).  Nothing
 * here asks for a passphrase: a key file must need none.
 */
static int
load_cred(const char *cert, const char *key,
    gnutls_certificate_credentials_t *out, struct mtls_err *e)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
	char *cbuf = NULL, *kbuf = NULL;
	size_t clen = 0, klen = 0;
	int g, r;

	*out = NULL;
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		r = mtls_err_set(e, MTLS_E_NOMEM, NULL);
		goto out;
	}
	if ((r = mtls_file_read_any(cert, "certificate", CERT_MAX, &cbuf,
	    &clen, e)) != 0)
		goto out;
	if (strncmp(key, "pkcs11:", 7) == 0) {
		g = gnutls_certificate_set_x509_key_file2(cred, cert, key,
		    GNUTLS_X509_FMT_PEM, NULL, 0);
	} else {
		if ((r = mtls_file_read_secret(key, "private key", KEY_MAX,
		    &kbuf, &klen, e)) != 0)
			goto out;
		if (key_encrypted(kbuf, klen)) {
			r = mtls_err_set(e, MTLS_E_BAD_PEM, "%s is encrypted: "
			    "mtls ssh takes a key file that no passphrase "
			    "locks, or a key on a token", key);
			goto out;
		}
		cd.data = (unsigned char *)cbuf;
		cd.size = (unsigned)clen;
		kd.data = (unsigned char *)kbuf;
		kd.size = (unsigned)klen;
		g = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd,
		    GNUTLS_X509_FMT_PEM, NULL, 0);
	}
	if (g < 0) {
		r = mtls_err_set(e, MTLS_E_BAD_PEM, "%s with %s: %s", cert,
		    strncmp(key, "pkcs11:", 7) == 0 ? "the token's key" : key,
		    gnutls_strerror(g));
		goto out;
	}
	*out = cred;
	cred = NULL;
	r = 0;
 out:
	if (kbuf != NULL) {
		explicit_bzero(kbuf, klen);
		free(kbuf);
	}
	free(cbuf);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	return r;
}

/* Show a prompt from elsewhere without its control characters. */
static void
show_prompt(int tty, const char *prompt)
{
	char out[512];
	size_t n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)prompt; *p != '\0'; p++) {
		out[n++] = *p == '\n' || (*p >= ' ' && *p != 0x7f) ?
		    (char)*p : '?';
		if (n == sizeof(out)) {
			(void)!write(tty, out, n);
			n = 0;
		}
	}
	(void)!write(tty, out, n);
}

/*
 * Ask the person on the terminal: echo only for yes/no questions.  Gives
 * up when askpass goes away (ssh was interrupted).  0 and the line typed.
 */
static int
ask_person(const char *prompt, int conn, char *buf, size_t size)
{
	struct termios old, quiet;
	struct pollfd pfd[2];
	size_t n = 0;
	ssize_t got;
	char ch;
	int tty, echo, restore = 0, r = -1;

	if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "mtls: no terminal to answer ssh's prompt "
		    "on: %.200s\n", prompt);
		return -1;
	}
	echo = strstr(prompt, "(yes/no") != NULL;
	if (!echo && tcgetattr(tty, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		restore = tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
	}
	show_prompt(tty, prompt);
	pfd[0].fd = tty;
	pfd[0].events = POLLIN;
	pfd[1].fd = conn;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (pfd[1].revents != 0)
			goto out;
		if ((got = read(tty, &ch, 1)) < 0 && errno == EINTR)
			continue;
		if (got != 1)
			goto out;
		if (ch == '\n' || ch == '\r')
			break;
		if (n + 1 >= size)
			goto out;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	r = 0;
 out:
	ch = 0;
	if (r != 0)
		explicit_bzero(buf, size);
	if (restore) {
		tcsetattr(tty, TCSAFLUSH, &old);
		(void)!write(tty, "\n", 1);
	}
	close(tty);
	return r;
}

/* --- one connection -------------------------------------------------------- */

static void
conn_kill(struct conn *c)
{
	if (c->pid > 0 && !c->killed) {
		kill(c->pid, SIGKILL);
		c->killed = 1;
	}
}

/* The host is refused: remember why (the first reason) and end ssh. */
static void
conn_fail(struct conn *c, int code, const struct mtls_err *e,
    const char *fmt, ...)
{
	va_list ap;

	conn_kill(c);
	if (c->failed != 0)
		return;
	c->failed = code;
	if (e != NULL && fmt == NULL) {
		c->err = *e;
		return;
	}
	c->err.code = code;
	va_start(ap, fmt);
	vsnprintf(c->err.msg, sizeof(c->err.msg), fmt, ap);
	va_end(ap);
}

/* The parent of process pid, from /proc, or -1. */
static pid_t
parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	long pp;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold anything, even ")" */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %ld",
	    &pp) != 1)
		return -1;
	return (pid_t)pp;
}

/* "[host]:port" when hname has a port, else host; lower case. */
static int
name_like(const char *hname, const char *host, char *out, size_t size)
{
	const char *port = hname[0] == '[' ? strstr(hname, "]:") : NULL;
	size_t i;
	int n;

	n = port != NULL ? snprintf(out, size, "[%s%s", host, port) :
	    snprintf(out, size, "%s", host);
	if (n < 0 || (size_t)n >= size)
		return -1;
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return kh_name_ok(out) ? 0 : -1;
}

/* The probe's work is done: record the key the host vouched for. */
static void
conn_record(struct conn *c)
{
	struct mtls_err e = { 0, "" };
	char other[SSH_HOST_MAX + 64];
	char *names[2];
	size_t n = 0;

	names[n++] = c->hname;
	if (name_like(c->hname, c->host, other, sizeof(other)) == 0 &&
	    strcmp(other, c->hname) != 0)
		names[n++] = other;
	if (kh_record(c->kh_path, names, n, &c->key, &e) != 0) {
		conn_fail(c, e.code, &e, NULL);
		return;
	}
	c->recorded = 1;
	/* ssh gets a moment to finish authenticating, then it ends */
	c->deadline = time(NULL) + PROBE_GRACE;
}

/*
 * ssh's KnownHostsCommand: "I\nH\nT\nK".  The lines ssh is to trust, or
 * NULL to refuse.  The key is learned only from a call that carries one.
 */
static char *
on_known_hosts(struct conn *c, char *msg)
{
	char *f[4], *p = msg, *line = NULL, *b64 = NULL;
	unsigned char blob[MTLS_SSHKEY_BLOB_MAX];
	struct mtls_sshkey key;
	size_t i, n = 0;

	memset(&key, 0, sizeof(key));
	for (i = 0; i < 4; i++) {
		f[i] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
		else if (i < 3)
			return NULL;
	}
	if (!kh_name_ok(f[1]))
		return strdup("");	/* nothing vouches for such a name */
	if (strcmp(f[3], "NONE") == 0 || strcmp(f[0], "HOSTNAME") != 0)
		return kh_lines(c->kh, f[1]);	/* ORDER, ADDRESS */
	if (mtls_b64_decode(f[3], strlen(f[3]), blob, sizeof(blob), &n) != 0 ||
	    mtls_sshkey_from_blob(blob, n, &key) != 0) {
		conn_fail(c, MTLS_E_PROTOCOL, NULL, "ssh reported a host key "
		    "(%.40s) that mtls cannot read", f[2]);
		goto out;
	}
	if (c->have_key && (!mtls_sshkey_equal(&key, &c->key) ||
	    strcmp(f[1], c->hname) != 0)) {
		conn_fail(c, MTLS_E_PROTOCOL, NULL, "the host key changed "
		    "during the connection");
		goto out;
	}
	if (!c->have_key) {
		snprintf(c->hname, sizeof(c->hname), "%s", f[1]);
		c->key = key;
		memset(&key, 0, sizeof(key));
		c->have_key = 1;
		if (mtls_client_set_binding(c->client, &c->key) != 0) {
			conn_fail(c, MTLS_E_NOMEM, NULL, "out of memory");
			goto out;
		}
	}
	if (c->mode == CONN_REAL) {
		if (!kh_vouched(c->kh, c->hname, &c->key)) {
			/* ssh must not judge it: end it before it does */
			c->need_probe = 1;
			conn_kill(c);
			goto out;
		}
		c->vouched = 1;
		line = kh_lines(c->kh, c->hname);
		goto out;
	}
	/* The probe takes the key provisionally: it can carry nothing. */
	if ((b64 = mtls_sshkey_base64(&c->key)) == NULL ||
	    asprintf(&line, "%s %s %s\n", c->hname, c->key.type, b64) < 0)
		line = NULL;
 out:
	free(b64);
	mtls_sshkey_clear(&key);
	return line;
}

/* After our prompt was answered: act on the outcome, if it came. */
static void
on_outcome(struct conn *c)
{
	const char *detail = NULL;
	int o = mtls_client_outcome(c->client, &detail);

	if (o == 0)
		conn_fail(c, MTLS_E_DENIED, NULL, "%s", detail);
	else if (o == 1 && c->mode == CONN_PROBE)
		conn_record(c);
}

/* A certificate-login prompt of any version, well formed or not. */
static int
looks_ours(const char *prompt)
{
	enum mtls_frame_verb verb;
	unsigned seq;
	unsigned char *data = NULL;
	size_t len;
	int r;

	r = mtls_frame_parse_prompt(prompt, &verb, &seq, &data, &len);
	free(data);
	return r != MTLS_E_NOT_OURS || strstr(prompt, MTLS_FRAME_MARKER_V1) !=
	    NULL;
}

/* A prompt from ssh: the reply, or NULL to refuse. */
static char *
on_prompt(struct conn *c, const char *prompt, int fd, int child)
{
	struct mtls_err e = { 0, "" };
	char *answer = NULL, typed[RELAY_ANSWER_MAX + 1];
	int r;

	if (++c->prompts > MAX_PROMPTS) {
		conn_fail(c, MTLS_E_LIMIT, NULL, "the host sent more prompts "
		    "than any login needs");
		return NULL;
	}
	if (c->failed != 0 || c->killed)
		return NULL;
	if (!child) {
		/* a ProxyJump hop's ssh: never our login, never the probe's */
		if (c->mode == CONN_PROBE || looks_ours(prompt))
			return NULL;
		goto person;
	}
	r = mtls_client_step(c->client, prompt, &answer, &e);
	if (r == 0) {
		c->ours++;
		on_outcome(c);
		if (c->failed != 0) {
			free(answer);
			answer = NULL;
		}
		return answer;
	}
	if (r != MTLS_E_NOT_OURS) {
		conn_fail(c, r, &e, NULL);
		return NULL;
	}
	if (c->mode == CONN_PROBE && c->recorded) {
		/* more to authenticate (an OTP): the real connection's job */
		conn_kill(c);
		return NULL;
	}
	if (c->mode == CONN_PROBE) {
		conn_fail(c, MTLS_E_PROTOCOL, NULL, "the host asked for "
		    "something other than the certificate login (\"%.60s\") "
		    "before its SSH key was vouched for; nothing was sent",
		    prompt);
		return NULL;
	}
	if (!c->vouched) {
		conn_fail(c, MTLS_E_NO_BINDING, NULL, "ssh asked before it "
		    "reported the host key it verified (OpenSSH 8.5 or later "
		    "is needed)");
		return NULL;
	}
 person:
	if (c->batch) {
		/* BatchMode: a question for a person ends the command */
		conn_fail(c, MTLS_E_DENIED, NULL, "batch mode: ssh asked "
		    "for something other than the certificate login "
		    "(\"%.60s\"); no person is asked and nothing was "
		    "answered", prompt);
		c->batch_asked = 1;
		return NULL;
	}
	typed[0] = '\0';
	if (ask_person(prompt, fd, typed, sizeof(typed)) == 0)
		answer = strdup(typed);
	explicit_bzero(typed, sizeof(typed));
	return answer;
}

/* One helper connection: one message, one reply. */
static void
serve(int fd, struct conn *c)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct mtls_err e = { 0, "" };
	char *msg = NULL, *reply = NULL;
	int type = -1, child;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    cr.uid != getuid())
		goto out;
	if (relay_read(fd, &type, &msg, &e) != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		goto out;
	}
	/* Tie what we learn to our ssh, not to any ssh that runs us. */
	child = c->pid > 0 && parent_of(cr.pid) == c->pid;
	switch (type) {
	case RELAY_KNOWN_HOSTS:
		reply = child && c->failed == 0 ? on_known_hosts(c, msg) : NULL;
		(void)relay_reply_text(fd, c->killed ? NULL : reply);
		break;
	case RELAY_AUTHENTICATED:
		if (c->mode == CONN_PROBE) {
			c->authenticated = 1;
			/* done, or let in without our login: either way */
			conn_kill(c);
		}
		(void)relay_reply_text(fd, "");
		break;
	case RELAY_PROMPT:
		reply = on_prompt(c, msg, fd, child);
		(void)relay_reply(fd, c->killed ? NULL : reply);
		break;
	default:
		break;
	}
 out:
	if (reply != NULL) {
		explicit_bzero(reply, strlen(reply));
		free(reply);
	}
	free(msg);
}

static void
on_signal(int sig)
{
	forward_sig = sig;
}

/* How long poll() may sleep: until the deadline, or for good. */
static int
poll_timeout(const struct conn *c, int pidfd)
{
	time_t now = time(NULL);

	if (c->deadline != 0)
		return c->deadline > now ? (int)(c->deadline - now) * 1000 +
		    10 : 0;
	return pidfd >= 0 ? -1 : 100;	/* without a pidfd: look again */
}

/*
 * Serve helper connections until ssh exits; returns its exit status.
 * ssh's exit wakes the loop through a pidfd, so mtls ssh ends with it.
 */
static int
relay_loop(int lfd, struct conn *c)
{
	struct pollfd pfd[2];
	pid_t w;
	int ws = 0, fd, pidfd, status = EXIT_SSH_FAILED;

	pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	for (;;) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = pidfd;	/* ignored when -1 */
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, 2, poll_timeout(c, pidfd)) > 0 &&
		    (pfd[0].revents & POLLIN) != 0 &&
		    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			serve(fd, c);
			close(fd);
		}
		if (forward_sig != 0) {
			kill(c->pid, forward_sig);
			forward_sig = 0;
		}
		if (c->deadline != 0 && time(NULL) > c->deadline)
			conn_kill(c);
		w = waitpid(c->pid, &ws, WNOHANG);
		if (w == c->pid)
			break;
		if (w < 0 && errno != EINTR)
			goto out;
	}
	if (WIFEXITED(ws))
		status = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		status = 128 + WTERMSIG(ws);
 out:
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

/* --- what is told ---------------------------------------------------------- */

/* Why the host was refused (or what went wrong), on stderr. */
static void
report_failure(const struct conn *c, const char *host,
    const struct p11_pin *pin)
{
	const char *subj = mtls_client_host_subject(c->client), *keys = NULL;

	if (c->batch_asked)
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&c->err));
	else if (mtls_client_relayed(c->client, &keys))
		fprintf(stderr, "mtls: this connection is relayed: %s's "
		    "certificate (%s) does not vouch for the SSH key you "
		    "connected to (%s); the host's own keys are %s. Nothing "
		    "more was sent.\n", host, subj != NULL ? subj : "?",
		    c->key.fp, keys[0] != '\0' ? keys : "not configured");
	else if (c->failed == MTLS_E_DENIED)
		fprintf(stderr, "mtls: the host refused: %s\n",
		    mtls_err_msg(&c->err));
	else if (c->failed == MTLS_E_HOST_REJECTED)
		fprintf(stderr, "mtls: refused the host: %s\n",
		    mtls_err_msg(&c->err));
	else if (c->failed != 0 && pin != NULL && p11_pin_problem(pin) != NULL)
		fprintf(stderr, "mtls: certificate login failed: %s\n",
		    p11_pin_problem(pin));
	else if (c->failed != 0)
		fprintf(stderr, "mtls: refused the host %s: %s\n", host,
		    mtls_err_msg(&c->err));
	else if (c->mode == CONN_PROBE && c->authenticated)
		fprintf(stderr, "mtls: %s let ssh in without a certificate "
		    "login: it is not a host of your organization, or not "
		    "set up for mtls; the connection was closed and nothing "
		    "was sent\n", host);
	else if (c->ours == 0)
		fprintf(stderr, "mtls: %s did not ask for a certificate "
		    "login\n", host);
	else
		fprintf(stderr, "mtls: the certificate login did not "
		    "finish\n");
}

static void
report(const struct conn *c, const char *host, const struct p11_pin *pin)
{
	const char *detail = NULL, *subj = mtls_client_host_subject(c->client);

	if (c->failed == 0 && mtls_client_outcome(c->client, &detail) == 1) {
		if (c->mode == CONN_PROBE)
			fprintf(stderr, "mtls: %s (%s) vouched for its SSH "
			    "host key %s (recorded in %s)\n", host,
			    subj != NULL ? subj : "?", c->key.fp, c->kh_path);
		else
			fprintf(stderr, "mtls: %s (%s) accepted the "
			    "certificate for %s\n", host, subj != NULL ? subj :
			    "?", detail);
		return;
	}
	/*
	 * The real connection asked for no word of a success: a host that
	 * had all of the flight and refused nothing let ssh go on, and what
	 * happened next is ssh's to tell, as after a public-key login.
	 */
	if (c->failed == 0 && c->mode == CONN_REAL &&
	    mtls_client_flight_sent(c->client))
		return;
	report_failure(c, host, pin);
}

/* --- running ssh ----------------------------------------------------------- */

/* A directory name ssh can take in a command line: no blanks, ", ', %. */
static int
path_plain(const char *p)
{
	return strpbrk(p, " \t\n\"'\\%") == NULL;
}

/*
 * The program ssh is to run as its askpass, into out: mtls-askpass
 * (cli_helper_path), else this program itself, which acts as askpass
 * under that name too but costs ssh more to start (GnuTLS and its
 * libraries) at every prompt.
 */
static void
askpass_program(const char *exe, char *out, size_t size)
{
	if (cli_helper_path(ASKPASS_NAME, out, size) != 0)
		snprintf(out, size, "%s", exe);
}

/*
 * The private directory with the socket and the helper's link; 0 and the
 * listening socket in *lfd, or -1 after a message.  Its path goes into
 * ssh's command lines, so it must be plain.
 */
static int
make_relay(char *dir, size_t size, int *lfd)
{
	struct mtls_err e = { 0, "" };
	const char *tmp = getenv("TMPDIR");
	char exe[PATH_MAX], helper[PATH_MAX];
	ssize_t n;

	dir[0] = '\0';
	if (tmp == NULL || tmp[0] != '/' || !path_plain(tmp))
		tmp = "/tmp";
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		fprintf(stderr, "mtls ssh: cannot find this program: %s\n",
		    strerror(errno));
		return -1;
	}
	exe[n] = '\0';
	askpass_program(exe, helper, sizeof(helper));
	if (relay_dir_new(tmp, "mtls-ssh", helper, dir, size, lfd, &e) != 0) {
		fprintf(stderr, "mtls ssh: %s\n", mtls_err_msg(&e));
		return -1;
	}
	return 0;
}

static const char *
ssh_program(void)
{
	const char *ssh = getenv("MTLS_SSH");

	return ssh != NULL && *ssh != '\0' ? ssh : "ssh";
}

/*
 * Start av (NULL-terminated) with the environment env: stdin from
 * /dev/null when null_stdin, stdout to out when it is not -1.  The pid,
 * or -1 after a message.  posix_spawn rather than fork: this process
 * maps GnuTLS and its libraries, whose pages a fork would copy to no
 * use just before the exec.
 */
static pid_t
spawn(char **av, char **env, int null_stdin, int out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	int r;

	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		fprintf(stderr, "mtls ssh: %s\n", strerror(r));
		return -1;
	}
	if (null_stdin)
		r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
		    "/dev/null", O_RDONLY, 0);
	if (r == 0 && out >= 0)
		r = posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	fflush(NULL);
	if (r == 0)
		r = posix_spawnp(&pid, av[0], &fa, NULL, av, env);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		fprintf(stderr, "mtls ssh: cannot run %s: %s\n", av[0],
		    strerror(r));
		return -1;
	}
	return pid;
}

/* The -o options that make ssh ours: first, so that ssh keeps them. */
struct ssh_argv {
	char	*khc, *lc;	/* KnownHostsCommand=..., LocalCommand=... */
	char	*av[512];
	char	 buf[8192];	/* rebuilt option clusters */
	size_t	 n;
};

static int
av_add(struct ssh_argv *a, const char *w)
{
	if (a->n + 2 > sizeof(a->av) / sizeof(a->av[0]))
		return -1;
	a->av[a->n++] = (char *)w;
	a->av[a->n] = NULL;
	return 0;
}

static int
av_opt(struct ssh_argv *a, const char *o)
{
	return av_add(a, "-o") == 0 && av_add(a, o) == 0 ? 0 : -1;
}

/*
 * The real connection: only a vouched plain key, checked by ssh itself,
 * and a connection of its own (a multiplexed session would skip the host
 * key check and the login, and run on whatever the master met).  ssh's
 * BatchMode turns keyboard-interactive off, so ssh never runs in it:
 * mtls ssh keeps batch mode itself (no prompt reaches a person).
 */
static const char *const real_opts[] = {
	"BatchMode=no", "StrictHostKeyChecking=yes", "CheckHostIP=no",
	"UpdateHostKeys=no", "HostKeyAlgorithms=" PLAIN_HOSTKEY_ALGS,
	"ControlMaster=no", "ControlPath=none",
	"KbdInteractiveAuthentication=yes", NULL
};

static const char *const probe_opts[] = {
	"SessionType=none", "ClearAllForwardings=yes", "ForwardAgent=no",
	"ForwardX11=no", "ForwardX11Trusted=no", "Tunnel=no",
	"ControlMaster=no", "ControlPath=none", "ControlPersist=no",
	"RemoteCommand=none", "RequestTTY=no", "ForkAfterAuthentication=no",
	"StdinNull=yes", "EscapeChar=none", "PermitLocalCommand=yes",
	"BatchMode=no", "StrictHostKeyChecking=yes", "CheckHostIP=no",
	"UpdateHostKeys=no", "HostKeyAlgorithms=" PLAIN_HOSTKEY_ALGS,
	"KbdInteractiveAuthentication=yes",
	"PreferredAuthentications=keyboard-interactive", NULL
};

/* Build the command line of a probe or of the real connection. */
static int
build_argv(struct ssh_argv *a, enum conn_mode mode, int argc, char **args,
    const struct ssh_dest *d, const char *dir, const struct ssh_cfg *cfg)
{
	const char *const *o = mode == CONN_PROBE ? probe_opts : real_opts;
	int i, k, end = d->insert > d->index ? d->insert : d->index + 1;

	memset(a, 0, sizeof(*a));
	if (asprintf(&a->khc, "KnownHostsCommand=%s/" ASKPASS_NAME
	    " --known-hosts %%I %%H %%t %%K%s%s", dir, cfg->khc != NULL ?
	    " -- " : "", cfg->khc != NULL ? cfg->khc : "") < 0) {
		a->khc = NULL;
		return -1;
	}
	if (av_add(a, ssh_program()) != 0 || av_opt(a, a->khc) != 0)
		return -1;
	for (; *o != NULL; o++)
		if (av_opt(a, *o) != 0)
			return -1;
	if (mode == CONN_PROBE) {
		if (asprintf(&a->lc, "LocalCommand=%s/" ASKPASS_NAME
		    " --authenticated", dir) < 0) {
			a->lc = NULL;
			return -1;
		}
		if (av_add(a, "-N") != 0 || av_opt(a, a->lc) != 0)
			return -1;
		k = ssh_args_probe(end, args, d->index, a->av + a->n, a->buf,
		    sizeof(a->buf));
		if (k < 0 || a->n + (size_t)k + 2 > sizeof(a->av) /
		    sizeof(a->av[0]))
			return -1;
		a->n += (size_t)k;
		return av_add(a, args[d->index]);
	}
	for (i = 0; i < d->insert; i++)
		if (av_add(a, args[i]) != 0)
			return -1;
	/* the person's own preference, if any, comes first */
	if (av_opt(a, "PreferredAuthentications=keyboard-interactive,"
	    "password") != 0)
		return -1;
	for (i = d->insert; i < argc; i++)
		if (av_add(a, args[i]) != 0)
			return -1;
	(void)argc;
	return 0;
}

static void
argv_free(struct ssh_argv *a)
{
	free(a->khc);
	free(a->lc);
}

/* --- ssh -G ---------------------------------------------------------------- */

static void
cfg_free(struct ssh_cfg *c)
{
	free(c->hostname);
	free(c->alias);
	free(c->khc);
	memset(c, 0, sizeof(*c));
}

static int
cfg_line(struct ssh_cfg *c, const char *line)
{
	const char *v = strchr(line, ' ');
	char **slot = NULL;

	if (v == NULL)
		return 0;
	v++;
	if (strncmp(line, "hostname ", 9) == 0)
		slot = &c->hostname;
	else if (strncmp(line, "hostkeyalias ", 13) == 0)
		slot = &c->alias;
	else if (strncmp(line, "knownhostscommand ", 18) == 0)
		slot = &c->khc;
	else if (strncmp(line, "port ", 5) == 0)
		c->port = (unsigned)strtoul(v, NULL, 10);
	else if (strcmp(line, "batchmode yes") == 0)
		c->batch = 1;
	if (slot != NULL && *slot == NULL && (*slot = strdup(v)) == NULL)
		return -1;
	return 0;
}

/* ssh -G, running while ssh connects: its output is read later. */
struct ssh_g {
	pid_t	pid;
	int	fd;		/* its stdout */
	char	**av;
};

/*
 * Start ssh -G with the person's options and the destination; what it
 * prints is read by cfg_finish().  0, or -1 after a message.
 */
static int
cfg_start(int argc, char **args, const struct ssh_dest *d, struct ssh_g *g)
{
	int end = d->insert > d->index ? d->insert : d->index + 1, p[2], i;

	g->pid = -1;
	g->fd = -1;
	(void)argc;
	if ((g->av = calloc((size_t)end + 3, sizeof(*g->av))) == NULL ||
	    pipe2(p, O_CLOEXEC) != 0) {
		fprintf(stderr, "mtls ssh: %s\n", strerror(errno));
		return -1;
	}
	g->av[0] = (char *)ssh_program();
	g->av[1] = (char *)"-GT";	/* -T: no word about a terminal */
	for (i = 0; i < end; i++)
		g->av[i + 2] = args[i];
	g->av[end + 2] = NULL;
	g->pid = spawn(g->av, environ, 0, p[1]);
	close(p[1]);
	if (g->pid < 0) {
		close(p[0]);
		return -1;
	}
	g->fd = p[0];
	return 0;
}

/*
 * What ssh's configuration makes of the destination, from ssh -G.  0, or
 * -1 after a message.
 */
static int
cfg_finish(struct ssh_g *g, struct ssh_cfg *cfg)
{
	char *out = NULL, *line, *nl;
	size_t n = 0;
	ssize_t got;
	int st = 0, r = -1;

	memset(cfg, 0, sizeof(*cfg));
	if ((out = malloc(SSH_G_MAX + 1)) == NULL) {
		fprintf(stderr, "mtls ssh: %s\n", strerror(errno));
		goto out;
	}
	while (n < SSH_G_MAX && ((got = read(g->fd, out + n, SSH_G_MAX - n)) >
	    0 || (got < 0 && errno == EINTR)))
		if (got > 0)
			n += (size_t)got;
	out[n] = '\0';
	close(g->fd);
	g->fd = -1;
	while (waitpid(g->pid, &st, 0) < 0 && errno == EINTR)
		;
	g->pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "mtls ssh: %s -G failed: cannot read ssh's "
		    "configuration\n", g->av[0]);
		goto out;
	}
	for (line = out; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		if (cfg_line(cfg, line) != 0)
			goto out;
	}
	if (cfg->hostname == NULL || cfg->port == 0) {
		fprintf(stderr, "mtls ssh: %s -G named no host or port\n",
		    g->av[0]);
		goto out;
	}
	r = 0;
 out:
	free(out);
	free(g->av);
	g->av = NULL;
	return r;
}

/* An ssh -G that is not to be read: end and reap it. */
static void
cfg_abandon(struct ssh_g *g)
{
	free(g->av);
	g->av = NULL;
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	if (g->pid > 0) {
		kill(g->pid, SIGKILL);
		while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	g->pid = -1;
}

/* ssh's %H for the destination: the alias, or [host]:port, lower case. */
static int
cfg_hname(const struct ssh_cfg *cfg, char *out, size_t size)
{
	size_t i;
	int n;

	if (cfg->alias != NULL)
		n = snprintf(out, size, "%s", cfg->alias);
	else if (cfg->port == 22)
		n = snprintf(out, size, "%s", cfg->hostname);
	else
		n = snprintf(out, size, "[%s]:%u", cfg->hostname, cfg->port);
	if (n < 0 || (size_t)n >= size)
		return -1;
	for (i = 0; cfg->alias == NULL && out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return kh_name_ok(out) ? 0 : -1;
}

/* --- mtls ssh ---------------------------------------------------------------- */

struct session {
	int			 argc;
	char			**args;
	struct ssh_dest		 d;
	const struct ssh_opts	*o;
	int			 use_g;		/* ssh -G is needed */
	int			 g_read;	/* and was read before ssh */
	struct ssh_g		 g;		/* ssh -G, until read */
	int			 batch;		/* BatchMode: ask no person */
	int			 ready;		/* session_ready() done */
	struct ssh_cfg		 cfg;		/* ssh -G's answer */
	struct mtls_verifier	*v;
	gnutls_certificate_credentials_t cred;
	const char		*host;
	char			 dir[PATH_MAX];
	int			 lfd;
	char			**env;		/* ssh's: ours and askpass's */
	char			*env_add[2];
	char			*kh_path;
	struct kh		 kh;
	const struct p11_pin	*pin;
};

/* What became of one connection. */
enum conn_next {
	NEXT_DONE,	/* its status is the session's */
	NEXT_PROBE,	/* the key met was not vouched for: probe first */
	NEXT_AGAIN,	/* ssh's configuration asks for another command line */
};

/*
 * What ssh -G's answer decides: the name the host's certificate must
 * carry (the HostName ssh connects to, unless --host-name names one)
 * and batch mode (unless the command line set BatchMode either way).
 */
static void
session_from_cfg(struct session *s)
{
	if (s->o->host_name == NULL)
		s->host = s->cfg.hostname;
	if (!s->d.batch_given)
		s->batch = s->cfg.batch;
}

/*
 * What waits until ssh runs: ssh -G's answer, the configuration with the
 * trust anchors that judge the host, and the person's certificate and
 * key (from a file; a token's is loaded before).  The first
 * connection's ssh is started before, so that this work overlaps its
 * start and key exchange; nothing of it is answered before this is
 * done.  0, or -1 after a message.
 */
static int
session_ready(struct session *s)
{
	struct mtls_conf *conf = NULL;
	struct mtls_err e = { 0, "" };
	int r = -1;

	if (s->ready)
		return 0;
	if (mtls_conf_load(s->o->config, &conf, &e) != 0 ||
	    mtls_verifier_new(conf, &s->v, &e) != 0 ||
	    (s->cred == NULL && load_cred(s->o->cert, s->o->key, &s->cred,
	    &e) != 0)) {
		fprintf(stderr, "mtls ssh: %s\n", mtls_err_msg(&e));
		goto out;
	}
	if (s->use_g && !s->g_read) {
		if (cfg_finish(&s->g, &s->cfg) != 0)
			goto out;
		session_from_cfg(s);
	}
	s->ready = 1;
	r = 0;
 out:
	mtls_conf_free(conf);
	return r;
}

/*
 * Before the first connection is served: is its command line the one
 * ssh -G's answer calls for?  A person's own KnownHostsCommand goes into
 * it, and a destination whose key nothing vouched for needs a probe
 * first.
 */
static enum conn_next
first_conn_next(const struct session *s)
{
	char hname[SSH_HOST_MAX + 32];

	if (cfg_hname(&s->cfg, hname, sizeof(hname)) != 0 ||
	    !kh_known(&s->kh, hname))
		return NEXT_PROBE;
	/* a command line built after ssh -G holds the person's command */
	return s->cfg.khc != NULL && !s->g_read ? NEXT_AGAIN : NEXT_DONE;
}

/*
 * Run one connection in mode; its ssh's exit status, or EXIT_SSH_FAILED
 * before ssh ran, in *status.  NEXT_PROBE: a real connection met a key
 * that no certificate vouched for.  *ok: a probe recorded the key.
 */
static enum conn_next
run_conn(struct session *s, enum conn_mode mode, int *status, int *ok)
{
	struct ssh_argv a;
	struct conn c;
	struct mtls_err e = { 0, "" };
	enum conn_next next = NEXT_DONE;
	int early = !s->ready;

	memset(&c, 0, sizeof(c));
	*status = EXIT_SSH_FAILED;
	*ok = 0;
	c.mode = mode;
	c.kh = &s->kh;
	c.kh_path = s->kh_path;
	if (build_argv(&a, mode, s->argc, s->args, &s->d, s->dir,
	    &s->cfg) != 0) {
		fprintf(stderr, "mtls ssh: too many ssh arguments\n");
		argv_free(&a);
		goto out;
	}
	c.pid = spawn(a.av, s->env, mode == CONN_PROBE, -1);
	argv_free(&a);
	if (c.pid < 0)
		goto out;
	/* ssh -G after the ssh that waits for nothing else */
	if ((early && s->use_g && !s->g_read && cfg_start(s->argc, s->args,
	    &s->d, &s->g) != 0) || session_ready(s) != 0 ||
	    (early && s->use_g && !s->g_read &&
	    (next = first_conn_next(s)) != NEXT_DONE) ||
	    mtls_client_new(s->v, s->cred, s->host, &c.client, &e) != 0) {
		if (e.code != 0)
			fprintf(stderr, "mtls ssh: %s\n", mtls_err_msg(&e));
		conn_kill(&c);
		while (waitpid(c.pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	c.host = s->host;
	c.batch = s->batch;
	/*
	 * On the real connection the host key was vouched for already: the
	 * host's word on a success adds nothing, and asking for none saves
	 * a round trip (and a run of the askpass program).  A probe must
	 * hear it: the key is recorded only when the host accepted it.
	 */
	if (mode == CONN_REAL)
		mtls_client_no_ok(c.client);
	if (mode == CONN_PROBE)
		c.deadline = time(NULL) + PROBE_TIMEOUT;
	*status = relay_loop(s->lfd, &c);
	if (mode == CONN_REAL && c.need_probe && c.failed == 0) {
		next = NEXT_PROBE;
		goto out;
	}
	report(&c, s->host, s->pin);
	*ok = mode == CONN_PROBE && c.recorded && c.failed == 0;
	if (c.failed != 0 || (mode == CONN_PROBE && !*ok))
		*status = EXIT_SSH_FAILED;
 out:
	mtls_sshkey_clear(&c.key);
	mtls_client_free(c.client);
	return next;
}

/* Reread the vouched keys (a probe has just added one). */
static int
session_load_kh(struct session *s)
{
	struct mtls_err e = { 0, "" };

	kh_clear(&s->kh);
	if (kh_load(s->kh_path, &s->kh, &e) != 0) {
		fprintf(stderr, "mtls ssh: %s\n", mtls_err_msg(&e));
		return -1;
	}
	return 0;
}

/*
 * The connection the person asked for, after a probe when no
 * certificate has vouched for the host's key yet, or when the key met
 * is not the one vouched for.  The first ssh starts at once, before
 * ssh -G has answered: it is ended unanswered when the answer calls for
 * a probe or another command line.
 */
static int
session_run(struct session *s)
{
	enum conn_next next = NEXT_DONE;
	int status = EXIT_SSH_FAILED, ok = 0, probes = 0, tries;

	if (session_load_kh(s) != 0)
		return status;
	/*
	 * Nothing vouched for yet, whatever ssh calls the host: a probe
	 * first (with ssh -G to read, the first ssh learns it too).
	 */
	if (s->kh.n == 0 && !s->use_g)
		next = NEXT_PROBE;
	else if (s->g_read)
		next = first_conn_next(s);
	for (tries = 0; tries < 4; tries++) {
		if (next == NEXT_PROBE) {
			if (probes++ == 2)
				break;
			(void)run_conn(s, CONN_PROBE, &status, &ok);
			if (!ok || session_load_kh(s) != 0)
				return EXIT_SSH_FAILED;
		}
		next = run_conn(s, CONN_REAL, &status, &ok);
		if (next == NEXT_DONE)
			return status;
		if (!s->ready)
			return EXIT_SSH_FAILED;
	}
	fprintf(stderr, "mtls: %s's SSH key changed again after its "
	    "certificate vouched for it; giving up\n", s->host);
	return EXIT_SSH_FAILED;
}

/* Is prog, found as execvp() finds it, the system's ssh? */
static int
is_system_ssh(const char *prog)
{
	char dir[PATH_MAX], path[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	const char *p = getenv("PATH"), *e;
	size_t n;

	if (strchr(prog, '/') != NULL)
		snprintf(path, sizeof(path), "%s", prog);
	else {
		path[0] = '\0';
		for (p = p != NULL ? p : "/usr/bin:/bin"; path[0] == '\0';
		    p = e + 1) {
			e = p + strcspn(p, ":");
			n = (size_t)(e - p);
			if (n >= sizeof(dir))
				return 0;
			memcpy(dir, n > 0 ? p : ".", n > 0 ? n : 1);
			dir[n > 0 ? n : 1] = '\0';
			if (snprintf(path, sizeof(path), "%s/%s", dir, prog) >=
			    (int)sizeof(path) || access(path, X_OK) != 0)
				path[0] = '\0';
			if (*e == '\0')
				break;
		}
	}
	return path[0] != '\0' && realpath(path, a) != NULL &&
	    realpath(MTLS_SYSTEM_SSH, b) != NULL && strcmp(a, b) == 0;
}

/*
 * Is ssh -G needed?  Only to learn a KnownHostsCommand of the person's
 * own, BatchMode when the command line did not set it, and the HostName
 * the host's certificate must carry when --host-name did not name it
 * (the name ssh looks the host up under comes with ssh's own
 * KnownHostsCommand call, and a key that nothing vouched for leads to a
 * probe from there): not when the system's ssh runs and nothing it reads
 * can set them.
 */
static int
session_needs_g(const struct session *s)
{
	struct passwd *pw = getpwuid(getuid());
	int end = s->d.insert > s->d.index ? s->d.insert : s->d.index + 1;
	const char *keys[4];
	size_t n = 0;

	keys[n++] = "knownhostscommand";
	if (!s->d.batch_given)
		keys[n++] = "batchmode";
	if (s->o->host_name == NULL)
		keys[n++] = "hostname";	/* CanonicalizeHostname too */
	keys[n] = NULL;
	return !is_system_ssh(ssh_program()) || ssh_conf_may_set(end,
	    s->args, pw != NULL ? pw->pw_dir : NULL, MTLS_SYSTEM_SSH_CONFIG,
	    keys);
}

/*
 * ssh -G read before anything else, for a key on a token: whether
 * ssh's configuration sets BatchMode decides whether its PIN may be
 * asked at all.  0, or -1 after a message.
 */
static int
session_read_g(struct session *s)
{
	if (cfg_start(s->argc, s->args, &s->d, &s->g) != 0 ||
	    cfg_finish(&s->g, &s->cfg) != 0)
		return -1;
	session_from_cfg(s);
	s->g_read = 1;
	return 0;
}

/* -G prints ssh's configuration and connects nowhere: ssh does it. */
static int
print_config(int argc, char **args)
{
	char **av;
	int i;

	if ((av = calloc((size_t)argc + 2, sizeof(*av))) == NULL) {
		fprintf(stderr, "mtls ssh: %s\n", strerror(errno));
		return EXIT_SSH_FAILED;
	}
	av[0] = (char *)ssh_program();
	for (i = 0; i < argc; i++)
		av[i + 1] = args[i];
	fflush(NULL);
	execvp(av[0], av);
	fprintf(stderr, "mtls ssh: cannot run %s: %s\n", av[0],
	    strerror(errno));
	free(av);
	return EXIT_SSH_FAILED;
}

/*
 * ssh's environment, into s->env: ours, with SSH_ASKPASS naming the
 * helper's link in the private directory, SSH_ASKPASS_REQUIRE=force and
 * MTLS_ASKPASS_SOCK naming the socket.  0, or -1 after a message.
 */
static int
session_env(struct session *s)
{
	static const char *const names[] = { "SSH_ASKPASS=",
	    "SSH_ASKPASS_REQUIRE=", "MTLS_ASKPASS_SOCK=" };
	size_t n = 0, i, j, k = 0;

	while (environ[n] != NULL)
		n++;
	if (asprintf(&s->env_add[0], "SSH_ASKPASS=%s/" ASKPASS_NAME,
	    s->dir) < 0)
		s->env_add[0] = NULL;
	if (asprintf(&s->env_add[1], "MTLS_ASKPASS_SOCK=%s/sock",
	    s->dir) < 0)
		s->env_add[1] = NULL;
	if (s->env_add[0] == NULL || s->env_add[1] == NULL ||
	    (s->env = calloc(n + 4, sizeof(*s->env))) == NULL) {
		fprintf(stderr, "mtls ssh: %s\n", strerror(ENOMEM));
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < 3; j++)
			if (strncmp(environ[i], names[j],
			    strlen(names[j])) == 0)
				break;
		if (j == 3)
			s->env[k++] = environ[i];
	}
	s->env[k++] = s->env_add[0];
	s->env[k++] = (char *)"SSH_ASKPASS_REQUIRE=force";
	s->env[k] = s->env_add[1];
	return 0;
}

/* mtls ssh, or mtls-ssh (bare: ssh's arguments alone). */
static int
ssh_main(int argc, char **argv, int bare)
{
	struct ssh_opts o;
	struct session s;
	struct mtls_err e = { 0, "" };
	struct p11_pin *pin = NULL;
	int first, status = EXIT_SSH_FAILED;
	size_t i;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	s.lfd = -1;
	s.g.pid = -1;
	s.g.fd = -1;
	s.o = &o;
	o.bare = bare;
	first = parse_opts(argc, argv, &o);
	s.argc = argc - first;
	s.args = argv + first;
	if (ssh_args_parse(s.argc, s.args, &s.d, &e) != 0) {
		fprintf(stderr, "mtls ssh: %s\n", mtls_err_msg(&e));
		usage_ssh(stderr);
		goto out;
	}
	if (s.d.print_config)
		return print_config(s.argc, s.args);
	s.host = o.host_name != NULL ? o.host_name : s.d.host;
	s.batch = s.d.batch;
	if (resolve_files(&o) != 0)
		goto out;
	if ((s.kh_path = kh_default_path()) == NULL) {
		fprintf(stderr, "mtls ssh: no home directory for the vouched "
		    "known hosts: set MTLS_KNOWN_HOSTS\n");
		goto out;
	}
	s.use_g = session_needs_g(&s);
	if (strncmp(o.key, "pkcs11:", 7) == 0) {
		if (s.use_g && !s.d.batch_given && session_read_g(&s) != 0)
			goto out;
		if (s.batch) {
			fprintf(stderr, "mtls ssh: batch mode: the key is on "
			    "a token, whose PIN no person may be asked for; "
			    "give a key file that no passphrase locks "
			    "(--key or MTLS_KEY)\n");
			goto out;
		}
		if (p11_pin_new(&pin) != 0)
			goto out;
	}
	s.pin = pin;
	/*
	 * A token may ask for its PIN: before ssh starts, so that the time
	 * a person takes to type it does not run down the host's
	 * LoginGraceTime.
	 */
	if (pin != NULL && load_cred(o.cert, o.key, &s.cred, &e) != 0) {
		fprintf(stderr, "mtls ssh: %s\n", mtls_err_msg(&e));
		goto out;
	}
	if (make_relay(s.dir, sizeof(s.dir), &s.lfd) != 0 ||
	    session_env(&s) != 0)
		goto out;
	/* ssh decides what an interrupt means; we outlive it */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	status = session_run(&s);
 out:
	cfg_abandon(&s.g);
	if (s.lfd >= 0)
		close(s.lfd);
	relay_dir_remove(s.dir);
	kh_clear(&s.kh);
	free(s.kh_path);
	cfg_free(&s.cfg);
	free(s.env);
	free(s.env_add[0]);
	free(s.env_add[1]);
	if (s.cred != NULL)
		gnutls_certificate_free_credentials(s.cred);
	mtls_verifier_free(s.v);
	p11_pin_free(pin);
	for (i = 0; i < sizeof(o.buf) / sizeof(o.buf[0]); i++)
		free(o.buf[i]);
	return status;
}

int
cmd_ssh(int argc, char **argv)
{
	return ssh_main(argc, argv, 0);
}

int
cmd_ssh_bare(int argc, char **argv)
{
	return ssh_main(argc, argv, 1);
}
