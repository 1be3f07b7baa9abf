package hpio.lb;

import hpio.lb.hooks.Drain;
import hpio.loop.Timers;

/**
 * What exercise 6 may do to the balancer, on the loop's thread only. Every method
 * checks the calling thread first, so the classic mistake (closing the listener
 * from the signal handler's thread) fails at once, with a message that names it.
 *
 * <p>With {@code --threads N} it is loop 0's, and speaks for every loop: closing
 * the listener closes every loop's (each accepts its own queue first, on its own
 * thread: {@link LoopGroup#drainFollowers}), the connections counted are every
 * loop's, and exit stops them all. The exercise's code does not change.
 */
final class DrainPort implements Drain {
    private final LoadBalancer lb;

    DrainPort(LoadBalancer lb) {
        this.lb = lb;
    }

    private void onLoopThread(String what) {
        if (Thread.currentThread() != lb.loopThread()) {
            throw new IllegalStateException(what + " called from thread '" + Thread.currentThread().getName()
                    + "': only the loop's thread may touch the loop (a signal handler must only record"
                    + " the signal and wake the loop)");
        }
    }

    @Override public boolean listening() {
        onLoopThread("listening()");
        return lb.listener().isOpen();
    }

    @Override public int acceptPending() {
        onLoopThread("acceptPending()");
        return lb.listener().acceptPending();
    }

    @Override public void closeListener() {
        onLoopThread("closeListener()");
        if (!lb.listener().isOpen()) return;
        lb.listener().close();
        lb.group().drainFollowers();
        lb.log().println("high_perf_lb: draining: listener closed, " + lb.group().activeConnections()
                + " connection(s) in flight");
    }

    @Override public int activeConnections() {
        onLoopThread("activeConnections()");
        return lb.group().activeConnections();
    }

    @Override public void exit(String why) {
        onLoopThread("exit()");
        lb.exit(why);
    }

    @Override public Timers timers() {
        onLoopThread("timers()");
        return lb.loop();
    }
}
