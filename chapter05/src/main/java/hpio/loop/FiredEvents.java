package hpio.loop;

/**
 * The batch a backend fills on each wait: parallel arrays of fds and our event
 * flags, allocated once at the loop's batch size and reused for every wait.
 */
public final class FiredEvents {
    private final int[] fds;
    private final int[] events;

    public FiredEvents(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("batch size must be at least 1, was " + capacity);
        fds = new int[capacity];
        events = new int[capacity];
    }

    public int capacity() { return fds.length; }

    public void set(int index, int fd, int firedEvents) {
        fds[index] = fd;
        events[index] = firedEvents;
    }

    public int fd(int index) { return fds[index]; }

    public int events(int index) { return events[index]; }
}
