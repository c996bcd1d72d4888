/*
 * mtls.c - the mtls(1) command: dispatch to subcommands.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "askpass.h"
#include "cli.h"
#include "log.h"

const char *progname = "mtls";
char **cli_argv;

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*what;
} cmds[] = {
#ifndef MTLS_NET_HELPER
	{ "verify", cmd_verify, "verify a certificate under the policy" },
	{ "map", cmd_map, "show the accounts a certificate may log in to" },
	{ "config", cmd_config, "check the configuration (config check)" },
#endif
	{ "crl", cmd_crl, "download CRLs (crl fetch), verify them and build their revocation indexes (crl update)" },
#ifndef MTLS_NET_HELPER
	{ "ca", cmd_ca, "run the organization CA: init, issue, sign, revoke, crl, list" },
	{ "req", cmd_req, "make a key and a certificate request for mtls ca sign" },
	{ "ssh", cmd_ssh, "log in with ssh by certificate: mtls ssh [user@]host" },
#endif
	{ "db", cmd_db, "build, check and show the identity database" },
#ifndef MTLS_NET_HELPER
	{ "user", cmd_user, "add, delete, show and list identity-source users" },
	{ "group", cmd_group, "add, delete and edit identity-source groups" },
	{ "askpass", askpass_run, "relay one ssh prompt to mtls ssh (run by ssh)" },
	{ "login-test", cmd_login_test, "run a PAM service for a user, step by step" },
#endif
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mtls COMMAND [OPTIONS] [ARGS]\n"
	    "       mtls help [COMMAND]\n"
	    "       mtls --version\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\n'mtls COMMAND --help' describes each; see mtls(1).\n");
}

void
cli_log_stderr(void *ctx, int priority, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s: %s%s\n", progname,
	    priority <= LOG_ERR ? "error: " :
	    priority == LOG_WARNING ? "warning: " : "", line);
}

int
main(int argc, char **argv)
{
	const char *base;
	size_t i;
	int r;

	cli_argv = argv;
#ifndef MTLS_NET_HELPER
	/* ssh runs mtls ssh's askpass link with the prompt as argv[1] */
	base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base != NULL ? base + 1 : argc > 0 ? argv[0] : "";
	if (strcmp(base, "mtls-askpass") == 0)
		return askpass_run(argc, argv);
	mtls_log_set_backend(cli_log_stderr, NULL);
	mtls_log_set_max_priority(LOG_WARNING);
	/*
	 * Under the name mtls-ssh: mtls ssh as a program that takes ssh's
	 * arguments alone, for scp -S, sftp -S, rsync -e, GIT_SSH_COMMAND.
	 */
	if (strcmp(base, "mtls-ssh") == 0) {
		if (gnutls_global_init() < 0) {
			fprintf(stderr, "mtls-ssh: cannot initialise GnuTLS\n");
			return 255;
		}
		r = cmd_ssh_bare(argc, argv);
		gnutls_global_deinit();
		return r;
	}
#else
	(void)base;
	mtls_log_set_backend(cli_log_stderr, NULL);
	mtls_log_set_max_priority(LOG_WARNING);
#endif
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("mtls %s (GnuTLS %s)\n", PACKAGE_VERSION,
		    gnutls_check_version(NULL));
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			char *hv[] = { argv[2], (char *)"--help", NULL };

			for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (strcmp(argv[2], cmds[i].name) == 0)
					return cmds[i].fn(2, hv);
			fprintf(stderr, "mtls: unknown command '%s'\n", argv[2]);
			return EXIT_USAGE;
		}
		usage(stdout);
		return 0;
	}
	if (gnutls_global_init() < 0) {
		fprintf(stderr, "mtls: cannot initialise GnuTLS\n");
		return EXIT_USAGE;
	}
	r = -1;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			r = cmds[i].fn(argc - 1, argv + 1);
	if (r < 0) {
		fprintf(stderr, "mtls: unknown command '%s'\n", argv[1]);
		usage(stderr);
		r = EXIT_USAGE;
	}
	gnutls_global_deinit();
	return r;
}
