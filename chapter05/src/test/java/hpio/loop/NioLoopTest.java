package hpio.loop;

class NioLoopTest extends EventLoopContract {
    @Override String backend() { return "nio"; }
}
