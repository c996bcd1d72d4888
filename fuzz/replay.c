/*
 * replay.c - main() for fuzz targets built without libFuzzer: run the
 * target once on every file named on the command line, or on every file
 * of every directory named (not recursively).  Without arguments, the
 * target's seed corpus: $TOP_SRCDIR/fuzz/corpus/NAME.  Exits non-zero
 * when an input cannot be read; a bug shows as a crash or a sanitizer
 * report, as under libFuzzer.
 */
#include "config.h"

/* libFuzzer brings its own main() */
#ifndef MTLS_LIBFUZZER

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX	(4 * 1024 * 1024)	/* bytes of one input */

/* Feed one file to the target: 0, or -1 when it cannot be read. */
static int
replay_file(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(REPLAY_MAX)) == NULL)
		goto out;
	len = fread(buf, 1, REPLAY_MAX, f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "replay: %s: unreadable or too large\n", path);
		goto out;
	}
	/* an exact-size copy, so that reading past the end is caught */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (exact == NULL)
			goto out;
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	r = 0;
 out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return r;
}

/* Feed every file of path (a file or a directory); count them in *n. */
static int
replay_path(const char *path, unsigned *n)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*n)++;
		return replay_file(path);
	}
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		    de->d_name) >= sizeof(sub) ||
		    stat(sub, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		(*n)++;
		if (replay_file(sub) != 0)
			r = -1;
	}
	closedir(d);
	return r;
}

int
main(int argc, char **argv)
{
	char def[PATH_MAX];
	const char *name, *top;
	unsigned n = 0;
	int i, r = 0;

	if (argc < 2) {
		name = strrchr(argv[0], '/');
		name = name != NULL ? name + 1 : argv[0];
		if (strncmp(name, "lt-", 3) == 0)
			name += 3;
		if (strncmp(name, "fuzz_", 5) == 0)
			name += 5;
		if ((top = getenv("TOP_SRCDIR")) == NULL)
			top = ".";
		if ((size_t)snprintf(def, sizeof(def), "%s/fuzz/corpus/%s",
		    top, name) >= sizeof(def))
			return 2;
		r = replay_path(def, &n);
	}
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &n) != 0)
			r = -1;
	printf("%u inputs replayed\n", n);
	if (n == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	return r == 0 ? 0 : 1;
}

#endif /* !MTLS_LIBFUZZER */
