package hpio.nativeio;

import java.io.IOException;

/**
 * A failed native call, in the manner of Netty's {@code Errors.newIOException}:
 * {@code epoll_ctl(ADD, fd=12) failed: EEXIST (File exists)}.
 * EAGAIN never becomes one (it is a return value) and EINTR is retried first.
 */
public class NativeIOException extends IOException {
    private final String call;
    private final int errno;

    // snippet-start native-io-exception
    public NativeIOException(String call, int errno) {
        super(call + " failed: " + Errno.name(errno) + " (" + Errno.text(errno) + ")");
        this.call = call;
        this.errno = errno;
    }
    // snippet-end native-io-exception

    /** The call with its arguments, e.g. {@code epoll_ctl(ADD, fd=12)}. */
    public String call() { return call; }

    public int errno() { return errno; }

    public String errnoName() { return Errno.name(errno); }
}
