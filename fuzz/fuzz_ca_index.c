/*
 * fuzz_ca_index.c - the CA inventory (DIR/index of `mtls ca`) on
 * arbitrary text, line by line as ca_open reads it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_entry e;
	char *text, *line, *next;

	if (size > 256 * 1024 || (text = fuzz_strndup(data, size)) == NULL)
		return 0;
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		memset(&e, 0, sizeof(e));
		/* e.subject points into line */
		if (ca_index_parse_line(line, &e) == 0 &&
		    ((e.status != 'V' && e.status != 'R') || e.subject == NULL))
			__builtin_trap();
	}
	free(text);
	return 0;
}
