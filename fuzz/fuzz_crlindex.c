/*
 * fuzz_crlindex.c - the revocation index reader on arbitrary bytes.  An
 * index is only ever read after its header checksum and its binding to
 * the CRL file match, which random bytes never do; so the input's header
 * gets the right magic, its checksum is recomputed and the binding is
 * taken from the header itself, and the fuzzer's effort goes to the
 * section table, the summaries and the lookups (layout: crlindex.h).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "crlindex.h"
#include "fuzz.h"

#define HEAD	192
#define SECT	88
#define MAX_IN	(1024 * 1024)

static char path[64];

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void
remove_index(void)
{
	unlink(path);
}

static int
write_index(const unsigned char *buf, size_t len)
{
	int fd;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz-crlindex.XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			__builtin_trap();
		close(fd);
		atexit(remove_index);
	}
	if ((fd = open(path, O_WRONLY | O_TRUNC)) < 0)
		return -1;
	if (write(fd, buf, len) != (ssize_t)len || fchmod(fd, 0644) != 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t endian = 0x01020304u, version = 3;
	unsigned char *buf, zero[32] = { 0 };
	struct mtls_crlidx *idx = NULL;
	const struct mtls_crlidx_sect *s;
	struct mtls_serial key;
	struct mtls_err err;
	gnutls_hash_hd_t d;
	struct stat st;
	uint32_t n, profile;
	size_t len = size < HEAD ? HEAD : size, i, table;

	if (size > MAX_IN || (buf = calloc(1, len)) == NULL)
		return 0;
	memcpy(buf, data, size);
	memcpy(buf, "MTLSCRX1", 8);
	memcpy(buf + 8, &endian, 4);
	memcpy(buf + 12, &version, 4);
	memcpy(&n, buf + 76, 4);
	if (n > MTLS_CRLIDX_MAX_SECTIONS) {
		n %= MTLS_CRLIDX_MAX_SECTIONS + 1;
		memcpy(buf + 76, &n, 4);
	}
	table = HEAD + (size_t)n * SECT;
	if (table <= len && (data[0] & 1) == 0) {
		uint64_t ds = len - table;

		memcpy(buf + 80, &ds, 8);	/* mostly a consistent size */
	}
	memcpy(buf + 160, zero, 32);
	if (gnutls_hash_init(&d, GNUTLS_DIG_SHA256) < 0)
		__builtin_trap();
	gnutls_hash(d, buf, HEAD);
	if (table <= len)
		gnutls_hash(d, buf + HEAD, table - HEAD);
	gnutls_hash_deinit(d, buf + 160);
	if (write_index(buf, len) != 0)
		goto out;

	memset(&st, 0, sizeof(st));
	st.st_dev = (dev_t)get64(buf + 16);
	st.st_ino = (ino_t)get64(buf + 24);
	st.st_size = (off_t)get64(buf + 32);
	st.st_mtim.tv_sec = (time_t)get64(buf + 40);
	st.st_mtim.tv_nsec = (long)get64(buf + 48);
	st.st_ctim.tv_sec = (time_t)get64(buf + 56);
	st.st_ctim.tv_nsec = (long)get64(buf + 64);
	memcpy(&profile, buf + 72, 4);
	if (mtls_crlidx_open(path, &st, profile, &idx, &err) != 0)
		goto out;
	for (i = 0; i < mtls_crlidx_count(idx); i++) {
		if ((s = mtls_crlidx_sect(idx, i)) == NULL)
			__builtin_trap();
		memset(&key, 0, sizeof(key));
		key.len = 1;
		(void)mtls_crlidx_lookup(idx, i, &key);
		if (size >= sizeof(key)) {
			memcpy(&key, data + size - sizeof(key), sizeof(key));
			(void)mtls_crlidx_lookup(idx, i, &key);
		}
		key.len = MTLS_SERIAL_MAX;
		memset(key.b, 0xff, sizeof(key.b));
		(void)mtls_crlidx_lookup(idx, i, &key);
	}
	(void)mtls_crlidx_check_data(idx, &err);
	mtls_crlidx_close(idx);
 out:
	free(buf);
	return 0;
}
