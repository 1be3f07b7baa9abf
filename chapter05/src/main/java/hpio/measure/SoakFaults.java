package hpio.measure;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fault injector: one fault every 0.5 to 1.5 s, drawn from a bag that holds
 * each kind once (so every kind comes round, in an order the seed decides), each
 * on a thread of its own, never two of one kind at once:
 *
 * <pre>
 *   kill       a backend dies mid-transfer (RST or FIN, by the seed), back 0.5-2 s later
 *   pause      a backend stops reading for 1-3 s: its receive window fills, then it resumes
 *   reset      up to 3 running transfers reset by their client (SO_LINGER 0)
 *   slowloris  10-30 connections that send nothing for 2-4 s, and 5 that half-close at once
 *              (the balancer must pass the FIN on and close them when the backend closes)
 *   burst      --max-conns + 50 connects at once, held 1 s (the pool is full: the rest are refused);
 *              it counts as refusing until 2 s after they close
 *   lowfd      a second balancer under ulimit -n, run by {@link SoakLowFd}
 * </pre>
 */
final class SoakFaults {
    static final List<String> KINDS = List.of("kill", "pause", "reset", "slowloris", "burst", "lowfd");

    private final SoakLedger ledger;
    private final List<SoakBackend> backends;
    private final SplittableRandom random;
    private final int port;
    private final int maxConns;
    private final SoakLowFd lowFd;
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final List<Thread> running = Collections.synchronizedList(new ArrayList<>());
    private final List<String> bag = new ArrayList<>();
    private volatile boolean stopping;
    private Thread thread;

    SoakFaults(SoakLedger ledger, List<SoakBackend> backends, long seed, int port, int maxConns, SoakLowFd lowFd) {
        this.ledger = ledger;
        this.backends = backends;
        this.random = new SplittableRandom(seed);
        this.port = port;
        this.maxConns = maxConns;
        this.lowFd = lowFd;
    }

    void start() {
        thread = Thread.ofPlatform().name("soak-faults").daemon().start(this::run);
    }

    private void run() {
        while (!stopping) {
            String kind = next();
            if (busy.add(kind)) {
                long r = random.nextLong();
                running.add(Thread.ofVirtual().name("soak-fault-" + kind).start(() -> {
                    try {
                        inject(kind, new SplittableRandom(r));
                    } finally {
                        busy.remove(kind);
                    }
                }));
            }
            Children.pause(500 + random.nextInt(1000));
        }
    }

    private synchronized String next() {
        if (bag.isEmpty()) {
            bag.addAll(KINDS);
            for (int i = bag.size() - 1; i > 0; i--) Collections.swap(bag, i, random.nextInt(i + 1));
        }
        return bag.removeFirst();
    }

    private void inject(String kind, SplittableRandom r) {
        switch (kind) {
            case "kill" -> kill(r);
            case "pause" -> pause(r);
            case "reset" -> reset(r);
            case "slowloris" -> slowloris(r);
            case "burst" -> burst();
            case "lowfd" -> {
                if (lowFd.run(r)) ledger.fault(kind);
            }
            default -> throw new IllegalArgumentException(kind);
        }
    }

    private void kill(SplittableRandom r) {
        SoakBackend b = backends.get(r.nextInt(backends.size()));
        long[] window = ledger.refusingStarts(0);     // new connections may meet it down
        try {
            b.kill(r.nextBoolean());
            ledger.fault("kill");
            Children.pause(500 + r.nextInt(1500));
            b.start();
        } catch (IOException e) {
            ledger.problem("cannot restart backend " + b.name + ": " + e.getMessage());
        } finally {
            Children.pause(1100);                      // --fail-timeout 1: the balancer may skip it that long
            ledger.refusingEnds(window);
        }
    }

    private void pause(SplittableRandom r) {
        SoakBackend b = backends.get(r.nextInt(backends.size()));
        b.pause();
        ledger.fault("pause");
        Children.pause(1000 + r.nextInt(2000));
        b.resume();
    }

    private void reset(SplittableRandom r) {
        List<SoakTransfer> now = ledger.running();
        if (now.isEmpty()) return;
        int n = 1 + r.nextInt(Math.min(3, now.size()));
        for (int i = 0; i < n; i++) now.get(r.nextInt(now.size())).reset(ledger);
        ledger.fault("reset");
    }

    private void slowloris(SplittableRandom r) {
        List<Socket> idle = new ArrayList<>();
        List<Socket> halfClosed = new ArrayList<>();
        try {
            for (int i = 10 + r.nextInt(21); i > 0; i--) idle.add(connect(port));
            for (int i = 0; i < 5; i++) {
                Socket s = connect(port);
                s.shutdownOutput();
                halfClosed.add(s);
            }
            ledger.fault("slowloris");
            Children.pause(2000 + r.nextInt(2000));
            // The backend saw EOF before a header and closed: the balancer must have closed them too.
            for (Socket s : halfClosed) {
                if (!endsWithin(s, 10_000)) ledger.problem("a half-closed connection was still open after 10 s");
            }
        } catch (IOException e) {
            // refused (another fault filled the pool): nothing to hold
        } finally {
            idle.forEach(SoakBackend::closeQuietly);
            halfClosed.forEach(SoakBackend::closeQuietly);
        }
    }

    private void burst() {
        List<Socket> sockets = new ArrayList<>();
        long[] window = ledger.refusingStarts(port);
        try {
            for (int i = 0; i < maxConns + 50; i++) {
                try {
                    sockets.add(connect(port));
                } catch (IOException e) {
                    break;                              // the accept queue is full: a burst indeed
                }
            }
            ledger.fault("burst");
            Children.pause(1000);                       // held: the pool is full, refusals come back
        } finally {
            sockets.forEach(s -> SoakBackend.abort(s, false));
            // The balancer still accepts what the burst left in its accept queue, each a
            // slot until it sees the close: on a loaded machine (select, 2 busy cores) the
            // pool stays full for a moment after our closes. Refusals until then are the burst's.
            Children.pause(2000);
            ledger.refusingEnds(window);
        }
    }

    static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            return s;
        } catch (IOException e) {
            SoakBackend.closeQuietly(s);
            throw e;
        }
    }

    /** Whether the peer ends the connection (EOF or reset) within {@code millis}. */
    static boolean endsWithin(Socket s, int millis) {
        try {
            s.setSoTimeout(millis);
            InputStream in = s.getInputStream();
            byte[] b = new byte[256];
            while (in.read(b) >= 0) {
                // nothing is expected: read on to EOF
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;                                // reset: ended too
        }
    }

    /** No new faults; waits for the ones running to finish (each restores what it broke). */
    void stop() throws InterruptedException {
        stopping = true;
        if (thread != null) thread.join();
        List<Thread> all;
        synchronized (running) {
            all = new ArrayList<>(running);
        }
        for (Thread t : all) t.join();
    }
}
