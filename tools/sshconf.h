/*
 * sshconf.h - whether ssh's configuration can set an option that mtls
 * ssh must learn, told without running ssh -G.
 *
 * mtls ssh passes the person's KnownHostsCommand on to ssh behind its
 * own, keeps batch mode itself, and checks the host's certificate for
 * the HostName ssh connects to; it learns them from ssh -G, which costs
 * a process as heavy as ssh itself.  When neither the command line nor
 * any configuration file that ssh reads can set those options, ssh -G
 * has nothing to tell.  Keywords are looked for anywhere in a line, in
 * any case ("hostname" also finds CanonicalizeHostname).  The answer
 * errs one way only: whatever cannot be followed for certain (a token,
 * a quote, a file that cannot be read, too deep an Include) answers
 * "may".
 */
#ifndef MTLS_SSHCONF_H
#define MTLS_SSHCONF_H

/* How deep ssh follows Include (OpenSSH's READCONF_MAX_DEPTH). */
#define SSH_CONF_MAX_DEPTH	16

/*
 * 0 when neither argv[0..end) (ssh's arguments, as ssh_args_parse()
 * accepted them) nor any file ssh reads for them can set
 * KnownHostsCommand; 1 when one may, or when this cannot tell.  ssh
 * reads home/.ssh/config (home: the user's home directory, or NULL when
 * there is none) and sysconf, or only the files given with -F.
 */
int ssh_conf_may_set_khc(int end, char *const *argv, const char *home,
    const char *sysconf);

/* The same for the text of one configuration file (for the tests). */
int ssh_conf_text_may_set_khc(const char *text, const char *reldir,
    const char *home, int depth);

/*
 * The same for any of keys (lower-case keywords, NULL-terminated) in
 * place of KnownHostsCommand.
 */
int ssh_conf_may_set(int end, char *const *argv, const char *home,
    const char *sysconf, const char *const *keys);
int ssh_conf_text_may_set(const char *text, const char *reldir,
    const char *home, int depth, const char *const *keys);

#endif /* MTLS_SSHCONF_H */
