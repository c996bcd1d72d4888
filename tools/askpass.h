/*
 * askpass.h - mtls askpass, the helper that ssh runs under mtls ssh
 * (askpass.c).  Links libc alone.
 */
#ifndef MTLS_ASKPASS_H
#define MTLS_ASKPASS_H

/*
 * Run as ssh's askpass with argv (argv[0] is the program's name):
 * PROMPT, --known-hosts %I %H %t %K [-- COMMAND...], or
 * --authenticated.  Returns the exit status (it may also exec the
 * person's KnownHostsCommand).
 */
int askpass_run(int argc, char **argv);

#endif /* MTLS_ASKPASS_H */
