/*
 * crlfetch.c - mtls crl fetch: download the configured CRL files over
 * HTTP or HTTPS, verify each download as a login would verify the file
 * (signature by a configured CA, scope, freshness) and against the
 * installed one (no rollback, the same CAs), install it by rename, and
 * then rebuild the revocation indexes as mtls crl update does.
 *
 * Only this command talks to the network; logins read local files.  A
 * download that fails in any way leaves the installed file as it was.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/crypto.h>

#include "cli.h"
#include "crlfetch.h"
#include "crlindex.h"
#include "util.h"
#include "verify.h"

#define DEFAULT_TIMEOUT		60		/* seconds, a whole download */
#define CONNECT_TIMEOUT		10		/* seconds, at most */
#define DEFAULT_MAX_SIZE	(64UL * 1024 * 1024)
#define MAX_MAX_SIZE		(256UL * 1024 * 1024) /* what a CRL may be */
#define MAX_REDIRECTS		5
#define MAX_VALIDATOR		512		/* bytes of an ETag or date */
#define VALIDATORS_MAX		(4 * 1024)	/* bytes of a .fetch file */

struct fetch_opts {
	const char	*config;
	time_t		 at;
	long		 timeout;
	unsigned long	 max_size;
	const char	*tls_ca;	/* --tls-ca FILE, or NULL */
};

/* What is kept between runs for conditional requests (FILE.fetch). */
struct validators {
	char		 url[MTLS_CONF_MAX_LINE];
	char		 sha256[65];	/* of the installed file they describe */
	char		 etag[MAX_VALIDATOR];
	char		 last_modified[MAX_VALIDATOR];
};

/* One download in progress. */
struct dl {
	int		 fd;
	unsigned long	 n, max;
	int		 too_large, write_error;
	char		 etag[MAX_VALIDATOR];
	char		 last_modified[MAX_VALIDATOR];
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: mtls crl fetch [--config FILE] [--timeout SECONDS] "
	    "[--max-size BYTES]\n                      [--tls-ca FILE] "
	    "[--at TIME]\n\n"
	    "Download every CRL file the configuration (default "
	    MTLS_DEFAULT_CONFIG ")\nnames from its crl_url, or from the "
	    "cRLDistributionPoints of the configured\ncertificates its CA "
	    "issued; install each download that verifies (signed by\nthe "
	    "configured CA, complete, current at --at, not older than the "
	    "installed\nCRL) in place of the file, then rebuild the revocation "
	    "indexes as\n`mtls crl update` does.  A failed download leaves the "
	    "installed file as it was.\n\n"
	    "Exit status: 0 every CRL fetched (or not modified) and current, 1 "
	    "a download\nfailed or a CRL is unusable, 2 the configuration or "
	    "the directory cannot be used.\n");
}

/* --- validators --------------------------------------------------------- */

/* A header value we keep: printable ASCII, bounded, without a newline. */
static int
value_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= MAX_VALIDATOR)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static void
copy_value(char *dst, size_t size, const char *s, size_t len)
{
	dst[0] = '\0';
	if (len < size && value_ok(s, len)) {
		memcpy(dst, s, len);
		dst[len] = '\0';
	}
}

/* Read path into *val; an absent or unusable file is no validators. */
static void
validators_read(const char *path, struct validators *val)
{
	struct mtls_err e = { 0, "" };
	char *buf = NULL, *line, *next, *sp;
	size_t len = 0;

	memset(val, 0, sizeof(*val));
	if (mtls_file_read(path, "CRL fetch state", VALIDATORS_MAX, &buf, &len,
	    &e) != 0)
		return;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		if (strcmp(line, "url") == 0)
			copy_value(val->url, sizeof(val->url), sp, strlen(sp));
		else if (strcmp(line, "sha256") == 0)
			copy_value(val->sha256, sizeof(val->sha256), sp,
			    strlen(sp));
		else if (strcmp(line, "etag") == 0)
			copy_value(val->etag, sizeof(val->etag), sp,
			    strlen(sp));
		else if (strcmp(line, "last-modified") == 0)
			copy_value(val->last_modified,
			    sizeof(val->last_modified), sp, strlen(sp));
	}
	free(buf);
}

/* Write val to path atomically (root's, mode 0644); failure is reported. */
static void
validators_write(const char *path, const struct validators *val)
{
	struct mtls_err e = { 0, "" };
	char buf[VALIDATORS_MAX];
	int n;

	n = snprintf(buf, sizeof(buf), "url %s\nsha256 %s\n%s%s%s%s%s%s",
	    val->url, val->sha256,
	    val->etag[0] != '\0' ? "etag " : "", val->etag,
	    val->etag[0] != '\0' ? "\n" : "",
	    val->last_modified[0] != '\0' ? "last-modified " : "",
	    val->last_modified, val->last_modified[0] != '\0' ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    mtls_file_write_atomic(path, buf, (size_t)n, 0644, &e) != 0)
		fprintf(stderr, "mtls crl fetch: %s: not written%s%s\n", path,
		    e.code != 0 ? ": " : "", e.code != 0 ? mtls_err_msg(&e) :
		    "");
}

/* --- what is installed, and where it comes from ------------------------- */

/*
 * A verifier for conf with path as its only CRL file and no index
 * directory: the CRLs of that file are parsed and verified as a login
 * parses them.  NULL after printing why.
 */
static struct mtls_verifier *
verifier_for(struct mtls_conf *c, const char *path)
{
	struct mtls_verifier *v = NULL;
	struct mtls_err e = { 0, "" };
	char **crls = c->crls, *one[1];
	size_t n = c->n_crls;
	int off = c->crl_cache_off;

	one[0] = (char *)path;
	c->crls = one;
	c->n_crls = 1;
	c->crl_cache_off = 1;
	if (mtls_verifier_new(c, &v, &e) != 0)
		fprintf(stderr, "mtls crl fetch: %s\n", mtls_err_msg(&e));
	c->crls = crls;
	c->n_crls = n;
	c->crl_cache_off = off;
	return v;
}

/* Nonzero when s is an http:// or https:// URL we may fetch. */
static int
http_url(const char *s, size_t len)
{
	size_t i;

	if (!(len > 7 && strncasecmp(s, "http://", 7) == 0) &&
	    !(len > 8 && strncasecmp(s, "https://", 8) == 0))
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The first HTTP(S) URI among the cRLDistributionPoints of crt, or NULL. */
static char *
cdp_url(gnutls_x509_crt_t crt)
{
	char buf[MTLS_CONF_MAX_LINE];
	size_t sz;
	unsigned seq;
	int r;

	for (seq = 0; seq < 64; seq++) {
		sz = sizeof(buf) - 1;
		r = gnutls_x509_crt_get_crl_dist_points(crt, seq, buf, &sz,
		    NULL, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r != GNUTLS_SAN_URI || sz >= sizeof(buf))
			continue;
		buf[sz] = '\0';
		if (strlen(buf) == sz && http_url(buf, sz))
			return strdup(buf);
	}
	return NULL;
}

/*
 * The URL of the CRL of the CA whose id is issuer: RFC 5280 puts it in the
 * cRLDistributionPoints of the certificates that CA issued, so it is
 * taken from the configured ones (the CA's own certificate when it is
 * self-signed, the intermediates it signed).  malloc'd, or NULL.
 */
static char *
url_from_cdp(const struct mtls_conf *c, const unsigned char issuer[32])
{
	gnutls_x509_crt_t *all = NULL, *crts;
	unsigned n = 0, k, i, j;
	unsigned char id[32];
	struct mtls_err e = { 0, "" };
	char *url = NULL;
	size_t f;

	for (f = 0; f < c->n_anchors + c->n_intermediates; f++) {
		const char *p = f < c->n_anchors ? c->anchors[f] :
		    c->intermediates[f - c->n_anchors];
		gnutls_x509_crt_t *na;

		if (mtls_load_crts(p, "certificate", 1, &crts, &k, &e) != 0)
			continue;
		if ((na = realloc(all, (n + k) * sizeof(*na))) == NULL) {
			mtls_crts_free(crts, k);
			break;
		}
		all = na;
		memcpy(all + n, crts, k * sizeof(*crts));
		n += k;
		gnutls_free(crts);
	}
	for (i = 0; url == NULL && i < n; i++) {
		if (mtls_ca_id(all[i], id) != 0 || memcmp(id, issuer, 32) != 0)
			continue;
		for (j = 0; url == NULL && j < n; j++)
			if (gnutls_x509_crt_check_issuer(all[j], all[i]))
				url = cdp_url(all[j]);
	}
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(all[i]);
	free(all);
	return url;
}

/* Below, at or above 0 as the cRLNumber a is below, equal to or above b. */
static int
number_cmp(const struct mtls_crl_info *a, const struct mtls_crl_info *b)
{
	if (a->number_len != b->number_len)
		return a->number_len < b->number_len ? -1 : 1;
	return memcmp(a->number, b->number, a->number_len);
}

/* --- the download -------------------------------------------------------- */

static size_t
on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct dl *d = ctx;
	size_t len = size * nmemb;

	/* The server's length may be absent or a lie: count for ourselves. */
	if (len > d->max - d->n) {
		d->too_large = 1;
		return 0;
	}
	if (mtls_write_all(d->fd, data, len) != 0) {
		d->write_error = errno;
		return 0;
	}
	d->n += len;
	return len;
}

/* Keep ETag and Last-Modified of the final answer (redirects reset them). */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct dl *d = ctx;
	size_t len = size * nmemb, k, vl;
	const char *v;

	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		d->etag[0] = d->last_modified[0] = '\0';
		return len;
	}
	for (k = 0; k < len && data[k] != ':'; k++)
		;
	if (k == len)
		return len;
	v = data + k + 1;
	while (v < data + len && (*v == ' ' || *v == '\t'))
		v++;
	vl = (size_t)(data + len - v);
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' '))
		vl--;
	if (k == 4 && strncasecmp(data, "etag", 4) == 0)
		copy_value(d->etag, sizeof(d->etag), v, vl);
	else if (k == 13 && strncasecmp(data, "last-modified", 13) == 0)
		copy_value(d->last_modified, sizeof(d->last_modified), v, vl);
	return len;
}

/*
 * GET url into d->fd, conditionally when val has validators.  0 with
 * *status the HTTP status, or -1 after printing why.
 */
static int
download(const struct fetch_opts *o, const char *file, const char *url,
    const struct validators *val, struct dl *d, long *status)
{
	char hdr[2][MAX_VALIDATOR + 32], err[CURL_ERROR_SIZE];
	struct curl_slist *h = NULL, *nh;
	CURL *cu = NULL;
	CURLcode r = CURLE_OUT_OF_MEMORY;
	const char *why;
	int rc = -1;

	err[0] = '\0';
	if ((cu = curl_easy_init()) == NULL)
		goto report;
	if (val->etag[0] != '\0') {
		snprintf(hdr[0], sizeof(hdr[0]), "If-None-Match: %s", val->etag);
		if ((nh = curl_slist_append(h, hdr[0])) == NULL)
			goto report;
		h = nh;
	}
	if (val->last_modified[0] != '\0') {
		snprintf(hdr[1], sizeof(hdr[1]), "If-Modified-Since: %s",
		    val->last_modified);
		if ((nh = curl_slist_append(h, hdr[1])) == NULL)
			goto report;
		h = nh;
	}
	if ((r = curl_easy_setopt(cu, CURLOPT_URL, url)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https")) !=
	    CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_REDIR_PROTOCOLS_STR,
	    "http,https")) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 1L)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_MAXREDIRS,
	    (long)MAX_REDIRECTS)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)d->max)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_TIMEOUT, o->timeout)) !=
	    CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT,
	    o->timeout < CONNECT_TIMEOUT ? o->timeout : CONNECT_TIMEOUT)) !=
	    CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_USERAGENT, "mtls/"
	    PACKAGE_VERSION)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, err)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body)) !=
	    CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_WRITEDATA, d)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header)) !=
	    CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_HEADERDATA, d)) != CURLE_OK ||
	    (r = curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h)) != CURLE_OK)
		goto report;
	/* --tls-ca replaces the system's store, directory included. */
	if (o->tls_ca != NULL &&
	    ((r = curl_easy_setopt(cu, CURLOPT_CAINFO, o->tls_ca)) !=
	    CURLE_OK || (r = curl_easy_setopt(cu, CURLOPT_CAPATH, NULL)) !=
	    CURLE_OK))
		goto report;
	r = curl_easy_perform(cu);
	if (r == CURLE_OK &&
	    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status) == CURLE_OK) {
		rc = 0;
		goto out;
	}
 report:
	if (d->too_large || r == CURLE_FILESIZE_EXCEEDED)
		why = "too large: more than the size limit";
	else if (d->write_error != 0)
		why = strerror(d->write_error);
	else if (r == CURLE_COULDNT_CONNECT || r == CURLE_COULDNT_RESOLVE_HOST ||
	    r == CURLE_COULDNT_RESOLVE_PROXY)
		why = "unreachable";
	else if (r == CURLE_OPERATION_TIMEDOUT)
		why = "timed out";
	else if (r == CURLE_PARTIAL_FILE)
		why = "truncated: the connection ended before the whole answer";
	else if (r == CURLE_UNSUPPORTED_PROTOCOL)
		why = "refused: a protocol other than http or https";
	else if (r == CURLE_PEER_FAILED_VERIFICATION ||
	    r == CURLE_SSL_CONNECT_ERROR || r == CURLE_SSL_CACERT_BADFILE ||
	    r == CURLE_SSL_CERTPROBLEM)
		why = "TLS: the server's certificate does not verify, or the "
		    "handshake failed";
	else if (r == CURLE_TOO_MANY_REDIRECTS)
		why = "refused: too many redirects";
	else
		why = "download failed";
	fprintf(stderr, "mtls crl fetch: %s: %s: %s (%s%s%s)\n", file, url, why,
	    curl_easy_strerror(r), err[0] != '\0' ? ": " : "", err);
 out:
	curl_slist_free_all(h);
	curl_easy_cleanup(cu);
	return rc;
}

/* --- judging a download ---------------------------------------------------- */

struct problem_ctx {
	const char	*file, *url;
	size_t		 n;
};

static void
on_problem(void *ctx, int code, const char *msg)
{
	struct problem_ctx *p = ctx;

	fprintf(stderr, "mtls crl fetch: %s: %s: refused (%s): %s\n", p->file,
	    p->url, mtls_errname(code), msg);
	p->n++;
}

/*
 * The CRLs of the download (verifier nv) may replace those installed (ov,
 * or NULL when nothing usable is installed): every one of them usable and
 * current at `at`, and for each CA with an installed CRL, one of the same
 * CA that is not older.  0, or -1 after printing why.
 */
static int
judge(const struct fetch_opts *o, const char *file, const char *url,
    const struct mtls_verifier *nv, const struct mtls_verifier *ov)
{
	struct problem_ctx p = { file, url, 0 };
	struct mtls_crl_info a, b;
	size_t i, k, n = mtls_verifier_crls(nv);
	int found;

	if (n == 0) {
		fprintf(stderr, "mtls crl fetch: %s: %s: refused: not a CRL\n",
		    file, url);
		return -1;
	}
	if (mtls_verifier_problems(nv, o->at, on_problem, &p) > 0)
		return -1;
	for (i = 0; ov != NULL && i < mtls_verifier_crls(ov); i++) {
		if (mtls_verifier_crl(ov, i, &a) != 0 || a.status != 0)
			continue;
		found = 0;
		for (k = 0; k < n; k++) {
			if (mtls_verifier_crl(nv, k, &b) != 0 ||
			    memcmp(a.issuer, b.issuer, 32) != 0)
				continue;
			found = 1;
			if (b.this_update < a.this_update ||
			    (a.number_len > 0 && b.number_len > 0 &&
			    number_cmp(&b, &a) < 0)) {
				fprintf(stderr, "mtls crl fetch: %s: %s: refused "
				    "(rollback): older than the installed CRL "
				    "(an earlier thisUpdate or a lower "
				    "cRLNumber)\n", file, url);
				return -1;
			}
		}
		if (!found) {
			fprintf(stderr, "mtls crl fetch: %s: %s: refused (wrong "
			    "issuer): it holds no CRL of the CA whose CRL is "
			    "installed\n", file, url);
			return -1;
		}
	}
	return 0;
}

/* Make the rename of a file in dir durable. */
static void
sync_dir(const char *file)
{
	char dir[PATH_MAX], *slash;
	int fd;

	if (strlen(file) >= sizeof(dir))
		return;
	strcpy(dir, file);
	if ((slash = strrchr(dir, '/')) == NULL)
		return;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/*
 * The SHA-256 (hex) of the file at path, read in blocks (a CRL may be
 * tens of megabytes), or "" when it cannot be read.
 */
static void
file_sha256(const char *path, char out[65])
{
	struct mtls_err e = { 0, "" };
	gnutls_hash_hd_t h = NULL;
	unsigned char buf[65536], sum[32];
	ssize_t n;
	int fd = -1;

	out[0] = '\0';
	if (mtls_file_open(path, "CRL", &fd, &e) != 0 ||
	    gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && gnutls_hash(h, buf, (size_t)n) < 0)
			break;
	gnutls_hash_deinit(h, sum);
	h = NULL;
	if (n == 0)
		mtls_hex(sum, sizeof(sum), 0, out);
 out:
	if (h != NULL)
		gnutls_hash_deinit(h, NULL);
	if (fd >= 0)
		close(fd);
}

/*
 * Fetch the CRL file `file` of conf.  0 when the installed file is (now)
 * a current download or has no URL to fetch it from, -1 after printing
 * why it is not.
 */
static int
fetch_one(const struct fetch_opts *o, struct mtls_conf *c, const char *dir,
    const char *file)
{
	struct mtls_verifier *ov = NULL, *nv = NULL;
	struct validators val, cur;
	struct mtls_crl_info info;
	struct problem_ctx p;
	struct dl d;
	struct stat st;
	char vpath[PATH_MAX], tmp[PATH_MAX], sum[65], nsum[65];
	char *url = NULL;
	const char *slash;
	long status = 0;
	size_t i;
	int rc = -1, have = 0;

	memset(&d, 0, sizeof(d));
	d.fd = -1;
	tmp[0] = '\0';
	if (mtls_crlidx_path(dir, file, vpath, sizeof(vpath)) != 0 ||
	    strlen(vpath) + sizeof(".fetch") > sizeof(vpath)) {
		fprintf(stderr, "mtls crl fetch: %s: path too long\n", file);
		goto out;
	}
	strcat(vpath, ".fetch");
	/* What is installed: the baseline for rollback and for a 304. */
	if (stat(file, &st) == 0) {
		have = 1;
		if ((ov = verifier_for(c, file)) == NULL)
			goto out;
		file_sha256(file, sum);
	} else if (errno != ENOENT) {
		fprintf(stderr, "mtls crl fetch: %s: %s\n", file,
		    strerror(errno));
		goto out;
	}
	if (mtls_conf_crl_url(c, file) != NULL)
		url = strdup(mtls_conf_crl_url(c, file));
	for (i = 0; url == NULL && ov != NULL && i < mtls_verifier_crls(ov);
	    i++)
		if (mtls_verifier_crl(ov, i, &info) == 0 && info.status == 0)
			url = url_from_cdp(c, info.issuer);
	if (url == NULL) {
		/*
		 * Installed by other means: nothing to download, and the
		 * index update that follows still judges the file.
		 */
		printf("%s: not fetched: no URL (no crl_url line names it, and "
		    "no configured certificate issued by its CA has an http "
		    "or https cRLDistributionPoint)\n", file);
		rc = 0;
		goto out;
	}

	memset(&val, 0, sizeof(val));
	if (have) {
		validators_read(vpath, &cur);
		/* Validators describe one URL and the file they fetched. */
		if (strcmp(cur.url, url) == 0 && sum[0] != '\0' &&
		    strcmp(cur.sha256, sum) == 0)
			val = cur;
	}
	/* The download goes next to the file, to be renamed over it. */
	slash = strrchr(file, '/');
	if (snprintf(tmp, sizeof(tmp), "%.*s/.%s.fetchXXXXXX",
	    (int)(slash - file), file, slash + 1) >= (int)sizeof(tmp)) {
		fprintf(stderr, "mtls crl fetch: %s: path too long\n", file);
		tmp[0] = '\0';
		goto out;
	}
	if ((d.fd = mkstemp(tmp)) < 0 || fchmod(d.fd, 0644) != 0) {
		fprintf(stderr, "mtls crl fetch: %s: %s\n", tmp,
		    strerror(errno));
		if (d.fd < 0)
			tmp[0] = '\0';
		goto out;
	}
	d.max = o->max_size;
	if (download(o, file, url, &val, &d, &status) != 0)
		goto out;
	if (status == 304 && (val.etag[0] != '\0' ||
	    val.last_modified[0] != '\0')) {
		/* Not modified: the installed CRL must still be current. */
		p.file = file;
		p.url = url;
		p.n = 0;
		if (mtls_verifier_problems(ov, o->at, on_problem, &p) > 0) {
			fprintf(stderr, "mtls crl fetch: %s: %s: not modified, "
			    "but the installed CRL cannot be used now (stale)"
			    "\n", file, url);
			goto out;
		}
		printf("%s: %s: not modified\n", file, url);
		rc = 0;
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, "mtls crl fetch: %s: %s: refused: HTTP status "
		    "%ld\n", file, url, status);
		goto out;
	}
	if (fsync(d.fd) != 0 || close(d.fd) != 0) {
		d.fd = -1;
		fprintf(stderr, "mtls crl fetch: %s: %s\n", tmp,
		    strerror(errno));
		goto out;
	}
	d.fd = -1;
	if ((nv = verifier_for(c, tmp)) == NULL ||
	    judge(o, file, url, nv, ov) != 0)
		goto out;
	file_sha256(tmp, nsum);
	if (rename(tmp, file) != 0) {
		fprintf(stderr, "mtls crl fetch: %s: cannot install: %s\n",
		    file, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	sync_dir(file);
	printf("%s: %s: %s (%lu bytes)\n", file, url, have &&
	    strcmp(sum, nsum) == 0 ? "unchanged" : "installed", d.n);
	memset(&val, 0, sizeof(val));
	snprintf(val.url, sizeof(val.url), "%s", url);
	memcpy(val.sha256, nsum, sizeof(val.sha256));
	memcpy(val.etag, d.etag, sizeof(val.etag));
	memcpy(val.last_modified, d.last_modified, sizeof(val.last_modified));
	validators_write(vpath, &val);
	rc = 0;
 out:
	if (d.fd >= 0)
		close(d.fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	mtls_verifier_free(ov);
	mtls_verifier_free(nv);
	free(url);
	return rc;
}

static int
parse_opts(int argc, char **argv, struct fetch_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "tls-ca", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long u;
	int ch;

	o->config = MTLS_DEFAULT_CONFIG;
	o->at = time(NULL);
	o->timeout = DEFAULT_TIMEOUT;
	o->max_size = DEFAULT_MAX_SIZE;
	o->tls_ca = NULL;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'a':
			if (mtls_parse_time(optarg, &o->at) != 0) {
				fprintf(stderr, "mtls crl fetch: --at %s: bad "
				    "time\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (mtls_parse_uint(optarg, 1, 3600, &u) != 0) {
				fprintf(stderr, "mtls crl fetch: --timeout %s: "
				    "expected 1 to 3600 seconds\n", optarg);
				return EXIT_USAGE;
			}
			o->timeout = (long)u;
			break;
		case 'm':
			if (mtls_parse_uint(optarg, 1, MAX_MAX_SIZE, &u) != 0) {
				fprintf(stderr, "mtls crl fetch: --max-size %s: "
				    "expected 1 to %lu bytes\n", optarg,
				    MAX_MAX_SIZE);
				return EXIT_USAGE;
			}
			o->max_size = u;
			break;
		case 'T':
			o->tls_ca = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int
crl_fetch(int argc, char **argv)
{
	struct fetch_opts o;
	struct mtls_conf *c = NULL;
	struct mtls_err e = { 0, "" };
	char lock[PATH_MAX];
	const char *dir;
	size_t i, failed = 0;
	int rc, lfd = -1;

	if ((rc = parse_opts(argc, argv, &o)) >= 0)
		return rc;
	rc = EXIT_USAGE;
	if (mtls_conf_load(o.config, &c, &e) != 0) {
		fprintf(stderr, "mtls: %s\n", mtls_err_msg(&e));
		goto out;
	}
	for (i = 0; i < c->n_crl_urls; i++) {
		size_t k;

		for (k = 0; k < c->n_crls; k++)
			if (strcmp(c->crls[k], c->crl_url_files[i]) == 0)
				break;
		if (k == c->n_crls) {
			fprintf(stderr, "mtls crl fetch: %s: crl_url names %s, "
			    "which no crl line names\n", o.config,
			    c->crl_url_files[i]);
			goto out;
		}
	}
	if ((dir = crl_cache_dir(c, o.config, "fetch")) == NULL)
		goto out;
	/* One fetch at a time: the timer's and an administrator's. */
	if (snprintf(lock, sizeof(lock), "%s/fetch.lock", dir) >=
	    (int)sizeof(lock) || (lfd = open(lock, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 || flock(lfd, LOCK_EX) != 0) {
		fprintf(stderr, "mtls crl fetch: %s: %s\n", lock,
		    strerror(errno));
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "mtls crl fetch: libcurl cannot start\n");
		goto out;
	}
	for (i = 0; i < c->n_crls; i++)
		if (fetch_one(&o, c, dir, c->crls[i]) != 0)
			failed++;
	curl_global_cleanup();
	/* The indexes follow what is installed now, fetched or not. */
	rc = crl_index_update(o.config, 0, o.at);
	if (rc == 0 && failed > 0)
		rc = EXIT_REJECTED;
	if (failed > 0)
		fprintf(stderr, "mtls crl fetch: %zu of %zu CRL file%s not "
		    "fetched\n", failed, c->n_crls, c->n_crls == 1 ? "" : "s");
 out:
	if (lfd >= 0)
		close(lfd);
	mtls_conf_free(c);
	return rc;
}
