/*
 * relaydir.c - the askpass relay's private directory (relaydir.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "relaydir.h"

int
relay_dir_new(const char *parent, const char *prefix, const char *exe,
    char *dir, size_t size, int *lfd, struct mtls_err *err)
{
	struct sockaddr_un sa;
	char link[PATH_MAX + sizeof(RELAY_ASKPASS_NAME) + 1];
	size_t n;
	int fd = -1, r = MTLS_E_IO;

	*lfd = -1;
	n = (size_t)snprintf(dir, size, "%s/%s.XXXXXX", parent, prefix);
	if (n >= size || n >= PATH_MAX ||
	    n + sizeof("/sock") > sizeof(sa.sun_path)) {
		if (size > 0)
			dir[0] = '\0';
		r = mtls_err_set(err, MTLS_E_INVAL, "%s: too long a directory "
		    "for a socket", parent);
		goto out;
	}
	if (mkdtemp(dir) == NULL) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: %s", dir,
		    strerror(errno));
		dir[0] = '\0';
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
	snprintf(link, sizeof(link), "%s/" RELAY_ASKPASS_NAME, dir);
	if (symlink(exe, link) != 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 8) != 0) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: %s", dir,
		    strerror(errno));
		goto out;
	}
	*lfd = fd;
	fd = -1;
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	return r;
}

void
relay_dir_remove(const char *dir)
{
	char p[PATH_MAX + sizeof(RELAY_ASKPASS_NAME) + 1];

	if (dir == NULL || dir[0] == '\0')
		return;
	snprintf(p, sizeof(p), "%s/sock", dir);
	(void)unlink(p);
	snprintf(p, sizeof(p), "%s/" RELAY_ASKPASS_NAME, dir);
	(void)unlink(p);
	(void)rmdir(dir);
}
