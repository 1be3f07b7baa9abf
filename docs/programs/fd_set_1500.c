/* fd_set_1500.c: FD_SET on a number past the 1024 bits of an fd_set.
 * Undefined behaviour in C: it writes past the end of the set. glibc's
 * fortify check, compiled in with _FORTIFY_SOURCE, catches it and aborts.
 *   gcc -O0 -o /tmp/fd_set_plain docs/programs/fd_set_1500.c
 *   gcc -O2 -D_FORTIFY_SOURCE=2 -o /tmp/fd_set_fortify docs/programs/fd_set_1500.c
 *   /tmp/fd_set_plain; echo "exit $?"; /tmp/fd_set_fortify; echo "exit $?"
 */
#include <stdio.h>
#include <sys/select.h>

int main(void) {
    struct { fd_set set; long after[8]; } m = { .after = { 0 } };
    volatile int fd = 1500;             /* a number only known at run time */
    FD_ZERO(&m.set);
    FD_SET(fd, &m.set);                 /* bit 1500 of a 1024-bit set */
    /* Bit 1500 is in long 1500 / 64 = 23; the set has longs 0 to 15. */
    printf("FD_SET(1500) returned; fd_set is %zu bytes; after[7], past its end, is now %#lx\n",
           sizeof(fd_set), (unsigned long)m.after[1500 / 64 - 16]);
    return 0;
}
