package hpio.measure;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Every process the run starts: backends, proxies, load tools. Each child gets a
 * session of its own (setsid) when the system has it: a Ctrl-C in the terminal
 * goes to the terminal's process group, so it reaches us and not a proxy
 * half-way through its row; we then end every child ourselves (a shutdown hook
 * calls {@link #stopAll}). A stop reaches what a child forked too (nginx's
 * worker). Output goes to a log file, input is /dev/null.
 */
final class Children {
    private static final File DEV_NULL = new File("/dev/null");

    private final Optional<Path> setsid = Host.which("setsid");
    private final List<Process> running = new ArrayList<>();
    private boolean closed;
    private Path commands;

    /** From now on every command started is also written to {@code file}, as a shell would run it. */
    synchronized void recordTo(Path file) {
        commands = file;
    }

    /** Starts {@code command} with its output (stdout and stderr) in {@code log}. */
    synchronized Process start(Path log, List<String> command) {
        if (closed) throw new IllegalStateException("stopping: no new process");
        List<String> argv = new ArrayList<>();
        setsid.ifPresent(p -> argv.add(p.toString()));
        argv.addAll(command);
        if (commands != null) {
            try {
                Files.writeString(commands, shell(command) + "    # output: " + log + "\n",
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + commands + ": " + e.getMessage(), e);
            }
        }
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(DEV_NULL)).start();
            running.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.getFirst() + ": " + e.getMessage(), e);
        }
    }

    /** The command as a POSIX shell reads it: a word with anything but [A-Za-z0-9_./:=,+@%-] single-quoted. */
    static String shell(List<String> command) {
        StringBuilder line = new StringBuilder();
        for (String word : command) {
            if (!line.isEmpty()) line.append(' ');
            line.append(word.matches("[A-Za-z0-9_./:=,+@%-]+") ? word : "'" + word.replace("'", "'\\''") + "'");
        }
        return line.toString();
    }

    /** Waits for the process to end by itself (a load tool's run), then makes sure its family is gone. */
    int waitFor(Process p) {
        int rc;
        try {
            rc = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            rc = -1;
        }
        stop(p);
        return rc;
    }

    /** SIGTERM to the process and its descendants, up to 10 s to exit, then SIGKILL. */
    void stop(Process p) {
        List<ProcessHandle> family = family(p);
        family.forEach(ProcessHandle::destroy);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) family.forEach(ProcessHandle::destroyForcibly);
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            family.forEach(ProcessHandle::destroyForcibly);
        }
        // A worker still going after its master ended (it had not seen the signal yet).
        family.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        synchronized (this) {
            running.remove(p);
        }
    }

    /** Ends every child still running: SIGTERM to all, a moment, then SIGKILL; no new ones after. */
    void stopAll() {
        List<ProcessHandle> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            running.forEach(p -> all.addAll(family(p)));
            running.clear();
        }
        if (all.isEmpty()) return;
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        while (all.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) pause(20);
        all.forEach(ProcessHandle::destroyForcibly);
    }

    /** The process first, then its descendants (taken before any is signalled, so none is missed). */
    private static List<ProcessHandle> family(Process p) {
        List<ProcessHandle> f = new ArrayList<>(List.of(p.toHandle()));
        p.descendants().forEach(f::add);
        return f;
    }

    /** Until the port accepts a connection: false if {@code p} exits first or after 20 s. */
    static boolean awaitPort(int port, Process p) {
        for (int i = 0; i < 200; i++) {
            if (portOpen(port)) return true;
            if (!p.isAlive()) return false;
            pause(100);
        }
        return false;
    }

    /** Whether something accepts connections on 127.0.0.1:port. */
    static boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
