/*
 * sshargs.c - find the destination on an ssh(1) command line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sshargs.h"

/*
 * ssh_config's "Key value" or "Key=value": the key, the value with
 * surrounding blanks and one pair of double quotes removed.
 */
int
ssh_option_is_batch(const char *opt)
{
	const char *k = opt, *v, *end;
	size_t klen;

	while (*k == ' ' || *k == '\t')
		k++;
	klen = strcspn(k, " \t=");
	v = k + klen;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '=')
		v++;
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - v >= 2 && *v == '"' && end[-1] == '"') {
		v++;
		end--;
	}
	if (klen != strlen("batchmode") || strncasecmp(k, "batchmode",
	    klen) != 0)
		return 0;
	return ((size_t)(end - v) == 3 && strncasecmp(v, "yes", 3) == 0) ||
	    ((size_t)(end - v) == 4 && strncasecmp(v, "true", 4) == 0);
}

static int
copy(char *dst, const char *src, size_t len)
{
	if (len > SSH_HOST_MAX)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* A host name or address: no blanks, controls, '/', '@' or ':' left. */
static int
host_ok(const char *h, int v6)
{
	const unsigned char *p;

	if (*h == '\0' || *h == '-')
		return 0;
	for (p = (const unsigned char *)h; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/' || *p == '@' ||
		    (*p == ':' && !v6) || *p == '[' || *p == ']')
			return 0;
	return 1;
}

/* [user@]host, or ssh://[user@]host[:port] with host possibly [v6]. */
static int
parse_dest(const char *a, struct ssh_dest *d)
{
	const char *h = a, *at, *end;
	int uri = strncmp(a, "ssh://", 6) == 0, v6 = 0;
	char user[SSH_HOST_MAX + 1];

	if (uri)
		h = a + 6;
	at = strrchr(h, '@');
	if (at != NULL) {
		if (at == h || copy(user, h, (size_t)(at - h)) != 0)
			return -1;
		/* like ssh: the first user named (-l or here) wins */
		if (d->user[0] == '\0')
			memcpy(d->user, user, sizeof(user));
		h = at + 1;
	}
	end = h + strlen(h);
	if (uri) {
		if (*h == '[') {
			h++;
			if ((end = strchr(h, ']')) == NULL || (end[1] != '\0' &&
			    end[1] != ':' && end[1] != '/'))
				return -1;
			v6 = 1;
		} else {
			end = h + strcspn(h, ":/");
		}
	}
	if (copy(d->host, h, (size_t)(end - h)) != 0 || !host_ok(d->host, v6))
		return -1;
	return 0;
}

/* One "-xyz" word at argv[*i]; may take the next word as an argument. */
static int
parse_opt(int argc, char *const *argv, int *i, struct ssh_dest *d,
    struct mtls_err *err)
{
	const char *p, *val;

	for (p = argv[*i] + 1; *p != '\0'; p++) {
		if (*p == 'G')
			d->print_config = 1;
		if (strchr(SSH_OPTS_FLAG, *p) != NULL)
			continue;
		if (strchr(SSH_OPTS_ARG, *p) == NULL)
			return mtls_err_set(err, MTLS_E_INVAL, "unknown ssh "
			    "option -%c", *p);
		if (p[1] != '\0')
			val = p + 1;
		else if (*i + 1 < argc)
			val = argv[++*i];
		else
			return mtls_err_set(err, MTLS_E_INVAL, "ssh option "
			    "-%c needs an argument", *p);
		if (*p == 'l' && d->user[0] == '\0' &&
		    copy(d->user, val, strlen(val)) != 0)
			return mtls_err_set(err, MTLS_E_INVAL, "-l: user "
			    "name too long");
		if (*p == 'o') {
			const char *k = val + strspn(val, " \t");

			/* ssh keeps the first value of an option */
			if (strcspn(k, " \t=") == 9 && strncasecmp(k,
			    "batchmode", 9) == 0 && !d->batch_given) {
				d->batch_given = 1;
				d->batch = ssh_option_is_batch(val);
			}
		}
		return 0;
	}
	return 0;
}

static int
dest_at(char *const *argv, int i, struct ssh_dest *d, struct mtls_err *err)
{
	d->index = i;
	if (parse_dest(argv[i], d) != 0)
		return mtls_err_set(err, MTLS_E_INVAL, "%s: not a destination "
		    "([user@]host or ssh://[user@]host[:port])", argv[i]);
	return 0;
}

int
ssh_args_parse(int argc, char *const *argv, struct ssh_dest *d,
    struct mtls_err *err)
{
	int i, r = MTLS_E_INVAL;

	memset(d, 0, sizeof(*d));
	d->index = d->insert = -1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			d->insert = i;
			if (d->index < 0 && i + 1 < argc &&
			    (r = dest_at(argv, i + 1, d, err)) != 0)
				goto out;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (d->index >= 0)
				break;
			if ((r = dest_at(argv, i, d, err)) != 0)
				goto out;
			continue;
		}
		if ((r = parse_opt(argc, argv, &i, d, err)) != 0)
			goto out;
	}
	if (d->insert < 0)
		d->insert = i;
	/* nothing but the destination: ours go in front of it */
	if (d->index >= 0 && d->insert == d->index + 1)
		d->insert = d->index;
	if (d->index < 0) {
		r = mtls_err_set(err, MTLS_E_INVAL, "no destination "
		    "([user@]host) given");
		goto out;
	}
	r = 0;
 out:
	return r;
}

int
ssh_args_probe(int end, char *const *argv, int skip, char **out, char *buf,
    size_t bufsize)
{
	const char *p;
	size_t used = 0, start;
	int i, n = 0;

	for (i = 0; i < end; i++) {
		if (i == skip)
			continue;
		if (argv[i][0] != '-' || argv[i][1] == '\0' ||
		    strcmp(argv[i], "--") == 0)
			continue;	/* only options are carried over */
		start = used;
		if (used + 2 > bufsize)
			return -1;
		buf[used++] = '-';
		for (p = argv[i] + 1; *p != '\0'; p++) {
			if (strchr(SSH_OPTS_ARG, *p) != NULL) {
				const char *val = p[1] != '\0' ? p + 1 :
				    i + 1 < end ? argv[++i] : "";

				if (strchr(SSH_PROBE_DROP_ARG, *p) != NULL)
					break;
				/* "-o" and its value as two words */
				if (used + 3 > bufsize)
					return -1;
				if (used > start + 1) {
					buf[used++] = '\0';
					out[n++] = buf + start;
					start = used;
					buf[used++] = '-';
				}
				buf[used++] = *p;
				buf[used++] = '\0';
				out[n++] = buf + start;
				out[n++] = (char *)val;
				start = used;
				break;
			}
			if (strchr(SSH_PROBE_DROP_FLAG, *p) != NULL)
				continue;
			if (used + 2 > bufsize)
				return -1;
			buf[used++] = *p;
		}
		if (used > start + 1) {
			buf[used++] = '\0';
			out[n++] = buf + start;
		} else if (used == start + 1) {
			used = start;	/* a lone "-" left */
		}
	}
	return n;
}
