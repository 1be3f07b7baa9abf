package hpio.loop;

import java.io.IOException;

/**
 * A backend from outside this package, found through {@link java.util.ServiceLoader}
 * (a {@code META-INF/services/hpio.loop.BackendProvider} file names it): the
 * exercises' own epoll or kqueue backend, {@code -e student-epoll}. It works on
 * raw fds, so it is paired with the FFM socket layer.
 */
public interface BackendProvider {
    /** The name {@code -e} takes, e.g. "student-epoll". */
    String name();

    /** Whether its backend can honour {@link Events#EDGE}. */
    boolean supportsEdgeTriggered();

    /** Why it cannot run on this machine, or null when it can. */
    String unavailableReason();

    Backend open(int batchSize) throws IOException;
}
