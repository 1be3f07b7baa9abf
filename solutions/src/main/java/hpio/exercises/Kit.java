package hpio.exercises;

import hpio.exercises.ex3.EdgeTriggered;
import hpio.exercises.ex4.WriteBuffer;
import hpio.exercises.ex5.IdleTimeouts;
import hpio.exercises.ex6.GracefulShutdown;
import hpio.lb.hooks.ExerciseKit;
import hpio.lb.hooks.FlowPort;
import hpio.lb.hooks.IdlePolicy;
import hpio.lb.hooks.ReadPolicy;
import hpio.lb.hooks.ShutdownControl;
import hpio.lb.hooks.WriteQueue;

/**
 * How the balancer finds this module's classes: it asks java.util.ServiceLoader
 * for an ExerciseKit, and META-INF/services names this one. (Exercise 1's backend
 * is found the same way, as a hpio.loop.BackendProvider.) Nothing to do here: the
 * exercises are in ex1 to ex6.
 */
public final class Kit implements ExerciseKit {
    @Override public String origin() { return "solutions"; }

    @Override public ReadPolicy edgeTriggered() { return new EdgeTriggered(); }

    @Override public WriteQueue writeQueue(FlowPort port, int highWatermark, int lowWatermark) {
        return new WriteBuffer(port, highWatermark, lowWatermark);
    }

    @Override public IdlePolicy idleTimeouts(long timeoutNanos) { return new IdleTimeouts(timeoutNanos); }

    @Override public ShutdownControl gracefulShutdown(long drainTimeoutNanos) {
        return new GracefulShutdown(drainTimeoutNanos);
    }
}
