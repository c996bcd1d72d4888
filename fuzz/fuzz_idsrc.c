/*
 * fuzz_idsrc.c - the identity source files that `mtls db build` reads:
 * the input is the users text, then a line "%%", then the groups text;
 * both are parsed and checked as a whole against small system files.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "idsrc.h"

#define FUZZ_SEP	"\n%%\n"

static const char fuzz_passwd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";
static const char fuzz_group[] = "root:x:0:\nusers:x:100:\n";

static int
shell_ok(const char *path)
{
	return strcmp(path, "/bin/sh") == 0 || strcmp(path, "/bin/bash") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtls_idsrc src;
	struct mtls_idsrc_env env;
	struct mtls_err err;
	const uint8_t *sep;
	char *users = NULL, *groups = NULL;
	size_t ulen, glen;
	int r;

	if (size > 256 * 1024)
		return 0;
	memset(&src, 0, sizeof(src));
	sep = memmem(data, size, FUZZ_SEP, strlen(FUZZ_SEP));
	ulen = sep != NULL ? (size_t)(sep - data) + 1 : size;
	glen = sep != NULL ? size - ulen - 3 : 0;
	if ((users = fuzz_strndup(data, ulen)) == NULL ||
	    (groups = fuzz_strndup(sep != NULL ? sep + 4 : data, glen)) ==
	    NULL) {
		free(users);
		free(groups);
		return 0;
	}
	/* each parse takes its text over, whatever it returns */
	r = mtls_idsrc_parse_users(&src, "users", users, ulen, &err);
	if (r == 0)
		r = mtls_idsrc_parse_groups(&src, "groups", groups, glen, &err);
	else
		free(groups);
	if (r == 0) {
		memset(&env, 0, sizeof(env));
		env.id_min = 1900000000;
		env.id_max = 1999999999;
		env.passwd = fuzz_passwd;
		env.group = fuzz_group;
		env.shell_ok = shell_ok;
		(void)mtls_idsrc_check(&src, &env, &err);
	}
	mtls_idsrc_clear(&src);
	return 0;
}
