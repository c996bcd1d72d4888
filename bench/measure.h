/*
 * measure.h - what the lookup benchmarks (nss_bench, map_bench, fresh_run)
 * share: a clock, a way out, and an order for medians.
 */
#ifndef MTLS_BENCH_MEASURE_H
#define MTLS_BENCH_MEASURE_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* perror(what) and exit 2: a benchmark that cannot measure says so. */
static inline void
die(const char *what)
{
	perror(what);
	exit(2);
}

/* qsort order of doubles, for medians. */
static inline int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif /* MTLS_BENCH_MEASURE_H */
