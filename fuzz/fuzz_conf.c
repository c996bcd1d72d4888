/*
 * fuzz_conf.c - the configuration parser on arbitrary text, then the
 * whole-file checks that loading a configuration applies.
 */
#include "config.h"

#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtls_conf *conf = NULL;
	struct mtls_err err;

	if (mtls_conf_new(&conf) != 0)
		return 0;
	/* the text is not NUL-terminated: the parser must honour size */
	if (mtls_conf_parse(conf, "fuzz.conf", (const char *)data, size,
	    &err) == 0)
		(void)mtls_conf_check(conf, &err);
	mtls_conf_free(conf);
	return 0;
}
