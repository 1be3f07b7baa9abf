package hpio.lb.hooks;

import hpio.loop.Timer;

/** A proxied connection as an {@link IdlePolicy} sees it. */
public interface IdleConnection {
    /** Its own timer, made once with the connection; when it runs, the balancer calls {@link IdlePolicy#timerFired}. */
    Timer idleTimer();

    /** A place for the policy to keep a time (nanoseconds, the loop's clock): the connection only stores it. */
    long lastTraffic();

    void lastTraffic(long nanos);

    /** Closes the connection as idle (it is counted). */
    void closeIdle();
}
