package hpio.loop;

import hpio.net.Sockets;
import hpio.net.Waker;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The event loop: the Java form of the chapter's {@code event_loop.h}. It keeps
 * the handler table and dispatches; a {@link Backend} only talks to the kernel.
 *
 * <pre>
 *   EventLoop loop = EventLoops.open("auto", 256);
 *   loop.add(fd, Events.READ, (fd, events) -&gt; ...);
 *   while (running) loop.runOnce(1000);
 * </pre>
 *
 * <p>Single-threaded: every method except {@link #wakeup()} must be called from
 * the thread that runs the loop. The loop never closes the fds registered with it.
 */
public final class EventLoop implements AutoCloseable {
    private final Backend backend;
    private final Sockets sockets;
    private final Waker waker;
    private final int wakerFd;
    private final FiredEvents fired;
    private final int[] firedGeneration;

    // snippet-start stale-guard
    // Indexed by fd. generation[fd] changes on every add and remove, so an event
    // fetched before a handler closed fd 7 (and maybe accepted a new fd 7) is
    // recognised as stale and dropped instead of reaching the new owner.
    private IoHandler[] handlers = new IoHandler[64];
    private int[] interest = new int[64];
    private int[] generation = new int[64];
    // snippet-end stale-guard
    private int registered;
    private long waits;
    private volatile boolean closed;

    /**
     * @param batchSize the most events one {@link #runOnce} handles (the C API's max_events)
     */
    public EventLoop(Backend backend, Sockets sockets, int batchSize) throws IOException {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.sockets = Objects.requireNonNull(sockets, "sockets");
        this.fired = new FiredEvents(batchSize);
        this.firedGeneration = new int[batchSize];
        this.waker = sockets.openWaker();
        this.wakerFd = waker.fd();
        try {
            backend.add(wakerFd, Events.READ);
        } catch (IOException | RuntimeException e) {
            waker.close();
            throw e;
        }
    }

    /** "select", "poll", "epoll", "kqueue" or "nio". */
    public String backendName() { return backend.name(); }

    /** The socket layer that matches this loop's backend (raw fds, or nio handles). */
    public Sockets sockets() { return sockets; }

    public int batchSize() { return fired.capacity(); }

    /** How many fds are registered (the loop's own wake-up fd not counted). */
    public int registeredCount() { return registered; }

    /** How many times the loop has waited in the kernel: a count of wake-ups, for comparing modes. */
    public long waits() { return waits; }

    public boolean isRegistered(int fd) {
        return fd >= 0 && fd < handlers.length && handlers[fd] != null;
    }

    /** The interest registered for {@code fd} (READ, WRITE, EDGE bits). */
    public int interest(int fd) {
        requireRegistered(fd);
        return interest[fd];
    }

    /**
     * Watches {@code fd} for {@code events} (READ, WRITE, optionally EDGE) and calls
     * {@code handler} when it is ready. ERROR and HUP are always reported.
     */
    public void add(int fd, int events, IoHandler handler) throws IOException {
        ensureOpen();
        Objects.requireNonNull(handler, "handler");
        checkInterest(events);
        if (fd < 0) throw new IllegalArgumentException("negative fd " + fd);
        if (isRegistered(fd) || fd == wakerFd) {
            throw new IllegalStateException(
                    "fd " + fd + " is already registered with this " + backend.name() + " loop; use modify()");
        }
        if (fd >= handlers.length) grow(fd);
        backend.add(fd, events);
        handlers[fd] = handler;
        interest[fd] = events;
        generation[fd]++;
        registered++;
    }

    /** Replaces the interest of a registered fd. */
    public void modify(int fd, int events) throws IOException {
        ensureOpen();
        checkInterest(events);
        requireRegistered(fd);
        backend.modify(fd, interest[fd], events);
        interest[fd] = events;
    }

    /** Stops watching {@code fd}. Call it before closing the fd. */
    public void remove(int fd) throws IOException {
        ensureOpen();
        requireRegistered(fd);
        int old = interest[fd];
        handlers[fd] = null;
        interest[fd] = 0;
        generation[fd]++;
        registered--;
        backend.remove(fd, old);   // if this throws (say EBADF), our table is already consistent
    }

    /**
     * Waits for events and calls their handlers.
     *
     * @param timeoutMillis how long to wait when nothing is ready: -1 without limit, 0 not at all
     * @return how many handler calls were made; 0 after a timeout, a {@link #wakeup()} or a signal
     */
    // snippet-start runonce
    public int runOnce(long timeoutMillis) throws IOException {
        ensureOpen();
        int timeout = timeoutMillis < 0 ? -1 : (int) Math.min(timeoutMillis, Integer.MAX_VALUE);
        int n = backend.poll(timeout, fired);
        waits++;
        for (int i = 0; i < n; i++) {
            int fd = fired.fd(i);
            firedGeneration[i] = fd < generation.length ? generation[fd] : 0;
        }
        int dispatched = 0;
        for (int i = 0; i < n && !closed; i++) {
            int fd = fired.fd(i);
            if (fd == wakerFd) {
                waker.drain();
                continue;
            }
            if (fd >= handlers.length) continue;
            IoHandler handler = handlers[fd];
            // Removed, or removed and re-added, by a handler earlier in this batch.
            if (handler == null || generation[fd] != firedGeneration[i]) continue;
            // A handler earlier in the batch may have narrowed the interest (Redis does the same).
            int events = fired.events(i) & (interest[fd] | Events.ERROR | Events.HUP);
            if (events == 0) continue;
            handler.onEvent(fd, events);
            dispatched++;
        }
        return dispatched;
    }
    // snippet-end runonce

    /** Ends a blocked {@link #runOnce} early, or makes the next one return at once. Any thread. */
    public void wakeup() {
        if (!closed) waker.wake();
    }

    public boolean isClosed() { return closed; }

    /** Closes the kernel object and the wake-up fd. The registered fds stay open: they are the caller's. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            backend.close();
        } finally {
            waker.close();
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("this " + backend.name() + " event loop is closed");
    }

    private void requireRegistered(int fd) {
        if (!isRegistered(fd)) {
            throw new IllegalStateException("fd " + fd + " is not registered with this " + backend.name() + " loop");
        }
    }

    private void checkInterest(int events) {
        if ((events & ~Events.INTEREST_MASK) != 0) {
            throw new IllegalArgumentException("interest may hold only READ, WRITE and EDGE, not "
                    + Events.toString(events & ~Events.INTEREST_MASK));
        }
        if ((events & Events.EDGE) != 0 && !backend.supportsEdgeTriggered()) {
            throw new IllegalArgumentException("EDGE (edge-triggered) is not supported by the " + backend.name()
                    + " backend, which is level-triggered only; use epoll or kqueue");
        }
    }

    private void grow(int fd) {
        int size = Math.max(fd + 1, handlers.length * 2);
        handlers = Arrays.copyOf(handlers, size);
        interest = Arrays.copyOf(interest, size);
        generation = Arrays.copyOf(generation, size);
    }
}
