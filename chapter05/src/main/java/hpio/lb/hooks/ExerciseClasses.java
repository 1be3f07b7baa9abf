package hpio.lb.hooks;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Finds an exercise's class by name on the class path: the student's from
 * {@code exercises/} by default, the reference from {@code solutions/} when the
 * launcher is given {@code --solutions}. Both define the same class names.
 */
public final class ExerciseClasses {
    private ExerciseClasses() {}

    public static final String EDGE_TRIGGERED = "hpio.exercises.ex1.EdgeTriggered";
    public static final String WRITE_BUFFER = "hpio.exercises.ex2.WriteBuffer";
    public static final String IDLE_TIMEOUTS = "hpio.exercises.ex3.IdleTimeouts";
    public static final String GRACEFUL_SHUTDOWN = "hpio.exercises.ex4.GracefulShutdown";

    /** Which implementation the launcher put on the class path ("exercises" or "solutions"). */
    public static String source() {
        return System.getProperty("hpio.exercises", "exercises");
    }

    /** A constructor of {@code className} taking {@code parameterTypes}, as a method handle. */
    public static MethodHandle constructor(String className, Class<?> type, Class<?>... parameterTypes) {
        Class<?> c;
        try {
            c = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(className + " is not on the class path: build with `make` "
                    + "(the launcher adds exercises/ or, with --solutions, solutions/)", e);
        }
        if (!type.isAssignableFrom(c)) {
            throw new IllegalStateException(className + " does not implement " + type.getName());
        }
        try {
            return MethodHandles.publicLookup().findConstructor(c, MethodType.methodType(void.class, parameterTypes));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(className + " has no public constructor taking "
                    + java.util.Arrays.toString(parameterTypes), e);
        }
    }

    /** Creates an instance through a handle from {@link #constructor}. */
    public static <T> T create(MethodHandle constructor, Class<T> type, Object... args) {
        try {
            return type.cast(constructor.invokeWithArguments(args));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot create " + type.getSimpleName() + ": " + t, t);
        }
    }
}
