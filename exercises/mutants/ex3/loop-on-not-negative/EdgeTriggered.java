package hpio.exercises.ex3;

import hpio.lb.hooks.Acceptor;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.ReadPolicy;
import hpio.loop.Events;
import hpio.loop.Timer;
import hpio.loop.Timers;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Exercise 3: edge-triggered mode in the balancer ({@code --edge-triggered}).
 *
 * <p>Level-triggered, the kernel repeats "readable" on every wait while bytes
 * remain, so taking a little per wake-up is safe. Edge-triggered (EPOLLET,
 * EV_CLEAR) it says so when new bytes arrive, not while they wait: whatever is
 * left unread is announced again only if more arrives, and a peer waiting for
 * our reply sends nothing more. So a handler keeps reading until the kernel
 * answers EAGAIN, or remembers the flow itself.
 *
 * <p>Draining one flow to EAGAIN can take long (a fast sender refills the socket
 * as we read), and every other connection waits meanwhile. The remedy epoll(7)
 * gives: a budget of reads per turn, and a ready list of our own for the flows
 * that spent it, served again on the next pass.
 *
 * <p>Hints: {@code make hint EX=3}. Check: {@code make exercise EX=3}.
 */
public final class EdgeTriggered implements ReadPolicy {
    /** Reads one flow gets per pass before the others have their turn: 16 x 64 KiB = 1 MiB. */
    public static final int BUDGET = 16;

    private final ArrayDeque<Pump> ready = new ArrayDeque<>();     // cut short by the budget, oldest first
    // The same flows, to keep each on the list once (IdentityHashMap: no allocation per entry).
    private final Set<Pump> onReadyList = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Timer serveReady = new Timer(this::serveReady);  // made once, re-armed at will
    private Timers timers;

    @Override
    public int registrationFlags() {
        return Events.EDGE;
    }

    @Override
    public void attach(Timers timers) {
        this.timers = timers;
    }

    /** One edge on the listening socket can stand for a whole burst of clients. */
    @Override
    public void onAcceptable(Acceptor acceptor) throws IOException {
        while (acceptor.acceptOne()) {
            // keep accepting: no second notification is coming for these clients
        }
    }

    @Override
    public void onReadable(Pump pump) {
        // Already waiting on the ready list: its turn comes on the next pass, after
        // the flows ahead of it (reading it now too would give it two budgets a pass).
        if (onReadyList.contains(pump)) return;
        drain(pump);
    }

    private void drain(Pump pump) {
        // MUTANT: "read while there is no error": EOF (0) is not an error.
        while (pump.pumpOnce() >= 0) {
            // keep reading
        }
    }

    /** After the loop's batch: one more budget for each flow that was cut short. */
    private void serveReady() {
        // Only those on the list now: a flow that spends its budget again goes to
        // the back and waits for the next pass (the timer is re-armed for it).
        for (int n = ready.size(); n > 0; n--) {
            Pump pump = ready.pollFirst();
            onReadyList.remove(pump);
            drain(pump);
        }
    }
}
