package hpio.transport;

import hpio.loop.EventLoop;
import hpio.loop.EventLoops;
import hpio.net.NativeSockets;
import hpio.net.NioSockets;
import hpio.net.Sockets;
import java.io.IOException;

/**
 * An event loop with the socket layer that matches it: raw fds through libc for
 * select, poll, epoll and kqueue; nio channels behind int handles for nio. The
 * loop and the sockets know nothing of each other; this is the one place that
 * pairs them (Netty's name for such a pair is a transport).
 *
 * <pre>
 *   try (Transport t = Transport.open("auto", 256)) {
 *       int fd = t.sockets().listen(address, 128);
 *       t.loop().add(fd, Events.READ, handler);
 *       ...
 *   }
 * </pre>
 */
public record Transport(EventLoop loop, Sockets sockets) implements AutoCloseable {

    /**
     * @param backend   "auto", "select", "poll", "epoll", "io_uring", "kqueue" or "nio"
     * @param batchSize most events one {@link EventLoop#runOnce} handles
     * @throws IllegalArgumentException for an unknown backend or one this OS lacks
     */
    public static Transport open(String backend, int batchSize) throws IOException {
        String chosen = EventLoops.resolve(backend);
        if (chosen.equals("nio")) {
            NioSockets sockets = new NioSockets();
            return new Transport(EventLoops.open(chosen, batchSize, sockets::channel), sockets);
        }
        return new Transport(EventLoops.open(chosen, batchSize, null), new NativeSockets());
    }

    /** Closes the loop. The sockets opened through {@link #sockets()} are the caller's to close. */
    @Override
    public void close() throws IOException {
        loop.close();
    }
}
