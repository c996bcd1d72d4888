/*
 * pam_relay.c - a PAM module for the tests only: the relaying impostor.
 *
 * An impostor's sshd runs it to log in to the real host as the user who
 * is logging in to the impostor: it runs ssh to the real sshd on
 * 127.0.0.1 with itself as askpass (the mtls binary, under the name
 * mtls-askpass, relays each prompt over a Unix socket: tools/relay.h) and
 * puts every prompt of the real host to the victim through its own PAM
 * conversation, and every answer back.  Authentication succeeds when
 * that ssh exits 0: the relayed login worked and the command ran.
 *
 *   auth sufficient pam_relay.so port=N mtls=/abs/tools/mtls
 *       [command=WORD] [log=FILE]
 *
 * port     the real sshd's port on 127.0.0.1
 * mtls     the built mtls program (absolute)
 * command  one word run on the real host, default "true"; its exit
 *          status is ssh's, so it must succeed
 * log      a file to append one line per event to: each prompt relayed
 *          (its first 60 characters), ssh's exit status, failures; ssh's
 *          own output and messages go there too
 *
 * At most 64 prompts; the 60 s limit is checked between prompts (the
 * conversation itself waits for the victim).  Never meant for a real
 * PAM stack.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "relay.h"
#include "relaydir.h"

#define RX_EXPORT	__attribute__((visibility("default")))
#define RX_MAX_PROMPTS	64
#define RX_SECONDS	60
#define RX_HOST		"127.0.0.1"
#define RX_SHOWN	60	/* characters of a prompt logged */

extern char **environ;

struct rx_opts {
	const char *port;
	const char *mtls;
	const char *command;
	const char *log;
};

/* One line appended to the log=FILE, when there is one. */
static void __attribute__((format(printf, 2, 3)))
rx_log(const struct rx_opts *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int fd, n;

	if (o->log == NULL)
		return;
	n = snprintf(line, sizeof(line), "pam_relay[%ld]: ", (long)getpid());
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if ((fd = open(o->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0)
		return;
	(void)!write(fd, line, strlen(line));
	close(fd);
}

static int
valid_port(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 && v < 65536;
}

/* A word ssh will not read as an option nor the shell split. */
static int
valid_word(const char *s)
{
	return *s != '\0' && *s != '-' && strpbrk(s, " \t\n;&|<>$`'\"\\") ==
	    NULL;
}

/* 0, or -1 after saying why: unknown and missing options are errors. */
static int
rx_opts_parse(pam_handle_t *pamh, int argc, const char **argv,
    struct rx_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->command = "true";
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "port=", 5) == 0)
			o->port = argv[i] + 5;
		else if (strncmp(argv[i], "mtls=", 5) == 0)
			o->mtls = argv[i] + 5;
		else if (strncmp(argv[i], "command=", 8) == 0)
			o->command = argv[i] + 8;
		else if (strncmp(argv[i], "log=", 4) == 0)
			o->log = argv[i] + 4;
		else {
			pam_syslog(pamh, LOG_ERR, "unknown option %s", argv[i]);
			return -1;
		}
	}
	if (o->port == NULL || !valid_port(o->port) || o->mtls == NULL ||
	    o->mtls[0] != '/' || !valid_word(o->command)) {
		pam_syslog(pamh, LOG_ERR, "needs port=1-65535, mtls=/PATH and "
		    "command= one word");
		rx_log(o, "bad options");
		return -1;
	}
	return 0;
}

/*
 * ssh's environment: ours without DISPLAY and any askpass setting, plus
 * add[0..2], which the caller owns (the array only points to the strings).
 * NULL when out of memory; free().
 */
static char **
rx_env_new(char *const add[3])
{
	static const char *const drop[] = { "DISPLAY=", "SSH_ASKPASS=",
	    "SSH_ASKPASS_REQUIRE=", "MTLS_ASKPASS_SOCK=" };
	char **env;
	size_t n = 0, k = 0, i, j;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 4, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(drop) / sizeof(drop[0]); j++)
			if (strncmp(environ[i], drop[j], strlen(drop[j])) == 0)
				break;
		if (j == sizeof(drop) / sizeof(drop[0]))
			env[k++] = environ[i];
	}
	for (i = 0; i < 3; i++)
		env[k++] = add[i];
	return env;
}

/* In the child: its own session, stdio, no inherited fds or mask, exec. */
static void __attribute__((noreturn))
rx_exec_ssh(const char *const *av, char **env, int in, int out)
{
	sigset_t none;

	(void)setsid();
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	closefrom(3);
	execvpe("ssh", (char *const *)av, env);
	_exit(127);
}

/* Start ssh USER@127.0.0.1 COMMAND; its pid, or -1. */
static pid_t
rx_ssh_start(const struct rx_opts *o, const char *user, const char *dir)
{
	char dest[LOGIN_NAME_MAX + sizeof(RX_HOST) + 1];
	char askpass[PATH_MAX + 32], sock[PATH_MAX + 32], **env = NULL;
	char require[] = "SSH_ASKPASS_REQUIRE=force";
	char *add[3] = { askpass, require, sock };
	const char *const av[] = { "ssh", "-F", "/dev/null", "-p", o->port,
	    "-o", "StrictHostKeyChecking=no",
	    "-o", "UserKnownHostsFile=/dev/null",
	    "-o", "GlobalKnownHostsFile=/dev/null",
	    "-o", "BatchMode=no",
	    "-o", "PreferredAuthentications=keyboard-interactive",
	    "-o", "KbdInteractiveAuthentication=yes",
	    "-o", "NumberOfPasswordPrompts=1",
	    "-o", "ConnectTimeout=10",
	    "-o", "LogLevel=ERROR", dest, o->command, NULL };
	int in = -1, out = -1;
	pid_t pid = -1;

	if ((size_t)snprintf(dest, sizeof(dest), "%s@" RX_HOST, user) >=
	    sizeof(dest)) {
		rx_log(o, "the user name is too long");
		goto out;
	}
	snprintf(askpass, sizeof(askpass), "SSH_ASKPASS=%s/"
	    RELAY_ASKPASS_NAME, dir);
	snprintf(sock, sizeof(sock), "MTLS_ASKPASS_SOCK=%s/sock", dir);
	if ((env = rx_env_new(add)) == NULL ||
	    (in = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = o->log != NULL ? open(o->log, O_WRONLY | O_APPEND |
	    O_CREAT | O_CLOEXEC, 0600) : open("/dev/null", O_WRONLY |
	    O_CLOEXEC)) < 0) {
		rx_log(o, "cannot prepare ssh: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == 0)
		rx_exec_ssh(av, env, in, out);
	if (pid < 0)
		rx_log(o, "fork: %s", strerror(errno));
 out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(env);
	return pid;
}

/* The prompt as the real host wrote it: without ssh's "(USER@HOST) ". */
static const char *
rx_unprefixed(const char *prompt, const char *user)
{
	char prefix[LOGIN_NAME_MAX + sizeof(RX_HOST) + 8];
	size_t n;

	n = (size_t)snprintf(prefix, sizeof(prefix), "(%s@" RX_HOST ") ",
	    user);
	if (n < sizeof(prefix) && strncmp(prompt, prefix, n) == 0)
		return prompt + n;
	return prompt;
}

/* One askpass connection: its prompt to the victim, the answer back. */
static void
rx_serve(pam_handle_t *pamh, const struct rx_opts *o, const char *user,
    int fd)
{
	struct mtls_err e = { 0, "" };
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char *prompt = NULL, *answer = NULL, shown[RX_SHOWN + 1];
	const char *p;
	size_t i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    cr.uid != geteuid()) {
		rx_log(o, "an askpass of another user");
		goto out;
	}
	if (relay_read_prompt(fd, &prompt, &e) != 0) {
		rx_log(o, "%s", mtls_err_msg(&e));
		goto out;
	}
	p = rx_unprefixed(prompt, user);
	/* one line per event: control characters shown as '?' */
	for (i = 0; i < RX_SHOWN && p[i] != '\0'; i++)
		shown[i] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' :
		    p[i];
	shown[i] = '\0';
	rx_log(o, "prompt: %s", shown);
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &answer, "%s", p) !=
	    PAM_SUCCESS || answer == NULL) {
		rx_log(o, "the conversation failed: refused");
		answer = NULL;
	}
	(void)relay_reply(fd, answer);
 out:
	if (answer != NULL)
		explicit_bzero(answer, strlen(answer));
	free(answer);
	free(prompt);
}

static time_t
rx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Serve askpass until ssh exits: 0 and its wait status in *ws, or -1. */
static int
rx_loop(pam_handle_t *pamh, const struct rx_opts *o, const char *user,
    int lfd, pid_t pid, int *ws)
{
	struct pollfd pfd;
	time_t end = rx_now() + RX_SECONDS;
	int prompts = 0, c;
	pid_t w;

	for (;;) {
		if ((w = waitpid(pid, ws, WNOHANG)) == pid)
			return 0;
		if (w < 0 && errno != EINTR) {
			rx_log(o, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (rx_now() >= end) {
			rx_log(o, "gave up after %d s", RX_SECONDS);
			return -1;
		}
		pfd.fd = lfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) <= 0 || (pfd.revents & POLLIN) == 0 ||
		    (c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if (++prompts > RX_MAX_PROMPTS) {
			rx_log(o, "gave up after %d prompts", RX_MAX_PROMPTS);
			(void)relay_reply(c, NULL);
			close(c);
			return -1;
		}
		rx_serve(pamh, o, user, c);
		close(c);
	}
}

/* The relayed login: PAM_SUCCESS when ssh exited 0. */
static int
rx_login(pam_handle_t *pamh, const struct rx_opts *o, const char *user)
{
	struct sigaction dfl, old;
	struct mtls_err e = { 0, "" };
	char dir[PATH_MAX];
	int lfd = -1, ws = 0, r = PAM_AUTH_ERR;
	pid_t pid = -1;

	/* sshd's disposition of SIGCHLD (ignored: no status) is not ours */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(SIGCHLD, &dfl, &old);
	if (relay_dir_new("/tmp", "pam_relay", o->mtls, dir, sizeof(dir), &lfd,
	    &e) != 0) {
		rx_log(o, "%s", mtls_err_msg(&e));
		goto out;
	}
	rx_log(o, "relaying through %s", dir);
	if ((pid = rx_ssh_start(o, user, dir)) < 0 ||
	    rx_loop(pamh, o, user, lfd, pid, &ws) != 0)
		goto out;
	pid = -1;	/* reaped */
	if (WIFEXITED(ws))
		rx_log(o, "ssh exited %d", WEXITSTATUS(ws));
	else
		rx_log(o, "ssh killed by signal %d", WTERMSIG(ws));
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		r = PAM_SUCCESS;
 out:
	if (pid > 0) {
		/* ssh leads its own process group, askpass included */
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	if (lfd >= 0)
		close(lfd);
	relay_dir_remove(dir);
	(void)sigaction(SIGCHLD, &old, NULL);
	return r;
}

RX_EXPORT int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct rx_opts o;
	const char *user = NULL;

	if (rx_opts_parse(pamh, argc, argv, &o) != 0)
		return PAM_SERVICE_ERR;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    !valid_word(user) || strchr(user, '@') != NULL) {
		rx_log(&o, "no usable user name");
		return PAM_USER_UNKNOWN;
	}
	return rx_login(pamh, &o, user);
}

RX_EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

RX_EXPORT int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

RX_EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	return PAM_SUCCESS;
}

RX_EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	return PAM_SUCCESS;
}
