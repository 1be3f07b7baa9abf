package hpio.lb.hooks;

import java.io.IOException;

/** The listening socket, as the read policy sees it. */
public interface Acceptor {
    /**
     * Accepts one client and starts proxying it (or refuses it when the pool is full).
     *
     * @return true when a client was taken off the backlog; false when none was
     *         pending (EAGAIN) or accepting is paused (out of fds)
     */
    boolean acceptOne() throws IOException;
}
