/*
 * crlfetch.h - mtls crl fetch (crlfetch.c) and the index update of
 * mtls crl update (cmd_crl.c) that it ends with.
 */
#ifndef MTLS_CRLFETCH_H
#define MTLS_CRLFETCH_H

#include <time.h>

/* mtls crl fetch; argv[1] is "fetch".  The exit status. */
int crl_fetch(int argc, char **argv);

struct mtls_conf;

/*
 * The crl_cache directory of c (read from path), created if missing and
 * checked; NULL after printing why not (verb: "update" or "fetch").
 */
const char *crl_cache_dir(const struct mtls_conf *c, const char *path,
    const char *verb);

/*
 * mtls crl update on the configuration file path: verify the CRL files,
 * write their indexes (all of them again when force), print what was
 * done.  0, EXIT_REJECTED when a CRL is unusable at `at`, EXIT_USAGE when
 * the configuration or the index directory cannot be used.
 */
int crl_index_update(const char *path, int force, time_t at);

#endif /* MTLS_CRLFETCH_H */
