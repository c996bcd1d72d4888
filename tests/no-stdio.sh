#!/bin/sh
# no-stdio.sh - common/ lives inside other programs (sshd, login, every
# process that resolves a user name): it must never write to stdout or
# stderr itself, nor exit.  Everything goes through mtls_log().
. "${TOP_SRCDIR:-.}/tests/lib.sh"

for f in "$TOP_SRCDIR"/common/*.c; do
	# Strip comments and string literals, then look for the calls.
	hits=$(sed -e 's:/\*.*\*/::g' -e 's/"[^"]*"//g' "$f" |
	    grep -nE '(^|[^a-z_])(printf|fprintf|vfprintf|puts|fputs|putchar|perror|exit|_exit|abort|err|errx|warn|warnx)[[:space:]]*\(' |
	    grep -vE '(snprintf|vsnprintf)' || true)
	if [ -n "$hits" ]; then
		fail "$(basename "$f") writes to stdio or exits: $hits"
	else
		ok
	fi
done
finish
