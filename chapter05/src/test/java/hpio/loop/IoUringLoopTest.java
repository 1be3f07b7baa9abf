package hpio.loop;

class IoUringLoopTest extends EventLoopContract {
    @Override protected String backend() { return "io_uring"; }

    @Override protected boolean reportsHangUp() { return true; }

    @Override protected boolean supportsEdge() { return true; }
}
