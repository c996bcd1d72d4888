/*
 * knownhosts.c - mtls ssh's file of vouched SSH host keys (knownhosts.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "knownhosts.h"
#include "util.h"

char *
kh_default_path(void)
{
	const char *e = getenv("MTLS_KNOWN_HOSTS"), *x, *home;
	struct passwd *pw;
	char *p = NULL;

	if (e != NULL && e[0] == '/')
		return strdup(e);
	x = getenv("XDG_STATE_HOME");
	if (x != NULL && x[0] == '/') {
		if (asprintf(&p, "%s/mtls/known_hosts", x) < 0)
			p = NULL;
		return p;
	}
	home = getenv("HOME");
	if ((home == NULL || home[0] != '/') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || asprintf(&p, "%s/.local/state/mtls/known_hosts",
	    home) < 0)
		p = NULL;
	return p;
}

int
kh_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 300)
		return 0;
	/* letters, digits, . - _ and the [host]:port and IPv6 forms */
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_:[]") == n;
}

static void
entry_clear(struct kh_entry *e)
{
	size_t i;

	for (i = 0; i < e->n_names; i++)
		free(e->names[i]);
	mtls_sshkey_clear(&e->key);
	memset(e, 0, sizeof(*e));
}

void
kh_clear(struct kh *kh)
{
	size_t i;

	if (kh == NULL)
		return;
	for (i = 0; i < kh->n; i++)
		entry_clear(&kh->v[i]);
	free(kh->v);
	memset(kh, 0, sizeof(*kh));
}

/* One line into e; -1 when it is not a line of ours (skipped). */
static int
parse_line(const char *line, size_t len, struct kh_entry *e)
{
	const char *sp = memchr(line, ' ', len), *p, *comma;
	size_t nl;

	memset(e, 0, sizeof(*e));
	if (sp == NULL || sp == line)
		return -1;
	for (p = line; p < sp; p = comma + 1) {
		comma = memchr(p, ',', (size_t)(sp - p));
		if (comma == NULL)
			comma = sp;
		nl = (size_t)(comma - p);
		if (e->n_names == KH_MAX_NAMES ||
		    (e->names[e->n_names] = strndup(p, nl)) == NULL)
			goto bad;
		if (!kh_name_ok(e->names[e->n_names++]))
			goto bad;
	}
	if (mtls_sshkey_from_line(sp + 1, len - (size_t)(sp + 1 - line),
	    &e->key) != 0)
		goto bad;
	return 0;
 bad:
	entry_clear(e);
	return -1;
}

static int
parse_text(const char *buf, size_t len, struct kh *kh)
{
	const char *p = buf, *end = buf + len, *nl;
	struct kh_entry e, *nv;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl > p && *p != '#' && parse_line(p, (size_t)(nl - p),
		    &e) == 0) {
			if ((nv = realloc(kh->v, (kh->n + 1) *
			    sizeof(*nv))) == NULL) {
				entry_clear(&e);
				return MTLS_E_NOMEM;
			}
			kh->v = nv;
			kh->v[kh->n++] = e;
		}
		p = nl + 1;
	}
	return 0;
}

int
kh_load(const char *path, struct kh *kh, struct mtls_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if ((r = mtls_file_read(path, "vouched known hosts", KH_MAX_SIZE,
	    &buf, &len, err)) != 0)
		return r;
	if ((r = parse_text(buf, len, kh)) != 0)
		mtls_err_set(err, r, NULL);
	free(buf);
	return r;
}

static int
names_has(const struct kh_entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n_names; i++)
		if (strcmp(e->names[i], name) == 0)
			return 1;
	return 0;
}

int
kh_vouched(const struct kh *kh, const char *name,
    const struct mtls_sshkey *key)
{
	size_t i;

	for (i = 0; i < kh->n; i++)
		if (names_has(&kh->v[i], name) &&
		    mtls_sshkey_equal(&kh->v[i].key, key))
			return 1;
	return 0;
}

int
kh_known(const struct kh *kh, const char *name)
{
	size_t i;

	for (i = 0; i < kh->n; i++)
		if (names_has(&kh->v[i], name))
			return 1;
	return 0;
}

/* Append "NAMES TYPE BASE64\n" to a growing string. */
static int
append_line(char **s, size_t *len, const char *names,
    const struct mtls_sshkey *key)
{
	char *b64 = NULL, *ns;
	size_t add;
	int r = MTLS_E_NOMEM;

	if ((b64 = mtls_sshkey_base64(key)) == NULL)
		goto out;
	add = strlen(names) + strlen(key->type) + strlen(b64) + 3;
	if ((ns = realloc(*s, *len + add + 1)) == NULL)
		goto out;
	*s = ns;
	snprintf(*s + *len, add + 1, "%s %s %s\n", names, key->type, b64);
	*len += add;
	r = 0;
 out:
	free(b64);
	return r;
}

char *
kh_lines(const struct kh *kh, const char *name)
{
	char *s = strdup("");
	size_t i, len = 0;

	for (i = 0; s != NULL && i < kh->n; i++)
		if (names_has(&kh->v[i], name) && append_line(&s, &len, name,
		    &kh->v[i].key) != 0) {
			free(s);
			s = NULL;
		}
	return s;
}

/* mkdir -p for the file's directory, new directories 0700. */
static int
make_dirs(const char *path, struct mtls_err *err)
{
	char *d = strdup(path), *p;
	int r = MTLS_E_NOMEM;

	if (d == NULL)
		goto out;
	for (p = d + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(d, 0700) != 0 && errno != EEXIST) {
			r = mtls_err_set(err, MTLS_E_IO, "%s: %s", d,
			    strerror(errno));
			goto out;
		}
		*p = '/';
	}
	r = 0;
 out:
	free(d);
	return r;
}

/* "a,b,c" as a new string, or NULL. */
static char *
join(char *const *v, size_t n)
{
	char *s;
	size_t i, len = 1;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, v[i]);
	}
	return s;
}

static int
names_any(const struct kh_entry *e, char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names_has(e, names[i]))
			return 1;
	return 0;
}

int
kh_record(const char *path, char *const *names, size_t n,
    const struct mtls_sshkey *key, struct mtls_err *err)
{
	struct kh kh = { NULL, 0 };
	char *lock = NULL, *text = NULL, *joined = NULL;
	size_t i, len = 0;
	int lfd = -1, r = MTLS_E_INVAL;

	if (n == 0 || n > KH_MAX_NAMES)
		goto out;
	for (i = 0; i < n; i++)
		if (!kh_name_ok(names[i]))
			goto out;
	r = MTLS_E_NOMEM;
	if ((joined = join(names, n)) == NULL || asprintf(&lock, "%s.lock",
	    path) < 0) {
		lock = NULL;
		goto out;
	}
	if ((r = make_dirs(path, err)) != 0)
		goto out;
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0 || flock(lfd, LOCK_EX) != 0) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: %s", lock,
		    strerror(errno));
		goto out;
	}
	if ((r = kh_load(path, &kh, err)) != 0)
		goto out;
	if ((text = strdup("")) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	for (i = 0; i < kh.n; i++) {
		char *ns;

		if (names_any(&kh.v[i], names, n))
			continue;
		if ((ns = join(kh.v[i].names, kh.v[i].n_names)) == NULL) {
			r = MTLS_E_NOMEM;
			goto out;
		}
		r = append_line(&text, &len, ns, &kh.v[i].key);
		free(ns);
		if (r != 0)
			goto out;
	}
	if ((r = append_line(&text, &len, joined, key)) != 0 ||
	    (r = mtls_file_write_atomic(path, text, len, 0600, err)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0 && err != NULL && err->code == 0)
		mtls_err_set(err, r, NULL);
	if (lfd >= 0)
		close(lfd);
	kh_clear(&kh);
	free(text);
	free(joined);
	free(lock);
	return r;
}
