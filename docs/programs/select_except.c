/* select_except.c: what select's third set (exceptfds) reports.
 * Not errors: "exceptional conditions", which for TCP means urgent data
 * (send with MSG_OOB). A reset connection shows up as readable instead,
 * and the read then returns the error.
 * Build and run:  gcc -O2 -Wall -o /tmp/select_except docs/programs/select_except.c
 *                 /tmp/select_except
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static void tcp_pair(int *peer, int *ours) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (void *)&a, sizeof a) < 0 || listen(l, 1) < 0) die("listen");
    getsockname(l, (void *)&a, &len);
    *peer = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*peer, (void *)&a, sizeof a) < 0) die("connect");
    if ((*ours = accept(l, NULL, NULL)) < 0) die("accept");
    close(l);
}

static void ask(const char *what, int fd) {
    fd_set r, e;
    struct timeval t = { 0, 100000 };
    FD_ZERO(&r); FD_ZERO(&e);
    FD_SET(fd, &r); FD_SET(fd, &e);
    int n = select(fd + 1, &r, NULL, &e, &t);
    printf("%-26s select=%d  readfds:%s  exceptfds:%s", what, n,
           FD_ISSET(fd, &r) ? "yes" : "no", FD_ISSET(fd, &e) ? "yes" : "no");
    if (FD_ISSET(fd, &r)) {
        char c;
        ssize_t got = recv(fd, &c, 1, MSG_DONTWAIT);
        if (got < 0) printf("  then recv: %s", strerror(errno));
        else printf("  then recv: %zd byte(s)", got);
    }
    printf("\n");
}

int main(void) {
    int peer, ours;
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };

    tcp_pair(&peer, &ours);
    send(peer, "!", 1, MSG_OOB);                 /* one byte of urgent data */
    usleep(10000);
    ask("peer sent urgent data", ours);
    close(peer); close(ours);

    tcp_pair(&peer, &ours);
    setsockopt(peer, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(peer);                                 /* RST */
    usleep(10000);
    ask("peer reset the connection", ours);
    close(ours);
    return 0;
}
