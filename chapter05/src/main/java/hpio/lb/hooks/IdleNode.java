package hpio.lb.hooks;

/**
 * What an idle tracker keeps in its list: every connection is one. The links
 * live in the node itself (an intrusive list), so touching a connection moves two
 * pointers and allocates nothing.
 */
public class IdleNode {
    /** Toward the least recently active end. */
    public IdleNode idlePrev;
    /** Toward the most recently active end. */
    public IdleNode idleNext;
    /** When the connection last moved a byte (System.nanoTime() scale). */
    public long lastActiveNanos;
    /** Whether the node is in the tracker's list now. */
    public boolean idleTracked;
}
