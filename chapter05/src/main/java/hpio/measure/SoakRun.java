package hpio.measure;

import hpio.measure.SoakLedger.Outcome;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One soak of one event backend: three echo-and-checksum backends, the balancer
 * in front of them as a child process, a warm-up, then load and faults for the
 * duration with a progress line every few seconds, then the checks of the end:
 * still answering, descriptors and pool slots back to idle, resident size within
 * its bound, no exception in its log, and no transfer corrupted, lost or hung.
 */
final class SoakRun {
    static final int BACKENDS = 3;

    private final SoakSettings settings;
    private final String eventBackend;
    private final Path dir;
    private final PrintStream out;
    private final Children children;
    private final String jvmFlags;
    private final int progressSeconds;

    SoakRun(SoakSettings settings, String eventBackend, Path dir, PrintStream out, Children children, String jvmFlags,
            int progressSeconds) {
        this.settings = settings;
        this.eventBackend = eventBackend;
        this.dir = dir;
        this.out = out;
        this.children = children;
        this.jvmFlags = jvmFlags;
        this.progressSeconds = progressSeconds;
    }

    /** What the closing line and the report say about one backend's soak. */
    record Result(String backend, long seed, int seconds, long transfers, long bytes, long ok, long cut, long corrupted,
                  long lost, long hung, Map<String, Long> faults, long fdsIdle, long fdsEnd, int[] pool, long rssIdleKib,
                  long rssEndKib, int rssBoundMb, List<String> problems, List<String> notes, Path log) {
        boolean passed() { return problems.isEmpty() && corrupted == 0 && lost == 0 && hung == 0; }

        /** soak epoll: 48,213 transfers (1.9 GiB), 0 corrupted, 0 lost, ... seed 1234 */
        String closingLine() {
            String poolText = pool == null ? "pool ?" : "pool " + pool[1] + "/" + pool[2] + " free";
            return "soak " + backend + ": " + Numbers.group(transfers) + " transfers (" + gib(bytes) + "), "
                    + corrupted + " corrupted, " + lost + " lost, " + hung + " hung, " + Numbers.group(cut)
                    + " cut by faults, fds " + fdsIdle + " -> " + fdsEnd + ", " + poolText + ", RSS "
                    + rssIdleKib / 1024 + " -> " + rssEndKib / 1024 + " MB, seed " + seed
                    + (passed() ? "" : ": FAILED (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + ")");
        }
    }

    static String gib(long bytes) {
        if (bytes < (1L << 30)) return Numbers.fixed(bytes / 1048576.0, 1) + " MiB";
        return Numbers.fixed(bytes / 1073741824.0, 1) + " GiB";
    }

    Result run() throws InterruptedException, IOException {
        SoakLedger ledger = new SoakLedger();
        List<SoakBackend> backends = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < BACKENDS; i++) {
            SoakBackend b = new SoakBackend(Character.toString('a' + i), SoakBalancer.freePort(), ledger);
            b.start();
            backends.add(b);
            ports.add(b.port);
        }
        SoakBalancer lb = null;
        try {
            lb = SoakBalancer.start(children, dir.resolve("balancer-" + eventBackend + ".log"), eventBackend, ports,
                    settings.maxConns(), settings.threads(), 0, jvmFlags);
            return soak(lb, backends, ports, ledger);
        } finally {
            if (lb != null && lb.alive()) lb.stop();
            backends.forEach(SoakBackend::stop);
        }
    }

    private Result soak(SoakBalancer lb, List<SoakBackend> backends, List<Integer> ports, SoakLedger ledger)
            throws InterruptedException {
        long seed = settings.seed();
        // Warm-up: every code path of a transfer runs once, so what stays open after it is the idle count.
        answers(lb, ledger, "at the start");
        lb.await(() -> false, 500);
        long fdsIdle = lb.fds();
        long rssIdle = lb.rssKib();

        SoakLoad load = new SoakLoad(ledger, seed, lb.port);
        SoakLowFd lowFd = new SoakLowFd(children, ledger, load, dir, eventBackend, ports, jvmFlags);
        SoakFaults faults = new SoakFaults(ledger, backends, seed, lb.port, settings.maxConns(), lowFd);
        long end = System.nanoTime() + settings.durationSeconds() * 1_000_000_000L;
        load.start(settings.connections());
        faults.start();
        while (System.nanoTime() < end) {
            long leftMillis = (end - System.nanoTime()) / 1_000_000;
            Children.pause(Math.max(1, Math.min(progressSeconds * 1000L, leftMillis)));
            if (!lb.alive()) {
                ledger.problem("the balancer exited during the soak: " + lb.logTail());
                break;
            }
            out.println(progress(ledger, Math.max(0, (end - System.nanoTime()) / 1_000_000_000L)));
        }
        out.println("soak " + eventBackend + ": stopping the faults, then the load (each transfer to its end)");
        faults.stop();
        load.stop();

        // The end: still answering, then everything back to idle.
        if (lb.alive()) answers(lb, ledger, "at the end");
        boolean fdsBack = lb.await(() -> lb.fds() == fdsIdle, 30_000);
        long fdsEnd = lb.fds();
        if (!fdsBack) ledger.problem("descriptors: " + fdsIdle + " when idle at the start, " + fdsEnd + " at the end");
        int from = lb.logLines();
        int[][] pool = {null};
        boolean poolBack = lb.await(() -> {
            pool[0] = lb.pool(from);
            return pool[0] != null && pool[0][0] == 0 && pool[0][1] == pool[0][2];
        }, 20_000);
        if (!poolBack) ledger.problem("pool: " + (pool[0] == null ? "no status line in 20 s"
                : pool[0][0] + " active, " + pool[0][1] + "/" + pool[0][2] + " free at the end"));
        long rssEnd = lb.rssKib();
        if (rssEnd - rssIdle > settings.rssBoundMb() * 1024L) {
            ledger.problem("RSS grew " + (rssEnd - rssIdle) / 1024 + " MB, more than the bound of " + settings.rssBoundMb()
                    + " MB (RSS_BOUND)");
        }
        for (String line : lb.exceptionLines().stream().limit(5).toList()) ledger.problem("the balancer logged: " + line);
        if (!lb.alive()) ledger.problem("the balancer is not running at the end");
        return new Result(eventBackend, seed, settings.durationSeconds(), ledger.transfers(), ledger.bytes(),
                ledger.count(Outcome.OK), ledger.count(Outcome.CUT), ledger.count(Outcome.CORRUPT),
                ledger.count(Outcome.LOST), ledger.count(Outcome.HUNG), ledger.faults(), fdsIdle, fdsEnd, pool[0],
                rssIdle, rssEnd, settings.rssBoundMb(), ledger.problems(), ledger.notes(), lb.log);
    }

    /** Transfers of 1 B, 1 MiB (half-closed) and 16 MiB, one after another: each must arrive whole. */
    private void answers(SoakBalancer lb, SoakLedger ledger, String when) {
        long[][] shapes = {{1, 0}, {1 << 20, 1}, {SoakLoad.MAX_SIZE, 0}, {65_536, 1}};
        for (long[] shape : shapes) {
            SoakTransfer t = new SoakTransfer(ledger.newId(), shape[0], shape[1] == 1, settings.seed());
            Outcome o = t.run(lb.port, ledger);
            if (o != Outcome.OK) ledger.problem("the balancer did not answer a " + shape[0] + " B transfer " + when + ": " + o);
        }
    }

    private String progress(SoakLedger l, long left) {
        StringBuilder f = new StringBuilder();
        l.faults().forEach((k, v) -> f.append(f.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
        return "soak " + eventBackend + ": " + left + " s left | " + Numbers.group(l.transfers()) + " transfers ("
                + gib(l.bytes()) + "), " + l.count(Outcome.CUT) + " cut | errors: " + l.count(Outcome.CORRUPT)
                + " corrupted, " + l.count(Outcome.LOST) + " lost, " + l.count(Outcome.HUNG) + " hung | faults "
                + l.faultCount() + (f.isEmpty() ? "" : " (" + f + ")");
    }
}
