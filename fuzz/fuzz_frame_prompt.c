/*
 * fuzz_frame_prompt.c - the client's parser of the server's prompts on
 * arbitrary text; what parses must build back into the same prompt.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum mtls_frame_verb verb;
	unsigned char *payload = NULL;
	char *text = NULL;
	unsigned seq;
	size_t len;

	if (size > MTLS_FRAME_PROMPT_MAX + 16)
		return 0;
	if ((text = fuzz_strndup(data, size)) == NULL)
		return 0;
	if (mtls_frame_parse_prompt(text, &verb, &seq, &payload, &len) == 0) {
		if (verb < MTLS_FRAME_HELLO || verb > MTLS_FRAME_DONE ||
		    len > MTLS_FRAME_PAYLOAD_MAX)
			__builtin_trap();
		if (len > 0 && payload == NULL)
			__builtin_trap();
	}
	free(payload);
	free(text);
	return 0;
}
