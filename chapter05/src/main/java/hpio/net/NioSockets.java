package hpio.net;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/**
 * The socket layer for the nio backend: the same operations over
 * {@link java.nio.channels} channels. Since the loop API names sockets by int, each
 * channel gets a handle, a slot in a table here; freed handles are reused lowest
 * first, as the kernel reuses fds, so the loop's stale-event guard is exercised
 * the same way.
 *
 * <p>What a connection costs in system calls here, counted with {@code strace -c -f}
 * on the balancer under one request per connection (2026-12-01): about 32 per
 * proxied connection, against 19 on the native socket layer. The difference is
 * the JDK's, and its public API has no switch for it: {@code configureBlocking(false)}
 * is fcntl F_GETFL then F_SETFL for each socket (nio's accept has no
 * SOCK_NONBLOCK); a channel asks its local address (getsockname, about 4 a
 * connection); {@code finishConnect} polls and reads SO_ERROR; and a channel
 * closed while its key is still registered is closed for real at the next select,
 * after a getsockopt(SO_LINGER) and a shutdown(SHUT_WR) (2 of each a connection).
 * What we could drop we did: see {@link #family}.
 */
public final class NioSockets implements Sockets {
    private SelectableChannel[] channels = new SelectableChannel[64];
    private int[] freeHandles = new int[0];
    private int freeCount;
    private int nextHandle;

    public NioSockets() {
        PeerUnreachableException.prepare();   // needed when fds run out: load it while they have not
    }

    @Override
    public String kind() { return "java.nio channels"; }

    /** The channel behind a handle (for the nio backend), or null. */
    public SelectableChannel channel(int handle) {
        return handle >= 0 && handle < channels.length ? channels[handle] : null;
    }

    private SelectableChannel require(int handle) throws IOException {
        SelectableChannel ch = channel(handle);
        if (ch == null) throw new IOException("not an open nio socket: handle " + handle);
        return ch;
    }

    private int register(SelectableChannel ch) throws IOException {
        ch.configureBlocking(false);
        int handle;
        if (freeCount > 0) {
            // Reuse the smallest free handle, like the kernel's lowest-free-fd rule.
            int best = 0;
            for (int i = 1; i < freeCount; i++) if (freeHandles[i] < freeHandles[best]) best = i;
            handle = freeHandles[best];
            freeHandles[best] = freeHandles[--freeCount];
        } else {
            handle = nextHandle++;
            if (handle == channels.length) channels = Arrays.copyOf(channels, handle * 2);
        }
        channels[handle] = ch;
        return handle;
    }

    private void release(int handle) {
        channels[handle] = null;
        if (freeCount == freeHandles.length) freeHandles = Arrays.copyOf(freeHandles, Math.max(16, freeCount * 2));
        freeHandles[freeCount++] = handle;
    }

    /**
     * The address's own family. Opened without one, a channel is an IPv6 socket
     * wherever the host has IPv6 (dual-stack, IPv4 addresses mapped), and each costs
     * a setsockopt(IPV6_V6ONLY) more: one more system call per backend connection
     * (strace -c, close50 load: docs/06-performance.md). The balancer's addresses are IPv4.
     */
    private static ProtocolFamily family(InetSocketAddress address) {
        return address.getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    }

    @Override
    public int listen(InetSocketAddress local, int backlog, boolean reusePort) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(family(local));
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reusePort) {
                if (!server.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                    throw new IOException("SO_REUSEPORT is not supported by java.nio on this OS: use --threads 1");
                }
                server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            server.bind(local, backlog);
            return register(server);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    @Override
    public int localPort(int fd) throws IOException {
        return ((InetSocketAddress) ((NetworkChannel) require(fd)).getLocalAddress()).getPort();
    }

    @Override
    public int accept(int listenFd, PeerAddress peer) throws IOException {
        SocketChannel ch = ((ServerSocketChannel) require(listenFd)).accept();
        if (ch == null) return AGAIN;
        try {
            InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
            byte[] b = remote.getAddress().getAddress();
            int ip = b.length == 4
                    ? ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff) : 0;
            peer.set(ip, remote.getPort());
            return register(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public int connect(InetSocketAddress remote) throws IOException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(family(remote));
        } catch (IOException e) {
            throw PeerUnreachableException.classify(e);    // EMFILE: ours
        }
        try {
            ch.configureBlocking(false);
            ch.connect(remote);          // true when it connected at once; finishConnect copes either way
            return register(ch);
        } catch (IOException e) {
            ch.close();
            throw PeerUnreachableException.classify(e);
        } catch (RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public boolean finishConnect(int fd) throws IOException {
        try {
            return ((SocketChannel) require(fd)).finishConnect();
        } catch (IOException e) {
            throw PeerUnreachableException.classify(e);
        }
    }

    @Override
    public int read(int fd, IoBuffer buffer, int offset, int length) throws IOException {
        buffer.checkRange(offset, length);
        ByteBuffer bb = buffer.byteBuffer();
        bb.limit(offset + length).position(offset);
        int n = ((SocketChannel) require(fd)).read(bb);
        return n < 0 ? 0 : n == 0 ? AGAIN : n;
    }

    @Override
    public int write(int fd, IoBuffer buffer, int offset, int length) throws IOException {
        buffer.checkRange(offset, length);
        ByteBuffer bb = buffer.byteBuffer();
        bb.limit(offset + length).position(offset);
        int n = ((SocketChannel) require(fd)).write(bb);
        return n == 0 && length > 0 ? AGAIN : n;
    }

    @Override
    public void shutdownOutput(int fd) throws IOException {
        ((SocketChannel) require(fd)).shutdownOutput();
    }

    @Override
    public void close(int fd) throws IOException {
        SelectableChannel ch = require(fd);
        release(fd);
        ch.close();
    }
}
