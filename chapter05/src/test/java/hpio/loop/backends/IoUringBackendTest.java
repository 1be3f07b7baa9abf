package hpio.loop.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.nativeio.LinuxEpoll;
import hpio.nativeio.LinuxIoUring;
import hpio.nativeio.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The io_uring readiness backend's own hard cases, on rings sized to provoke
 * them: more changes than SQ entries between two waits, more ready fds than the
 * CQ holds, and CQEs of a poll already removed or replaced. Eventfds stand in for
 * sockets: readable once written to, always writable.
 */
class IoUringBackendTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment cs = Posix.newCallState(arena);
    private final MemorySegment eight = arena.allocate(8, 8);
    private final List<Integer> fds = new ArrayList<>();
    private IoUringBackend backend;

    @BeforeAll
    static void onlyWhereIoUringWorks() {
        String reason = LinuxIoUring.unavailableReason();
        if (reason != null) System.out.println("IoUringBackendTest skipped: " + reason);
        assumeTrue(reason == null, reason);
    }

    @AfterEach
    void close() throws IOException {
        if (backend != null) backend.close();
        for (int fd : fds) Posix.close(cs, fd);
        arena.close();
    }

    private int eventfd() {
        int fd = LinuxEpoll.eventfd(cs, 0, LinuxEpoll.EFD_NONBLOCK | LinuxEpoll.EFD_CLOEXEC);
        assertThat(fd).isNotNegative();
        fds.add(fd);
        return fd;
    }

    private void signal(int fd) {
        eight.set(ValueLayout.JAVA_LONG, 0, 1L);
        assertThat(Posix.write(cs, fd, eight.address(), 8)).isEqualTo(8);
    }

    private void drain(int fd) {
        Posix.read(cs, fd, eight.address(), 8);
    }

    /** Polls until every fd in {@code expected} has been reported (10 s at most); returns all reports. */
    private Map<Integer, Integer> pollUntil(FiredEvents fired, java.util.Collection<Integer> expected) throws IOException {
        Map<Integer, Integer> seen = new HashMap<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!seen.keySet().containsAll(expected) && System.nanoTime() < deadline) {
            int n = backend.poll(100, fired);
            for (int i = 0; i < n; i++) seen.merge(fired.fd(i), fired.events(i), (a, b) -> a | b);
        }
        assertThat(seen.keySet()).containsAll(expected);
        return seen;
    }

    @Test
    void moreChangesThanSubmissionQueueEntriesBetweenTwoWaits() throws IOException {
        backend = new IoUringBackend(64, 4, 512);
        List<Integer> ready = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int fd = eventfd();
            signal(fd);
            backend.add(fd, Events.READ);              // 100 POLL_ADDs queued for an SQ of 4
            ready.add(fd);
        }
        Map<Integer, Integer> seen = pollUntil(new FiredEvents(64), ready);
        assertThat(seen.values()).allSatisfy(e -> assertThat(e & Events.READ).isNotZero());
    }

    @Test
    void aTinyCompletionQueueOverflowsAndNoEventIsLostLevelOrEdge() throws IOException {
        backend = new IoUringBackend(16, 4, 8);
        List<Integer> level = new ArrayList<>(), edge = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int fd = eventfd();
            backend.add(fd, i % 2 == 0 ? Events.READ : Events.READ | Events.EDGE);
            (i % 2 == 0 ? level : edge).add(fd);
        }
        FiredEvents fired = new FiredEvents(16);
        assertThat(backend.poll(0, fired)).as("nothing ready yet").isZero();   // every poll armed
        for (int fd : fds) signal(fd);                 // 60 completions at once for a CQ of 8
        List<Integer> all = new ArrayList<>(fds);
        pollUntil(fired, all);
        // Multishot polls the overflow ended were re-armed: a new write is reported again.
        for (int fd : edge) signal(fd);
        pollUntil(fired, edge);
        // And the wake-up (a multishot poll too) still works.
        backend.wakeup();
        long start = System.nanoTime();
        backend.poll(20_000, fired);
        assertThat(System.nanoTime() - start).as("woken, not timed out").isLessThan(15_000_000_000L);
        for (int fd : fds) drain(fd);
    }

    @Test
    void aCompletionAlreadyInTheQueueIsDroppedOnceItsPollWasRemovedOrReplaced() throws IOException {
        backend = new IoUringBackend(1, 8, 64);
        int a = eventfd(), b = eventfd(), c = eventfd();
        backend.add(a, Events.READ);
        backend.add(b, Events.READ);
        backend.add(c, Events.READ);
        signal(a);
        signal(b);
        signal(c);
        FiredEvents one = new FiredEvents(1);
        // A batch of one: the first report comes back, the other two wait in the CQ.
        long deadline = System.nanoTime() + 10_000_000_000L;
        int first = -1;
        while (first < 0 && System.nanoTime() < deadline) if (backend.poll(100, one) == 1) first = one.fd(0);
        assertThat(first).isIn(a, b, c);
        int removed = first == a ? b : a, modified = first == c ? b : c;
        backend.remove(removed, Events.READ);          // its READ completion is already in the CQ: stale
        backend.modify(modified, Events.READ, Events.WRITE);   // its READ completion too; WRITE is new
        backend.remove(first, Events.READ);
        List<String> after = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            if (backend.poll(50, one) == 1) after.add(one.fd(0) + ":" + Events.toString(one.events(0)));
        }
        assertThat(after).as("reports after the changes").isNotEmpty()
                .allSatisfy(r -> assertThat(r).isEqualTo(modified + ":WRITE"));
    }

    @Test
    void aLevelTriggeredFdLeftUnreadIsReportedAgainAndAnEdgeOneIsNot() throws IOException {
        backend = new IoUringBackend(8, 8, 64);
        int lvl = eventfd(), edge = eventfd();
        backend.add(lvl, Events.READ);
        backend.add(edge, Events.READ | Events.EDGE);
        signal(lvl);
        signal(edge);
        FiredEvents fired = new FiredEvents(8);
        pollUntil(fired, List.of(lvl, edge));
        Map<Integer, Integer> again = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            int n = backend.poll(50, fired);
            for (int i = 0; i < n; i++) again.merge(fired.fd(i), 1, Integer::sum);
        }
        assertThat(again).as("reported again while unread").containsKey(lvl).doesNotContainKey(edge);
    }
}
