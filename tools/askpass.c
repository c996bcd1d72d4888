/*
 * askpass.c - mtls askpass: what ssh runs under mtls ssh, as its
 * SSH_ASKPASS, its KnownHostsCommand and the probe's LocalCommand.  Each
 * run passes one message to mtls ssh over the socket MTLS_ASKPASS_SOCK
 * names (relay.h) and prints what mtls ssh answers.
 *
 * ssh runs it several times per login, a fresh process each time, so it
 * links libc alone (with relay.c and errors.c): it is both the
 * mtls-askpass program that mtls ssh hands to ssh and, behind the same
 * entry point, `mtls askpass`.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "askpass.h"
#include "relay.h"

static void
usage_askpass(FILE *f)
{
	fprintf(f, "usage: mtls askpass PROMPT   (run by ssh under mtls "
	    "ssh)\n"
	    "       mtls askpass --known-hosts %%I %%H %%t %%K [-- COMMAND "
	    "...]\n"
	    "       mtls askpass --authenticated\n");
}

/*
 * ssh's KnownHostsCommand: tell mtls ssh, print the lines it gives, then
 * run the person's own KnownHostsCommand (after "--"), whose output ssh
 * reads as well.
 */
static int
askpass_known_hosts(const char *path, int argc, char **argv)
{
	struct mtls_err e = { 0, "" };
	char *msg = NULL, *reply = NULL;
	size_t n = 0;
	int status = 1;

	if (argc < 6 || (argc > 6 && strcmp(argv[6], "--") != 0) ||
	    argc == 7) {
		usage_askpass(stderr);
		return 1;
	}
	if (asprintf(&msg, "%s\n%s\n%s\n%s", argv[2], argv[3], argv[4],
	    argv[5]) < 0) {
		msg = NULL;
		goto out;
	}
	if (relay_send(path, RELAY_KNOWN_HOSTS, msg, &reply, &n, &e) != 0) {
		fprintf(stderr, "mtls askpass: %s\n", mtls_err_msg(&e));
		goto out;
	}
	if (n < 3 || strncmp(reply, "ok\n", 3) != 0)
		goto out;	/* refused: ssh stops here */
	if (fwrite(reply + 3, 1, n - 3, stdout) != n - 3 || fflush(stdout) != 0)
		goto out;
	status = 0;
	if (argc > 7) {
		execv(argv[7], argv + 7);
		fprintf(stderr, "mtls askpass: cannot run the KnownHostsCommand "
		    "%s: %s\n", argv[7], strerror(errno));
		status = 1;
	}
 out:
	free(msg);
	free(reply);
	return status;
}

int
askpass_run(int argc, char **argv)
{
	struct mtls_err e = { 0, "" };
	char answer[RELAY_ANSWER_MAX + 1], *reply = NULL;
	const char *path = getenv("MTLS_ASKPASS_SOCK");
	size_t n = 0;
	int r, status = 1;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage_askpass(stdout);
		return 0;
	}
	if (argc < 2 || (argc > 2 && strcmp(argv[1], "--known-hosts") != 0)) {
		usage_askpass(stderr);
		return 1;
	}
	if (path == NULL || *path == '\0') {
		fprintf(stderr, "mtls askpass: MTLS_ASKPASS_SOCK is not set: "
		    "mtls ssh runs this for ssh\n");
		return 1;
	}
	if (strcmp(argv[1], "--known-hosts") == 0)
		return askpass_known_hosts(path, argc, argv);
	if (strcmp(argv[1], "--authenticated") == 0) {
		r = relay_send(path, RELAY_AUTHENTICATED, "", &reply, &n, &e);
		free(reply);
		return r == 0 ? 0 : 1;
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
