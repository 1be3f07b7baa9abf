package hpio.loop;

class NioLoopTest extends EventLoopContract {
    @Override protected String backend() { return "nio"; }
}
