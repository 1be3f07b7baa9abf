package hpio.lb;

class LbOnNioTest extends LoadBalancerContract {
    @Override String backend() { return "nio"; }
}
