/*
 * cmd_ssh.c - mtls ssh and mtls askpass: the client side of a
 * certificate login over SSH.
 *
 * mtls ssh holds the person's key and the TLS client session for the
 * whole connection and runs the system ssh with SSH_ASKPASS pointing to
 * itself (through a link named mtls-askpass in a private directory).  ssh
 * runs a fresh askpass process for every prompt; each relays its prompt
 * to mtls ssh over a Unix socket in that directory (relay.h) and prints
 * the answer.  Prompts with our marker are answered with TLS data;
 * others (host-key confirmation, a password) are asked of the person on
 * the terminal.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cli.h"
#include "conv.h"
#include "p11.h"
#include "relay.h"
#include "sshargs.h"
#include "util.h"

#define EXIT_SSH_FAILED	255	/* like ssh when it cannot connect */
#define CERT_MAX	(256 * 1024)
#define KEY_MAX		(64 * 1024)
#define ASKPASS_NAME	"mtls-askpass"

struct ssh_opts {
	const char	*cert, *key, *config, *host_name;
	char		*buf[3];	/* defaults built here */
};

/* What the relay learned while ssh ran. */
struct relay {
	struct mtls_client	*client;
	int			 failed;	/* first failure, or 0 */
	struct mtls_err		 err;
	unsigned		 ours;		/* our prompts answered */
};

static volatile sig_atomic_t forward_sig;

static void
usage_ssh(FILE *f)
{
	fprintf(f, "usage: mtls ssh [--cert FILE] [--key FILE|pkcs11:URI] "
	    "[--config FILE]\n"
	    "                [--host-name NAME] [ssh options] [user@]host "
	    "[command...]\n");
}

static void
usage_askpass(FILE *f)
{
	fprintf(f, "usage: mtls askpass PROMPT   (run by ssh under mtls "
	    "ssh)\n");
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

/* The person's certificate and key (a file, or a pkcs11: URI). */
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

/* One askpass connection: one prompt, one reply. */
static void
serve(int fd, struct relay *rl)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct mtls_err e = { 0, "" };
	char *prompt = NULL, *answer = NULL, typed[RELAY_ANSWER_MAX + 1];
	int r;

	typed[0] = '\0';
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    cr.uid != getuid())
		goto out;
	if (relay_read_prompt(fd, &prompt, &e) != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		goto out;
	}
	r = mtls_client_step(rl->client, prompt, &answer, &e);
	if (r == 0) {
		rl->ours++;
		(void)relay_reply(fd, answer);
	} else if (r == MTLS_E_NOT_OURS) {
		(void)relay_reply(fd, ask_person(prompt, fd, typed,
		    sizeof(typed)) == 0 ? typed : NULL);
	} else {
		if (rl->failed == 0) {
			rl->failed = r;
			rl->err = e;
		}
		(void)relay_reply(fd, NULL);
	}
 out:
	explicit_bzero(typed, sizeof(typed));
	free(answer);
	free(prompt);
}

static void
on_signal(int sig)
{
	forward_sig = sig;
}

/* Serve askpass connections until ssh exits; returns its exit status. */
static int
relay_loop(int lfd, pid_t pid, struct relay *rl)
{
	struct pollfd pfd;
	pid_t w;
	int ws = 0, c;

	for (;;) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLIN) != 0 &&
		    (c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			serve(c, rl);
			close(c);
		}
		if (forward_sig != 0) {
			kill(pid, forward_sig);
			forward_sig = 0;
		}
		w = waitpid(pid, &ws, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return EXIT_SSH_FAILED;
	}
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	return WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : EXIT_SSH_FAILED;
}

/* What happened to the certificate login, on stderr. */
static void
report(const struct relay *rl, const char *host, const struct p11_pin *pin)
{
	const char *detail = NULL, *subj = mtls_client_host_subject(rl->client);
	int o = mtls_client_outcome(rl->client, &detail);

	if (o == 1)
		fprintf(stderr, "mtls: %s (%s) accepted the certificate for "
		    "%s\n", host, subj != NULL ? subj : "?", detail);
	else if (o == 0)
		fprintf(stderr, "mtls: the host refused: %s\n", detail);
	else if (rl->failed == MTLS_E_HOST_REJECTED)
		fprintf(stderr, "mtls: refused the host: %s\n",
		    mtls_err_msg(&rl->err));
	else if (rl->failed != 0)
		fprintf(stderr, "mtls: certificate login failed: %s\n",
		    pin != NULL && p11_pin_problem(pin) != NULL ?
		    p11_pin_problem(pin) : mtls_err_msg(&rl->err));
	else if (rl->ours == 0)
		fprintf(stderr, "mtls: %s did not ask for a certificate "
		    "login\n", host);
	else
		fprintf(stderr, "mtls: the certificate login did not "
		    "finish\n");
}

/*
 * A private directory with the socket and the askpass link; 0 and the
 * listening socket in *lfd, or -1 after a message.
 */
static int
make_relay(char *dir, size_t size, int *lfd)
{
	struct sockaddr_un sa;
	const char *tmp = getenv("TMPDIR");
	char exe[PATH_MAX], link[PATH_MAX + 32];
	ssize_t n;
	int fd = -1;

	*lfd = -1;
	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(dir, size, "%s/mtls-ssh.XXXXXX", tmp) >= size ||
	    (size_t)snprintf(sa.sun_path, sizeof(sa.sun_path),
	    "%s/mtls-ssh.XXXXXX/sock", tmp) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "mtls ssh: TMPDIR is too long for a socket\n");
		dir[0] = '\0';
		return -1;
	}
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "mtls ssh: %s: %s\n", dir, strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
	snprintf(link, sizeof(link), "%s/" ASKPASS_NAME, dir);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		fprintf(stderr, "mtls ssh: cannot find this program: %s\n",
		    strerror(errno));
		return -1;
	}
	exe[n] = '\0';
	if (symlink(exe, link) != 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 8) != 0) {
		fprintf(stderr, "mtls ssh: %s: %s\n", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*lfd = fd;
	return 0;
}

static void
remove_relay(const char *dir)
{
	char p[PATH_MAX + 32];

	if (dir[0] == '\0')
		return;
	snprintf(p, sizeof(p), "%s/sock", dir);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s/" ASKPASS_NAME, dir);
	(void)unlink(p);
	(void)rmdir(dir);
}

/* Run ssh with our options inserted where it still reads options. */
static pid_t
start_ssh(char **args, int nargs, const struct ssh_dest *d, const char *dir)
{
	static const char *const ours[] = { "-o",
	    "KbdInteractiveAuthentication=yes", "-o",
	    "PreferredAuthentications=keyboard-interactive,password" };
	const char *ssh = getenv("MTLS_SSH");
	char **av, path[PATH_MAX + 32];
	size_t k = 0, i;
	pid_t pid;

	if (ssh == NULL || *ssh == '\0')
		ssh = "ssh";
	if ((av = calloc((size_t)nargs + 6, sizeof(*av))) == NULL)
		return -1;
	av[k++] = (char *)ssh;
	for (i = 0; i < (size_t)d->insert; i++)
		av[k++] = args[i];
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		av[k++] = (char *)ours[i];
	for (i = (size_t)d->insert; i < (size_t)nargs; i++)
		av[k++] = args[i];
	fflush(NULL);
	if ((pid = fork()) == 0) {
		snprintf(path, sizeof(path), "%s/" ASKPASS_NAME, dir);
		setenv("SSH_ASKPASS", path, 1);
		setenv("SSH_ASKPASS_REQUIRE", "force", 1);
		snprintf(path, sizeof(path), "%s/sock", dir);
		setenv("MTLS_ASKPASS_SOCK", path, 1);
		execvp(ssh, av);
		fprintf(stderr, "mtls ssh: cannot run %s: %s\n", ssh,
		    strerror(errno));
		_exit(EXIT_SSH_FAILED);
	}
	if (pid < 0)
		fprintf(stderr, "mtls ssh: fork: %s\n", strerror(errno));
	free(av);
	return pid;
}

/* The verifier for host certificates and the TLS client for host. */
static int
client_setup(const struct ssh_opts *o, const char *host,
    struct mtls_verifier **v, gnutls_certificate_credentials_t *cred,
    struct mtls_client **client)
{
	struct mtls_conf *conf = NULL;
	struct mtls_err e = { 0, "" };
	int r;

	if ((r = mtls_conf_load(o->config, &conf, &e)) != 0 ||
	    (r = mtls_verifier_new(conf, v, &e)) != 0 ||
	    (r = load_cred(o->cert, o->key, cred, &e)) != 0 ||
	    (r = mtls_client_new(*v, *cred, host, client, &e)) != 0)
		fprintf(stderr, "mtls ssh: %s\n", mtls_err_msg(&e));
	mtls_conf_free(conf);
	return r;
}

int
cmd_ssh(int argc, char **argv)
{
	struct ssh_opts o;
	struct ssh_dest d;
	struct mtls_err e = { 0, "" };
	struct mtls_verifier *v = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	struct p11_pin *pin = NULL;
	struct relay rl;
	char dir[PATH_MAX];
	const char *host;
	int first, lfd = -1, status = EXIT_SSH_FAILED;
	pid_t pid;
	size_t i;

	memset(&o, 0, sizeof(o));
	memset(&rl, 0, sizeof(rl));
	dir[0] = '\0';
	first = parse_opts(argc, argv, &o);
	if (ssh_args_parse(argc - first, argv + first, &d, &e) != 0) {
		fprintf(stderr, "mtls ssh: %s\n", mtls_err_msg(&e));
		usage_ssh(stderr);
		goto out;
	}
	if (d.batch) {
		fprintf(stderr, "mtls ssh: BatchMode=yes turns off "
		    "keyboard-interactive authentication, which the "
		    "certificate login needs: not supported\n");
		goto out;
	}
	host = o.host_name != NULL ? o.host_name : d.host;
	if (resolve_files(&o) != 0)
		goto out;
	if (strncmp(o.key, "pkcs11:", 7) == 0 && p11_pin_new(&pin) != 0)
		goto out;
	if (client_setup(&o, host, &v, &cred, &rl.client) != 0 ||
	    make_relay(dir, sizeof(dir), &lfd) != 0)
		goto out;
	if ((pid = start_ssh(argv + first, argc - first, &d, dir)) < 0)
		goto out;
	/* ssh decides what an interrupt means; we outlive it */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	status = relay_loop(lfd, pid, &rl);
	report(&rl, host, pin);
 out:
	if (lfd >= 0)
		close(lfd);
	remove_relay(dir);
	mtls_client_free(rl.client);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	mtls_verifier_free(v);
	p11_pin_free(pin);
	for (i = 0; i < sizeof(o.buf) / sizeof(o.buf[0]); i++)
		free(o.buf[i]);
	return status;
}

int
cmd_askpass(int argc, char **argv)
{
	struct mtls_err e = { 0, "" };
	char answer[RELAY_ANSWER_MAX + 1];
	const char *path = getenv("MTLS_ASKPASS_SOCK");
	int r, status = 1;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage_askpass(stdout);
		return 0;
	}
	if (argc != 2) {
		usage_askpass(stderr);
		return 1;
	}
	if (path == NULL || *path == '\0') {
		fprintf(stderr, "mtls askpass: MTLS_ASKPASS_SOCK is not set: "
		    "mtls ssh runs this for ssh\n");
		return 1;
	}
	r = relay_ask(path, argv[1], answer, sizeof(answer), &e);
	if (r == 0) {
		printf("%s\n", answer);
		status = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	} else if (r != MTLS_E_DENIED) {
		fprintf(stderr, "mtls askpass: %s\n", mtls_err_msg(&e));
	}
	explicit_bzero(answer, sizeof(answer));
	return status;
}
