/* hup_flags.c: which epoll flags do FIN, RST and a half-close produce?
 *
 * For each case, a fresh TCP connection on loopback; our end is registered
 * twice, in two epoll instances: once for EPOLLIN|EPOLLOUT|EPOLLRDHUP ("all"),
 * and once for no events at all (events = 0). After the case's steps, an
 * epoll_wait with a 100 ms timeout on each prints what it reported
 * ("-" = nothing, the wait timed out); the events = 0 one waits three times,
 * to show whether it fires on every wait.
 * Build and run:  gcc -O2 -Wall -o /tmp/hup_flags docs/programs/hup_flags.c
 *                 /tmp/hup_flags
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

static const char *names(unsigned e, char *out) {
    static const struct { unsigned bit; const char *name; } f[] = {
        { EPOLLIN, "IN" }, { EPOLLOUT, "OUT" }, { EPOLLRDHUP, "RDHUP" },
        { EPOLLHUP, "HUP" }, { EPOLLERR, "ERR" } };
    out[0] = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (e & f[i].bit) { if (out[0]) strcat(out, "|"); strcat(out, f[i].name); }
    return out[0] ? out : "(0)";
}

static void report(const char *what, int ours) {
    char a[64], b[64];
    struct epoll_event ev;
    int ep_all = epoll_create1(0), ep_none = epoll_create1(0);
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP };
    epoll_ctl(ep_all, EPOLL_CTL_ADD, ours, &ev);
    ev = (struct epoll_event){ .events = 0 };
    epoll_ctl(ep_none, EPOLL_CTL_ADD, ours, &ev);
    int n1 = epoll_wait(ep_all, &ev, 1, 100);
    unsigned e1 = ev.events;
    int n2 = 0;
    for (int i = 0; i < 3; i++) n2 += epoll_wait(ep_none, &ev, 1, 100);
    printf("%-22s all: %-20s  none: %s", what, n1 ? names(e1, a) : "-",
           n2 ? names(ev.events, b) : "-");
    if (n2) printf(" (%d of 3 waits)", n2);
    printf("\n");
    close(ep_all); close(ep_none);
}

int main(void) {
    int peer, ours;
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };

    tcp_pair(&peer, &ours);
    report("1 open, nothing sent", ours);
    close(peer); close(ours);

    tcp_pair(&peer, &ours);
    shutdown(peer, SHUT_WR);                      /* the peer sends FIN */
    usleep(10000);
    report("2 peer sent FIN", ours);
    close(peer); close(ours);

    tcp_pair(&peer, &ours);
    shutdown(ours, SHUT_WR);                      /* we send FIN */
    usleep(10000);
    report("3 we sent FIN", ours);
    close(peer); close(ours);

    tcp_pair(&peer, &ours);
    shutdown(peer, SHUT_WR);
    shutdown(ours, SHUT_WR);                      /* FIN both ways */
    usleep(10000);
    report("4 FIN both ways", ours);
    close(peer); close(ours);

    tcp_pair(&peer, &ours);
    setsockopt(peer, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(peer);                                  /* linger 0: the peer sends RST */
    usleep(10000);
    report("5 peer sent RST", ours);
    close(ours);

    tcp_pair(&peer, &ours);
    close(peer);                                  /* a plain close: FIN */
    usleep(10000);
    report("6 peer closed (FIN)", ours);
    send(ours, "x", 1, MSG_NOSIGNAL);             /* its kernel answers RST */
    usleep(10000);
    report("7 ... and we wrote", ours);
    close(ours);
    return 0;
}
