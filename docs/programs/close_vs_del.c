/* close_vs_del.c: what close() does to an epoll registration.
 *   1. register fd, close it: the kernel removes the registration itself,
 *      and EPOLL_CTL_DEL afterwards fails with EBADF.
 *   2. the same, but a dup() of fd is still open (as after fork, or a library
 *      that dup'd it): the registration survives the close and keeps firing,
 *      with the old number in data.fd, and no EPOLL_CTL_DEL can reach it.
 * Build and run:  gcc -O2 -Wall -o /tmp/close_vs_del docs/programs/close_vs_del.c
 *                 /tmp/close_vs_del
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void run(int keep_dup) {
    int sv[2], ep = epoll_create1(0), copy = -1;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);           /* sv[0] ours, sv[1] the peer */
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = sv[0] };
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
    if (keep_dup) copy = dup(sv[0]);
    int old = sv[0];
    close(sv[0]);
    int del = epoll_ctl(ep, EPOLL_CTL_DEL, old, &ev);
    printf("%s: close(%d); EPOLL_CTL_DEL(%d) after it: %s\n", keep_dup ? "with a dup" : "no dup    ",
           old, old, del < 0 ? strerror(errno) : "0 (ok)");
    send(sv[1], "x", 1, MSG_NOSIGNAL);                  /* the peer writes */
    int n = epoll_wait(ep, &ev, 1, 100);
    if (n == 1) printf("            epoll_wait: 1 event for data.fd=%d, a number we closed\n", ev.data.fd);
    else printf("            epoll_wait: %d events\n", n);
    if (copy >= 0) {
        /* The key is (fd number, open file): the copy's number is not it. */
        del = epoll_ctl(ep, EPOLL_CTL_DEL, copy, &ev);
        printf("            EPOLL_CTL_DEL(%d), the copy: %s\n", copy, del < 0 ? strerror(errno) : "0 (ok)");
        close(copy);
    }
    close(sv[1]); close(ep);
}

int main(void) {
    run(0);
    run(1);
    return 0;
}
