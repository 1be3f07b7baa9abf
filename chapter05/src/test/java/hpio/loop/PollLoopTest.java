package hpio.loop;


class PollLoopTest extends EventLoopContract {
    @Override protected String backend() { return "poll"; }
}
