package hpio.exercises.ex6;

import hpio.exercises.FakeTimers;
import hpio.lb.hooks.Drain;
import hpio.loop.Timers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The balancer as a {@link hpio.lb.hooks.ShutdownControl} sees it, kept by the
 * test: clients waiting in the accept queue, connections in flight, and the
 * calls made, in order. Like the real one, every method fails with an
 * IllegalStateException naming the thread when called off the loop's thread
 * (the thread that made it); such calls are also kept, for the test to name.
 */
final class FakeDrain implements Drain {
    private final Thread loopThread = Thread.currentThread();
    private final FakeTimers timers;
    final List<String> calls = new ArrayList<>();                  // on the loop's thread
    final List<String> offLoop = new CopyOnWriteArrayList<>();      // from any other thread
    boolean listening = true;
    int queued;              // clients whose handshake is done, not accepted yet
    int active;              // connections in flight
    int reset;               // clients reset by closing the listener with them in its queue
    String exitReason;

    FakeDrain(FakeTimers timers) {
        this.timers = timers;
    }

    private void onLoopThread(String what) {
        if (Thread.currentThread() != loopThread) {
            String why = what + " called from thread '" + Thread.currentThread().getName() + "': only the loop's"
                    + " thread may touch the loop (a signal handler must only record the signal and wake the loop)";
            offLoop.add(why);
            throw new IllegalStateException(why);
        }
        calls.add(what);
    }

    @Override public boolean listening() {
        onLoopThread("listening()");
        return listening;
    }

    @Override public int acceptPending() {
        onLoopThread("acceptPending()");
        if (!listening) return 0;
        int n = queued;
        active += n;
        queued = 0;
        return n;
    }

    @Override public void closeListener() {
        onLoopThread("closeListener()");
        if (!listening) return;
        listening = false;
        reset += queued;                                            // the kernel resets them (ECONNRESET)
        queued = 0;
    }

    @Override public int activeConnections() {
        onLoopThread("activeConnections()");
        return active;
    }

    @Override public void exit(String why) {
        onLoopThread("exit()");
        if (exitReason == null) exitReason = why;
    }

    @Override public Timers timers() {
        onLoopThread("timers()");
        return timers;
    }

    /** The calls that change something, in order (the queries left out). */
    List<String> actions() {
        return calls.stream().filter(c -> !c.equals("listening()") && !c.equals("activeConnections()")
                && !c.equals("timers()")).toList();
    }
}
