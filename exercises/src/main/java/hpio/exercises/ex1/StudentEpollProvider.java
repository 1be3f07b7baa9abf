package hpio.exercises.ex1;

import hpio.loop.Backend;
import hpio.loop.BackendProvider;
import hpio.nativeio.Platform;
import java.io.IOException;

/**
 * Makes exercise 1's backend selectable like any other: {@code -e student-epoll}
 * for the balancer, and the event-loop contract suite for the tests. Found through
 * java.util.ServiceLoader (META-INF/services/hpio.loop.BackendProvider). Nothing to
 * do here: the exercise is in {@link StudentEpoll}.
 */
public final class StudentEpollProvider implements BackendProvider {
    @Override public String name() { return "student-epoll"; }

    @Override public boolean supportsEdgeTriggered() { return true; }

    @Override public String unavailableReason() {
        return Platform.isLinux() ? null
                : "student-epoll needs Linux (epoll); this is " + System.getProperty("os.name")
                        + ": do exercise 1 in a Linux container (its kqueue variant, student-kqueue, is not written yet)";
    }

    @Override public Backend open(int batchSize) throws IOException { return new StudentEpoll(batchSize); }
}
