package hpio.nativeio;

import static hpio.nativeio.LinuxIoUring.IORING_REGISTER_PBUF_RING;
import static hpio.nativeio.LinuxIoUring.IO_URING_BUF;
import static hpio.nativeio.LinuxIoUring.IO_URING_BUF_REG;
import static hpio.nativeio.LinuxIoUring.off;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * A ring of provided buffers (IORING_REGISTER_PBUF_RING, Linux 5.19): buffers we
 * lend the kernel in advance, so that a RECV submitted with IOSQE_BUFFER_SELECT
 * and this ring's group takes one only when bytes arrive. A connection waiting
 * for bytes then holds no buffer: memory follows the bytes in flight, not the
 * connections open. The CQE names the buffer it filled (IORING_CQE_F_BUFFER, its
 * id in the upper 16 bits of the flags); it is ours from then until we
 * {@link #giveBack} it. None left: the RECV ends with -ENOBUFS.
 *
 * <p>Not all are lent at first: the kernel takes buffers in ring order, so with
 * all of them lent even one connection would cycle through every one and make
 * every page resident. {@link #grow} lends more when the kernel has run out.
 *
 * <p>The ring is an array of {@code struct io_uring_buf} we write and the kernel
 * reads; we publish entries by a store-release of the tail (a u16 where entry 0's
 * {@code resv} lies), the kernel keeps its head to itself. The buffers are one
 * anonymous mapping, never touched by us before the kernel writes into them:
 * a page costs RAM only once a buffer on it has been used. One thread.
 */
public final class IoUringBufRing implements AutoCloseable {
    private static final VarHandle SHORT = JAVA_SHORT.varHandle();
    private static final long ENTRY = IO_URING_BUF.byteSize();
    private static final long TAIL = off(IO_URING_BUF, "resv");

    private final Arena arena = Arena.ofShared();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment ring;
    private final MemorySegment buffers;
    private final int count;
    private final int size;
    private final int group;
    private int tail;
    private int lent;                                            // buffers 0..lent-1 have been lent at least once
    private boolean closed;

    /**
     * Registers room for {@code count} (a power of two, at most 32768) buffers of
     * {@code size} bytes as group {@code group} of the ring {@code ringFd}, and lends
     * the kernel the first {@code initial} of them. Fails with EINVAL before Linux 5.19.
     */
    public IoUringBufRing(int ringFd, int group, int count, int size, int initial) throws NativeIOException {
        if (Integer.bitCount(count) != 1 || count > 32768) throw new IllegalArgumentException("count " + count);
        this.count = count;
        this.size = size;
        this.group = group;
        ring = arena.allocate(ENTRY * count, 4096);             // page-aligned, as the kernel requires
        MemorySegment reg = arena.allocate(IO_URING_BUF_REG);
        reg.set(JAVA_LONG, off(IO_URING_BUF_REG, "ring_addr"), ring.address());
        reg.set(JAVA_INT, off(IO_URING_BUF_REG, "ring_entries"), count);
        reg.set(JAVA_SHORT, off(IO_URING_BUF_REG, "bgid"), (short) group);
        MemorySegment mapped = null;
        try {
            mapped = LinuxIoUring.mapAnonymous(cs, (long) count * size);
            if (LinuxIoUring.ioUringRegister(cs, ringFd, IORING_REGISTER_PBUF_RING, reg.address(), 1) < 0) {
                throw new NativeIOException("io_uring_register(IORING_REGISTER_PBUF_RING)", Posix.errno(cs));
            }
        } catch (NativeIOException | RuntimeException e) {
            if (mapped != null) LinuxIoUring.munmap(cs, mapped.address(), mapped.byteSize());
            arena.close();
            throw e;
        }
        buffers = mapped;
        grow(initial);
    }

    /** Lends the kernel up to {@code n} buffers it never had; false when all have been lent already. */
    public boolean grow(int n) {
        if (lent == count) return false;
        for (int end = Math.min(count, lent + n); lent < end; lent++) put(lent);
        publish();
        return true;
    }

    /** Buffers lent so far (each is in the kernel's ring or held by us). */
    public int lent() { return lent; }

    public int group() { return group; }

    public int count() { return count; }

    /** Bytes in each buffer. */
    public int size() { return size; }

    /** Where buffer {@code bid} lies. */
    public long address(int bid) { return buffers.address() + (long) bid * size; }

    /** Lends buffer {@code bid} to the kernel again: the caller must no longer read or write it. */
    public void giveBack(int bid) {
        put(bid);
        publish();
    }

    private void put(int bid) {
        long e = (tail & (count - 1)) * ENTRY;
        ring.set(JAVA_LONG, e, address(bid));
        ring.set(JAVA_INT, e + 8, size);
        ring.set(JAVA_SHORT, e + 12, (short) bid);              // not e + 14: entry 0's resv is the tail
        tail++;
    }

    private void publish() {
        // Release: pairs with the kernel's load-acquire of the tail, so it reads the
        // entries before it as we wrote them.
        SHORT.setRelease(ring, TAIL, (short) tail);
    }

    /** Unmaps the buffers: only after the io_uring is closed with nothing in flight (it unregisters the ring). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        LinuxIoUring.unmap(cs, buffers);
        arena.close();
    }
}
