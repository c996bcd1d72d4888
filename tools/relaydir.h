/*
 * relaydir.h - the private directory through which ssh's askpass reaches
 * the process that answers ssh's prompts (wire format: relay.h): a Unix
 * stream socket "sock" and a link RELAY_ASKPASS_NAME to the askpass
 * program (mtls-askpass, or the mtls program, which acts as askpass when
 * run under that name).  ssh is run with SSH_ASKPASS=DIR/mtls-askpass
 * and MTLS_ASKPASS_SOCK=DIR/sock.
 */
#ifndef MTLS_RELAYDIR_H
#define MTLS_RELAYDIR_H

#include <stddef.h>

#include "errors.h"

#define RELAY_ASKPASS_NAME	"mtls-askpass"

/*
 * Make PARENT/PREFIX.XXXXXX (mkdtemp: mode 0700) with the link to exe
 * (an absolute path) and the socket, listening, close-on-exec.  0 with
 * the directory's path in dir (size bytes) and the socket in *lfd; else
 * a code with err set and *lfd -1.  Either way dir holds what
 * relay_dir_remove() is to remove ("" when nothing was made).
 */
int relay_dir_new(const char *parent, const char *prefix, const char *exe,
    char *dir, size_t size, int *lfd, struct mtls_err *err);

/* Remove the socket, the link and dir; dir "" is nothing to remove. */
void relay_dir_remove(const char *dir);

#endif /* MTLS_RELAYDIR_H */
