/*
 * fuzz_ldapsync.c - what `mtls db sync` parses besides LDAP (which
 * libldap does): with a first byte 'c', the rest is a sync configuration
 * (mtls-identity(5)); with 's', the rest is a cache of directory entries,
 * loaded as a sync loads it and written out as identity sources, which
 * are then parsed as `mtls db build` parses them.  Other first bytes are
 * skipped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "idsrc.h"
#include "ldapsync.h"
#include "util.h"

static void
conf(const uint8_t *data, size_t size)
{
	struct ls_conf c;
	struct mtls_err err;

	memset(&c, 0, sizeof(c));
	if (ls_conf_parse(&c, "fuzz", (const char *)data, size, &err) == 0 &&
	    (c.n_uris == 0 || c.user_base == NULL || c.bind == LS_BIND_NONE))
		abort();	/* accepted what it must refuse */
	ls_conf_clear(&c);
}

static void
cache(const uint8_t *data, size_t size)
{
	struct ls_store s;
	struct ls_line *ul = NULL, *gl = NULL;
	struct mtls_idsrc src;
	struct mtls_err err;
	char *u = NULL, *g = NULL;
	size_t ulen, glen, nu, ng, i;
	int fd;

	memset(&s, 0, sizeof(s));
	memset(&src, 0, sizeof(src));
	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0)
		return;
	if (mtls_write_all(fd, data, size) != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return;
	}
	if (ls_store_load(&s, fd, &err) != 0)
		goto out;
	if (ls_store_sources(&s, &u, &ulen, &ul, &nu, &g, &glen, &gl, &ng,
	    &err) != 0)
		goto out;
	/* every line of the sources belongs to an entry */
	for (i = 0; i < nu; i++)
		if (ls_line_entry(ul, nu, ul[i].line) != ul[i].ent)
			abort();
	if (mtls_idsrc_parse_users(&src, "users", u, ulen, &err) == 0) {
		u = NULL;
		(void)mtls_idsrc_parse_groups(&src, "groups", g, glen, &err);
		g = NULL;
	} else
		u = NULL;	/* src has it */
 out:
	mtls_idsrc_clear(&src);
	free(u);
	free(g);
	free(ul);
	free(gl);
	ls_store_clear(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 256 * 1024)
		return 0;
	if (data[0] == 'c')
		conf(data + 1, size - 1);
	else if (data[0] == 's')
		cache(data + 1, size - 1);
	return 0;
}
