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

    /** Every socket the balancer registers gets the flag returned here. */
    @Override
    public int registrationFlags() {
        // TODO(ex1): return the flag that makes epoll use EPOLLET and kqueue EV_CLEAR (see hpio.loop.Events).
        throw new UnsupportedOperationException("TODO(ex1): EdgeTriggered.registrationFlags");
    }

    /** The listening socket became readable: one edge may stand for a whole burst of clients. */
    @Override
    public void onAcceptable(Acceptor acceptor) throws IOException {
        // TODO(ex1): accept until acceptor.acceptOne() returns false (the backlog is empty, i.e. EAGAIN).
        throw new UnsupportedOperationException("TODO(ex1): EdgeTriggered.onAcceptable");
    }

    /** A source socket became readable (or its flow was just un-paused). */
    @Override
    public void onReadable(Pump pump) throws IOException {
        // TODO(ex1): call pump.pumpOnce() while it moves bytes (> 0); stop at AGAIN, EOF or PAUSED.
        throw new UnsupportedOperationException("TODO(ex1): EdgeTriggered.onReadable");
    }
}
