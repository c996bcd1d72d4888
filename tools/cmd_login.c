/*
 * cmd_login.c - mtls login-test: run a PAM service for a user the way a
 * login program would, and print each step, its PAM result and the
 * verdict, for administrators checking a set-up.
 *
 * Answers to prompts are read from standard input: without echo when it
 * is a terminal and the prompt asks for that, one line per prompt.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "cli.h"

#define ANSWER_MAX	1024

static const char *const pam_names[] = {
	"PAM_SUCCESS", "PAM_OPEN_ERR", "PAM_SYMBOL_ERR", "PAM_SERVICE_ERR",
	"PAM_SYSTEM_ERR", "PAM_BUF_ERR", "PAM_PERM_DENIED", "PAM_AUTH_ERR",
	"PAM_CRED_INSUFFICIENT", "PAM_AUTHINFO_UNAVAIL", "PAM_USER_UNKNOWN",
	"PAM_MAXTRIES", "PAM_NEW_AUTHTOK_REQD", "PAM_ACCT_EXPIRED",
	"PAM_SESSION_ERR", "PAM_CRED_UNAVAIL", "PAM_CRED_EXPIRED",
	"PAM_CRED_ERR", "PAM_NO_MODULE_DATA", "PAM_CONV_ERR",
	"PAM_AUTHTOK_ERR", "PAM_AUTHTOK_RECOVERY_ERR",
	"PAM_AUTHTOK_LOCK_BUSY", "PAM_AUTHTOK_DISABLE_AGING",
	"PAM_TRY_AGAIN", "PAM_IGNORE", "PAM_ABORT", "PAM_AUTHTOK_EXPIRED",
	"PAM_MODULE_UNKNOWN", "PAM_BAD_ITEM", "PAM_CONV_AGAIN",
	"PAM_INCOMPLETE",
};

static const char *
pam_name(int code)
{
	if (code >= 0 &&
	    (size_t)code < sizeof(pam_names) / sizeof(pam_names[0]))
		return pam_names[code];
	return "PAM_?";
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: %s login-test --service NAME --user USER "
	    "[--no-session]\n", progname);
}

/* One line from standard input, echo off on a terminal when asked. */
static char *
read_answer(int echo)
{
	struct termios old, quiet;
	char buf[ANSWER_MAX], *nl, *s = NULL;
	int restore = 0;

	if (!echo && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO,
	    &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(buf, sizeof(buf), stdin) != NULL) {
		if ((nl = strchr(buf, '\n')) != NULL)
			*nl = '\0';
		s = strdup(buf);
	}
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		printf("\n");
	}
	explicit_bzero(buf, sizeof(buf));
	return s;
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *ud)
{
	struct pam_response *r;
	int i, st;

	(void)ud;
	*resp = NULL;
	if (n <= 0 || (r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_CONV_ERR;
	for (i = 0; i < n; i++) {
		st = msg[i]->msg_style;
		switch (st) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			printf("  prompt: %s", msg[i]->msg);
			fflush(stdout);
			if ((r[i].resp = read_answer(st ==
			    PAM_PROMPT_ECHO_ON)) == NULL)
				goto fail;
			if (!isatty(STDIN_FILENO))
				printf("\n");
			break;
		case PAM_ERROR_MSG:
			printf("  error: %s\n", msg[i]->msg);
			break;
		case PAM_TEXT_INFO:
			printf("  info: %s\n", msg[i]->msg);
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
 fail:
	for (i = 0; i < n; i++)
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	free(r);
	return PAM_CONV_ERR;
}

static int
show(pam_handle_t *h, const char *step, int rc)
{
	printf("%s: %s (%s)\n", step, pam_name(rc), pam_strerror(h, rc));
	fflush(stdout);
	return rc;
}

/* The MTLS_* variables the modules put into the PAM environment. */
static void
show_env(pam_handle_t *h)
{
	char **env = pam_getenvlist(h), **e;

	for (e = env; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "MTLS_", 5) == 0 &&
		    strncmp(*e, "MTLS_CERT=", 10) != 0)
			printf("  env: %s\n", *e);
		free(*e);
	}
	free(env);
}

int
cmd_login_test(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "no-session", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pam_conv pc = { conv, NULL };
	pam_handle_t *h = NULL;
	const char *service = NULL, *user = NULL;
	char *tty;
	int c, rc, session = 1, ok = 0;

	while ((c = getopt_long(argc, argv, "s:u:nh", longopts, NULL)) != -1)
		switch (c) {
		case 's':
			service = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'n':
			session = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	if (service == NULL || user == NULL || optind != argc ||
	    strchr(service, '/') != NULL || *service == '\0') {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((rc = pam_start(service, user, &pc, &h)) != PAM_SUCCESS) {
		fprintf(stderr, "%s: pam_start: %s\n", progname,
		    pam_strerror(NULL, rc));
		return EXIT_REJECTED;
	}
	if ((tty = ttyname(STDIN_FILENO)) != NULL)
		(void)pam_set_item(h, PAM_TTY, tty);
	printf("service %s, user %s\n", service, user);
	if (show(h, "authenticate", pam_authenticate(h, 0)) == PAM_SUCCESS &&
	    show(h, "acct_mgmt", pam_acct_mgmt(h, 0)) == PAM_SUCCESS) {
		ok = 1;
		if (session && show(h, "open_session",
		    pam_open_session(h, 0)) == PAM_SUCCESS) {
			show_env(h);
			show(h, "close_session", pam_close_session(h, 0));
		}
	}
	printf("verdict: %s\n", ok ? "login allowed" : "login refused");
	pam_end(h, ok ? PAM_SUCCESS : PAM_AUTH_ERR);
	return ok ? EXIT_ACCEPTED : EXIT_REJECTED;
}
