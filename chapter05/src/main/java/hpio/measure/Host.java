package hpio.measure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The machine the run is on: which programs are installed, what they say about
 * themselves, and the facts the report's header names (cores, CPU, memory, OS).
 * Read where the OS keeps them (/proc, /etc/os-release); on macOS from the
 * commands that stand in for them (sysctl, sw_vers).
 */
final class Host {
    private Host() {}

    /** The program's path, as {@code command -v} finds it on PATH. */
    static Optional<Path> which(String program) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /**
     * Runs a short command (a version query, uname) and returns what it printed,
     * stdout and stderr together (nginx -v and wrk -v write to stderr); "" when it
     * could not run or took more than 10 s.
     */
    static String output(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The first group of the first match of {@code regex} in {@code text}, or "". */
    static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        return m.find() ? m.group(1) : "";
    }

    /** uname -s: Linux, Darwin, FreeBSD. */
    static String os() {
        String s = output("uname", "-s").trim();
        return s.isEmpty() ? System.getProperty("os.name") : s;
    }

    /** uname -sr, as "Linux 6.18.44-fc-v595". */
    static String kernel() {
        String s = output("uname", "-sr").trim();
        return s.isEmpty() ? System.getProperty("os.name") + " " + System.getProperty("os.version") : s;
    }

    /** Online processors, as getconf reports them (not limited to this JVM's affinity). */
    static int cores() {
        String s = output("getconf", "_NPROCESSORS_ONLN").trim();
        return s.matches("[0-9]+") ? Integer.parseInt(s) : Runtime.getRuntime().availableProcessors();
    }

    /** The distribution's name (PRETTY_NAME), macOS's product name, or uname -s. */
    static String osName(String os) {
        String pretty = find(read(Path.of("/etc/os-release")), "^PRETTY_NAME=\"?([^\"\\n]*)\"?$");
        if (!pretty.isEmpty()) return pretty;
        String product = output("sw_vers", "-productName").trim();
        return product.isEmpty() ? os : product;
    }

    static String cpuModel() {
        String model = find(read(Path.of("/proc/cpuinfo")), "^model name\\s*: (.*)$");
        if (!model.isEmpty()) return model;
        model = output("sysctl", "-n", "machdep.cpu.brand_string").trim();
        return model.isEmpty() ? System.getProperty("os.arch") : model;
    }

    /** "24 GiB", from /proc/meminfo; "" where there is none. */
    static String memory() {
        String kib = find(read(Path.of("/proc/meminfo")), "^MemTotal:\\s+([0-9]+)");
        return kib.isEmpty() ? "" : Numbers.fixed(Long.parseLong(kib) / 1048576.0, 0) + " GiB";
    }

    /** A whole file, or "" when it cannot be read (no /proc on macOS). */
    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The lines of a file, or none. */
    static List<String> lines(Path file) {
        String s = read(file);
        return s.isEmpty() ? List.of() : s.lines().toList();
    }
}
