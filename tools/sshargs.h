/*
 * sshargs.h - enough of ssh(1)'s command line to find the destination,
 * for mtls ssh.  Pure: no I/O; thread-safe.
 */
#ifndef MTLS_SSHARGS_H
#define MTLS_SSHARGS_H

#include <stddef.h>

#include "errors.h"

/* ssh's option letters (OpenSSH 9.2): with and without an argument. */
#define SSH_OPTS_ARG	"BbcDEeFIiJLlmOoPpQRSWw"
#define SSH_OPTS_FLAG	"46AaCfGgKkMNnqsTtVvXxYy"

#define SSH_HOST_MAX	255

struct ssh_dest {
	int	 index;		/* argv index of the destination */
	int	 insert;	/* where options of our own may go */
	int	 batch;		/* -o BatchMode=yes (the first value wins) */
	int	 batch_given;	/* -o BatchMode, yes or not, was given */
	int	 print_config;	/* -G: ssh prints its configuration */
	char	 host[SSH_HOST_MAX + 1];	/* host part as typed */
	char	 user[SSH_HOST_MAX + 1];	/* from user@ or -l, or "" */
};

/*
 * Parse ssh's arguments (argv[0] is the first argument, not a program
 * name).  Like ssh, options may follow the destination until the command
 * or "--".  The destination is [user@]host or ssh://[user@]host[:port].
 * d->insert is the index before which options inserted still count as
 * options: the destination itself when no option follows it, else the
 * end of the options after it, or a "--" that comes first.  MTLS_E_INVAL with err set for an unknown option, a
 * missing argument, or a missing or malformed destination.
 */
int ssh_args_parse(int argc, char *const *argv, struct ssh_dest *d,
    struct mtls_err *err);

/*
 * Options of ssh that would give a connection more than authentication:
 * a session, a terminal, forwarding, agent or X11, a control master, a
 * fork.  A probe connection drops them (the rest of its safety comes
 * from -o options placed first, whose values ssh keeps).
 */
#define SSH_PROBE_DROP_FLAG	"AfGMNnsTtXY"
#define SSH_PROBE_DROP_ARG	"DLORSWw"

/*
 * The words of argv[0..end) that a probe connection keeps, into out
 * (room for end * 2 entries; flag clusters are rebuilt into buf, of
 * bufsize bytes), skipping the word at index skip (the destination).
 * Returns how many words were stored, or -1 when buf is too small.
 * Call only on an argv that ssh_args_parse() accepted.
 */
int ssh_args_probe(int end, char *const *argv, int skip, char **out,
    char *buf, size_t bufsize);

/* Nonzero when an -o argument sets BatchMode to yes or true. */
int ssh_option_is_batch(const char *opt);

#endif /* MTLS_SSHARGS_H */
