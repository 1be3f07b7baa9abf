package hpio.lb.hooks;

import java.util.ServiceLoader;

/**
 * The exercises' implementations of the balancer's seams, as one object. Both
 * {@code exercises/} (the student's code) and {@code solutions/} (the reference)
 * provide one, as a {@link ServiceLoader} service named in their
 * {@code META-INF/services/hpio.lb.hooks.ExerciseKit}; the launcher puts one of the
 * two jars on the class path. Each method builds a new instance of that module's
 * class, type-checked when the module is compiled.
 */
public interface ExerciseKit {
    /** "exercises" or "solutions": where these classes come from, for messages. */
    String origin();

    /** Exercise 3, {@code --edge-triggered}. */
    ReadPolicy edgeTriggered();

    /** Exercise 4, {@code --write-buffer}: one per flow that needs one. */
    WriteQueue writeQueue(FlowPort port, int highWatermark, int lowWatermark);

    /** Exercise 5, {@code --idle-timeout}. */
    IdlePolicy idleTimeouts(long timeoutNanos);

    /** Exercise 6, {@code --graceful} or {@code --drain-timeout}. */
    ShutdownControl gracefulShutdown(long drainTimeoutNanos);

    /** The kit on the class path, or null when there is none (chapter05 alone: no exercise can be switched on). */
    static ExerciseKit find() {
        return ServiceLoader.load(ExerciseKit.class).findFirst().orElse(null);
    }
}
