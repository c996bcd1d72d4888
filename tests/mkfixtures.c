/*
 * mkfixtures.c - write the test PKI into a directory, for tests that want
 * the files made once by the build, and for looking at them by hand with
 * certtool.
 *
 * Usage: mkfixtures DIR
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>

#include "fixtures.h"

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkfixtures DIR\n");
		return 1;
	}
	return fixtures_make(argv[1]) == 0 ? 0 : 1;
}
