package hpio.docs;

import hpio.lb.HighPerfLb;
import hpio.lb.LbConfig;
import hpio.loop.EventLoop;
import hpio.loop.Events;
import hpio.loop.backends.EpollBackend;
import hpio.nativeio.Errno;
import hpio.nativeio.LinuxEpoll;
import hpio.nativeio.NativeIOException;
import hpio.nativeio.Platform;
import hpio.nativeio.Posix;
import hpio.net.IoBuffer;
import hpio.net.NativeSockets;
import hpio.net.OpenFiles;
import hpio.net.PeerAddress;
import hpio.testing.ChildBalancer;
import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import hpio.transport.Transport;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code make errors}: provokes, for real, each message shown on
 * docs/09-common-errors.md and prints it under the page's section (real
 * syscalls, real sockets on loopback; running out of descriptors happens in a
 * child JVM under {@code ulimit -n}). Then it checks that every message it got
 * is on the page, with fd numbers, ports and milliseconds masked
 * ({@link #mask}), and exits 1 naming any that is not.
 *
 * <p>{@link #inProcess} is fast and is what {@code CommonErrorsTest} runs;
 * {@link #inChildren} starts JVMs and balancers under low limits and runs in
 * {@code make errors} only.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp TEST-CLASS-PATH hpio.docs.CommonErrors [--fast]
 * </pre>
 */
public final class CommonErrors {
    static final String PAGE = "docs/09-common-errors.md";
    static final int SIGWINCH = 28;     // Linux (x86-64 and aarch64), and macOS

    /**
     * One message got: the page section it belongs to, the line shown and the part
     * that must be on the page ({@code checked}; null for a note that is only shown).
     */
    record Message(String section, String shown, String checked) {}

    /** Collects messages section by section. */
    static final class Out {
        final List<Message> messages = new ArrayList<>();
        private String section = "?";

        void section(String name) { section = name; }

        /** A message that must be on the page as shown. */
        void got(String message) { messages.add(new Message(section, message, message)); }

        /** {@code checked} must be on the page; {@code shown} is printed. */
        void got(String shown, String checked) { messages.add(new Message(section, shown, checked)); }

        /** Context only: printed, not checked. */
        void note(String text) { messages.add(new Message(section, "  (" + text + ")", null)); }

        /** What the exception says, as a stack trace's first line has it. */
        void got(Throwable t) { got(t.toString()); }
    }

    private CommonErrors() {}

    // ------------------------------------------------------------------ masking and checking

    /**
     * What may differ from run to run: fd numbers ({@code fd=7}, {@code fd 7},
     * {@code epfd=6}), ports after an IPv4 address and milliseconds. The words, the
     * errno names and every other number must match the page.
     */
    static String mask(String s) {
        return s.replaceAll("fd=\\d+", "fd=N")
                .replaceAll("\\bfd \\d+", "fd N")
                .replaceAll("(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}):\\d+", "$1:PORT")
                .replaceAll("\\b\\d+ ms\\b", "N ms");
    }

    /** The page's sections: "## title" to its text (up to the next "## "). */
    static Map<String, String> sections(List<String> pageLines) {
        Map<String, String> out = new LinkedHashMap<>();
        String title = "";
        StringBuilder text = new StringBuilder();
        for (String line : pageLines) {
            if (line.startsWith("## ")) {
                out.put(title, text.toString());
                title = line.substring(3).trim();
                text.setLength(0);
            } else {
                text.append(line).append('\n');
            }
        }
        out.put(title, text.toString());
        return out;
    }

    /** One line per message not found in its section of the page (masked both sides); empty when all are there. */
    static List<String> notOnPage(List<Message> messages, List<String> pageLines) {
        Map<String, String> sections = sections(pageLines);
        List<String> problems = new ArrayList<>();
        for (Message m : messages) {
            if (m.checked() == null) continue;
            String text = sections.get(m.section());
            if (text == null) {
                problems.add(PAGE + " has no section '## " + m.section() + "' (for: " + m.checked() + ")");
            } else if (!mask(text).contains(mask(m.checked()))) {
                problems.add(PAGE + ", section '" + m.section() + "': not on the page: " + m.checked()
                        + "  (masked: " + mask(m.checked()) + ")");
            }
        }
        return problems;
    }

    // ------------------------------------------------------------------ in process

    /** Everything that needs no child process: a few seconds at most. */
    static List<Message> inProcess() throws Exception {
        Out out = new Out();
        OpenFiles.raiseSoftToHard();         // FD_SETSIZE needs fd 1024
        NativeSockets sockets = new NativeSockets();
        ebadf(out, sockets);
        eexist(out, sockets);
        enoent(out, sockets);
        eintr(out);
        poolExhausted(out);
        fdSetSize(out, sockets);
        otherMessages(out, sockets);
        return out.messages;
    }

    private static int openListener(NativeSockets sockets) throws IOException {
        return sockets.listen(new InetSocketAddress("127.0.0.1", 0), 16);
    }

    private static final IoHandlerNoop NOOP = new IoHandlerNoop();

    private static final class IoHandlerNoop implements hpio.loop.IoHandler {
        @Override public void onEvent(int fd, int events) {}
    }

    private static void ebadf(Out out, NativeSockets sockets) throws IOException {
        out.section("EBADF");
        try (Transport t = Transport.open("epoll", 64)) {
            int fd = openListener(sockets);
            sockets.close(fd);
            try {
                t.loop().add(fd, Events.READ, NOOP);
                out.note("add(fd " + fd + ") after close succeeded: no EBADF (something reused the number at once)");
            } catch (NativeIOException e) {
                out.got(e);
                out.note("fd " + fd + " registered afterwards: " + t.loop().isRegistered(fd));
            }
            // The lowest free number is handed out first: a new epoll instance most likely gets fd back.
            try (Transport second = Transport.open("epoll", 64)) {
                String what = fdTarget(fd);
                if (!what.equals("anon_inode:[eventpoll]")) {
                    out.note("fd " + fd + " went to " + what + ", not to the new epoll instance: EINVAL not shown this run");
                    return;
                }
                try {
                    second.loop().add(fd, Events.READ, NOOP);
                    out.note("the new epoll instance watched itself without complaint");
                } catch (NativeIOException e) {
                    out.got(e);
                    out.note("the new epoll instance got fd " + fd + " and cannot watch itself");
                }
                t.loop().add(fd, Events.READ, NOOP);          // the first loop: no error, the wrong object
                out.note("the first loop's add(fd " + fd + ") now succeeded, watching the other epoll instance");
                t.loop().remove(fd);
            }
        }
    }

    private static String fdTarget(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return "nothing";
        }
    }

    private static void eexist(Out out, NativeSockets sockets) throws IOException {
        out.section("EEXIST");
        int fd = openListener(sockets);
        try (Transport t = Transport.open("epoll", 64)) {
            t.loop().add(fd, Events.READ, NOOP);
            try {
                t.loop().add(fd, Events.READ, NOOP);
            } catch (IllegalStateException e) {
                out.got(e);
            }
            t.loop().remove(fd);
        }
        EpollBackend backend = new EpollBackend(8);
        try {
            backend.add(fd, Events.READ);
            try {
                backend.add(fd, Events.READ);
            } catch (NativeIOException e) {
                out.got(e);
            }
        } finally {
            backend.close();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Posix.newCallState(arena);
            MemorySegment ev = arena.allocate(LinuxEpoll.EPOLL_EVENT);
            ev.set(JAVA_INT, 0, LinuxEpoll.EPOLLIN);
            int epfd = LinuxEpoll.epollCreate1(cs, LinuxEpoll.EPOLL_CLOEXEC);
            LinuxEpoll.epollCtl(cs, epfd, LinuxEpoll.EPOLL_CTL_ADD, fd, ev);
            int r = LinuxEpoll.epollCtl(cs, epfd, LinuxEpoll.EPOLL_CTL_ADD, fd, ev);
            int errno = Posix.errno(cs);
            String errnoText = Errno.name(errno) + " (" + Errno.text(errno) + ")";
            out.got("LinuxEpoll.epollCtl(ADD) a second time returned " + r + ", Posix.errno(cs): " + errnoText, errnoText);
            Posix.close(cs, epfd);
        }
        sockets.close(fd);
    }

    private static void enoent(Out out, NativeSockets sockets) throws IOException {
        out.section("ENOENT");
        try (Transport t = Transport.open("epoll", 64)) {
            try {
                t.loop().modify(999, Events.READ);
            } catch (IllegalStateException e) {
                out.got(e);
            }
            try {
                t.loop().remove(999);
            } catch (IllegalStateException e) {
                out.got(e);
            }
        }
        int fd = openListener(sockets);
        EpollBackend backend = new EpollBackend(8);
        try {
            try {
                backend.remove(fd, Events.READ);
            } catch (NativeIOException e) {
                out.got(e);
            }
            try {
                backend.modify(fd, Events.READ, Events.READ | Events.WRITE);
            } catch (NativeIOException e) {
                out.got(e);
            }
        } finally {
            backend.close();
            sockets.close(fd);
        }
    }

    // ---- EINTR: a SIGWINCH with a handler, sent to the one thread blocked in the wait

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GETTID = LINKER.downcallHandle(
            LINKER.defaultLookup().find("gettid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle TGKILL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("tgkill").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));

    private static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void tgkill(int tid, int signal) {
        try {
            int r = (int) TGKILL.invokeExact((int) ProcessHandle.current().pid(), tid, signal);
            if (r != 0) throw new IllegalStateException("tgkill(" + tid + ", " + signal + ") failed");
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Waits until thread {@code tid} sleeps in an epoll wait (its kernel wait channel), then signals it. */
    private static void interruptWhenBlocked(int tid) throws IOException {
        Path wchan = Path.of("/proc/self/task/" + tid + "/wchan");
        Peers.await("thread " + tid + " blocks in epoll_wait", () -> {
            try {
                return Files.readString(wchan).contains("ep_poll") || Files.readString(wchan).contains("epoll_wait");
            } catch (IOException e) {
                return false;
            }
        });
        tgkill(tid, SIGWINCH);
    }

    @SuppressWarnings("restriction")
    private static void eintr(Out out) throws Exception {
        out.section("EINTR");
        // SIGWINCH is ignored by default: without a handler nothing is interrupted.
        sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> {});
        try (Transport t = Transport.open("epoll", 64)) {
            AtomicInteger tid = new AtomicInteger();
            AtomicLong returned = new AtomicLong(-2);
            AtomicLong millis = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread loopThread = Thread.ofPlatform().name("eintr-loop").start(() -> {
                tid.set(gettid());
                long start = System.nanoTime();
                try {
                    returned.set(t.loop().runOnce(-1));
                } catch (Throwable e) {
                    failed.set(e);
                }
                millis.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            });
            Peers.await("the loop thread has started", () -> tid.get() != 0);
            interruptWhenBlocked(tid.get());
            loopThread.join(Peers.DEADLINE.toMillis());
            if (failed.get() != null) throw new IOException("runOnce(-1) failed", failed.get());
            out.got("runOnce(-1) on epoll returned " + returned.get() + " after " + millis.get() + " ms");
        }
        try (Arena arena = Arena.ofShared()) {
            MemorySegment cs = Posix.newCallState(arena);
            MemorySegment events = arena.allocate(LinuxEpoll.EPOLL_EVENT, 4);
            int epfd = LinuxEpoll.epollCreate1(cs, LinuxEpoll.EPOLL_CLOEXEC);
            AtomicInteger tid = new AtomicInteger();
            AtomicInteger result = new AtomicInteger(-2), errno = new AtomicInteger();
            Thread waiter = Thread.ofPlatform().name("eintr-raw").start(() -> {
                tid.set(gettid());
                result.set(LinuxEpoll.epollWait(cs, epfd, events, 4, -1));
                errno.set(Posix.errno(cs));
            });
            Peers.await("the raw waiter has started", () -> tid.get() != 0);
            interruptWhenBlocked(tid.get());
            waiter.join(Peers.DEADLINE.toMillis());
            out.note("LinuxEpoll.epollWait returned " + result.get() + " with errno " + Errno.name(errno.get()));
            // What it would read as an exception (the loop never makes one of it):
            String call = "epoll_wait(epfd=" + epfd + ")";
            out.got(new NativeIOException(call, errno.get()).getMessage());
            Posix.close(cs, epfd);
        }
    }

    // ---- the balancer in this process

    private static LbConfig config(String... backends) {
        List<LbConfig.UpstreamSpec> specs = new ArrayList<>();
        for (String b : backends) {
            String[] p = b.split(":");
            specs.add(new LbConfig.UpstreamSpec(p[0], Integer.parseInt(p[1]), 1));
        }
        return LbConfig.defaults(0, specs).withEventBackend("epoll");
    }

    /** The first line of the balancer's log containing {@code what}, once it is there. */
    private static String awaitLine(RunningBalancer lb, String what) {
        Peers.await("the balancer logs '" + what + "' (log: " + lb.log() + ")", () -> lb.log().contains(what));
        return lb.log().lines().filter(l -> l.contains(what)).findFirst().orElseThrow();
    }

    private static void poolExhausted(Out out) throws Exception {
        out.section("An exhausted pool");
        try (Peers.Echo echo = new Peers.Echo();
             RunningBalancer lb = new RunningBalancer(config(echo.spec()).withMaxConnections(1))) {
            try (Socket holder = Peers.client(lb.port())) {
                holder.getOutputStream().write('x');
                Peers.await("the first client holds the only connection", () -> lb.lb.activeConnections() == 1);
                try (Socket refused = Peers.client(lb.port())) {
                    out.got(awaitLine(lb, "connection pool exhausted"));
                }
            }
        }
    }

    private static void fdSetSize(Out out, NativeSockets sockets) throws IOException {
        out.section("FD_SETSIZE");
        List<Integer> opened = new ArrayList<>();
        try (Transport t = Transport.open("select", 64)) {
            int fd;
            do {
                fd = openListener(sockets);
                opened.add(fd);
            } while (fd < Posix.FD_SETSIZE);
            try {
                t.loop().add(fd, Events.READ, NOOP);
                out.note("select accepted fd " + fd);
            } catch (IOException e) {
                out.got(e);
            }
        } finally {
            for (int fd : opened) sockets.close(fd);
        }
    }

    private static void otherMessages(Out out, NativeSockets sockets) throws Exception {
        out.section("Other messages you may meet");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Cli r = cli(String.valueOf(taken.getLocalPort()), "127.0.0.1:9001");
            out.got(r.firstErrLine());
            out.note("exit " + r.code);
        }
        int dead = Peers.deadPort();
        try (RunningBalancer lb = new RunningBalancer(config("127.0.0.1:" + dead))) {
            try (Socket client = Peers.client(lb.port())) {
                client.getOutputStream().write('x');
                out.got(awaitLine(lb, "failed (connect("));
                out.got(awaitLine(lb, "no backend reachable"));
            }
        }
        connectTimeout(out);
        Cli edge = cli("8080", "127.0.0.1:9001", "-e", "poll", "--edge-triggered");
        out.got(edge.firstErrLine());
        out.note("exit " + edge.code);
        Cli kqueue = cli("8080", "127.0.0.1:9001", "-e", "kqueue");
        out.got(kqueue.firstErrLine());
        out.note("exit " + kqueue.code);
        try {
            Transport.open("foo", 64).close();
        } catch (IllegalArgumentException e) {
            out.got(e.getMessage());
        }
        Transport closed = Transport.open("epoll", 64);
        closed.close();
        try {
            closed.loop().runOnce(0);
        } catch (IllegalStateException e) {
            out.got(e.getMessage());
        }
        handlerThrows(out, sockets);
    }

    /** A backend whose accept queue is full drops our SYN: the connect times out. */
    private static void connectTimeout(Out out) throws Exception {
        List<Socket> queued = new ArrayList<>();
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            // Fill its accept queue (never accepted) until a connect no longer completes.
            for (int i = 0; i < 8; i++) {
                Socket s = new Socket();
                try {
                    s.connect(full.getLocalSocketAddress(), 200);
                    queued.add(s);
                } catch (IOException timedOut) {
                    s.close();
                    break;
                }
            }
            try (RunningBalancer lb = new RunningBalancer(config("127.0.0.1:" + full.getLocalPort()).withTimeouts(500, 10));
                 Socket client = Peers.client(lb.port())) {
                client.getOutputStream().write('x');
                out.got(awaitLine(lb, "connect timed out"));
            }
        } finally {
            for (Socket s : queued) s.close();
        }
    }

    /** A handler that does not catch the IOException of a reset (the echo server of page 04, without its catch). */
    private static void handlerThrows(Out out, NativeSockets sockets) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Transport t = Transport.open("epoll", 64)) {
            EventLoop loop = t.loop();
            loop.setFailureLog(new PrintStream(log, true, StandardCharsets.UTF_8));
            IoBuffer buffer = IoBuffer.allocate(4096);
            PeerAddress peer = new PeerAddress();
            int listenFd = openListener(sockets);
            List<Integer> accepted = new ArrayList<>();
            loop.add(listenFd, Events.READ, (fd, ev) -> {
                int c;
                while ((c = sockets.accept(fd, peer)) != hpio.net.Sockets.AGAIN) {
                    accepted.add(c);
                    loop.add(c, Events.READ, (cfd, cev) -> {
                        int n = sockets.read(cfd, buffer, 0, buffer.capacity());    // throws on a reset
                        if (n > 0) sockets.write(cfd, buffer, 0, n);
                    });
                }
            });
            try (Socket client = new Socket("127.0.0.1", sockets.localPort(listenFd))) {
                client.setSoLinger(true, 0);       // close sends RST, not FIN
                while (accepted.isEmpty()) loop.runOnce(1000);
                client.close();
                long end = System.nanoTime() + Peers.DEADLINE.toNanos();
                while (loop.failures() == 0 && System.nanoTime() < end) loop.runOnce(1000);
            }
            for (int c : accepted) sockets.close(c);
            loop.remove(listenFd);
            sockets.close(listenFd);
        }
        String line = log.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("(no failure reported)");
        out.got(line);
    }

    record Cli(int code, String err) {
        String firstErrLine() { return err.lines().findFirst().orElse(""); }
    }

    private static Cli cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = HighPerfLb.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Cli(code, err.toString(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ child processes

    /** The messages that need a child JVM (a low open-files limit, or fd numbers of its own): tens of seconds. */
    static List<Message> inChildren() throws Exception {
        Out out = new Out();
        out.section("EMFILE");
        for (String mode : List.of("emfile", "noclass")) {
            ChildRun r = childJvm(64, mode);
            for (String line : r.lines) {
                if (line.startsWith("got: ")) out.got(line.substring(5));
                else out.note("child: " + line);
            }
        }
        try (Peers.Echo echo = new Peers.Echo()) {
            // Which of the two a run shows depends on whether its last free fd comes at an
            // accept or at the backend socket: one limit of each parity shows both.
            for (int limit : List.of(64, 63)) emfileBalancer(out, echo, limit);
        }
        out.section("FD_SETSIZE");
        try (Peers.Echo echo = new Peers.Echo()) {
            selectBalancer(out, echo);
        }
        out.section("Other messages you may meet");
        exerciseNotDone(out);
        return out.messages;
    }

    record ChildRun(int code, List<String> lines) {}

    /** This class again, in a JVM under {@code ulimit -n limit}, with the same class path. */
    private static ChildRun childJvm(int limit, String mode) throws Exception {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "ulimit -n " + limit + " && exec \"$@\"", "sh"));
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), CommonErrors.class.getName(), "--child", mode));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(Peers.DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("the child JVM (" + mode + ") did not finish: " + output);
        }
        return new ChildRun(p.exitValue(), output.lines().toList());
    }

    /** In the child: run out of descriptors and report what each layer says. */
    private static void child(String mode) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = Posix.newCallState(arena);
            if (mode.equals("noclass")) {
                // Out of fds before hpio.nativeio.Errno was ever needed: loading it needs an fd too.
                int n = 0;
                while (Posix.socket(cs, Posix.AF_INET, Posix.SOCK_STREAM, 0) >= 0) n++;
                int errno = Posix.errno(cs);
                try {
                    throw new NativeIOException("socket(AF_INET, SOCK_STREAM)", errno);
                } catch (Throwable t) {
                    System.out.println("got: " + t);
                }
                System.out.println("after " + n + " sockets");
                return;
            }
            // Everything loaded while fds are free (classes come from directories: each load opens a file).
            new NativeIOException("socket(AF_INET, SOCK_STREAM)", Errno.EMFILE).getMessage();
            NativeSockets sockets = new NativeSockets();
            sockets.close(openListener(sockets));
            Transport.open("epoll", 8).close();
            SocketChannel.open().close();
            int n = 0;
            try {
                while (true) {
                    openListener(sockets);
                    n++;
                }
            } catch (IOException e) {
                System.out.println("got: " + e);
            }
            System.out.println("after " + n + " sockets");
            try {
                SocketChannel.open();
            } catch (IOException e) {
                System.out.println("got: " + e);
            }
            try {
                Transport.open("epoll", 8);
            } catch (IOException e) {
                System.out.println("got: " + e);
            }
        }
    }

    /** The balancer under {@code ulimit -n limit}, pool unprotected, 40 clients at once. */
    private static void emfileBalancer(Out out, Peers.Echo echo, int limit) throws Exception {
        int port = Peers.deadPort();
        List<Socket> clients = new ArrayList<>();
        try (ChildBalancer child = new ChildBalancer(limit, List.of(), String.valueOf(port), echo.spec(),
                "--max-conns", "100", "-v")) {
            child.awaitListening();
            try {
                for (int i = 0; i < 40; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                    s.getOutputStream().write('x');
                    clients.add(s);
                }
                Peers.await("the balancer under ulimit -n " + limit + " runs out of fds (output: " + child.output + ")",
                        () -> child.output.stream().anyMatch(l -> l.contains("EMFILE")));
            } finally {
                for (Socket s : clients) s.close();
            }
            out.note("./high_perf_lb under ulimit -n " + limit + ", --max-conns 100, 40 clients");
            for (String line : child.output) if (line.contains("EMFILE")) out.got(line);
        }
    }

    /** The balancer on select, its pool forced past FD_SETSIZE, 520 clients. */
    private static void selectBalancer(Out out, Peers.Echo echo) throws Exception {
        int port = Peers.deadPort();
        List<Socket> clients = new ArrayList<>();
        try (ChildBalancer child = new ChildBalancer(List.of(), String.valueOf(port), echo.spec(),
                "-e", "select", "--max-conns", "600")) {
            child.awaitListening();
            try {
                for (int i = 0; i < 520; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                    s.getOutputStream().write('x');
                    clients.add(s);
                }
                Peers.await("the balancer on select meets FD_SETSIZE (output: " + child.output + ")",
                        () -> child.output.stream().anyMatch(l -> l.contains("FD_SETSIZE")));
            } finally {
                for (Socket s : clients) s.close();
            }
            out.note("./high_perf_lb -e select --max-conns 600, 520 clients");
            out.got(child.output.stream().filter(l -> l.contains("FD_SETSIZE")).findFirst().orElseThrow());
        }
    }

    /** The launcher's class path (chapter05 and exercises/), -e student-epoll: exercise 1's stub stops the start. */
    private static void exerciseNotDone(Out out) throws Exception {
        Path root = MarkdownDoc.repositoryRoot();
        Path exercises = root.resolve("exercises/target/classes");
        if (!Files.isDirectory(exercises)) {
            out.note("exercises/target/classes is missing (run make): the exercise message is not shown");
            return;
        }
        int port = Peers.deadPort();
        List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path") + File.pathSeparator + exercises,
                HighPerfLb.class.getName(), String.valueOf(port), "127.0.0.1:" + Peers.deadPort(), "-e", "student-epoll");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> p.inputReader(StandardCharsets.UTF_8).lines().forEach(lines::add));
        try {
            Peers.await("the balancer with exercises/ starts (output: " + lines + ")",
                    () -> lines.stream().anyMatch(l -> l.contains("listening on")) || !p.isAlive());
            if (p.isAlive()) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.getOutputStream().write('x');
                    if (!p.waitFor(Peers.DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                        out.note("exercise 1 is done in exercises/: its message does not appear (output: " + lines + ")");
                        return;
                    }
                }
            }
            reader.join(Peers.DEADLINE.toMillis());
            String line = lines.stream().filter(l -> l.contains("is not done yet")).findFirst().orElse(null);
            if (line == null) {
                out.note("no 'not done yet' line: " + lines);
                return;
            }
            out.got(line);
            out.note("exit " + p.exitValue());
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--child")) {
            child(args[1]);
            return;
        }
        boolean fast = args.length == 1 && args[0].equals("--fast");
        if (args.length > 0 && !fast) {
            System.err.println("usage: CommonErrors [--fast]   (--fast: only the messages that need no child process)");
            System.exit(2);
        }
        if (!Platform.isLinux()) {
            System.err.println("make errors: the messages of " + PAGE + " are Linux's (epoll, /proc); this is "
                    + System.getProperty("os.name"));
            System.exit(1);
        }
        long start = System.nanoTime();
        List<Message> all = new ArrayList<>(inProcess());
        if (!fast) all.addAll(inChildren());
        String section = null;
        for (String pageSection : sections(Files.readAllLines(MarkdownDoc.repositoryRoot().resolve(PAGE))).keySet()) {
            for (Message m : all) {
                if (!m.section().equals(pageSection)) continue;
                if (!pageSection.equals(section)) {
                    System.out.println();
                    System.out.println("## " + pageSection);
                    section = pageSection;
                }
                System.out.println(m.shown());
            }
        }
        for (Message m : all) {
            if (!sections(Files.readAllLines(MarkdownDoc.repositoryRoot().resolve(PAGE))).containsKey(m.section())) {
                System.out.println("[no section " + m.section() + "] " + m.shown());
            }
        }
        List<String> problems = notOnPage(all, Files.readAllLines(MarkdownDoc.repositoryRoot().resolve(PAGE)));
        long checked = all.stream().filter(m -> m.checked() != null).count();
        System.out.println();
        System.out.printf("%d messages in %.1f s; %s%n", checked, (System.nanoTime() - start) / 1e9,
                problems.isEmpty() ? "each is on " + PAGE + " (fd numbers, ports and ms masked)"
                        : problems.size() + " not on " + PAGE + ":");
        for (String p : problems) System.out.println("  " + p);
        System.exit(problems.isEmpty() ? 0 : 1);
    }
}
