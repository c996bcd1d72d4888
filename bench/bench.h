/*
 * bench.h - what the benchmarks in bench/ share: they stop at the first
 * failure, since a figure measured after one would mean nothing.
 */
#ifndef MTLS_BENCH_H
#define MTLS_BENCH_H

/* Print "PROGRAM: message" on stderr and exit 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
    noreturn));

/* Run a shell command made from fmt; die() unless it exits 0. */
void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* MTLS_BENCH_H */
