/* listener_close.c: what happens to clients still in the accept queue when
 * a server closes its listening socket?
 * Three clients connect (the kernel completes their handshakes and queues
 * them); the server then either closes the listener at once ("close"), or
 * first accepts until EAGAIN ("drain"), then closes it. Each client then
 * waits for one reply byte.
 * Build and run:  gcc -O2 -Wall -o /tmp/listener_close docs/programs/listener_close.c
 *                 /tmp/listener_close
 */
#define _GNU_SOURCE                          /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static void run(int drain) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), c[3], s[3], accepted = 0;
    if (l < 0 || bind(l, (void *)&a, sizeof a) < 0 || listen(l, 16) < 0) die("listen");
    getsockname(l, (void *)&a, &len);
    for (int i = 0; i < 3; i++) {
        c[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c[i], (void *)&a, sizeof a) < 0) die("connect");   /* returns: queued */
    }
    if (drain) {
        int fd;
        while ((fd = accept4(l, NULL, NULL, 0)) >= 0) s[accepted++] = fd;
        if (errno != EAGAIN) die("accept");
    }
    close(l);
    printf("%-5s: %d accepted before close(listener)\n", drain ? "drain" : "close", accepted);
    for (int i = 0; i < accepted; i++) { write(s[i], "r", 1); close(s[i]); }   /* serve them */
    for (int i = 0; i < 3; i++) {
        char b;
        ssize_t n = recv(c[i], &b, 1, 0);
        printf("       client %d: recv = %zd%s%s\n", i + 1, n, n < 0 ? ", " : " (a reply)",
               n < 0 ? strerror(errno) : "");
        close(c[i]);
    }
}

int main(void) {
    run(0);
    run(1);
    return 0;
}
