package hpio.lb.hooks;

/**
 * What an idle tracker keeps in its list: each connection owns one. The links
 * live in the node itself (an intrusive list), so touching a connection moves two
 * pointers and allocates nothing.
 */
public final class IdleNode {
    /** Which connection this node stands for (its slot in the pool), or -1. */
    public final int connectionId;
    /** Toward the least recently active end. */
    public IdleNode idlePrev;
    /** Toward the most recently active end. */
    public IdleNode idleNext;
    /** When the connection last moved a byte (System.nanoTime() scale). */
    public long lastActiveNanos;
    /** Whether the node is in the tracker's list now. */
    public boolean idleTracked;

    public IdleNode() { this(-1); }

    public IdleNode(int connectionId) { this.connectionId = connectionId; }
}
