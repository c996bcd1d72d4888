/*
 * delay_proxy.c - a TCP proxy on 127.0.0.1 that delays every byte by
 * half a round trip each way, for bench/ssh_bench.sh: what a login costs
 * on a network, where each round trip of the protocol counts.
 *
 *   delay_proxy LISTEN_PORT TARGET_PORT RTT_MS
 *
 * Each connection is served by a child process; data read from one side
 * is written to the other RTT_MS / 2 later, in order.  Runs until
 * killed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QMAX	4096		/* chunks in flight, each way */
#define CHUNK	16384

struct chunk {
	double	 due;		/* ms, CLOCK_MONOTONIC */
	size_t	 len, off;
	char	*data;
};

struct way {
	int		 from, to;
	struct chunk	 q[QMAX];
	size_t		 head, n;
	int		 eof;
};

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
tcp(unsigned short port, int listening)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (listening ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 64) != 0 : connect(fd, (struct sockaddr *)&sa,
	    sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read what is there into the queue, due half a round trip from now. */
static int
take(struct way *w, double half)
{
	struct chunk *c;
	char *buf;
	ssize_t got;

	if (w->n == QMAX)
		return 0;	/* full: read later */
	if ((buf = malloc(CHUNK)) == NULL)
		return -1;
	if ((got = read(w->from, buf, CHUNK)) <= 0) {
		free(buf);
		if (got < 0 && errno == EINTR)
			return 0;
		w->eof = 1;
		return 0;
	}
	c = &w->q[(w->head + w->n++) % QMAX];
	c->due = now_ms() + half;
	c->len = (size_t)got;
	c->off = 0;
	c->data = buf;
	return 0;
}

/* Write what is due; -1 when the other side is gone. */
static int
give(struct way *w)
{
	struct chunk *c;
	ssize_t put;

	while (w->n > 0 && (c = &w->q[w->head])->due <= now_ms()) {
		if ((put = write(w->to, c->data + c->off, c->len - c->off)) <
		    0)
			return errno == EINTR ? 0 : -1;
		c->off += (size_t)put;
		if (c->off < c->len)
			return 0;
		free(c->data);
		w->head = (w->head + 1) % QMAX;
		w->n--;
	}
	if (w->eof && w->n == 0)
		shutdown(w->to, SHUT_WR);
	return 0;
}

static void
serve(int a, unsigned short target, double half)
{
	static struct way w[2];
	struct pollfd pfd[2];
	double next, t;
	int b, i, timeout;

	if ((b = tcp(target, 0)) < 0)
		_exit(1);
	w[0].from = a;
	w[0].to = b;
	w[1].from = b;
	w[1].to = a;
	while (!(w[0].eof && w[0].n == 0 && w[1].eof && w[1].n == 0)) {
		next = -1;
		for (i = 0; i < 2; i++) {
			pfd[i].fd = w[i].eof ? -1 : w[i].from;
			pfd[i].events = POLLIN;
			if (w[i].n > 0 && (next < 0 ||
			    w[i].q[w[i].head].due < next))
				next = w[i].q[w[i].head].due;
		}
		t = now_ms();
		timeout = next < 0 ? -1 : next <= t ? 0 : (int)(next - t) + 1;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			_exit(1);
		for (i = 0; i < 2; i++)
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    take(&w[i], half) != 0)
				_exit(1);
		for (i = 0; i < 2; i++)
			if (give(&w[i]) != 0)
				_exit(0);
	}
	_exit(0);
}

int
main(int argc, char **argv)
{
	unsigned short listen_port, target;
	double half;
	int l, a;

	if (argc != 4) {
		fprintf(stderr, "usage: delay_proxy LISTEN_PORT TARGET_PORT "
		    "RTT_MS\n");
		return 2;
	}
	listen_port = (unsigned short)atoi(argv[1]);
	target = (unsigned short)atoi(argv[2]);
	half = atof(argv[3]) / 2;
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	if ((l = tcp(listen_port, 1)) < 0) {
		perror("delay_proxy: listen");
		return 1;
	}
	for (;;) {
		if ((a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno == EINTR)
				continue;
			perror("delay_proxy: accept");
			return 1;
		}
		switch (fork()) {
		case 0:
			close(l);
			serve(a, target, half);
			break;
		case -1:
			perror("delay_proxy: fork");
			break;
		}
		close(a);
	}
}
