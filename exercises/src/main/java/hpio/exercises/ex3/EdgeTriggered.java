package hpio.exercises.ex3;

import hpio.lb.hooks.Acceptor;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.ReadPolicy;
import hpio.loop.Timers;
import java.io.IOException;

/**
 * Exercise 3: edge-triggered mode in the balancer ({@code --edge-triggered}).
 *
 * <p>Level-triggered, the kernel repeats "readable" on every wait while bytes
 * remain, so taking a little per wake-up is safe (that is
 * {@link ReadPolicy#LEVEL_TRIGGERED}, the baseline). Edge-triggered (EPOLLET,
 * EV_CLEAR) it says so when new bytes arrive, not while they wait: whatever is
 * left unread is announced again only if more arrives, and a peer waiting for
 * our reply sends nothing more. The same holds for the listening socket: one
 * edge when the queue of clients stops being empty, none for those queued after.
 *
 * <p>Draining one flow to EAGAIN can take long (a fast sender refills the socket
 * as we read), and every other connection waits meanwhile. The remedy epoll(7)
 * gives: a budget of reads per turn, and a ready list of our own for the flows
 * that spent it, served again on the next pass of the loop.
 *
 * <pre>
 *  wait() -&gt; events: onReadable(A) onReadable(B) ...   then timers due: serve the ready list
 *                     A: BUDGET reads, still full -----&gt; ready list -----&gt; A: BUDGET more ...
 *                     B: reads to AGAIN, done
 * </pre>
 *
 * <p>What the balancer gives you: {@link Pump#pumpOnce()} moves one read (64 KiB
 * at most) from a flow's source to its destination and says how it went; its
 * results are {@code > 0} (bytes moved: there may be more), {@link Pump#AGAIN},
 * {@link Pump#EOF}, {@link Pump#PAUSED} and {@link Pump#CLOSED}. When a PAUSED
 * flow's destination drains, the balancer calls {@link #onReadable} again itself.
 * {@link Acceptor#acceptOne()} takes one client off the listen queue.
 *
 * <p>Tests: {@code EdgeTriggeredUnitTest} (fakes: fast, each failure names the
 * mistake) and {@code EdgeTriggeredTest} (the balancer, end to end).
 * Hints: {@code make hint EX=3}. Check: {@code make exercise EX=3}.
 */
public final class EdgeTriggered implements ReadPolicy {
    /** Reads one flow gets per pass before the others have their turn: 16 x 64 KiB = 1 MiB. */
    public static final int BUDGET = 16;

    // The loop's timers (given once, before any event). A Timer is made once and
    // armed as often as needed (see hpio.loop.Timer); a delay of 0 runs it after the
    // current batch of events, on the loop's own thread. Nothing here is thread-safe,
    // and nothing needs to be: every call comes from the loop's thread.
    private Timers timers;

    // TODO(ex3): your ready list and the Timer that serves it go here. A flow is on
    // the list at most once, and finding whether it is must not cost a scan of the list.

    @Override
    public void attach(Timers timers) {
        this.timers = timers;
    }

    @Override
    public int registrationFlags() {
        // TODO(ex3): the flag added to every registration (READ and WRITE are the
        // balancer's business) so that the kernel reports edges, not levels.
        throw new UnsupportedOperationException("TODO(ex3): registrationFlags: ask the kernel for edges");
    }

    /** The listening socket is readable: one edge, any number of clients queued behind it. */
    @Override
    public void onAcceptable(Acceptor acceptor) throws IOException {
        // TODO(ex3): when this returns, no client may be left in the listen queue:
        // the listener will not be reported again for those already queued.
        // acceptOne() false means none is pending (or accepting is paused): either way, stop.
        throw new UnsupportedOperationException("TODO(ex3): onAcceptable: leave no client in the listen queue");
    }

    /** A source socket is readable (a new edge), or its flow was just un-paused. */
    @Override
    public void onReadable(Pump pump) {
        // TODO(ex3): when this returns, the flow is in one of two states:
        //  - pumpOnce() said it cannot move now (AGAIN, EOF, PAUSED or CLOSED): nothing
        //    more is owed to it; the kernel or the balancer calls again when that changes;
        //  - it spent BUDGET reads and may still hold bytes: it is on the ready list and
        //    the list will be served on the loop's next pass (the kernel will not remind you).
        // Never more than BUDGET reads for one flow in one go, and never a call to
        // pumpOnce() after it said any of the four.
        // A flow already on the ready list has its turn there: it must not get two a pass.
        throw new UnsupportedOperationException("TODO(ex3): onReadable: drain with a budget, remember the rest");
    }

    // TODO(ex3): serving the ready list (run by your Timer): every flow on the list
    // when the pass begins gets one more budget, in the order they joined; one that
    // spends it again goes back on the list for the pass after (and the Timer is
    // armed again). A flow that joins during the pass waits for the next one.
}
