package hpio.lb;

/** The whole contract with two loops (--threads 2), each with its own SO_REUSEPORT listener. */
class LbOnNioThreads2Test extends LoadBalancerContract {
    @Override String backend() { return "nio"; }

    @Override int threads() { return 2; }
}
