/* fuzz.c - helpers shared by the fuzz targets (fuzz.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "conf.h"
#include "fuzz.h"

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

const char *
fuzz_fixture(const char *name)
{
	static char buf[2][4096];
	static int k;
	const char *dir = getenv("FIXTURES");

	k = !k;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s",
	    dir != NULL ? dir : "tests/fixtures", name);
	return buf[k];
}

struct mtls_conf *
fuzz_pki_conf(void)
{
	struct mtls_conf *c = NULL;

	if (mtls_conf_new(&c) != 0 ||
	    mtls_conf_list_add(&c->anchors, &c->n_anchors,
	    fuzz_fixture("root.pem")) != 0 ||
	    mtls_conf_list_add(&c->intermediates, &c->n_intermediates,
	    fuzz_fixture("inter.pem")) != 0)
		__builtin_trap();
	c->crl_cache_off = 1;
	return c;
}
