package hpio.loop.backends;

import hpio.loop.Backend;
import hpio.loop.Events;
import hpio.loop.FiredEvents;
import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * java.nio's {@link Selector} (itself epoll on Linux, kqueue on macOS), over the
 * channels of the nio socket layer, which names each channel by an int handle
 * (the loop API's "fd") and lends us the lookup. nio splits our READ into OP_ACCEPT or OP_READ and
 * our WRITE into OP_CONNECT or OP_WRITE, by what the channel is doing.
 */
public final class NioBackend implements Backend {
    private final IntFunction<SelectableChannel> channels;
    private final Selector selector;
    private SelectionKey[] keys = new SelectionKey[64];
    private int[] round = new int[64];             // by fd: the last poll() that took this key
    private int currentRound;
    private SelectionKey[] overflow = new SelectionKey[16];
    private int overflowCount;
    private FiredEvents batch;
    private int filled;
    private final Consumer<SelectionKey> collect = this::collect;   // made once: select() allocates no lambda

    /** @param channels the channel behind a handle, or null when the handle is not open */
    public NioBackend(IntFunction<SelectableChannel> channels) throws IOException {
        this.channels = channels;
        this.selector = Selector.open();
    }

    @Override public String name() { return "nio"; }

    @Override public boolean supportsEdgeTriggered() { return false; }

    private static int toOps(SelectableChannel ch, int interest) {
        int ops = 0;
        if ((interest & Events.READ) != 0) ops |= ch instanceof ServerSocketChannel ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        if ((interest & Events.WRITE) != 0) {
            ops |= ch instanceof SocketChannel sc && sc.isConnectionPending() ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
        }
        return ops;
    }

    private SelectableChannel channel(int fd) throws IOException {
        SelectableChannel ch = channels.apply(fd);
        if (ch == null) throw new IOException("nio: handle " + fd + " is not an open channel");
        return ch;
    }

    @Override
    public void add(int fd, int interest) throws IOException {
        SelectableChannel ch = channel(fd);
        if (fd >= keys.length) {
            keys = Arrays.copyOf(keys, Math.max(fd + 1, keys.length * 2));
            round = Arrays.copyOf(round, keys.length);
        }
        SelectionKey parked = keys[fd];
        if (parked != null && parked.isValid() && parked.channel() == ch) {
            // Removed earlier but still open: nio cannot register a channel again
            // until the cancelled key is flushed, so the key was parked instead.
            parked.interestOps(toOps(ch, interest));
        } else {
            keys[fd] = ch.register(selector, toOps(ch, interest), fd);
        }
    }

    @Override
    public void modify(int fd, int oldInterest, int newInterest) throws IOException {
        SelectionKey key = keys[fd];
        key.interestOps(toOps(key.channel(), newInterest));
    }

    @Override
    public void remove(int fd, int oldInterest) {
        SelectionKey key = keys[fd];
        if (key.isValid()) key.interestOps(0);      // parked; closing the channel cancels it
    }

    private void collect(SelectionKey key) {
        if (!key.isValid()) return;
        int fd = (Integer) key.attachment();
        if (round[fd] == currentRound) return;      // carried over from the last wait and already in this batch
        round[fd] = currentRound;
        if (filled == batch.capacity()) {
            // No room: nio would report it again, but in the same order every time,
            // so the keys late in its set would starve. Keep it first in line instead.
            if (overflowCount == overflow.length) overflow = Arrays.copyOf(overflow, overflowCount * 2);
            overflow[overflowCount++] = key;
            return;
        }
        int ready = key.readyOps();
        int events = 0;
        if ((ready & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0) events |= Events.READ;
        if ((ready & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0) events |= Events.WRITE;
        if (events != 0) batch.set(filled++, fd, events);
    }

    @Override
    public int poll(int timeoutMillis, FiredEvents fired) throws IOException {
        batch = fired;
        filled = 0;
        currentRound++;
        // The keys a full batch left over last time go first (the loop masks by interest
        // and a socket no longer ready just answers EAGAIN).
        int carried = overflowCount;
        overflowCount = 0;
        for (int i = 0; i < carried; i++) {
            SelectionKey key = overflow[i];
            overflow[i] = null;
            collect(key);
        }
        if (filled > 0 || timeoutMillis == 0) selector.selectNow(collect);   // something to do: do not wait
        else selector.select(collect, timeoutMillis < 0 ? 0 : timeoutMillis);   // nio: 0 means forever
        return filled;
    }

    /** nio's own: the selector keeps its wake-up (a pipe or eventfd) to itself. */
    @Override
    public void wakeup() { selector.wakeup(); }

    @Override
    public void close() throws IOException {
        selector.close();
    }
}
