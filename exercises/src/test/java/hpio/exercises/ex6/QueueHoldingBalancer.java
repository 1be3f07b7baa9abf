package hpio.exercises.ex6;

import hpio.lb.Hooks;
import hpio.lb.LbConfig;
import hpio.lb.LoadBalancer;
import hpio.lb.hooks.Acceptor;
import hpio.lb.hooks.ExerciseKit;
import hpio.lb.hooks.Pump;
import hpio.lb.hooks.ReadPolicy;
import hpio.net.OpenFiles;
import java.util.List;

/**
 * The balancer with graceful shutdown, as a child process for
 * {@link GracefulShutdownEndToEndTest}, whose loop never accepts a client by
 * itself: the clients stay in the listener's accept queue until the drain takes
 * them (Drain.acceptPending) or closing the listener resets them. That is the
 * state a drain can meet in a real balancer when clients arrive between the
 * loop's last accept and the signal, made certain for the test.
 *
 * <p>Arguments: PORT BACKEND_HOST:PORT DRAIN_SECONDS.
 */
public final class QueueHoldingBalancer {
    private QueueHoldingBalancer() {}

    /** Level-triggered reads, as the baseline; no accept. */
    private static final ReadPolicy HOLD_THE_QUEUE = new ReadPolicy() {
        @Override public int registrationFlags() { return 0; }

        @Override public void onAcceptable(Acceptor acceptor) throws java.io.IOException {
            try {
                Thread.sleep(1);      // the listener stays readable (level-triggered): not a busy loop at full speed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override public void onReadable(Pump pump) { pump.pumpOnce(); }
    };

    public static void main(String[] args) throws Exception {
        String[] backend = args[1].split(":");
        LbConfig config = LbConfig.defaults(Integer.parseInt(args[0]),
                        List.of(new LbConfig.UpstreamSpec(backend[0], Integer.parseInt(backend[1]), 1)))
                .withExercises(LbConfig.Exercises.NONE.withDrainTimeout(Integer.parseInt(args[2])));
        Hooks kit = Hooks.of(config.exercises(), ExerciseKit.find());
        Hooks hooks = new Hooks(HOLD_THE_QUEUE, kit.writeQueues(), kit.idle(), kit.shutdown(), kit.origin(),
                "accepts only through the drain (a test)");
        try (LoadBalancer lb = new LoadBalancer(config, hooks, OpenFiles.raiseSoftToHard(), System.err)) {
            lb.run();
        }
        System.err.println("high_perf_lb: stopped");
        System.exit(0);
    }
}
