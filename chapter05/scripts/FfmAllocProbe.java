import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;

/**
 * How many heap bytes one FFM downcall allocates, with and without errno capture
 * (docs/06-performance.md, "GC and JIT"; the launcher's comment on C1). Run it
 * under the launcher's compiler and under the default one:
 *
 *   $JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 chapter05/scripts/FfmAllocProbe.java
 *   $JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED chapter05/scripts/FfmAllocProbe.java
 *
 * Measured here with Temurin 25: 40.0 B per captured call under C1 from the second
 * round on, 0.0 under C2; 0.0 for the plain call under both.
 */
public class FfmAllocProbe {
    public static void main(String[] args) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MemorySegment close = linker.defaultLookup().find("close").orElseThrow();
        FunctionDescriptor intOfInt = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        MethodHandle plain = linker.downcallHandle(close, intOfInt);
        MethodHandle captured = linker.downcallHandle(close, intOfInt, Linker.Option.captureCallState("errno"));
        MemorySegment state = Arena.global().allocate(Linker.Option.captureStateLayout());
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final int calls = 1_000_000;
        for (int round = 1; round <= 5; round++) {     // the first rounds include the compiling
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < calls; i++) { int ignored = (int) plain.invokeExact(-1); }  // close(-1): EBADF, no side effect
            long middle = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < calls; i++) { int ignored = (int) captured.invokeExact(state, -1); }
            long after = threads.getCurrentThreadAllocatedBytes();
            System.out.printf("round %d: plain %.1f B/call, errno captured %.1f B/call%n",
                    round, (middle - before) / (double) calls, (after - middle) / (double) calls);
        }
    }
}
