package hpio.exercises.ex3;

import hpio.lb.hooks.Acceptor;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.ReadPolicy;
import hpio.loop.Timers;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The read policy under test, as the balancer sees it, with a call counter on
 * every pump: a policy that keeps calling a pump after it said the flow cannot
 * move (a loop on {@code >= 0}, on PAUSED, ...) would spin the balancer's loop for
 * ever; here it stops it at once, and the test reports {@link #tripped} by name.
 * A correct policy calls a pump at most once after such an answer, until the
 * next event for it.
 */
final class GuardedReadPolicy implements ReadPolicy {
    private static final int CALLS_WITHOUT_PROGRESS = 1000;
    private static final java.time.Duration STILL = java.time.Duration.ofSeconds(3);
    private static final java.time.Duration BACKSTOP = java.time.Duration.ofSeconds(30);

    private final ReadPolicy policy;
    private final Map<Pump, Guarded> guarded = new IdentityHashMap<>();   // one per flow: identity kept
    volatile String tripped;
    /** Reads that moved bytes and clients accepted, so far: a test sees the balancer stall when this stands still. */
    volatile long progress;

    GuardedReadPolicy(ReadPolicy policy) {
        this.policy = policy;
    }

    @Override public int registrationFlags() { return policy.registrationFlags(); }

    @Override public void attach(Timers timers) { policy.attach(timers); }

    @Override
    public void onAcceptable(Acceptor acceptor) throws IOException {
        policy.onAcceptable(() -> {
            boolean accepted = acceptor.acceptOne();
            if (accepted) progress++;          // written by the loop's thread only
            return accepted;
        });
    }

    /**
     * Waits until {@code done}, failing by name as soon as the guard trips or nothing
     * has moved for {@code STILL} (a stall, not a slow machine: a slow one still moves).
     */
    void awaitProgressUntil(java.util.function.BooleanSupplier done, String stalled) throws InterruptedException {
        long seen = progress;
        long movedAt = System.nanoTime();
        long giveUp = movedAt + BACKSTOP.toNanos();
        while (!done.getAsBoolean()) {
            if (tripped != null) throw new AssertionError(tripped);
            long now = System.nanoTime();
            if (progress != seen) {
                seen = progress;
                movedAt = now;
            } else if (now - movedAt > STILL.toNanos()) {
                throw new AssertionError(stalled + " (nothing moved for " + STILL.toSeconds() + " s)");
            }
            if (now - giveUp > 0) throw new AssertionError(stalled + " (still not done after " + BACKSTOP.toSeconds() + " s)");
            Thread.sleep(10);                  // polling a condition, with the deadlines above
        }
        if (tripped != null) throw new AssertionError(tripped);
    }

    @Override
    public void onReadable(Pump pump) throws IOException {
        Guarded g = guarded.computeIfAbsent(pump, Guarded::new);
        g.withoutProgress = 0;                 // a new event: one more answer is owed
        policy.onReadable(g);
    }

    private final class Guarded implements Pump {
        final Pump pump;
        int withoutProgress;

        Guarded(Pump pump) { this.pump = pump; }

        @Override
        public int pumpOnce() {
            int r = pump.pumpOnce();
            if (r > 0) {
                withoutProgress = 0;
                progress++;                    // written by the loop's thread only
            } else if (++withoutProgress > CALLS_WITHOUT_PROGRESS) {
                tripped = switch (r) {
                    case EOF -> "kept calling after EOF: a loop on `>= 0`?";
                    case PAUSED -> "looped on PAUSED: the bytes cannot go anywhere until the destination drains;"
                            + " the balancer calls you again";
                    case CLOSED -> "looped on CLOSED: the connection is gone, nothing will ever move again";
                    default -> "looped on AGAIN: the socket is empty until the next edge";
                } + " (" + CALLS_WITHOUT_PROGRESS + " calls in a row with nothing moved; the balancer's loop was stopped)";
                throw new AssertionError(tripped);   // an Error: the loop does not catch it, it stops
            }
            return r;
        }
    }
}
