/*
 * fresh_run.c - what a program costs as a fresh process.  Usage:
 *
 *	fresh_run RUNS MIN_RUNS SECS [-c FILE]... -- PROG [ARG...]
 *
 * runs PROG by fork and exec (its output to /dev/null) up to RUNS times,
 * MIN_RUNS at least and no more once SECS have passed, each time first
 * dropping the page cache of every FILE given with -c, and prints the
 * median wall time in ms and the median peak RSS in KB (the child's
 * ru_maxrss from wait4).  Exit 1 when a run fails.
 *
 * A program of its own, linking libc alone: the kernel counts in a
 * child's peak RSS what it held before its exec, which is its parent's
 * memory, so the parent must be smaller than what it measures
 * (nss_bench, which builds a database of a million users, is not).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "measure.h"

#define MAX_RUNS	64
#define MAX_COLD	16

static void
drop_cache(char **files, int n)
{
	int i, fd;

	for (i = 0; i < n; i++) {
		if ((fd = open(files[i], O_RDONLY)) < 0)
			die(files[i]);
		(void)fdatasync(fd);
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	double t[MAX_RUNS], kb[MAX_RUNS], t0, start, secs;
	char *cold[MAX_COLD];
	struct rusage ru;
	int i, k, runs, min_runs, n_cold = 0, st, null;
	pid_t pid;

	if (argc < 6) {
		fprintf(stderr, "usage: fresh_run RUNS MIN_RUNS SECS "
		    "[-c FILE]... -- PROG [ARG...]\n");
		return 2;
	}
	runs = atoi(argv[1]);
	min_runs = atoi(argv[2]);
	secs = atof(argv[3]);
	if (runs < 1 || runs > MAX_RUNS || min_runs < 1 || min_runs > runs)
		return 2;
	for (k = 4; k < argc && strcmp(argv[k], "--") != 0; k++) {
		if (strcmp(argv[k], "-c") != 0 || k + 1 >= argc ||
		    n_cold == MAX_COLD)
			return 2;
		cold[n_cold++] = argv[++k];
	}
	if (++k >= argc)
		return 2;
	start = now();
	for (i = 0; i < runs; i++) {
		if (i >= min_runs && now() - start > secs)
			break;
		drop_cache(cold, n_cold);
		t0 = now();
		if ((pid = fork()) < 0)
			die("fork");
		if (pid == 0) {
			if ((null = open("/dev/null", O_WRONLY)) >= 0)
				dup2(null, 1);
			execv(argv[k], argv + k);
			_exit(127);
		}
		if (wait4(pid, &st, 0, &ru) != pid)
			die("wait4");
		t[i] = (now() - t0) * 1e3;
		kb[i] = (double)ru.ru_maxrss;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "fresh_run: %s failed\n", argv[k]);
			return 1;
		}
	}
	qsort(t, (size_t)i, sizeof(t[0]), cmp_double);
	qsort(kb, (size_t)i, sizeof(kb[0]), cmp_double);
	printf("%.3f %.0f %d\n", t[i / 2], kb[i / 2], i);
	return 0;
}
