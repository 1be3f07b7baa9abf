package hpio.loop;

import java.io.IOException;

/**
 * What each kernel mechanism implements: translate our interest flags into kernel
 * registrations, and the kernel's readiness back into our flags in a
 * {@link FiredEvents} batch. Nothing else: bookkeeping of handlers, stale-event
 * filtering and dispatch live once, in {@link EventLoop} (Redis's {@code ae.c} and
 * its {@code ae_epoll.c}, {@code ae_select.c} are the model).
 *
 * <p>The loop guarantees: {@code add} only for an fd not registered, {@code modify}
 * and {@code remove} only for one that is, and the previous interest is passed in.
 */
// snippet-start backend-interface
public interface Backend extends AutoCloseable {
    /** "select", "poll", "epoll", "io_uring", "kqueue" or "nio". */
    String name();

    /** Whether {@link Events#EDGE} can be honoured. */
    boolean supportsEdgeTriggered();

    /** The highest fd it can watch (select: FD_SETSIZE - 1). */
    default int maxFd() { return Integer.MAX_VALUE; }

    void add(int fd, int interest) throws IOException;

    void modify(int fd, int oldInterest, int newInterest) throws IOException;

    void remove(int fd, int oldInterest) throws IOException;

    /**
     * Waits until something is ready or the timeout passes and fills {@code fired}
     * from index 0.
     *
     * @param timeoutMillis -1 waits without limit, 0 does not wait
     * @return how many entries were filled; 0 on timeout or when a signal
     *         interrupted the wait (EINTR)
     */
    int poll(int timeoutMillis, FiredEvents fired) throws IOException;

    /**
     * Makes a blocked {@link #poll} return (with 0 events if nothing else is
     * ready), or the next one return at once. The only method called from other
     * threads. The backend owns whatever this takes (an eventfd, a pipe, an
     * EVFILT_USER event, nio's own wake-up) and never reports it as an event.
     * A wake-up already pending makes another one free. If the kernel refuses
     * the wake-up itself (kqueue's NOTE_TRIGGER), this throws
     * {@link java.io.UncheckedIOException}; a full eventfd or pipe means the loop
     * is awake already, so those never fail.
     */
    void wakeup();

    @Override
    void close() throws IOException;
}
// snippet-end backend-interface
