package hpio.loop;

/** The whole contract against a real kqueue: runs on macOS and FreeBSD; elsewhere each test is skipped, with the reason printed. */
class KqueueLoopTest extends EventLoopContract {
    @Override protected String backend() { return "kqueue"; }

    @Override protected boolean reportsHangUp() { return true; }

    @Override protected boolean supportsEdge() { return true; }
}
