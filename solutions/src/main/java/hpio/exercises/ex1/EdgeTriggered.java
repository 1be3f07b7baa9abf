package hpio.exercises.ex1;

import hpio.lb.hooks.Acceptor;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.ReadPolicy;
import hpio.loop.Events;
import java.io.IOException;

/**
 * Exercise 1: edge-triggered mode ({@code --edge-triggered}).
 *
 * <p>Level-triggered, the kernel repeats "readable" on every wait while bytes
 * remain, so taking a little per wake-up is safe. Edge-triggered (EPOLLET,
 * EV_CLEAR) it says so when new bytes arrive, not while they wait: whatever is
 * left unread is announced again only if more arrives, and a peer waiting for
 * our reply sends nothing more. So every handler must keep going until the
 * kernel answers EAGAIN.
 *
 * <p>Hints: {@code make hint EX=1}. Check: {@code make exercise EX=1}.
 */
public final class EdgeTriggered implements ReadPolicy {

    /** Every socket the balancer registers gets the EDGE flag. */
    @Override
    public int registrationFlags() {
        return Events.EDGE;
    }

    /** Accepts until the backlog is empty (or accepting pauses): one edge may stand for a burst of clients. */
    @Override
    public void onAcceptable(Acceptor acceptor) throws IOException {
        while (acceptor.acceptOne()) {
            // keep accepting: no second notification is coming for these clients
        }
    }

    /**
     * Pumps until the source is drained (AGAIN), finished (EOF) or the
     * destination is full (PAUSED: the balancer calls again once it has room).
     */
    @Override
    public void onReadable(Pump pump) throws IOException {
        while (pump.pumpOnce() > 0) {
            // bytes moved: there may be more
        }
    }
}
