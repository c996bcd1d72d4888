/*
 * sshconf.c - can ssh's configuration set an option that mtls ssh must
 * learn from ssh -G (sshconf.h)?
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sshargs.h"
#include "sshconf.h"

#define CONF_MAX	(1024 * 1024)	/* a larger file: cannot tell */
#define MAX_F		8		/* -F files on one command line */

static int file_may(const char *path, const char *reldir, const char *home,
    int depth, const char *const *keys);

static const char *const khc_keys[] = { "knownhostscommand", NULL };

/* s holds word, in any case. */
static int
has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, word, n) == 0)
			return 1;
	return 0;
}

/* s holds one of keys, in any case. */
static int
has_key(const char *s, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (has_word(s, *keys))
			return 1;
	return 0;
}

/*
 * One Include argument: the files it names, each scanned.  Relative
 * paths are relative to reldir (~/.ssh for the person's file, the
 * system directory for the system's), as ssh takes them.
 */
static int
include_may(const char *arg, const char *reldir, const char *home,
    int depth, const char *const *keys)
{
	char path[PATH_MAX];
	glob_t g;
	size_t i;
	int n, r;

	if (strncmp(arg, "~/", 2) == 0)
		n = home != NULL ? snprintf(path, sizeof(path), "%s/%s", home,
		    arg + 2) : -1;
	else if (arg[0] == '/')
		n = snprintf(path, sizeof(path), "%s", arg);
	else
		n = reldir != NULL && arg[0] != '~' ? snprintf(path,
		    sizeof(path), "%s/%s", reldir, arg) : -1;
	if (n < 0 || (size_t)n >= sizeof(path))
		return 1;
	memset(&g, 0, sizeof(g));
	r = glob(path, GLOB_NOCHECK, NULL, &g);
	if (r != 0) {
		globfree(&g);
		return 1;
	}
	for (i = 0, r = 0; i < g.gl_pathc && r == 0; i++)
		r = file_may(g.gl_pathv[i], reldir, home, depth + 1,
		    keys);
	globfree(&g);
	return r;
}

int
ssh_conf_text_may_set(const char *text, const char *reldir,
    const char *home, int depth, const char *const *keys)
{
	const char *p = text, *nl;
	char line[4096], *s, *w, *save = NULL;
	size_t n;

	if (depth > SSH_CONF_MAX_DEPTH)
		return 1;
	for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		n = (size_t)(nl - p);
		if (n >= sizeof(line))
			return 1;
		memcpy(line, p, n);
		line[n] = '\0';
		s = line + strspn(line, " \t\r");
		if (*s == '#' || *s == '\0')
			continue;	/* ssh skips comments whole */
		if (has_key(s, keys))
			return 1;
		if (!has_word(s, "include"))
			continue;
		/* only a plain "Include FILE..." line can be followed */
		if (strncasecmp(s, "include", 7) != 0 ||
		    strchr(" \t=", s[7]) == NULL ||
		    strpbrk(s, "\"'\\%$`") != NULL)
			return 1;
		s += 7;
		s += strspn(s, " \t");
		if (*s == '=')
			s++;
		for (w = strtok_r(s, " \t\r", &save); w != NULL;
		    w = strtok_r(NULL, " \t\r", &save))
			if (include_may(w, reldir, home, depth, keys) != 0)
				return 1;
	}
	return 0;
}

int
ssh_conf_text_may_set_khc(const char *text, const char *reldir,
    const char *home, int depth)
{
	return ssh_conf_text_may_set(text, reldir, home, depth, khc_keys);
}

/* A file ssh reads: may it set the option?  A missing file sets nothing. */
static int
file_may(const char *path, const char *reldir, const char *home, int depth,
    const char *const *keys)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, r = 1;

	if (depth > SSH_CONF_MAX_DEPTH)
		return 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : 1;
	if ((buf = malloc(CONF_MAX + 1)) == NULL)
		goto out;
	while (n < CONF_MAX && ((got = read(fd, buf + n, CONF_MAX - n)) > 0 ||
	    (got < 0 && errno == EINTR)))
		if (got > 0)
			n += (size_t)got;
	if (n == CONF_MAX || got < 0 || memchr(buf, '\0', n) != NULL)
		goto out;
	buf[n] = '\0';
	r = ssh_conf_text_may_set(buf, reldir, home, depth, keys);
 out:
	free(buf);
	close(fd);
	return r;
}

int
ssh_conf_may_set(int end, char *const *argv, const char *home,
    const char *sysconf, const char *const *keys)
{
	const char *files[MAX_F];
	char userdir[PATH_MAX], sysdir[PATH_MAX], user[PATH_MAX + 16], *slash;
	size_t nf = 0, k;
	int i, j;

	for (i = 0; i < end; i++) {
		const char *w = argv[i];

		/* -o KnownHostsCommand=..., -o Include=..., or a value */
		if (has_key(w, keys) || has_word(w, "include"))
			return 1;
		if (w[0] != '-' || w[1] == '\0' || w[1] == '-')
			continue;
		for (j = 1; w[j] != '\0'; j++) {
			if (strchr(SSH_OPTS_FLAG, w[j]) != NULL)
				continue;
			if (strchr(SSH_OPTS_ARG, w[j]) == NULL)
				return 1;
			if (w[j + 1] == '\0' && i + 1 >= end)
				return 1;
			if (w[j] == 'F') {
				if (nf == MAX_F)
					return 1;
				files[nf++] = w[j + 1] != '\0' ? w + j + 1 :
				    argv[i + 1];
			}
			if (w[j + 1] == '\0') {
				i++;
				if (has_key(argv[i], keys) ||
				    has_word(argv[i], "include"))
					return 1;
			}
			break;
		}
	}
	if (home == NULL || home[0] != '/' || snprintf(userdir,
	    sizeof(userdir), "%s/.ssh", home) >= (int)sizeof(userdir) ||
	    snprintf(sysdir, sizeof(sysdir), "%s", sysconf) >=
	    (int)sizeof(sysdir) || (slash = strrchr(sysdir, '/')) == NULL)
		return 1;
	*slash = '\0';
	if (nf > 0) {
		/* ssh reads the last -F alone; every one is looked at */
		for (k = 0; k < nf; k++)
			if (strcmp(files[k], "none") != 0 &&
			    file_may(files[k], userdir, home, 0, keys) != 0)
				return 1;
		return 0;
	}
	snprintf(user, sizeof(user), "%s/config", userdir);
	return file_may(user, userdir, home, 0, keys) != 0 ||
	    file_may(sysconf, sysdir, home, 0, keys) != 0;
}

int
ssh_conf_may_set_khc(int end, char *const *argv, const char *home,
    const char *sysconf)
{
	return ssh_conf_may_set(end, argv, home, sysconf, khc_keys);
}
