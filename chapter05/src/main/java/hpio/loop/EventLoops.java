package hpio.loop;

import hpio.loop.backends.EpollBackend;
import hpio.loop.backends.IoUringBackend;
import hpio.loop.backends.KqueueBackend;
import hpio.loop.backends.NioBackend;
import hpio.loop.backends.PollBackend;
import hpio.loop.backends.SelectBackend;
import hpio.nativeio.LinuxIoUring;
import hpio.nativeio.Platform;
import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.IntFunction;

/** Picks and opens a backend: by name, or "auto" for the best this OS has. */
public final class EventLoops {
    private EventLoops() {}

    /** The built-in backends' names, as accepted by {@link #open}. */
    public static final List<String> NAMES = List.of("select", "poll", "epoll", "io_uring", "kqueue", "nio");

    /** Backends from outside (the exercises' own), found once through ServiceLoader. */
    private static final List<BackendProvider> PROVIDED =
            ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get).toList();

    private static BackendProvider provided(String name) {
        for (BackendProvider p : PROVIDED) if (p.name().equals(name)) return p;
        return null;
    }

    /** Every name {@link #open} takes here: the built-ins, then any provided ones. */
    public static List<String> allNames() {
        List<String> all = new ArrayList<>(NAMES);
        for (BackendProvider p : PROVIDED) all.add(p.name());
        return all;
    }

    // snippet-start choose-backend
    /**
     * The order "auto" tries them in, best first (the one place this is decided).
     * io_uring (readiness) is left out: measured here it is no better than epoll
     * (docs/11-io-uring.md has the figures), and where a seccomp filter or
     * kernel.io_uring_disabled forbids it, epoll always works.
     */
    public static final List<String> BEST_FIRST = List.of("epoll", "kqueue", "poll", "select");

    /** The backend "auto" picks here: epoll on Linux, kqueue on macOS and the BSDs, else poll. */
    public static String autoName() {
        for (String name : BEST_FIRST) if (isAvailable(name)) return name;
        return "nio";
    }
    // snippet-end choose-backend

    public static boolean isAvailable(String name) {
        boolean posix = Platform.isLinux() || Platform.isBsd();
        return switch (name) {
            case "epoll" -> Platform.isLinux();
            case "io_uring" -> LinuxIoUring.unavailableReason() == null;
            case "kqueue" -> Platform.isBsd();
            case "poll", "select" -> posix;
            case "nio" -> true;
            default -> provided(name) != null && provided(name).unavailableReason() == null;
        };
    }

    /** Whether the backend {@code name} can register {@link Events#EDGE} ("auto" means what it picks here). */
    public static boolean supportsEdgeTriggered(String name) {
        String chosen = name.equals("auto") ? autoName() : name;
        BackendProvider p = provided(chosen);
        if (p != null) return p.supportsEdgeTriggered();
        return chosen.equals("epoll") || chosen.equals("kqueue") || chosen.equals("io_uring");
    }

    /** Why {@code name} cannot be opened here, or null when it can. */
    public static String unavailableReason(String name) {
        if (name.equals("auto")) return null;
        BackendProvider p = provided(name);
        if (p != null) return p.unavailableReason();
        if (!NAMES.contains(name)) {
            return "unknown event backend '" + name + "' (choose auto, " + String.join(", ", allNames()) + ")";
        }
        if (isAvailable(name)) return null;
        if (name.equals("io_uring")) return LinuxIoUring.unavailableReason();
        String needs = switch (name) {
            case "epoll" -> "Linux";
            case "kqueue" -> "macOS or FreeBSD";
            default -> "Linux, macOS or FreeBSD";
        };
        return "the " + name + " backend needs " + needs + "; this is " + System.getProperty("os.name");
    }

    /**
     * The backend {@code name} stands for here: itself, or for "auto" the best this OS has.
     *
     * @throws IllegalArgumentException for an unknown name or one this OS lacks
     */
    public static String resolve(String name) {
        String reason = unavailableReason(name);
        if (reason != null) throw new IllegalArgumentException(reason);
        return name.equals("auto") ? autoName() : name;
    }

    /**
     * Opens a loop on the named backend. (A loop with its matching socket layer,
     * raw fds or nio channels, comes from {@code hpio.transport.Transport.open}.)
     *
     * @param name        "auto", "select", "poll", "epoll", "io_uring", "kqueue" or "nio"
     * @param batchSize   most events handled per {@link EventLoop#runOnce}
     * @param nioChannels for "nio" only: the channel behind each handle the loop is given
     * @throws IllegalArgumentException for an unknown name or one this OS lacks
     */
    public static EventLoop open(String name, int batchSize, IntFunction<SelectableChannel> nioChannels)
            throws IOException {
        String chosen = resolve(name);
        if (chosen.equals("nio") && nioChannels == null) {
            throw new IllegalArgumentException("the nio backend needs the channel lookup of its socket layer");
        }
        // snippet-start open-backend
        BackendProvider p = provided(chosen);
        Backend backend = p != null ? p.open(batchSize) : switch (chosen) {
            case "select" -> new SelectBackend();
            case "poll" -> new PollBackend();
            case "epoll" -> new EpollBackend(batchSize);
            case "io_uring" -> new IoUringBackend(batchSize);
            case "kqueue" -> new KqueueBackend(batchSize);
            case "nio" -> new NioBackend(nioChannels);
            default -> throw new AssertionError(chosen);
        };
        // snippet-end open-backend
        try {
            return new EventLoop(backend, batchSize);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }
}
