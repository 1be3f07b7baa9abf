package hpio.lb;

import hpio.lb.hooks.ExerciseKit;
import hpio.lb.hooks.FlowPort;
import hpio.lb.hooks.IdlePolicy;
import hpio.lb.hooks.ReadPolicy;
import hpio.lb.hooks.ShutdownControl;
import hpio.lb.hooks.WriteQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The exercise seams a balancer runs with, as objects: the baseline, or what an
 * {@link ExerciseKit} made for the options switched on. Built by
 * {@link HighPerfLb} (or a test) and handed to the {@link LoadBalancer}.
 *
 * @param readPolicy  how readiness is consumed: level-triggered, or exercise 3's
 * @param writeQueues null for the baseline's spare buffers, else makes exercise
 *                    4's queue for a flow (once, on its first short write)
 * @param idle        null when connections never time out, else exercise 5's policy
 * @param shutdown    null when a signal stops at once, else exercise 6's control
 * @param origin      where the exercise objects come from ("exercises", "solutions", a test)
 * @param description the exercises switched on, for the start-up line ("" when none)
 */
public record Hooks(ReadPolicy readPolicy, Function<FlowPort, WriteQueue> writeQueues, IdlePolicy idle,
                    ShutdownControl shutdown, String origin, String description) {

    /**
     * The line for a stub reached at run time ({@code TODO(exN): ...}): which
     * exercise, where, and what to do, instead of a stack trace; null for any other exception.
     */
    public static String notDoneYet(Throwable t, String origin) {
        if (!(t instanceof UnsupportedOperationException)) return null;
        String what = String.valueOf(t.getMessage());
        if (!what.startsWith("TODO(ex") || what.length() < 9) return null;
        String n = what.substring(7, what.indexOf(')') > 7 ? what.indexOf(')') : 8);
        return "high_perf_lb: exercise " + n + " is not done yet in " + origin + "/ (" + what
                + "): work on it with `make exercise EX=" + n + "`, or add --solutions";
    }

    /** No exercise switched on. */
    public static final Hooks BASELINE = new Hooks(ReadPolicy.LEVEL_TRIGGERED, null, null, null, "chapter05", "");

    /**
     * The hooks {@code ex} asks for, made by {@code kit}.
     *
     * @throws IllegalStateException when an exercise is switched on and no kit is on the class path
     */
    public static Hooks of(LbConfig.Exercises ex, ExerciseKit kit) {
        boolean any = ex.edgeTriggered() || ex.writeBufferHighWatermark() > 0 || ex.idleTimeoutMillis() > 0
                || ex.drainTimeoutSeconds() >= 0;
        if (!any) return BASELINE;
        if (kit == null) {
            throw new IllegalStateException("the exercise classes are not on the class path: build with `make` "
                    + "and start with ./high_perf_lb (it adds exercises/ or, with --solutions, solutions/)");
        }
        StringBuilder on = new StringBuilder();
        ReadPolicy read = ReadPolicy.LEVEL_TRIGGERED;
        if (ex.edgeTriggered()) {
            read = kit.edgeTriggered();
            on.append("edge-triggered (ex3) ");
        }
        Function<FlowPort, WriteQueue> queues = null;
        int high = ex.writeBufferHighWatermark();
        if (high > 0) {
            queues = port -> kit.writeQueue(port, high, high / 2);
            on.append("write buffer ").append(high / 1024).append(" KiB (ex4) ");
        }
        IdlePolicy idle = null;
        if (ex.idleTimeoutMillis() > 0) {
            idle = kit.idleTimeouts(TimeUnit.MILLISECONDS.toNanos(ex.idleTimeoutMillis()));
            on.append("idle timeout ").append(ex.idleTimeoutMillis()).append(" ms (ex5) ");
        }
        ShutdownControl shutdown = null;
        if (ex.drainTimeoutSeconds() >= 0) {
            shutdown = kit.gracefulShutdown(TimeUnit.SECONDS.toNanos(ex.drainTimeoutSeconds()));
            on.append("graceful shutdown, drain ").append(ex.drainTimeoutSeconds()).append(" s (ex6) ");
        }
        return new Hooks(read, queues, idle, shutdown, kit.origin(), on.toString().trim());
    }
}
