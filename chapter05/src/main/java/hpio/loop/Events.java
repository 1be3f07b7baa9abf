package hpio.loop;

/**
 * The event flags of the loop API (the chapter's EVENT_READ, EVENT_WRITE, ...).
 * Backends translate these to and from their kernel's flags; nothing above the
 * backends ever sees EPOLLIN or EVFILT_READ.
 */
public final class Events {
    private Events() {}

    // snippet-start events-flags
    /** Readable: data, EOF, or (on a listening socket) a connection to accept. */
    public static final int READ = 1;
    /** Writable: room in the send buffer, or a non-blocking connect has finished. */
    public static final int WRITE = 1 << 1;
    /** An error is pending on the socket: the next read or write reports it. Always delivered. */
    public static final int ERROR = 1 << 2;
    /**
     * The peer hung up (at least its sending side). Data may still be buffered:
     * read until EOF before concluding. Always delivered.
     */
    public static final int HUP = 1 << 3;
    /**
     * Registration flag, not an event: edge-triggered (epoll's EPOLLET, kqueue's
     * EV_CLEAR). Notifies when something new arrives, not while it stays unread:
     * the handler drains to EAGAIN (or keeps the fd on a ready list of its own).
     */
    public static final int EDGE = 1 << 4;
    // snippet-end events-flags

    static final int INTEREST_MASK = READ | WRITE | EDGE;

    public static String toString(int events) {
        if (events == 0) return "NONE";
        StringBuilder b = new StringBuilder();
        if ((events & READ) != 0) b.append("READ|");
        if ((events & WRITE) != 0) b.append("WRITE|");
        if ((events & ERROR) != 0) b.append("ERROR|");
        if ((events & HUP) != 0) b.append("HUP|");
        if ((events & EDGE) != 0) b.append("EDGE|");
        int unknown = events & ~(READ | WRITE | ERROR | HUP | EDGE);
        if (unknown != 0) b.append("0x").append(Integer.toHexString(unknown)).append('|');
        b.setLength(b.length() - 1);
        return b.toString();
    }
}
