package hpio.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * An off-heap buffer seen two ways, both made once: a {@link MemorySegment} (its
 * raw address goes to read(2) and write(2) through FFM) and a direct
 * {@link ByteBuffer} over the same bytes (for the nio socket layer). Either socket
 * layer reads into and writes from the same buffer without copying.
 */
public final class IoBuffer {
    private final MemorySegment segment;
    private final ByteBuffer bytes;

    private IoBuffer(MemorySegment segment) {
        this.segment = segment;
        this.bytes = segment.asByteBuffer();
    }

    /** A buffer of {@code capacity} bytes, page aligned, freed by the GC when unreachable. */
    public static IoBuffer allocate(int capacity) {
        return new IoBuffer(Arena.ofAuto().allocate(capacity, 4096));
    }

    public int capacity() { return (int) segment.byteSize(); }

    public MemorySegment segment() { return segment; }

    /** The address of byte 0, for FFM calls that take the pointer as an integer. */
    public long address() { return segment.address(); }

    /** The direct ByteBuffer view; its position and limit belong to whoever uses it last. */
    public ByteBuffer byteBuffer() { return bytes; }

    /** Checks that [offset, offset+length) lies inside the buffer, before a raw address escapes to C. */
    public void checkRange(int offset, int length) {
        if (offset < 0 || length < 0 || offset > capacity() - length) {
            throw new IndexOutOfBoundsException(
                    "range [" + offset + ", " + offset + "+" + length + ") outside buffer of " + capacity());
        }
    }

    public void put(int offset, byte[] src, int srcOffset, int length) {
        checkRange(offset, length);
        MemorySegment.copy(src, srcOffset, segment, ValueLayout.JAVA_BYTE, offset, length);
    }

    public void get(int offset, byte[] dst, int dstOffset, int length) {
        checkRange(offset, length);
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, dst, dstOffset, length);
    }

    /** Copies bytes inside this buffer or to another one (for moving a short write's leftover). */
    public void copyTo(int offset, IoBuffer dst, int dstOffset, int length) {
        MemorySegment.copy(segment, offset, dst.segment, dstOffset, length);
    }
}
