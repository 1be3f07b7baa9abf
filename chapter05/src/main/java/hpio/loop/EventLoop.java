package hpio.loop;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The event loop: the Java form of the chapter's {@code event_loop.h}, with
 * timers beside the file events as in Redis's {@code ae.c}. It keeps the handler
 * table, the timers and the wake-up, and dispatches; a {@link Backend} only talks
 * to the kernel.
 *
 * <pre>
 *   EventLoop loop = EventLoops.open("epoll", 256, null);
 *   loop.add(fd, Events.READ, (fd, events) -&gt; ...);
 *   loop.schedule(new Timer(this::tick), 1, TimeUnit.SECONDS);
 *   while (running) loop.runOnce(-1);
 * </pre>
 *
 * <p>One turn ({@link #runOnce}): wait in the kernel no longer than the earliest
 * timer, call the handlers of the fds that are ready, then run the timers that are
 * due.
 *
 * <p><b>A failing handler costs its fd, never the loop.</b> When a handler throws
 * an {@link IOException} or a {@link RuntimeException}, the loop prints one line
 * about it (at most one a second, counting the rest), calls the handler's
 * {@link IoHandler#onFailure}, and, if the fd is still registered after that,
 * removes it, so that a broken socket cannot make every wait return at once. Then
 * it goes on with the rest of the batch. A timer that throws a RuntimeException is
 * counted and reported the same way, and the other timers still run. Errors
 * ({@code OutOfMemoryError}, {@code AssertionError}) are not caught.
 *
 * <p>Single-threaded: every method except {@link #wakeup()} must be called from
 * the thread that runs the loop. The loop never closes the fds registered with it.
 */
public final class EventLoop implements Timers, AutoCloseable {
    private final Backend backend;
    private final FiredEvents fired;
    private final int[] firedGeneration;
    private final TimerQueue timers = new TimerQueue();

    // snippet-start stale-guard
    // Indexed by fd. generation[fd] changes on every add and remove, so an event
    // fetched before a handler closed fd 7 (and maybe accepted a new fd 7) is
    // recognised as stale and dropped instead of reaching the new owner.
    private IoHandler[] handlers = new IoHandler[64];
    private int[] interest = new int[64];
    private int[] generation = new int[64];
    // snippet-end stale-guard
    private int registered;
    private volatile long waits;          // volatile: read by tests and status lines on other threads
    private volatile long failures;
    private volatile boolean closed;
    private static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;

    private PrintStream failureLog = System.err;
    private long lastFailureReport;
    private long unreportedFailures;
    private boolean everReported;

    /**
     * @param batchSize the most events one {@link #runOnce} handles (the C API's max_events)
     */
    public EventLoop(Backend backend, int batchSize) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.fired = new FiredEvents(batchSize);
        this.firedGeneration = new int[batchSize];
    }

    /** "select", "poll", "epoll", "io_uring", "kqueue" or "nio". */
    public String backendName() { return backend.name(); }

    /** Whether {@link Events#EDGE} can be registered (epoll, io_uring, kqueue). */
    public boolean supportsEdgeTriggered() { return backend.supportsEdgeTriggered(); }

    /** The highest fd this loop can watch: FD_SETSIZE - 1 for select, no limit of its own for the others. */
    public int maxFd() { return backend.maxFd(); }

    public int batchSize() { return fired.capacity(); }

    /** How many fds are registered. */
    public int registeredCount() { return registered; }

    /** How many times the loop has waited in the kernel: a count of wake-ups, for comparing modes. */
    public long waits() { return waits; }

    /** How many handler or timer calls have thrown (each cost its fd, not the loop). */
    public long failures() { return failures; }

    /** Where the one-line reports of failing handlers go (System.err unless set). */
    public void setFailureLog(PrintStream log) { this.failureLog = Objects.requireNonNull(log, "log"); }

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
        if (isRegistered(fd)) {
            throw new IllegalStateException(
                    "fd " + fd + " is already registered with this " + backend.name() + " loop; use modify()");
        }
        if (fd >= handlers.length) grow(fd);
        backend.add(fd, events);           // if this throws, nothing was recorded: the fd stays unregistered
        handlers[fd] = handler;
        interest[fd] = events;
        generation[fd]++;
        registered++;
    }

    /** Replaces the interest of a registered fd. If the kernel refuses, the old interest stays in force. */
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

    // ---------------------------------------------------------------- timers

    /** The loop's clock: System.nanoTime(), the scale of every deadline. */
    @Override
    public long nanoTime() { return System.nanoTime(); }

    /**
     * Arms {@code timer} to run {@code delay} from now, on this loop's thread. A
     * timer already armed is moved to the new deadline (re-armed): it runs once,
     * not twice. Allocates nothing.
     */
    @Override
    public void schedule(Timer timer, long delay, TimeUnit unit) {
        ensureOpen();
        // Capped at about 73 years: deadlines are compared by subtraction on a clock
        // that may wrap, which holds only while any two are less than 2^63 ns apart.
        long nanos = Math.min(Math.max(0, unit.toNanos(delay)), MAX_DELAY_NANOS);
        timers.schedule(timer, System.nanoTime() + nanos);
    }

    /** Disarms {@code timer}; a no-op if it is not armed (or has already run). */
    @Override
    public void cancel(Timer timer) {
        timers.cancel(timer);
    }

    /** How many timers are armed. */
    public int scheduledTimers() { return timers.size(); }

    // ---------------------------------------------------------------- one turn

    /**
     * Waits for events (no longer than the earliest timer), calls the handlers of
     * the ready fds, then runs the timers that are due.
     *
     * @param timeoutMillis how long to wait when nothing is ready and no timer is
     *                      due sooner: -1 without limit, 0 not at all
     * @return how many handler and timer calls were made; 0 after a timeout with
     *         no timer due, a {@link #wakeup()} or a signal
     */
    // snippet-start runonce
    public int runOnce(long timeoutMillis) throws IOException {
        ensureOpen();
        int n = backend.poll(waitMillis(timeoutMillis), fired);
        waits++;
        for (int i = 0; i < n; i++) {
            int fd = fired.fd(i);
            firedGeneration[i] = fd < generation.length ? generation[fd] : 0;
        }
        int calls = 0;
        for (int i = 0; i < n && !closed; i++) {
            int fd = fired.fd(i);
            if (fd >= handlers.length) continue;
            IoHandler handler = handlers[fd];
            // Removed, or removed and re-added, by a handler earlier in this batch.
            if (handler == null || generation[fd] != firedGeneration[i]) continue;
            // A handler earlier in the batch may have narrowed the interest (Redis does the same).
            int events = fired.events(i) & (interest[fd] | Events.ERROR | Events.HUP);
            if (events == 0) continue;
            try {
                handler.onEvent(fd, events);
            } catch (IOException | RuntimeException e) {
                handlerFailed(fd, handler, firedGeneration[i], e);
            }
            calls++;
        }
        if (!closed) calls += runDueTimers();
        return calls;
    }
    // snippet-end runonce

    /** The caller's timeout, cut to the earliest timer, rounded up to whole ms so a timer never wakes us early. */
    private int waitMillis(long timeoutMillis) {
        Timer first = timers.peek();
        if (first == null) return timeoutMillis < 0 ? -1 : (int) Math.min(timeoutMillis, Integer.MAX_VALUE);
        long untilTimer = Math.max(0, first.deadlineNanos - System.nanoTime());
        long millis = untilTimer / 1_000_000 + (untilTimer % 1_000_000 != 0 ? 1 : 0);   // up, without overflow
        if (timeoutMillis >= 0) millis = Math.min(millis, timeoutMillis);
        return (int) Math.min(millis, Integer.MAX_VALUE);
    }

    /**
     * Runs every timer due now. A timer that re-arms itself for "now" waits for the
     * next turn: only as many timers run as were armed when the pass began, so a
     * pass always ends and the fds get their turn.
     */
    private int runDueTimers() {
        long now = System.nanoTime();
        int budget = timers.size();
        int ran = 0;
        Timer t;
        while (ran < budget && !closed && (t = timers.pollDue(now)) != null) {
            ran++;
            try {
                t.task.run();
            } catch (RuntimeException e) {
                failures++;
                if (reportDue()) report("a timer threw " + describe(e));
            }
        }
        return ran;
    }

    private void handlerFailed(int fd, IoHandler handler, int registration, Exception e) {
        failures++;
        if (reportDue()) {
            report("the handler of fd " + fd + " threw " + describe(e) + "; that fd is dropped, the loop goes on");
        }
        try {
            handler.onFailure(fd, e);
        } catch (IOException | RuntimeException again) {
            failures++;
            if (reportDue()) report("the onFailure of fd " + fd + " threw " + describe(again));
        }
        // Still watched after its owner was told: take it out ourselves, or a
        // level-triggered fd that keeps failing would make every wait return at once.
        // Only the registration that failed: if the fd was closed and its number added
        // again meanwhile (the generation moved), that new registration is not ours to drop.
        if (!closed && isRegistered(fd) && generation[fd] == registration) {
            try {
                remove(fd);
            } catch (IOException ignored) {
                // The table is consistent already; the kernel side goes when the owner closes the fd.
            }
        }
    }

    private static String describe(Exception e) {
        return e.getClass().getSimpleName() + (e.getMessage() != null ? " (" + e.getMessage() + ")" : "");
    }

    /**
     * One line a second at most, so a flood of failures cannot flood the log; asked
     * before the line is built, so a refused one costs no allocation.
     */
    private boolean reportDue() {
        long now = System.nanoTime();
        if (everReported && now - lastFailureReport < TimeUnit.SECONDS.toNanos(1)) {
            unreportedFailures++;
            return false;
        }
        everReported = true;
        lastFailureReport = now;
        return true;
    }

    private void report(String what) {
        String more = unreportedFailures > 0 ? " (" + unreportedFailures + " more since the last report)" : "";
        unreportedFailures = 0;
        failureLog.println("event loop (" + backend.name() + "): " + what + more);
    }

    /** Ends a blocked {@link #runOnce} early, or makes the next one return at once. Any thread. */
    public void wakeup() {
        if (!closed) backend.wakeup();
    }

    public boolean isClosed() { return closed; }

    /** Closes the kernel object and the wake-up. The registered fds stay open: they are the caller's. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        backend.close();
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
