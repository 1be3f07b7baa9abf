package hpio.lb;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hpio.testing.Peers;
import hpio.testing.RunningBalancer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The whole contract again, with {@code --splice}: every byte through a pipe, none through user space. */
@EnabledOnOs(OS.LINUX)
class LbOnEpollSpliceTest extends LoadBalancerContract {
    @Override String backend() { return "epoll"; }

    @Override
    LbConfig config(String... upstreams) { return super.config(upstreams).withSplice(64 * 1024); }

    @Override
    List<String> backendArgs() { return List.of("-e", backend(), "--splice"); }

    /** Pooled pipes stay open for the next connections, by design; bounded by the pool's maximum. */
    @Override
    int pooledFds(RunningBalancer lb) { return 2 * lb.reactor().forwarder().splicer().pipesOpen(); }

    /** With --splice what a destination did not take waits in the flow's pipe, not in user space. */
    @Override
    boolean holdsBytes(RunningBalancer lb) {
        Connection c = SpliceTest.openConnection(lb);
        return c != null && (c.toClient.piped > 0 || c.toBackend.piped > 0);
    }

    // Exercise 4's write queue and --splice are refused together (the pipe is the write buffer):
    // the three write-queue tests of the contract become one test of the refusal.
    @Override
    void aWriteQueueThatThrowsCostsOneConnection() {}

    @Override
    void aBackendResetDoesNotDropWhatAWatermarkQueueHolds() {}

    @Override
    void aBackendResetMetWhileWritingToItStillDeliversItsReply() {}

    @Override
    void aWriteQueueWhoseClearThrowsStillGivesTheSlotBack() {}

    @Test
    void aWriteQueueIsRefusedWithSplice() throws Exception {
        Hooks hooks = new Hooks(hpio.lb.hooks.ReadPolicy.LEVEL_TRIGGERED,
                port -> new SpareBufferQueue(port, new SpareBufferQueue.Spares()), null, null, "this test", "");
        try (Peers.Echo echo = new Peers.Echo()) {
            assertThatThrownBy(() -> new RunningBalancer(config(echo.spec()), hooks).close())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--splice and --write-buffer do not go together");
        }
    }
}
