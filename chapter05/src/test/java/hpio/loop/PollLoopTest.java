package hpio.loop;


class PollLoopTest extends EventLoopContract {
    @Override String backend() { return "poll"; }
}
