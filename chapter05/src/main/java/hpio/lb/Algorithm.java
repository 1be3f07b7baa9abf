package hpio.lb;

import java.util.Locale;

/**
 * How the next backend is chosen. Each algorithm picks among the candidates in a
 * bit mask (bit i = upstream i may be tried: up, and not yet tried for this
 * client), so skipping failed backends is decided once, by the caller.
 *
 * <p>One instance serves every loop ({@code --threads N}), and the ones with state
 * pick under their monitor. Per-loop state would need no lock, but N loops each
 * running nginx's smooth wrr interleave into a sequence that is no longer smooth
 * (two loops each starting with the heaviest backend send it two in a row), and
 * rr's turns would depend on how the kernel's hash split the clients. The lock is
 * taken once per new connection, never per byte, is held for a loop over at most
 * 64 backends, and with one loop it is never contended; beside the four or more
 * system calls a connection costs anyway, it does not show.
 */
public sealed interface Algorithm {
    /** @return the index of the chosen upstream, or -1 when the mask is empty */
    int pick(Upstream[] upstreams, int clientIpv4, long candidates);

    String name();

    static Algorithm of(String name, int upstreamCount) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "rr" -> new RoundRobin();
            case "wrr" -> new SmoothWeightedRoundRobin(upstreamCount);
            case "iphash" -> new IpHash();
            case "leastconn" -> new LeastConnections();
            default -> throw new IllegalArgumentException(
                    "unknown algorithm '" + name + "' (choose rr, wrr, iphash or leastconn)");
        };
    }

    static boolean allowed(long candidates, int i) { return (candidates & (1L << i)) != 0; }

    /** Each in turn. */
    final class RoundRobin implements Algorithm {
        private int next;

        @Override
        public synchronized int pick(Upstream[] ups, int clientIpv4, long candidates) {
            for (int k = 0; k < ups.length; k++) {
                int i = (next + k) % ups.length;
                if (allowed(candidates, i)) {
                    next = i + 1;
                    return i;
                }
            }
            return -1;
        }

        @Override public String name() { return "rr"; }
    }

    /**
     * nginx's smooth weighted round robin: every pick adds each candidate's weight
     * to its running score, takes the highest, and subtracts the total from the
     * winner. Weights 3:2 give A B A B A, spread out rather than A A A B B.
     */
    final class SmoothWeightedRoundRobin implements Algorithm {
        private final long[] current;

        SmoothWeightedRoundRobin(int upstreamCount) { current = new long[upstreamCount]; }

        @Override
        public synchronized int pick(Upstream[] ups, int clientIpv4, long candidates) {
            long total = 0;
            int best = -1;
            for (int i = 0; i < ups.length; i++) {
                if (!allowed(candidates, i)) continue;
                current[i] += ups[i].weight;
                total += ups[i].weight;
                if (best < 0 || current[i] > current[best]) best = i;
            }
            if (best >= 0) current[best] -= total;
            return best;
        }

        @Override public String name() { return "wrr"; }
    }

    /** The client's address decides; when that backend is out, the next one in order stands in. No state: no lock. */
    final class IpHash implements Algorithm {
        @Override
        public int pick(Upstream[] ups, int clientIpv4, long candidates) {
            int h = clientIpv4 * 0x9E3779B1;          // spread nearby addresses apart
            h ^= h >>> 16;
            int start = Integer.remainderUnsigned(h, ups.length);
            for (int k = 0; k < ups.length; k++) {
                int i = (start + k) % ups.length;
                if (allowed(candidates, i)) return i;
            }
            return -1;
        }

        @Override public String name() { return "iphash"; }
    }

    /** Fewest established connections; ties go round robin so equals share the load. */
    final class LeastConnections implements Algorithm {
        private int next;

        @Override
        public synchronized int pick(Upstream[] ups, int clientIpv4, long candidates) {
            int best = -1;
            for (int k = 0; k < ups.length; k++) {
                int i = (next + k) % ups.length;
                if (allowed(candidates, i) && (best < 0 || ups[i].active < ups[best].active)) best = i;
            }
            if (best >= 0) next = best + 1;
            return best;
        }

        @Override public String name() { return "leastconn"; }
    }
}
