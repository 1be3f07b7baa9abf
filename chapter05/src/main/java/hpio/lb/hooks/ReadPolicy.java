package hpio.lb.hooks;

import hpio.loop.Timers;
import java.io.IOException;

/**
 * How readiness is consumed: level-triggered (the baseline: a little per wake-up,
 * the kernel reminds us of the rest) or edge-triggered (exercise 3: told when
 * bytes arrive, not while they wait, so what is left must be remembered).
 */
public interface ReadPolicy {
    /** Added to every registration: 0, or {@link hpio.loop.Events#EDGE}. */
    int registrationFlags();

    /** Called once, before any event: the loop's timers, for work to come back to later. */
    default void attach(Timers timers) {}

    /** The listening socket is readable. */
    void onAcceptable(Acceptor acceptor) throws IOException;

    /** A source socket is readable (or its flow was just un-paused). */
    void onReadable(Pump pump) throws IOException;

    /**
     * The most clients the baseline accepts per wake-up: a batch's worth (the
     * balancer's loop takes up to 1,024 events a turn). It was 64: against a
     * batch of 1,024 events, a burst of 1,000 connects (wrk opening its
     * connections) was accepted over 16 turns or more, and each of those turns
     * first served every client already connected, so the last clients' first
     * requests, queued before all that traffic, waited longest of all: the p99
     * (measured: docs/06-performance.md, "Where the tail came from").
     */
    int ACCEPT_BUDGET = 1024;

    /** The baseline: one read per wake-up, at most a batch of accepts (level-triggered: the rest fire again). */
    // snippet-start level-triggered
    ReadPolicy LEVEL_TRIGGERED = new ReadPolicy() {
        @Override public int registrationFlags() { return 0; }

        @Override
        public void onAcceptable(Acceptor acceptor) throws IOException {
            for (int i = 0; i < ACCEPT_BUDGET && acceptor.acceptOne(); i++) {
                // a budget all the same: a connect flood cannot hold the loop for more than a turn's worth
            }
        }

        @Override
        public void onReadable(Pump pump) {
            pump.pumpOnce();
        }
    };
    // snippet-end level-triggered
}
