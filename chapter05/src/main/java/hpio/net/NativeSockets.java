package hpio.net;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import hpio.nativeio.Errno;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Platform;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * The socket layer for the four FFM backends: libc on raw fds, buffers off-heap.
 * Scratch memory (errno call state, a sockaddr, an int) is allocated once per
 * instance, so no call allocates unless it fails.
 */
public final class NativeSockets implements Sockets {
    private static final boolean LINUX = Platform.isLinux();

    private final Arena arena = Arena.ofAuto();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment sockaddr = arena.allocate(Posix.SOCKADDR_IN_SIZE, 8);
    private final MemorySegment socklen = arena.allocate(JAVA_INT);
    private final MemorySegment intValue = arena.allocate(JAVA_INT);

    public NativeSockets() {
        PeerUnreachableException.prepare();   // needed when fds run out: load it while they have not
    }

    @Override
    public String kind() { return "libc via FFM"; }

    private NativeIOException failure(String call, int fd) {
        return new NativeIOException(call + "(fd=" + fd + ")", Posix.errno(cs));
    }

    private static int ipv4(InetSocketAddress address) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve host " + address.getHostString());
        }
        if (!(address.getAddress() instanceof Inet4Address v4)) {
            throw new IllegalArgumentException("only IPv4 addresses are supported, not " + address.getAddress());
        }
        byte[] b = v4.getAddress();
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    /** A new non-blocking, close-on-exec TCP socket. */
    private int newSocket() throws IOException {
        int type = Posix.SOCK_STREAM | (LINUX ? Posix.SOCK_NONBLOCK | Posix.SOCK_CLOEXEC : 0);
        int fd = Posix.socket(cs, Posix.AF_INET, type, 0);
        if (fd < 0) throw new NativeIOException("socket(AF_INET, SOCK_STREAM)", Posix.errno(cs));
        if (!LINUX) {
            try {
                makeNonBlockingCloexec(fd);
                setIntOption(fd, Posix.SOL_SOCKET, Posix.SO_NOSIGPIPE, 1, "SO_NOSIGPIPE");
            } catch (IOException e) {
                Posix.close(cs, fd);
                throw e;
            }
        }
        return fd;
    }

    /** The BSDs have no SOCK_NONBLOCK/accept4 (macOS): set the flags with fcntl. */
    private void makeNonBlockingCloexec(int fd) throws IOException {
        int flags = Posix.fcntl(cs, fd, Posix.F_GETFL, 0);
        if (flags < 0 || Posix.fcntl(cs, fd, Posix.F_SETFL, flags | Posix.O_NONBLOCK) < 0) {
            throw failure("fcntl(O_NONBLOCK)", fd);
        }
        if (Posix.fcntl(cs, fd, Posix.F_SETFD, Posix.FD_CLOEXEC) < 0) throw failure("fcntl(FD_CLOEXEC)", fd);
    }

    private void setIntOption(int fd, int level, int option, int value, String name) throws IOException {
        intValue.set(JAVA_INT, 0, value);
        if (Posix.setsockopt(cs, fd, level, option, intValue, 4) < 0) {
            throw failure("setsockopt(" + name + ")", fd);
        }
    }

    @Override
    public int listen(InetSocketAddress local, int backlog, boolean reusePort) throws IOException {
        int ip = ipv4(local);
        int fd = newSocket();
        try {
            setIntOption(fd, Posix.SOL_SOCKET, Posix.SO_REUSEADDR, 1, "SO_REUSEADDR");
            // Before bind: the kernel forms the group of sockets sharing the port at bind time.
            if (reusePort) setIntOption(fd, Posix.SOL_SOCKET, Posix.SO_REUSEPORT, 1, "SO_REUSEPORT");
            Posix.encodeSockaddrIn(sockaddr, ip, local.getPort());
            if (Posix.bind(cs, fd, sockaddr, (int) Posix.SOCKADDR_IN_SIZE) < 0) {
                throw new NativeIOException("bind(" + local.getHostString() + ":" + local.getPort() + ")",
                        Posix.errno(cs));
            }
            if (Posix.listen(cs, fd, backlog) < 0) throw failure("listen", fd);
            return fd;
        } catch (IOException | RuntimeException e) {
            Posix.close(cs, fd);
            throw e;
        }
    }

    @Override
    public int localPort(int fd) throws IOException {
        socklen.set(JAVA_INT, 0, (int) Posix.SOCKADDR_IN_SIZE);
        if (Posix.getsockname(cs, fd, sockaddr, socklen) < 0) throw failure("getsockname", fd);
        return Posix.sockaddrInPort(sockaddr);
    }

    @Override
    public int accept(int listenFd, PeerAddress peer) throws IOException {
        while (true) {
            socklen.set(JAVA_INT, 0, (int) Posix.SOCKADDR_IN_SIZE);
            int fd = LINUX
                    ? Posix.accept4(cs, listenFd, sockaddr, socklen, Posix.SOCK_NONBLOCK | Posix.SOCK_CLOEXEC)
                    : Posix.accept(cs, listenFd, sockaddr, socklen);
            if (fd >= 0) {
                if (!LINUX) {
                    try {
                        makeNonBlockingCloexec(fd);
                        setIntOption(fd, Posix.SOL_SOCKET, Posix.SO_NOSIGPIPE, 1, "SO_NOSIGPIPE");
                    } catch (IOException e) {
                        Posix.close(cs, fd);
                        throw e;
                    }
                }
                peer.set(Posix.sockaddrInAddress(sockaddr), Posix.sockaddrInPort(sockaddr));
                return fd;
            }
            int errno = Posix.errno(cs);
            if (errno == Errno.EAGAIN) return AGAIN;
            // A signal, or a client that reset before we got to it: try the next one.
            if (errno == Errno.EINTR || errno == Errno.ECONNABORTED) continue;
            throw new NativeIOException("accept(fd=" + listenFd + ")", errno);   // EMFILE, ENFILE, ...
        }
    }

    @Override
    public int connect(InetSocketAddress remote) throws IOException {
        int ip = ipv4(remote);
        int fd = newSocket();
        Posix.encodeSockaddrIn(sockaddr, ip, remote.getPort());
        // A connect interrupted by a signal goes on in the background (EINTR is
        // then like EINPROGRESS): never call connect twice on one socket.
        if (Posix.connect(cs, fd, sockaddr, (int) Posix.SOCKADDR_IN_SIZE) < 0) {
            int errno = Posix.errno(cs);
            if (errno != Errno.EINPROGRESS && errno != Errno.EINTR) {
                Posix.close(cs, fd);
                throw PeerUnreachableException.classify(new NativeIOException(
                        "connect(" + remote.getHostString() + ":" + remote.getPort() + ")", errno));
            }
        }
        return fd;
    }

    @Override
    public boolean finishConnect(int fd) throws IOException {
        intValue.set(JAVA_INT, 0, 0);
        socklen.set(JAVA_INT, 0, 4);
        if (Posix.getsockopt(cs, fd, Posix.SOL_SOCKET, Posix.SO_ERROR, intValue, socklen) < 0) {
            throw failure("getsockopt(SO_ERROR)", fd);
        }
        int error = intValue.get(JAVA_INT, 0);
        if (error == 0) return true;
        if (error == Errno.EINPROGRESS || error == Errno.EALREADY) return false;
        throw PeerUnreachableException.classify(new NativeIOException("connect(fd=" + fd + ")", error));
    }

    @Override
    // snippet-start read-eagain
    public int read(int fd, IoBuffer buffer, int offset, int length) throws IOException {
        buffer.checkRange(offset, length);
        while (true) {
            long n = Posix.read(cs, fd, buffer.address() + offset, length);
            // The address is a bare long: keep the buffer (and so its memory) alive through the call.
            Reference.reachabilityFence(buffer);
            if (n >= 0) return (int) n;
            int errno = Posix.errno(cs);
            if (errno == Errno.EAGAIN) return AGAIN;
            if (errno != Errno.EINTR) throw new NativeIOException("read(fd=" + fd + ")", errno);
        }
    }
    // snippet-end read-eagain

    @Override
    public int write(int fd, IoBuffer buffer, int offset, int length) throws IOException {
        buffer.checkRange(offset, length);
        while (true) {
            // send() with MSG_NOSIGNAL rather than write(): writing to a socket the
            // peer has reset must fail with EPIPE, not raise SIGPIPE. (macOS gets
            // the same from SO_NOSIGPIPE, set on every socket we open.)
            long n = Posix.send(cs, fd, buffer.address() + offset, length, Posix.MSG_NOSIGNAL);
            Reference.reachabilityFence(buffer);
            if (n >= 0) return (int) n;
            int errno = Posix.errno(cs);
            if (errno == Errno.EAGAIN) return AGAIN;
            if (errno != Errno.EINTR) throw new NativeIOException("send(fd=" + fd + ")", errno);
        }
    }

    @Override
    public void shutdownOutput(int fd) throws IOException {
        if (Posix.shutdown(cs, fd, Posix.SHUT_WR) < 0) throw failure("shutdown(SHUT_WR)", fd);
    }

    @Override
    // snippet-start close-no-retry
    public void close(int fd) throws IOException {
        // Never retry close on EINTR: on Linux the fd is already released, and a
        // retry could close a descriptor another thread just received.
        if (Posix.close(cs, fd) < 0 && Posix.errno(cs) != Errno.EINTR) throw failure("close", fd);
    }
    // snippet-end close-no-retry
}
