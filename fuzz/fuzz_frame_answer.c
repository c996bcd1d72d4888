/*
 * fuzz_frame_answer.c - the server's parser of the client's answers on
 * arbitrary text; an answer that parses must build back into itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char chunk[MTLS_FRAME_CHUNK];
	char again[MTLS_FRAME_ANSWER_MAX + 1];
	char *text = NULL;
	size_t len = 0;
	int more = 0;

	if (size > 4 * MTLS_FRAME_ANSWER_MAX)
		return 0;
	if ((text = fuzz_strndup(data, size)) == NULL)
		return 0;
	if (mtls_frame_parse_answer(text, &more, chunk, &len) == 0) {
		if (len > MTLS_FRAME_CHUNK)
			__builtin_trap();
		if (mtls_frame_answer(more, chunk, len, again,
		    sizeof(again)) != 0 || strcmp(again, text) != 0)
			__builtin_trap();
	}
	free(text);
	return 0;
}
