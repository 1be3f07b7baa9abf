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

    /** The baseline: one read per wake-up, at most 64 accepts (level-triggered: the rest fire again). */
    // snippet-start level-triggered
    ReadPolicy LEVEL_TRIGGERED = new ReadPolicy() {
        @Override public int registrationFlags() { return 0; }

        @Override
        public void onAcceptable(Acceptor acceptor) throws IOException {
            for (int i = 0; i < 64 && acceptor.acceptOne(); i++) {
                // fairness: the clients already connected get their turn before more are accepted
            }
        }

        @Override
        public void onReadable(Pump pump) {
            pump.pumpOnce();
        }
    };
    // snippet-end level-triggered
}
