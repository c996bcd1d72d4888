/*
 * fuzz_rule.c - mapping rules (the arguments of a `map` line) on
 * arbitrary text; several rules per input, one a line, into one
 * configuration.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtls_conf *conf = NULL;
	struct mtls_err err;
	char *text = NULL, *line, *next;
	unsigned ln = 0;

	if (size > 64 * 1024 || mtls_conf_new(&conf) != 0)
		return 0;
	if ((text = fuzz_strndup(data, size)) == NULL)
		goto out;
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		(void)mtls_conf_add_rule(conf, line, "fuzz.conf", ++ln, &err);
	}
 out:
	free(text);
	mtls_conf_free(conf);
	return 0;
}
