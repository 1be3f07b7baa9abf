/* et_stall.c: under EPOLLET, what happens to a reader that does not drain?
 *
 * One process, one TCP connection on loopback. The server side is registered
 * EPOLLIN|EPOLLET and its handler reads at most 100 bytes per event (it stops
 * early, on purpose). Three peers:
 *   waits   the peer sends one 1000-byte request, then waits for a reply
 *   streams the peer sends 1000 bytes before each of 5 waits, then stops
 *   list    as "waits", but the reader keeps the fd on a ready list of its
 *           own and serves it again without waiting (epoll(7), "Starvation")
 * Build and run:  gcc -O2 -Wall -o /tmp/et_stall docs/programs/et_stall.c
 *                 /tmp/et_stall
 */
#define _GNU_SOURCE                         /* accept4 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

/* A connected pair on loopback: *client is the peer, *server is ours. */
static void tcp_pair(int *client, int *server) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (void *)&a, sizeof a) < 0 || listen(l, 1) < 0) die("listen");
    getsockname(l, (void *)&a, &len);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*client, (void *)&a, sizeof a) < 0) die("connect");
    *server = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    if (*server < 0) die("accept");
    close(l);
}

static int unread(int fd) { int n = 0; ioctl(fd, FIONREAD, &n); return n; }

static void run(const char *peer) {
    int client, server, ep = epoll_create1(0);
    char buf[1000];
    memset(buf, 'x', sizeof buf);
    tcp_pair(&client, &server);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = server };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, server, &ev) < 0) die("epoll_ctl");

    int sends = strcmp(peer, "streams") == 0 ? 5 : 1, ready_list = strcmp(peer, "list") == 0;
    int events = 0, got = 0, on_list = 0;
    for (int turn = 1, stalled = 0; stalled < 3; turn++) {
        if (sends > 0) { write(client, buf, sizeof buf); sends--; }
        usleep(1000);                       /* let loopback deliver it */
        /* With fds on our ready list, do not sleep in the kernel: timeout 0. */
        int n = epoll_wait(ep, &ev, 1, on_list ? 0 : 200);
        if (n == 1) events++;
        if (n == 1 || on_list) {
            ssize_t r = read(server, buf, 100);      /* stop early: 100 bytes */
            if (r > 0) got += r;
            on_list = ready_list && r == 100;        /* a full read: maybe more */
        }
        int stuck = n == 0 && !on_list && unread(server) > 0;     /* data there, no news */
        stalled += stuck;
        printf("%-7s turn %2d: epoll_wait=%d  read so far %4d  unread %4d%s\n", peer, turn, n, got,
               unread(server), stuck ? "  <- stalled" : "");
        if (n == 0 && !on_list && unread(server) == 0) break;     /* all read */
    }
    printf("%-7s: %d events, %d bytes read, %d left unread\n\n", peer, events, got, unread(server));
    close(client); close(server); close(ep);
}

int main(void) {
    run("waits");
    run("streams");
    run("list");
    return 0;
}
