package hpio.net;

import java.io.IOException;

/**
 * A descriptor the loop watches for READ so another thread can end a blocked wait:
 * an eventfd on Linux, a pipe elsewhere, a {@link java.nio.channels.Pipe} for nio.
 */
public interface Waker extends AutoCloseable {
    /** The fd (or nio handle) to register for READ. */
    int fd();

    /** Makes {@link #fd()} readable. Any thread; cheap when a wake is already pending. */
    void wake();

    /** Called by the loop when {@link #fd()} is readable: re-arms and empties it. */
    void drain() throws IOException;

    @Override
    void close() throws IOException;
}
