package hpio.measure;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The soak's load: {@code lanes} clients, each running one transfer after another
 * until told to stop. Sizes are a mix: most are short requests (1 B to 1 KiB), some
 * medium (1 KiB to 256 KiB), a few large (256 KiB to 16 MiB), each range spread
 * evenly on a log scale; a third of them half-close after sending. Each lane has a
 * random stream of its own, derived from the run's seed.
 */
final class SoakLoad {
    static final long MAX_SIZE = 16L << 20;

    private final SoakLedger ledger;
    private final long seed;
    private final List<Thread> lanes = new ArrayList<>();
    private volatile boolean stopping;
    private volatile int port;
    private volatile int altPort;             // the low-fd balancer's port while it runs, else 0
    private volatile int altLanes;            // how many lanes use it then

    SoakLoad(SoakLedger ledger, long seed, int port) {
        this.ledger = ledger;
        this.seed = seed;
        this.port = port;
    }

    /** The size of a transfer, from the mix. */
    static long size(SplittableRandom r) {
        int kind = r.nextInt(100);
        if (kind < 60) return logUniform(r, 1, 1024);
        if (kind < 92) return logUniform(r, 1024, 256 * 1024);
        return logUniform(r, 256 * 1024, MAX_SIZE);
    }

    private static long logUniform(SplittableRandom r, long min, long max) {
        double v = Math.exp(Math.log(min) + r.nextDouble() * (Math.log(max) - Math.log(min)));
        return Math.max(min, Math.min(max, Math.round(v)));
    }

    void start(int count) {
        for (int i = 0; i < count; i++) {
            int lane = i;
            SplittableRandom r = new SplittableRandom(SoakPayload.seedOf(seed, -1 - lane));
            lanes.add(Thread.ofVirtual().name("soak-lane-" + lane).start(() -> run(lane, r)));
        }
    }

    private void run(int lane, SplittableRandom r) {
        while (!stopping) {
            int p = lane < altLanes && altPort != 0 ? altPort : port;
            SoakTransfer t = new SoakTransfer(ledger.newId(), size(r), r.nextInt(3) == 0, seed);
            // Refused (a burst, the low-fd balancer): a moment before the next, not a spin of refusals.
            if (t.run(p, ledger) != SoakLedger.Outcome.OK) Children.pause(20);
        }
    }

    /** Sends the first {@code lanes} lanes to another balancer (0: back to the main one). */
    void divert(int toPort, int lanes) {
        altLanes = lanes;
        altPort = toPort;
    }

    /** Lets every lane finish the transfer it is in (each has its deadline), then returns. */
    void stop() throws InterruptedException {
        stopping = true;
        for (Thread t : lanes) t.join();
    }
}
