/*
 * fuzz_sshconf.c - the ssh configuration scanner of mtls ssh on arbitrary
 * text.  Its answer errs one way only: a line that names
 * KnownHostsCommand, outside a comment, must always answer "may".
 * Inputs with a '/' or '~' are skipped, so that an Include reads no file
 * of the machine (relative ones resolve under a directory that does not
 * exist).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "sshconf.h"

#define NOWHERE	"/nonexistent-mtls-fuzz"

/* A line outside a comment names the option. */
static int
names_khc(const char *text)
{
	const char *p = text, *q;
	size_t n;

	for (; *p != '\0'; p += n + (p[n] != '\0')) {
		n = strcspn(p, "\n");
		q = p + strspn(p, " \t\r");
		if (*q == '#')
			continue;
		for (; q < p + n; q++)
			if (strncasecmp(q, "knownhostscommand", 17) == 0 &&
			    q + 17 <= p + n)
				return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	int r;

	if (size > 64 * 1024 || memchr(data, '/', size) != NULL ||
	    memchr(data, '~', size) != NULL)
		return 0;
	if ((text = fuzz_strndup(data, size)) == NULL)
		return 0;
	r = ssh_conf_text_may_set_khc(text, NOWHERE, NOWHERE, 0);
	if ((r != 0 && r != 1) || (names_khc(text) && r != 1))
		__builtin_trap();
	free(text);
	return 0;
}
