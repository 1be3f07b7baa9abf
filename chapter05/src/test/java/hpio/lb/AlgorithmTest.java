package hpio.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AlgorithmTest {
    private static final long ALL = -1L;

    private static Upstream[] upstreams(int... weights) {
        Upstream[] u = new Upstream[weights.length];
        for (int i = 0; i < weights.length; i++) u[i] = new Upstream(i, "127.0.0.1", 9001 + i, weights[i]);
        return u;
    }

    private static String sequence(Algorithm a, Upstream[] ups, int picks, long candidates) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < picks; i++) b.append((char) ('A' + a.pick(ups, 0x7f000001, candidates)));
        return b.toString();
    }

    @Test
    void roundRobinTakesEachInTurnAndSkipsExcludedOnes() {
        Upstream[] ups = upstreams(1, 1, 1);
        assertThat(sequence(Algorithm.of("rr", 3), ups, 6, ALL)).isEqualTo("ABCABC");
        assertThat(sequence(Algorithm.of("rr", 3), ups, 4, 0b101)).isEqualTo("ACAC");
        assertThat(Algorithm.of("rr", 3).pick(ups, 1, 0)).isEqualTo(-1);
    }

    @Test
    void smoothWeightedRoundRobinInterleavesThreeToTwo() {
        Upstream[] ups = upstreams(3, 2);
        // nginx's smooth algorithm: never A A A B B.
        assertThat(sequence(Algorithm.of("wrr", 2), ups, 10, ALL)).isEqualTo("ABABAABABA");
    }

    @Test
    void smoothWeightedRoundRobinMatchesNginxForFiveOneOne() {
        // The example from nginx's commit that introduced it: {a=5, b=1, c=1}.
        assertThat(sequence(Algorithm.of("wrr", 3), upstreams(5, 1, 1), 7, ALL)).isEqualTo("AABACAA");
    }

    @Test
    void weightedRoundRobinGivesExactSharesOverAWholeCycle() {
        Algorithm wrr = Algorithm.of("wrr", 2);
        Upstream[] ups = upstreams(3, 2);
        int a = 0;
        for (int i = 0; i < 500; i++) if (wrr.pick(ups, 0, ALL) == 0) a++;
        assertThat(a).isEqualTo(300);
    }

    @Test
    void ipHashIsStableAndFallsBackWhenItsBackendIsOut() {
        Algorithm h = Algorithm.of("iphash", 4);
        Upstream[] ups = upstreams(1, 1, 1, 1);
        int first = h.pick(ups, 0x0a000001, ALL);
        for (int i = 0; i < 10; i++) assertThat(h.pick(ups, 0x0a000001, ALL)).isEqualTo(first);
        int without = h.pick(ups, 0x0a000001, ALL & ~(1L << first));
        assertThat(without).isNotEqualTo(first).isBetween(0, 3);
        // Different clients spread over the backends.
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (int ip = 0; ip < 64; ip++) used.add(h.pick(ups, 0x0a000000 + ip, ALL));
        assertThat(used).hasSize(4);
    }

    @Test
    void leastConnectionsPicksTheFewestAndBreaksTiesRoundRobin() {
        Algorithm lc = Algorithm.of("leastconn", 3);
        Upstream[] ups = upstreams(1, 1, 1);
        ups[0].active = 5;
        ups[1].active = 2;
        ups[2].active = 9;
        assertThat(lc.pick(ups, 0, ALL)).isEqualTo(1);
        ups[1].active = 5;
        ups[2].active = 5;
        assertThat(sequence(lc, ups, 6, ALL)).isEqualTo("CABCAB");
    }

    @Test
    void unknownNamesAreRejected() {
        assertThatThrownBy(() -> Algorithm.of("random", 2)).hasMessageContaining("unknown algorithm 'random'");
    }

    @Test
    void thePoolHandsOutEachSlotOnceAndTakesThemBack() {
        ConnectionPool pool = new ConnectionPool(3, null, false);
        assertThat(pool.made()).as("nothing made before it is needed").isZero();
        Connection a = pool.take(), b = pool.take(), c = pool.take();
        assertThat(java.util.List.of(a, b, c)).doesNotContainNull().doesNotHaveDuplicates();
        assertThat(pool.take()).as("exhausted").isNull();
        assertThat(pool.freeCount()).isZero();
        pool.giveBack(b);
        assertThat(pool.take()).isSameAs(b);
        pool.giveBack(a);
        pool.giveBack(b);
        pool.giveBack(c);
        assertThat(pool.freeCount()).isEqualTo(3);
        assertThat(pool.made()).as("slots are reused, not made again").isEqualTo(3);
        assertThat(pool.take()).isSameAs(c);
    }

    @Test
    void aPoolAllowedHalfAMillionConnectionsHoldsOnlyWhatWasUsed() {
        ConnectionPool pool = new ConnectionPool(524_272, null, false);
        for (int i = 0; i < 10; i++) pool.take();
        assertThat(pool.made()).isEqualTo(10);
        assertThat(pool.freeCount()).isEqualTo(524_262);
    }

    @Test
    void theDefaultPoolFollowsTheFdsTheLoopAndTheHeap() {
        long heap = 128L << 20;
        assertThat(LoadBalancer.defaultPoolSize(20_000, Integer.MAX_VALUE, heap)).as("fds").isEqualTo(9_984);
        assertThat(LoadBalancer.defaultPoolSize(20_000, 1023, heap)).as("select: FD_SETSIZE").isEqualTo(496);
        assertThat(LoadBalancer.defaultPoolSize(1_048_576, Integer.MAX_VALUE, heap))
                .as("a container's 1,048,576 fds: half the heap at 2 KiB each").isEqualTo(32_768);
        assertThat(LoadBalancer.defaultPoolSize(Long.MAX_VALUE, Integer.MAX_VALUE, heap))
                .as("never 2^63").isEqualTo(32_768);
    }
}
