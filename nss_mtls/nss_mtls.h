/*
 * nss_mtls.h - the entry points of libnss_mtls.so.2, as glibc calls them
 * (see nss(5) and glibc's "NSS Module Function Internals").  All are
 * thread-safe.  A result that does not fit the caller's buffer gives
 * NSS_STATUS_TRYAGAIN with *errnop ERANGE; an unusable database gives
 * NSS_STATUS_UNAVAIL; an unknown name or id NSS_STATUS_NOTFOUND.
 */
#ifndef MTLS_NSS_MTLS_H
#define MTLS_NSS_MTLS_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

enum nss_status _nss_mtls_getpwnam_r(const char *name, struct passwd *pw,
    char *buf, size_t len, int *errnop);
enum nss_status _nss_mtls_getpwuid_r(uid_t uid, struct passwd *pw,
    char *buf, size_t len, int *errnop);
enum nss_status _nss_mtls_setpwent(int stayopen);
enum nss_status _nss_mtls_getpwent_r(struct passwd *pw, char *buf,
    size_t len, int *errnop);
enum nss_status _nss_mtls_endpwent(void);
enum nss_status _nss_mtls_getgrnam_r(const char *name, struct group *gr,
    char *buf, size_t len, int *errnop);
enum nss_status _nss_mtls_getgrgid_r(gid_t gid, struct group *gr,
    char *buf, size_t len, int *errnop);
enum nss_status _nss_mtls_setgrent(int stayopen);
enum nss_status _nss_mtls_getgrent_r(struct group *gr, char *buf,
    size_t len, int *errnop);
enum nss_status _nss_mtls_endgrent(void);
/* Add the gids of user's groups (but group) to *groupsp, growing it up
 * to limit entries (no limit when limit <= 0). */
enum nss_status _nss_mtls_initgroups_dyn(const char *user, gid_t group,
    long *start, long *size, gid_t **groupsp, long limit, int *errnop);

#endif /* MTLS_NSS_MTLS_H */
