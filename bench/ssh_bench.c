/*
 * ssh_bench.c - the timing loop of bench/ssh_bench.sh: whole SSH logins,
 * method after method in rounds, wall time and CPU of both sides.
 *
 *   ssh_bench ROUNDS WARMUP LOG SPEC...
 *
 * Each SPEC is a file: its first line is the method's name, its second
 * the pid of the sshd that serves only this method, and every further
 * line one word of the client's command line (run with stdin from
 * /dev/null, stdout and stderr appended to LOG).  Each round runs every
 * method once, in turn, so that a slow spell of a shared machine falls
 * on all of them alike; WARMUP rounds come first and are not counted.
 *
 * Client CPU is the user and system time of the command's whole process
 * tree (wait4: ssh reaps its helpers, mtls ssh reaps ssh).  Server CPU is
 * what the method's sshd and everything it reaped (the per-connection
 * processes and the session) used over the counted rounds, from
 * /proc/PID/stat, in clock ticks: a mean per login, read after the last
 * round once sshd has reaped its children.  A login that fails stops the
 * bench: a figure for a login that did not happen means nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_METHODS	8
#define MAX_WORDS	64
#define MAX_ROUNDS	10000

struct method {
	char	 name[64];
	long	 sshd;
	char	*av[MAX_WORDS + 1];
	double	*wall, *cpu;		/* ms, one per counted round */
	long long ticks0, ticks1;	/* sshd's tree, before and after */
};

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ssh_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void
chomp(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

static void
load_spec(const char *path, struct method *m)
{
	char line[4096];
	FILE *f;
	size_t n = 0;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fgets(m->name, sizeof(m->name), f) == NULL ||
	    fgets(line, sizeof(line), f) == NULL)
		die("%s: no name or pid", path);
	chomp(m->name);
	m->sshd = strtol(line, NULL, 10);
	while (fgets(line, sizeof(line), f) != NULL) {
		chomp(line);
		if (n == MAX_WORDS)
			die("%s: too many words", path);
		if ((m->av[n++] = strdup(line)) == NULL)
			die("out of memory");
	}
	m->av[n] = NULL;
	fclose(f);
	if (n == 0 || m->sshd <= 0)
		die("%s: no command or no sshd pid", path);
}

/* utime + stime + cutime + cstime of pid, in clock ticks. */
static long long
tree_ticks(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t[4];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		die("sshd %ld is gone", pid);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("%s: cannot read", path);
	buf[n] = '\0';
	/* after "pid (comm) ": state ppid pgrp session tty tpgid flags
	 * minflt cminflt majflt cmajflt utime stime cutime cstime */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
	    &t[0], &t[1], &t[2], &t[3]) != 4)
		die("%s: cannot parse", path);
	return (long long)(t[0] + t[1] + t[2] + t[3]);
}

static double
ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

/* One login; its wall time and client CPU in ms. */
static void
login(const struct method *m, int logfd, double *wall, double *cpu)
{
	struct timespec t0;
	struct rusage ru;
	pid_t pid;
	int st, fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, STDIN_FILENO);
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		execvp(m->av[0], m->av);
		_exit(127);
	}
	if (pid < 0)
		die("fork: %s", strerror(errno));
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	*wall = ms_since(&t0);
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("%s: the login failed (status 0x%x): see the log", m->name,
		    st);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of n values, sorted in place. */
static double
quantile(double *v, size_t n, double q)
{
	size_t k;

	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)(q * (double)n + 0.999999);
	return v[k > 0 ? k - 1 : 0];
}

static double
mean(const double *v, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += v[i];
	return s / (double)n;
}

int
main(int argc, char **argv)
{
	struct method m[MAX_METHODS];
	double wmed[MAX_METHODS], ctot[MAX_METHODS], ccpu[MAX_METHODS];
	double scpu[MAX_METHODS], tick;
	long rounds, warmup, r;
	int n, i, logfd;

	if (argc < 5 || argc - 4 > MAX_METHODS)
		die("usage: ssh_bench ROUNDS WARMUP LOG SPEC...");
	rounds = strtol(argv[1], NULL, 10);
	warmup = strtol(argv[2], NULL, 10);
	if (rounds < 1 || rounds > MAX_ROUNDS || warmup < 0 ||
	    warmup > MAX_ROUNDS)
		die("ROUNDS: 1 to %d, WARMUP: 0 to %d", MAX_ROUNDS,
		    MAX_ROUNDS);
	if ((logfd = open(argv[3], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) < 0)
		die("%s: %s", argv[3], strerror(errno));
	n = argc - 4;
	memset(m, 0, sizeof(m));
	for (i = 0; i < n; i++) {
		load_spec(argv[i + 4], &m[i]);
		if ((m[i].wall = calloc((size_t)rounds, sizeof(double))) ==
		    NULL || (m[i].cpu = calloc((size_t)rounds,
		    sizeof(double))) == NULL)
			die("out of memory");
	}
	tick = 1e3 / (double)sysconf(_SC_CLK_TCK);

	for (r = 0; r < warmup; r++)
		for (i = 0; i < n; i++) {
			double w, c;

			login(&m[i], logfd, &w, &c);
		}
	/* the warm-up's connections are reaped before counting starts */
	sleep(1);
	for (i = 0; i < n; i++)
		m[i].ticks0 = tree_ticks(m[i].sshd);
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++)
			login(&m[i], logfd, &m[i].wall[r], &m[i].cpu[r]);
	sleep(1);
	for (i = 0; i < n; i++)
		m[i].ticks1 = tree_ticks(m[i].sshd);

	printf("%ld rounds (after %ld of warm-up), methods interleaved; "
	    "ms per login\n", rounds, warmup);
	printf("%-22s %8s %8s %10s %10s %10s %10s\n", "method", "wall med",
	    "wall p90", "client med", "client avg", "server avg",
	    "total avg");
	for (i = 0; i < n; i++) {
		double p90;

		ccpu[i] = mean(m[i].cpu, (size_t)rounds);
		scpu[i] = (double)(m[i].ticks1 - m[i].ticks0) * tick /
		    (double)rounds;
		ctot[i] = ccpu[i] + scpu[i];
		p90 = quantile(m[i].wall, (size_t)rounds, 0.9);
		wmed[i] = quantile(m[i].wall, (size_t)rounds, 0.5);
		printf("%-22s %8.1f %8.1f %10.1f %10.1f %10.1f %10.1f\n",
		    m[i].name, wmed[i], p90, quantile(m[i].cpu,
		    (size_t)rounds, 0.5), ccpu[i], scpu[i], ctot[i]);
	}
	printf("\nratios to %s (wall median, client CPU, server CPU, "
	    "total CPU):\n", m[0].name);
	for (i = 1; i < n; i++)
		printf("%-22s %6.2fx %6.2fx %6.2fx %6.2fx\n", m[i].name,
		    wmed[i] / wmed[0], ccpu[i] / ccpu[0], scpu[0] > 0 ?
		    scpu[i] / scpu[0] : 0, ctot[i] / ctot[0]);
	printf("(server CPU is in clock ticks of %.0f ms summed over the "
	    "rounds: a mean, not a median)\n", tick);
	return 0;
}
