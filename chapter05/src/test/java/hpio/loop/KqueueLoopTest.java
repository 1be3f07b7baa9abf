package hpio.loop;

import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The whole contract against a real kqueue: runs on macOS and FreeBSD, reported as disabled on Linux. */
@EnabledOnOs(value = {OS.MAC, OS.FREEBSD}, disabledReason = "kqueue needs macOS or FreeBSD; this OS has no kqueue")
class KqueueLoopTest extends EventLoopContract {
    @Override String backend() { return "kqueue"; }

    @Override boolean reportsHangUp() { return true; }
}
