/*
 * netexec.c - the programs mtls runs: mtls-askpass (for ssh, under mtls
 * ssh) and mtls-net, which holds mtls crl fetch and mtls db sync.
 *
 * Those two commands alone use the network, through libcurl and libldap,
 * which with their own libraries (Kerberos, SASL, OpenSSL, ...) are some
 * thirty shared objects: loading and relocating them cost every run of
 * mtls about 5 ms of CPU, mtls ssh's included.  So mtls links neither,
 * and these two commands replace the process with mtls-net, which parses
 * the same arguments again and does the work.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crlfetch.h"

#define NET_NAME	"mtls-net"

int
cli_helper_path(const char *name, char *out, size_t size)
{
	char exe[PATH_MAX];
	const char *slash;
	ssize_t n;
	int m;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			m = snprintf(out, size, "%.*s/%s",
			    (int)(slash - exe), exe, name);
			if (m > 0 && (size_t)m < size && access(out, X_OK) == 0)
				return 0;
		}
	}
	m = snprintf(out, size, "%s/%s", MTLS_PKGLIBEXECDIR, name);
	if (m > 0 && (size_t)m < size && out[0] == '/' &&
	    access(out, X_OK) == 0)
		return 0;
	return -1;
}

int
cli_net_exec(const char *what)
{
	char path[PATH_MAX];

	if (cli_helper_path(NET_NAME, path, sizeof(path)) != 0) {
		fprintf(stderr, "mtls: %s needs %s, which is not installed "
		    "(%s)\n", what, NET_NAME, path);
		return EXIT_USAGE;
	}
	fflush(stdout);
	fflush(stderr);
	execv(path, cli_argv);
	fprintf(stderr, "mtls: %s: cannot run %s: %s\n", what, path,
	    strerror(errno));
	return EXIT_USAGE;
}

int
crl_fetch(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_net_exec("mtls crl fetch");
}

int
cli_db_sync(const struct cli_sync_opts *o)
{
	(void)o;
	return cli_net_exec("mtls db sync");
}
