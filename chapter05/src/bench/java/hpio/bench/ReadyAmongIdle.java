package hpio.bench;

import hpio.net.IoBuffer;
import hpio.net.OpenFiles;
import hpio.net.PeerAddress;
import hpio.net.Sockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * The descriptors every runOnce benchmark waits on: N idle sockets that never
 * become ready, then one connected TCP pair whose accepted end always is.
 *
 * <p>The idle ones are listening sockets that nobody connects to. They cost one
 * descriptor each (10,000 socket pairs would not fit under the 20,000 open-files
 * limit), the socket layer of every backend can make them (nio has no raw fd, so
 * the idle ones must be channels), and the kernel's per-fd readiness check is
 * then the same for every backend. The ready end has one byte waiting that
 * nobody reads, so a level-triggered wait reports it at once, every time.
 *
 * <p>The idle sockets are made first, so the ready one has the highest fd: select
 * and poll (which scan in fd or registration order) look at every idle fd before
 * they find it. That is the waiting loop's general case: the kernel does not know
 * which fd will be ready, so it checks, and with a timeout hooks a wait-queue
 * entry onto, each one it passes before the first ready one.
 */
final class ReadyAmongIdle implements AutoCloseable {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    /**
     * Where the idle listeners are bound: on 127.0.0.2, not 127.0.0.1. 10,000 of them
     * on ephemeral ports take a third of the range, and on a shared machine other
     * programs' tests connect to "a port nobody listens on" at 127.0.0.1 (a port they
     * bound and closed): seen here, such a connection reached an idle listener and
     * made it ready (io_uring, 2026-12-01). Linux answers all of 127/8 on loopback;
     * the bench runs on Linux only.
     */
    private static final InetSocketAddress IDLE_ADDRESS = new InetSocketAddress("127.0.0.2", 0);

    private final Sockets sockets;
    private final int[] idle;
    private int idleCount;
    private int listener = -1;
    private int client = -1;
    private int ready = -1;

    /**
     * Opens {@code idleFds} idle sockets and the ready pair through {@code sockets}.
     * On failure everything opened so far is closed again.
     */
    ReadyAmongIdle(Sockets sockets, int idleFds) throws IOException {
        this.sockets = sockets;
        this.idle = new int[idleFds];
        try {
            OpenFiles.Limit limit = OpenFiles.raiseSoftToHard();
            if (limit.soft() < idleFds + 64L) {
                throw new IOException("need about " + (idleFds + 64) + " open files for " + idleFds
                        + " idle fds, but RLIMIT_NOFILE is " + limit.soft() + " (hard " + limit.hard() + ")");
            }
            for (int i = 0; i < idleFds; i++) {
                idle[i] = sockets.listen(IDLE_ADDRESS, 1);
                idleCount++;
            }
            openReadyPair();
        } catch (IOException | RuntimeException e) {
            try { close(); } catch (IOException suppressed) { e.addSuppressed(suppressed); }
            throw e;
        }
    }

    private void openReadyPair() throws IOException {
        listener = sockets.listen(ANY_LOOPBACK, 1);
        int port = sockets.localPort(listener);
        client = sockets.connect(new InetSocketAddress("127.0.0.1", port));
        // Loopback connects complete within microseconds; spin rather than sleep,
        // with a deadline so a broken socket layer fails instead of hanging.
        long deadline = System.nanoTime() + 5_000_000_000L;
        PeerAddress peer = new PeerAddress();
        while (ready < 0) {
            int fd = sockets.accept(listener, peer);
            if (fd >= 0) ready = fd;
            else if (System.nanoTime() > deadline) throw new IOException("loopback accept timed out");
            else Thread.onSpinWait();
        }
        while (!sockets.finishConnect(client)) {
            if (System.nanoTime() > deadline) throw new IOException("loopback connect timed out");
            Thread.onSpinWait();
        }
        IoBuffer one = IoBuffer.allocate(1);
        one.put(0, new byte[] {'x'}, 0, 1);
        if (sockets.write(client, one, 0, 1) != 1) throw new IOException("could not write the one ready byte");
    }

    /** The idle fds, in the order they were opened (ascending). */
    int[] idleFds() { return Arrays.copyOf(idle, idleCount); }

    /** The accepted end: one unread byte waiting, so always readable. */
    int readyFd() { return ready; }

    /** Closes every socket opened here (the idle ones, the pair and its listener). */
    @Override
    public void close() throws IOException {
        IOException first = null;
        int[] all = new int[idleCount + 3];
        System.arraycopy(idle, 0, all, 0, idleCount);
        all[idleCount] = ready;
        all[idleCount + 1] = client;
        all[idleCount + 2] = listener;
        for (int fd : all) {
            if (fd < 0) continue;
            try {
                sockets.close(fd);
            } catch (IOException e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
        }
        idleCount = 0;
        ready = client = listener = -1;
        if (first != null) throw first;
    }
}
