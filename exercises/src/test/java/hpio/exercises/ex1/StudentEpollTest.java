package hpio.exercises.ex1;

import static hpio.nativeio.LinuxEpoll.EPOLLERR;
import static hpio.nativeio.LinuxEpoll.EPOLLET;
import static hpio.nativeio.LinuxEpoll.EPOLLHUP;
import static hpio.nativeio.LinuxEpoll.EPOLLIN;
import static hpio.nativeio.LinuxEpoll.EPOLLOUT;
import static hpio.nativeio.LinuxEpoll.EPOLLRDHUP;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.fail;

import hpio.loop.Events;
import hpio.loop.FiredEvents;
import hpio.loop.LoopedSockets;
import hpio.net.NativeSockets;
import hpio.net.Sockets;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Exercise 1, piece by piece: your {@link StudentEpoll} called directly (no event
 * loop in between), on real sockets, with the kernel's own view of the epoll set
 * read from {@code /proc/self/fdinfo/<epfd>} (one {@code tfd: <fd> events: <hex
 * mask>} line per fd in the set). {@link StudentEpollContractTest} then runs the
 * whole event-loop contract on it.
 */
class StudentEpollTest {
    private static final Duration DEADLINE = LoopedSockets.DEADLINE;
    private final Sockets sockets = new NativeSockets();
    private final List<Integer> fds = new ArrayList<>();
    private final List<AutoCloseable> peers = new ArrayList<>();
    private final FiredEvents fired = new FiredEvents(16);
    private StudentEpoll epoll;

    @BeforeEach
    void open() throws IOException {
        epoll = new StudentEpoll(16);         // calls toEpoll (through ctl) for the waker
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable p : peers) p.close();
        for (int fd : fds) sockets.close(fd);
        if (epoll != null) epoll.close();
    }

    // ------------------------------------------------------------ translation

    @Test
    void readAsksForEpollinAndThePeersHalfClose() {
        int e = StudentEpoll.toEpoll(Events.READ);
        must((e & EPOLLIN) != 0,
                "toEpoll(READ) without EPOLLIN: data is never reported");
        must((e & EPOLLRDHUP) != 0,
                "toEpoll(READ) without EPOLLRDHUP: a peer's half-close would look like plain data: HUP never reported");
        must((e & EPOLLOUT) == 0,
                "toEpoll(READ) asked for EPOLLOUT: a reader is woken on every wait while its send buffer has room (a busy loop)");
    }

    @Test
    void writeIsEpolloutAndNothingMore() {
        int e = StudentEpoll.toEpoll(Events.WRITE);
        must((e & EPOLLOUT) != 0,
                "toEpoll(WRITE) without EPOLLOUT: writability is never reported");
        must((e & EPOLLIN) == 0,
                "toEpoll(WRITE) asked for EPOLLIN: a writer is woken by every byte that arrives");
        int both = StudentEpoll.toEpoll(Events.READ | Events.WRITE);
        must((both & (EPOLLIN | EPOLLOUT)) == (EPOLLIN | EPOLLOUT),
                "toEpoll(READ|WRITE) must ask for both EPOLLIN and EPOLLOUT (was 0x%x)", both);
    }

    @Test
    void edgeIsEpollet() {
        must((StudentEpoll.toEpoll(Events.READ | Events.EDGE) & EPOLLET) != 0,
                "EDGE asked for but not EPOLLET: the loop stays level-triggered");
        must((StudentEpoll.toEpoll(Events.WRITE | Events.EDGE) & EPOLLET) != 0,
                "EDGE asked for (with WRITE) but not EPOLLET: the loop stays level-triggered");
        must((StudentEpoll.toEpoll(Events.READ) & EPOLLET) == 0,
                "EPOLLET without EDGE: every fd is edge-triggered, and a handler that reads once stalls");
    }

    @Test
    void readWriteAndErrorComeBackAsOurFlags() {
        int in = StudentEpoll.fromEpoll(EPOLLIN), out = StudentEpoll.fromEpoll(EPOLLOUT);
        must(in == Events.READ, "fromEpoll(EPOLLIN) must be exactly READ, was %s", Events.toString(in));
        must(out == Events.WRITE, "fromEpoll(EPOLLOUT) must be exactly WRITE, was %s", Events.toString(out));
        int both = StudentEpoll.fromEpoll(EPOLLIN | EPOLLOUT);
        must(both == (Events.READ | Events.WRITE),
                "fromEpoll(EPOLLIN|EPOLLOUT) must keep both, READ|WRITE, was %s", Events.toString(both));
        must((StudentEpoll.fromEpoll(EPOLLERR) & Events.ERROR) != 0,
                "EPOLLERR not reported as ERROR: a socket error (a reset, a refused connect) goes unseen");
    }

    @Test
    void bothKindsOfHangUpAreOneHup() {
        must((StudentEpoll.fromEpoll(EPOLLRDHUP) & Events.HUP) != 0,
                "EPOLLRDHUP not folded into HUP: a peer's half-close would look like plain data: HUP never reported");
        must((StudentEpoll.fromEpoll(EPOLLHUP) & Events.HUP) != 0,
                "EPOLLHUP not reported as HUP: a connection gone both ways looks like nothing happened");
        must((StudentEpoll.fromEpoll(EPOLLHUP) & Events.ERROR) == 0,
                "EPOLLHUP reported as ERROR: a hang-up is not an error pending (the next read just gives EOF)");
        int dataThenFin = StudentEpoll.fromEpoll(EPOLLIN | EPOLLRDHUP);
        must(dataThenFin == (Events.READ | Events.HUP),
                "fromEpoll(EPOLLIN|EPOLLRDHUP) must be READ|HUP, was %s: READ dropped beside HUP leaves the bytes sent"
                        + " before the FIN unread", Events.toString(dataThenFin));
    }

    // ------------------------------------------------------------ registrations, as the kernel sees them

    @Test
    void aPeersHalfCloseIsReportedAsHup() throws IOException {
        LoopedSockets.Pair p = pair();
        epoll.add(p.fd(), Events.READ);
        p.peer().shutdownOutput();                         // FIN: the peer will send no more, but still reads
        int events = pollUntilFired(p.fd());
        must((events & Events.HUP) != 0,
                "a peer's half-close would look like plain data: HUP never reported (reported: %s)", Events.toString(events));
        must((events & Events.READ) != 0,
                "the half-close came without READ: the EOF is there to read");
    }

    @Test
    void edgeIsEdgeTriggeredInTheKernel() throws IOException {
        LoopedSockets.Pair level = pair();
        LoopedSockets.Pair edge = pair();
        epoll.add(level.fd(), Events.READ);
        epoll.add(edge.fd(), Events.READ | Events.EDGE);
        must((inSet(level.fd(), "add(READ)") & EPOLLET) == 0,
                "READ alone registered with EPOLLET: every fd is edge-triggered, and a handler that reads once stalls");
        must((inSet(edge.fd(), "add(READ|EDGE)") & EPOLLET) != 0,
                "EDGE asked for but not EPOLLET: the loop stays level-triggered (kernel's mask %s)", hex(kernelMask(edge.fd())));
        edge.peer().getOutputStream().write(new byte[10]);
        pollUntilFired(edge.fd());
        int again = epoll.poll(0, fired);
        for (int i = 0; i < again; i++) {
            must(fired.fd(i) != edge.fd(),
                "EDGE asked for but the unread bytes were reported again: the loop stays level-triggered");
        }
    }

    @Test
    void anFdModifiedToNoInterestLeavesTheKernelsSet() throws IOException {
        LoopedSockets.Pair p = pair();
        epoll.add(p.fd(), Events.READ);
        must(kernelMask(p.fd()) != null,
                "add(READ) did not put the fd in the kernel's set");
        epoll.modify(p.fd(), Events.READ, 0);
        must(kernelMask(p.fd()) == null,
                "modified to no interest but still in the kernel's set (MOD with events=0 instead of DEL): epoll"
                        + " reports EPOLLHUP/EPOLLERR even for events=0, so a paused socket whose peer hung up wakes every wait");
        // Both directions gone: exactly what epoll reports even for events = 0.
        sockets.shutdownOutput(p.fd());
        p.peer().close();
        int n = epoll.poll(0, fired);
        for (int i = 0; i < n; i++) {
            must(fired.fd(i) != p.fd(),
                "a paused fd whose peer hung up was reported: the wait would wake for it forever");
        }
        try {
            epoll.modify(p.fd(), 0, Events.READ);
        } catch (IOException e) {
            fail("coming back from no interest must be an ADD: the fd had left the kernel's set (" + e.getMessage() + ")");
        }
        must(kernelMask(p.fd()) != null,
                "modify(0 -> READ) did not put the fd back in the kernel's set");
        must((pollUntilFired(p.fd()) & Events.HUP) != 0,
                "watched again, the hang-up must be reported");
    }

    @Test
    void anFdWatchedForNothingIsNeverInTheKernelsSet() throws IOException {
        LoopedSockets.Pair a = pair();
        LoopedSockets.Pair b = pair();
        epoll.add(a.fd(), 0);
        epoll.add(b.fd(), Events.EDGE);
        must(kernelMask(a.fd()) == null,
                "add() with no interest put the fd in the kernel's set: epoll reports"
                + " EPOLLHUP/EPOLLERR even for events=0");
        must(kernelMask(b.fd()) == null,
                "add(EDGE) alone put the fd in the kernel's set: EDGE watches nothing by itself");
        try {
            epoll.modify(a.fd(), 0, 0);
            epoll.remove(b.fd(), Events.EDGE);
        } catch (IOException e) {
            fail("an fd watched for nothing is not in the kernel's set: modify(0 -> 0) and remove() have nothing to"
                    + " tell it (" + e.getMessage() + ")");
        }
        try {
            epoll.modify(a.fd(), 0, Events.WRITE);
        } catch (IOException e) {
            fail("an fd registered with no interest must be ADDed when it is first watched (" + e.getMessage() + ")");
        }
        must(kernelMask(a.fd()) != null,
                "modify(0 -> WRITE) did not put the fd in the kernel's set");
        epoll.remove(a.fd(), Events.WRITE);
        must(kernelMask(a.fd()) == null,
                "remove() left the fd in the kernel's set");
    }

    @Test
    void modifyChangesTheKernelsMask() throws IOException {
        LoopedSockets.Pair p = pair();
        epoll.add(p.fd(), Events.READ);
        epoll.modify(p.fd(), Events.READ, Events.WRITE);
        int mask = inSet(p.fd(), "modify(READ -> WRITE)");
        must((mask & (EPOLLIN | EPOLLOUT)) == EPOLLOUT,
                "modify(READ -> WRITE): the kernel's mask is %s, not EPOLLOUT alone", hex(mask));
        epoll.modify(p.fd(), Events.WRITE, Events.READ | Events.WRITE);
        mask = inSet(p.fd(), "modify(WRITE -> READ|WRITE)");
        must((mask & (EPOLLIN | EPOLLOUT)) == (EPOLLIN | EPOLLOUT),
                "modify(WRITE -> READ|WRITE): the kernel's mask is %s", hex(mask));
        int events = pollUntilFired(p.fd());
        must(events == Events.WRITE,
                "a quiet connected socket watched for READ|WRITE is writable only, reported as %s", Events.toString(events));
        epoll.remove(p.fd(), Events.READ | Events.WRITE);
        must(kernelMask(p.fd()) == null,
                "remove() left the fd in the kernel's set");
    }

    // ------------------------------------------------------------ the wait

    @Test
    void theWakerIsNeverReportedAndIsEmptied() throws IOException {
        LoopedSockets.Pair p = pair();
        epoll.add(p.fd(), Events.READ);
        epoll.wakeup();
        int n = pollGuarded(-1);
        must(n == 0,
                "the waker reported as an event: the loop would look for a handler of its own eventfd (fd %d)",
                epoll.wakerFd());
        must(eventfdCount(epoll.wakerFd()) == 0,
                "the waker was seen but not emptied: its eventfd stays readable and every later wait returns at once"
                        + " (a busy loop)");
        // A wake-up and a real event in one wait: only the real one comes back, at index 0.
        p.peer().getOutputStream().write(1);
        epoll.wakeup();
        long end = System.nanoTime() + DEADLINE.toNanos();
        int got;
        while ((got = pollGuarded(100)) == 0) {
            if (System.nanoTime() > end) fail("the peer wrote a byte, but poll never reported the fd within " + DEADLINE);
        }
        for (int i = 0; i < got; i++) {
            must(fired.fd(i) != epoll.wakerFd(),
                "the waker reported as an event: the loop would look for a handler of its own"
                    + " eventfd (fd %d)", epoll.wakerFd());
        }
        must(fired.fd(0) == p.fd(),
                "poll's entries start at index 0: entry 0 is fd %d, the ready one is fd %d", fired.fd(0), p.fd());
        must((fired.events(0) & Events.READ) != 0,
                "a byte to read, reported as %s", Events.toString(fired.events(0)));
    }

    /**
     * EINTR: a signal handler that runs while epoll_wait blocks ends the wait with
     * EINTR, whatever SA_RESTART says (signal(7)). The JVM handles SIGPIPE (and
     * ignores it there), so sending one to the thread blocked in your poll(-1), once
     * /proc/self/task/&lt;tid&gt;/syscall shows it inside epoll_wait on your epfd,
     * provokes exactly that. With no timeout and nothing ready, only the signal can
     * end that wait, so 0 returned means EINTR was handled.
     */
    @Test
    void aSignalDuringTheWaitIsZeroEventsNotAnError() throws Throwable {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/task")), "no /proc/self/task here");
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread waiter = Thread.ofPlatform().daemon().name("student-epoll-waiter").start(() -> {
            try {
                outcome.set(epoll.poll(-1, fired));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        int tid = taskWaitingOn(epoll.epfd(), waiter);
        if (tid < 0) {
            epoll.wakeup();
            waiter.join(DEADLINE.toMillis());
            if (outcome.get() instanceof Throwable t) throw t;
            Assumptions.abort("could not see the waiting thread in /proc/self/task/*/syscall: EINTR not checked here");
        }
        int r = (int) TGKILL.invokeExact((int) ProcessHandle.current().pid(), tid, 13 /* SIGPIPE */);
        must(r == 0, "tgkill(SIGPIPE) to the waiting thread failed");
        waiter.join(DEADLINE.toMillis());
        if (waiter.isAlive()) {
            epoll.wakeup();
            waiter.join(DEADLINE.toMillis());
            fail("poll(-1) was still waiting after a signal interrupted epoll_wait: EINTR must end the call with 0 events"
                    + " (retrying keeps waiting with the old timeout)");
        }
        if (outcome.get() instanceof Throwable t) {
            fail("a signal during epoll_wait (EINTR) was thrown: a profiler's SIGPROF or a SIGCHLD would kill the loop;"
                    + " it is 0 events (" + t + ")");
        }
        must(Integer.valueOf(0).equals(outcome.get()),
                "poll after EINTR must report 0 events, reported %s", outcome.get());
    }

    // ------------------------------------------------------------ helpers

    /**
     * Fails with {@code why} alone as the message (its first line is what
     * {@code make exercise} prints): the mistake, named.
     */
    private static void must(boolean holds, String why, Object... args) {
        if (!holds) throw new AssertionError(args.length == 0 ? why : why.formatted(args));
    }

    private LoopedSockets.Pair pair() throws IOException {
        int listenFd = LoopedSockets.listen(sockets);
        fds.add(listenFd);
        LoopedSockets.Pair p = LoopedSockets.connectedPair(sockets, listenFd);
        fds.add(p.fd());
        peers.add(p);
        return p;
    }

    /** poll, guarded: a poll that does not return fails by name instead of hanging the build. */
    private int pollGuarded(int timeoutMillis) throws IOException {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                outcome.set(epoll.poll(timeoutMillis, fired));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        try {
            t.join(DEADLINE.toMillis());
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        if (t.isAlive()) {
            fail("poll(" + timeoutMillis + ") did not return within " + DEADLINE + " after wakeup(): is the waker's fd"
                    + " in the set, and does poll return when it fires?");
        }
        if (outcome.get() instanceof IOException e) throw e;
        if (outcome.get() instanceof RuntimeException e) throw e;
        if (outcome.get() instanceof Error e) throw e;
        return (Integer) outcome.get();
    }

    /** Polls until {@code fd} is reported; its events. */
    private int pollUntilFired(int fd) throws IOException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < end) {
            int n = epoll.poll(100, fired);
            for (int i = 0; i < n; i++) if (fired.fd(i) == fd) return fired.events(i);
        }
        throw new AssertionError("fd " + fd + " was never reported within " + DEADLINE
                + " (kernel's mask " + hex(kernelMask(fd)) + ")");
    }

    private static final Pattern TFD = Pattern.compile("^tfd:\\s*(\\d+)\\s+events:\\s*([0-9a-fA-F]+)", Pattern.MULTILINE);

    /** The events mask the kernel holds for {@code fd} in our epoll set, or null if the fd is not in it. */
    private Integer kernelMask(int fd) throws IOException {
        Matcher m = TFD.matcher(Files.readString(Path.of("/proc/self/fdinfo/" + epoll.epfd())));
        while (m.find()) if (Integer.parseInt(m.group(1)) == fd) return Integer.parseUnsignedInt(m.group(2), 16);
        return null;
    }

    private static long eventfdCount(int fd) throws IOException {
        Matcher m = Pattern.compile("eventfd-count:\\s*([0-9a-fA-F]+)")
                .matcher(Files.readString(Path.of("/proc/self/fdinfo/" + fd)));
        if (!m.find()) throw new AssertionError("/proc/self/fdinfo/" + fd + " shows no eventfd-count");
        return Long.parseUnsignedLong(m.group(1), 16);
    }

    /** The kernel's mask for {@code fd}, failing by name if {@code after} left it out of the set. */
    private int inSet(int fd, String after) throws IOException {
        Integer mask = kernelMask(fd);
        must(mask != null, "after %s the fd is not in the kernel's set (/proc/self/fdinfo/%d)", after, epoll.epfd());
        return mask;
    }

    private static String hex(Integer mask) { return mask == null ? "(not in the set)" : "0x" + Integer.toHexString(mask); }

    // epoll_wait, epoll_pwait, epoll_pwait2 on x86-64; epoll_pwait on arm64.
    private static final List<Integer> EPOLL_WAITS = List.of(232, 281, 441, 22);

    /** The tid of {@code waiter} once it is blocked in an epoll wait on {@code epfd}; -1 if it never shows. */
    private static int taskWaitingOn(int epfd, Thread waiter) throws IOException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < end && waiter.isAlive()) {
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path task : tasks.toList()) {
                    String[] call;
                    try {
                        call = Files.readString(task.resolve("syscall")).trim().split(" ");
                    } catch (IOException gone) {
                        continue;
                    }
                    if (call.length > 1 && call[0].matches("\\d+") && EPOLL_WAITS.contains(Integer.parseInt(call[0]))
                            && Long.decode(call[1]) == epfd) {
                        return Integer.parseInt(task.getFileName().toString());
                    }
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return -1;
    }

    private static final MethodHandle TGKILL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("tgkill").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
}
