/*
 * fuzz.h - what every fuzz target in fuzz/ shares.
 *
 * Each target defines LLVMFuzzerTestOneInput().  Built with clang and
 * --enable-fuzz, libFuzzer supplies main(); otherwise replay.c does, and
 * feeds the target every file of the corpus directories it is given (by
 * default fuzz/corpus/NAME under $TOP_SRCDIR, NAME being the program's
 * name without its "fuzz_" prefix), which is how make check runs them.
 */
#ifndef MTLS_FUZZ_H
#define MTLS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd NUL-terminated copy of data, or NULL. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/*
 * FIXTURES/name, the test PKI (default tests/fixtures/name), in one of
 * two static buffers used in turn.
 */
const char *fuzz_fixture(const char *name);

struct mtls_conf;

/*
 * A configuration trusting the test PKI's root.pem with inter.pem as an
 * intermediate, no CRLs, crl_cache none; traps when out of memory.
 */
struct mtls_conf *fuzz_pki_conf(void);

#endif /* MTLS_FUZZ_H */
