package hpio.exercises;

import hpio.exercises.ex1.EdgeTriggered;
import hpio.exercises.ex2.WriteBuffer;
import hpio.exercises.ex3.IdleTimeouts;
import hpio.exercises.ex4.GracefulShutdown;
import hpio.lb.hooks.ExerciseKit;
import hpio.lb.hooks.IdleTracker;
import hpio.lb.hooks.OutboundBuffer;
import hpio.lb.hooks.ReadPolicy;
import hpio.lb.hooks.ShutdownControl;

/**
 * How the balancer finds this module's classes: it asks java.util.ServiceLoader
 * for an ExerciseKit, and META-INF/services names this one. Nothing to do here;
 * the exercises are in ex1 to ex4.
 */
public final class Kit implements ExerciseKit {
    @Override public String origin() { return "solutions"; }

    @Override public ReadPolicy edgeTriggered() { return new EdgeTriggered(); }

    @Override public OutboundBuffer writeBuffer(int highWatermark, int lowWatermark) {
        return new WriteBuffer(highWatermark, lowWatermark);
    }

    @Override public IdleTracker idleTracker(long timeoutNanos) { return new IdleTimeouts(timeoutNanos); }

    @Override public ShutdownControl gracefulShutdown(long drainTimeoutNanos) {
        return new GracefulShutdown(drainTimeoutNanos);
    }
}
