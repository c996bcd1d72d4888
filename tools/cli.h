/*
 * cli.h - what the subcommands of mtls(1) share.
 */
#ifndef MTLS_CLI_H
#define MTLS_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "verify.h"

/* Exit codes of mtls verify, map and config check. */
#define EXIT_ACCEPTED	0
#define EXIT_REJECTED	1
#define EXIT_USAGE	2

/* main()'s argv: what mtls runs mtls-net with (cli_net_exec). */
extern char **cli_argv;

/*
 * The program of that name that mtls runs ("mtls-askpass", "mtls-net")
 * into out: the one beside this program (the build tree, or an
 * installation that keeps them together), else the installed one in
 * MTLS_PKGLIBEXECDIR.  0, or -1 when there is none (out: the installed
 * path).
 */
int cli_helper_path(const char *name, char *out, size_t size);

/*
 * mtls crl fetch and mtls db sync are a program of their own, mtls-net,
 * so that mtls (which ssh and sshd's logins run) need not load libcurl,
 * libldap and their dozens of libraries at every start: replace this
 * process with it, on the same arguments.  Returns only on failure, the
 * exit status, after a message naming what for.
 */
int cli_net_exec(const char *what);

/* Options shared by verify and map. */
struct cli_opts {
	const char	*config;	/* --config, or NULL */
	const char	*ca[MTLS_CONF_MAX_FILES];
	size_t		 n_ca;
	const char	*untrusted[MTLS_CONF_MAX_FILES];
	size_t		 n_untrusted;
	const char	*crl[MTLS_CONF_MAX_FILES];
	size_t		 n_crl;
	time_t		 at;		/* --at, or now */
	enum mtls_purpose purpose;	/* 0: the configuration's */
	int		 json;
	int		 verbose;
	const char	*host;		/* verify --host: a name to hold */
	const char	*cert;		/* the operand */
};

struct mtls_idsrc;

/* What identity sources are checked against (mtls db, user, group). */
struct cli_idsrc_env {
	const char	*passwd;	/* the system's passwd file */
	const char	*group;		/* the system's group file */
	uint32_t	 id_min, id_max;
};

/*
 * Parse the texts of the users and groups sources (malloc'd; src takes
 * both, whatever happens) and check them as `mtls db build` does: against
 * the system files, the id range, and shells that exist.
 */
int cli_idsrc_check(struct mtls_idsrc *src, const char *users, char *utext,
    size_t ulen, const char *groups, char *gtext, size_t glen,
    const struct cli_idsrc_env *ce, struct mtls_err *e);

/* Lock DB.lock for writing DB: the descriptor, or -1 with e set. */
int cli_lock_db(const char *db, struct mtls_err *e);

/* What mtls db sync is given. */
struct cli_sync_opts {
	const char	*config;	/* mtls.conf */
	const char	*db;		/* or NULL: mtls.conf's identity_db */
	const char	*passwd;
	const char	*group;
	uint32_t	 id_min, id_max;
	int		 quiet;
	int		 force;		/* past the guard */
	int		 full;		/* no incremental sync */
	int		 if_configured;	/* exit 0 when no db_sync is set */
};

/* mtls db sync (tools/cmd_sync.c): the exit status. */
int cli_db_sync(const struct cli_sync_opts *o);

/* Subcommands: argc/argv start at the subcommand's name. */
int cmd_verify(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_crl(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_req(int argc, char **argv);
int cmd_ssh(int argc, char **argv);
/* mtls-ssh: mtls ssh with ssh's arguments alone (argv[0] the program). */
int cmd_ssh_bare(int argc, char **argv);
int cmd_login_test(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_group(int argc, char **argv);

/*
 * For commands with one verb (config check, crl update): -1 when argv[1]
 * is verb, else the exit status after printing usage (0 for --help).
 */
int cli_expect_verb(int argc, char **argv, const char *verb,
    void (*usage)(FILE *));

/* The options of the one-verb commands. */
struct cli_verb {
	const char	*config;	/* --config, or the default file */
	time_t		 at;		/* --at, or now */
	int		 force;		/* --force (crl update) */
};

/*
 * cli_expect_verb(), then --config FILE, --at TIME, --help, and --force
 * when force_ok; no operands.  -1 to go on, else the exit status after
 * printing usage or the error.
 */
int cli_parse_verb(int argc, char **argv, const char *verb, int force_ok,
    void (*usage)(FILE *), struct cli_verb *o);

/* A mtls_verifier_problems() callback: "  problem (NAME): MESSAGE". */
void cli_problem(void *ctx, int code, const char *msg);

/*
 * Parse the shared options; which: "verify" or "map" (map has no trust
 * overrides in its usage text but accepts them).  Returns 0, or exits
 * with EXIT_USAGE after a message.
 */
int cli_parse(int argc, char **argv, const char *which,
    void (*usage)(FILE *), struct cli_opts *o);

/*
 * The configuration for o: the --config file (or the default one when no
 * --ca is given), with --ca, --untrusted and --crl replacing what it
 * names.  Prints the error and returns NULL on failure.
 */
struct mtls_conf *cli_conf(const struct cli_opts *o);

/*
 * Load the certificate operand (a leaf, optionally followed by its
 * intermediates; --untrusted files count as configured intermediates)
 * into *out and *n.  Returns 0; MTLS_E_CERT_MALFORMED, with err set and
 * nothing printed, when the operand holds a certificate that cannot be
 * parsed (a verdict, not an error); or another code after printing why
 * nothing could be loaded.
 */
int cli_chain(const struct cli_opts *o, gnutls_x509_crt_t **out, unsigned *n,
    struct mtls_err *err);

/* Print s as a JSON string (with quotes). */
void json_str(FILE *f, const char *s);

/* The stderr log backend; ctx unused. */
void cli_log_stderr(void *ctx, int priority, const char *line);

extern const char *progname;

#endif /* MTLS_CLI_H */
