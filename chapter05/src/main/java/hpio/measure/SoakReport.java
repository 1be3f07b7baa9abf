package hpio.measure;

import java.util.List;
import java.util.Map;

/** The Markdown report of a {@code make soak} run: what ran, what held, what did not, and how to read it. */
final class SoakReport {
    private SoakReport() {}

    static String markdown(String heading, SoakSettings s, String jvmFlags, List<SoakRun.Result> results, String wall) {
        StringBuilder b = new StringBuilder("# ").append(heading).append("\n\n");
        b.append("Settings: DURATION=").append(s.durationSeconds()).append(" s per backend, CONNS=").append(s.connections())
                .append(" clients, MAX_CONNS=").append(s.maxConns()).append(", THREADS=").append(s.threads())
                .append(", RSS_BOUND=").append(s.rssBoundMb()).append(" MB, **SEED=").append(s.seed())
                .append("** (repeat with `make soak SEED=").append(s.seed()).append("`). Balancer JVM: `")
                .append(jvmFlags).append("`. Wall time ").append(wall).append(".\n\n");
        b.append("## Closing lines\n\n```\n");
        for (SoakRun.Result r : results) b.append(r.closingLine()).append('\n');
        b.append("```\n\n## Per backend\n\n");
        b.append("| backend | verdict | transfers | verified | ok | cut by faults | corrupted | lost | hung | faults |"
                + " fds idle -> end | pool free at end | RSS idle -> end |\n");
        b.append("|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|---|---|\n");
        for (SoakRun.Result r : results) {
            b.append("| ").append(r.backend()).append(" | ").append(r.passed() ? "pass" : "**FAIL**")
                    .append(" | ").append(Numbers.group(r.transfers())).append(" | ").append(SoakRun.gib(r.bytes()))
                    .append(" | ").append(Numbers.group(r.ok())).append(" | ").append(Numbers.group(r.cut()))
                    .append(" | ").append(r.corrupted()).append(" | ").append(r.lost()).append(" | ").append(r.hung())
                    .append(" | ").append(faults(r.faults())).append(" | ").append(r.fdsIdle()).append(" -> ")
                    .append(r.fdsEnd()).append(" | ")
                    .append(r.pool() == null ? "?" : r.pool()[1] + "/" + r.pool()[2]).append(" | ")
                    .append(r.rssIdleKib() / 1024).append(" -> ").append(r.rssEndKib() / 1024).append(" MB |\n");
        }
        for (SoakRun.Result r : results) {
            b.append("\n### ").append(r.backend()).append("\n\n");
            b.append("Balancer log: `").append(r.log().getFileName()).append("` beside this report.\n\n");
            if (r.passed()) b.append("Every promise held.\n");
            else for (String p : r.problems()) b.append("- **").append(p).append("**\n");
            for (String n : r.notes()) b.append("- ").append(n).append('\n');
        }
        b.append("""

                ## How to read it

                - **transfers**: each sent a random payload (1 B to 16 MiB, seeded) through the balancer to an
                  echo-and-checksum backend and checked what came back byte by byte, then the backend's SHA-256 of
                  what it received, then EOF. *verified* counts the bytes that came back checked.
                - **cut by faults**: transfers a fault hit (their client was reset, their backend killed) or that a
                  fault refused (a burst past --max-conns, a backend down, the low-fd balancer out of descriptors)
                  before any backend saw them. They may end early, but what arrived was checked to be an exact prefix.
                - **corrupted** (a byte differs, or the digest), **lost** (ended early without a fault to blame) and
                  **hung** (no end by its deadline: 30 s plus 2 s per MiB) must all be 0.
                - **fds**, **pool**: the balancer's open descriptors (/proc/PID/fd) after a warm-up and again after the
                  load stopped, and its pool's free slots from its own status line (`-v`): both back to idle.
                - **RSS**: its resident set after the warm-up and at the end; the growth must stay within RSS_BOUND.
                - The balancer's log must hold no exception or stack trace; it must still answer at the end.
                """);
        return b.toString();
    }

    static String faults(Map<String, Long> faults) {
        StringBuilder f = new StringBuilder();
        faults.forEach((k, v) -> f.append(f.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
        return f.isEmpty() ? "none" : f.toString();
    }
}
