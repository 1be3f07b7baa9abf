package hpio.loop.backends;

import hpio.loop.Backend;
import hpio.loop.FiredEvents;
import java.io.IOException;

/** Placeholder until the kqueue backend lands (work in progress in this session). */
public final class KqueueBackend implements Backend {
    public KqueueBackend(int batchSize) throws IOException {
        throw new IOException("kqueue backend not written yet");
    }
    @Override public String name() { return "kqueue"; }
    @Override public boolean supportsEdgeTriggered() { return true; }
    @Override public void add(int fd, int interest) {}
    @Override public void modify(int fd, int oldInterest, int newInterest) {}
    @Override public void remove(int fd, int oldInterest) {}
    @Override public int poll(int timeoutMillis, FiredEvents fired) { return 0; }
    @Override public void close() {}
}
