package hpio.measure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a soak knows about its transfers and faults, shared by the load, the
 * backends and the fault injector: which transfers a fault hit, which reached a
 * backend, when a fault may have refused new connections, and the counts the
 * closing line and the report give.
 *
 * <p>A transfer is "hit" when a fault touched its own connection: its client was
 * reset, or the backend serving it was killed. One that never reached a backend
 * (no backend read its header) and ended with nothing while a refusing fault was
 * on (a backend down, a connect burst past --max-conns, the low-fd balancer out of
 * descriptors) was refused by that fault: it is counted as cut too, not as lost.
 */
final class SoakLedger {
    enum Outcome { OK, CUT, CORRUPT, LOST, HUNG }

    private final AtomicLong nextId = new AtomicLong();
    private final Map<Long, String> hits = new ConcurrentHashMap<>();
    private final Set<Long> served = ConcurrentHashMap.newKeySet();
    private final Map<Long, SoakTransfer> inFlight = new ConcurrentHashMap<>();
    private final List<long[]> refusing = new ArrayList<>();          // [port, start, end]: end 0 while open, port 0: any
    private final Map<Outcome, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> faults = new ConcurrentHashMap<>();
    private final LongAdder bytes = new LongAdder();
    private final List<String> problems = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    long newId() { return nextId.getAndIncrement(); }

    /** A fault touched transfer {@code id}'s connection: it may end early (still a byte-exact prefix). */
    void hit(long id, String fault) { hits.putIfAbsent(id, fault); }

    boolean isHit(long id) { return hits.containsKey(id); }

    /** A backend read transfer {@code id}'s header. */
    void served(long id) { served.add(id); }

    boolean wasServed(long id) { return served.contains(id); }

    void started(SoakTransfer t) { inFlight.put(t.id, t); }

    /** The transfers running now (the reset fault picks among them). */
    List<SoakTransfer> running() { return new ArrayList<>(inFlight.values()); }

    /**
     * A fault that may refuse new connections to the balancer on {@code port} (0:
     * any balancer) starts: returns its handle for {@link #refusingEnds}.
     */
    synchronized long[] refusingStarts(int port) {
        long[] w = {port, System.nanoTime(), 0};
        refusing.add(w);
        return w;
    }

    synchronized void refusingEnds(long[] window) { window[2] = System.nanoTime(); }

    /** Whether a fault refusing connections to {@code port} was on at some time between {@code start} and {@code end}. */
    synchronized boolean refusingDuring(int port, long start, long end) {
        for (long[] w : refusing) {
            if ((w[0] == 0 || w[0] == port) && w[1] <= end && (w[2] == 0 || w[2] >= start)) return true;
        }
        return false;
    }

    /** Milliseconds since the last refusing fault for {@code port} ended (-1: none has, or one is on). */
    synchronized long millisSinceRefusing(int port, long now) {
        long last = -1;
        for (long[] w : refusing) {
            if (w[0] != 0 && w[0] != port) continue;
            if (w[2] == 0) return -1;
            last = Math.max(last, w[2]);
        }
        return last < 0 ? -1 : (now - last) / 1_000_000;
    }

    void fault(String kind) { faults.computeIfAbsent(kind, k -> new LongAdder()).increment(); }

    /** A transfer is over: count it, forget it. */
    void finished(SoakTransfer t, Outcome o, long verifiedBytes, String why) {
        inFlight.remove(t.id);
        served.remove(t.id);
        hits.remove(t.id);
        outcomes.computeIfAbsent(o, k -> new LongAdder()).increment();
        bytes.add(verifiedBytes);
        if (o != Outcome.OK && o != Outcome.CUT) problem("transfer " + t.id + " (" + t.length + " B, "
                + (t.halfClose ? "half-close" : "no half-close") + "): " + o.name().toLowerCase() + ": " + why);
    }

    /** Something that breaks a promise; the report lists the first ones. */
    synchronized void problem(String what) {
        if (problems.size() < 50) problems.add(what);
    }

    synchronized List<String> problems() { return new ArrayList<>(problems); }

    /** Something the report tells, not a failure (what a low-fd round saw). */
    synchronized void note(String what) { notes.add(what); }

    synchronized List<String> notes() { return new ArrayList<>(notes); }

    long count(Outcome o) {
        LongAdder a = outcomes.get(o);
        return a == null ? 0 : a.sum();
    }

    long transfers() {
        long n = 0;
        for (Outcome o : Outcome.values()) n += count(o);
        return n;
    }

    long bytes() { return bytes.sum(); }

    /** Faults injected so far, by kind, sorted by name. */
    Map<String, Long> faults() {
        Map<String, Long> m = new TreeMap<>();
        faults.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long faultCount() {
        long n = 0;
        for (long v : faults().values()) n += v;
        return n;
    }
}
