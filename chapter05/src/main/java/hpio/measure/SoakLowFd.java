package hpio.measure;

import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The low open-files fault: a second balancer, started under {@code ulimit -n}
 * {@value #OPEN_FILES} with a --max-conns its descriptors cannot hold, in front of
 * the same backends. For a few seconds part of the load goes through it, and a
 * burst of connections runs it out of descriptors (accept fails with EMFILE, the
 * balancer must refuse clients and go on). Then its descriptors must be back to
 * its idle count, its log free of exceptions, and it must stop on SIGTERM.
 */
final class SoakLowFd {
    static final int OPEN_FILES = 128;
    static final int MAX_CONNS = 100;            // 200 fds wanted, 128 allowed

    private final Children children;
    private final SoakLedger ledger;
    private final SoakLoad load;
    private final Path dir;
    private final String eventBackend;
    private final List<Integer> backends;
    private final String jvmFlags;
    private final AtomicInteger runs = new AtomicInteger();
    private volatile long lastNanos;

    SoakLowFd(Children children, SoakLedger ledger, SoakLoad load, Path dir, String eventBackend,
              List<Integer> backends, String jvmFlags) {
        this.children = children;
        this.ledger = ledger;
        this.load = load;
        this.dir = dir;
        this.eventBackend = eventBackend;
        this.backends = backends;
        this.jvmFlags = jvmFlags;
        this.lastNanos = System.nanoTime() - 60_000_000_000L;
    }

    /** One round, at most every 20 s (a JVM start costs a core for a second); true if it ran. */
    boolean run(SplittableRandom r) {
        if (System.nanoTime() - lastNanos < 20_000_000_000L) return false;
        lastNanos = System.nanoTime();
        int n = runs.incrementAndGet();
        SoakBalancer b;
        try {
            b = SoakBalancer.start(children, dir.resolve("lowfd-" + eventBackend + "-" + n + ".log"), eventBackend, backends, MAX_CONNS,
                    1, OPEN_FILES, jvmFlags);
        } catch (RuntimeException e) {
            ledger.problem("low-fd balancer: " + e.getMessage());
            return true;
        }
        long idleFds = b.fds();
        long[] window = ledger.refusingStarts(b.port);
        List<Socket> held = new ArrayList<>();
        try {
            load.divert(b.port, 4);
            Children.pause(1000 + r.nextInt(1000));
            for (int i = 0; i < MAX_CONNS + 20; i++) {
                try {
                    held.add(SoakFaults.connect(b.port));
                } catch (java.io.IOException e) {
                    break;
                }
            }
            Children.pause(1500);
            held.forEach(s -> SoakBackend.abort(s, false));
            held.clear();
            Children.pause(1000 + r.nextInt(1000));
        } finally {
            held.forEach(s -> SoakBackend.abort(s, false));
            load.divert(0, 0);
        }
        // The lanes finish the transfers they had started on it before it is stopped.
        boolean idle = b.await(() -> b.fds() == idleFds, 60_000);
        ledger.refusingEnds(window);
        if (!idle) ledger.problem("low-fd balancer: fds " + idleFds + " when idle, " + b.fds() + " 60 s after its load");
        // EMFILE from accept (the FFM backends), or a socket() for the backend that failed (nio's words)
        String text = b.logText();
        boolean acceptFailed = text.contains("EMFILE") || text.contains("Too many open files");
        List<String> exceptions = b.exceptionLines();
        if (!exceptions.isEmpty()) ledger.problem("low-fd balancer logged: " + exceptions.getFirst());
        if (!b.alive()) ledger.problem("low-fd balancer died: " + b.logTail());
        int rc = b.stop();
        if (rc != 0 && rc != 143) ledger.problem("low-fd balancer: exit status " + rc + " on SIGTERM");
        ledger.note("lowfd round " + n + ": fds " + idleFds + " idle, back to idle: " + idle
                + ", ran out of descriptors (EMFILE logged): " + acceptFailed + ", exit " + rc);
        return true;
    }
}
