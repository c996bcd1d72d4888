/*
 * askpass_main.c - mtls-askpass: the program mtls ssh gives ssh as its
 * askpass and KnownHostsCommand.  The same work as `mtls askpass`, in a
 * program that loads libc alone, since ssh starts one per prompt and per
 * host-key lookup.
 */
#include "config.h"

#include "askpass.h"

int
main(int argc, char **argv)
{
	return askpass_run(argc, argv);
}
