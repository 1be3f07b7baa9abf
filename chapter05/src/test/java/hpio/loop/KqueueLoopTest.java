package hpio.loop;

/** The whole contract against a real kqueue: runs on macOS and FreeBSD; elsewhere each test is skipped, with the reason printed. */
class KqueueLoopTest extends EventLoopContract {
    @Override String backend() { return "kqueue"; }

    @Override boolean reportsHangUp() { return true; }

    @Override boolean supportsEdge() { return true; }
}
