package hpio.testing;

import hpio.lb.HighPerfLb;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * {@code high_perf_lb} as a real child process (same JDK, same class path), for the
 * tests that need a process of its own: fd numbers not shared with the test, signals,
 * exit codes.
 */
public final class ChildBalancer implements AutoCloseable {
    public final Process process;
    public final List<String> output = new CopyOnWriteArrayList<>();

    public ChildBalancer(String... args) throws IOException {
        this(List.of(), args);
    }

    /** With extra JVM options for the child (e.g. a small off-heap budget). */
    public ChildBalancer(List<String> jvmOptions, String... args) throws IOException {
        this(0, jvmOptions, args);
    }

    /**
     * Under a lower open-files limit: {@code ulimit -n} (soft and hard) in a shell that
     * then execs the JVM; 0 keeps the limit as it is.
     */
    public ChildBalancer(int openFilesLimit, List<String> jvmOptions, String... args) throws IOException {
        this(HighPerfLb.class.getName(), openFilesLimit, jvmOptions, args);
    }

    /** Another main class on the same class path: a test's own launcher around the balancer. */
    public ChildBalancer(Class<?> mainClass, String... args) throws IOException {
        this(mainClass.getName(), 0, List.of(), args);
    }

    private ChildBalancer(String mainClass, int openFilesLimit, List<String> jvmOptions, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        if (openFilesLimit > 0) command.addAll(List.of("/bin/sh", "-c", "ulimit -n " + openFilesLimit + " && exec \"$@\"",
                "sh"));
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-XX:+UseSerialGC");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) output.add(line);
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    /** Waits for the start-up line; fails with the child's output if it exits instead. */
    public ChildBalancer awaitListening() {
        Peers.await("the balancer prints 'listening on' (output so far: " + output + ")", () -> {
            if (!process.isAlive()) throw new AssertionError("the balancer exited: " + output);
            return output.stream().anyMatch(l -> l.contains("listening on"));
        });
        return this;
    }

    /**
     * Sends SIGTERM. (Not {@code process.destroy()}: that also closes our end of
     * the child's output, so nothing it prints afterwards could be read.)
     */
    public void sigterm() {
        process.toHandle().destroy();
    }

    /** The child's resident set (VmRSS from /proc), in KiB: Linux only. */
    public long rssKib() throws IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IOException("no VmRSS in /proc/" + process.pid() + "/status");
    }

    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(Peers.DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("the balancer did not exit: " + output);
        }
        Peers.await("its output is read to the end", () -> true);
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
