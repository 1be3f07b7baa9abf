package hpio.measure;

import java.util.ArrayList;
import java.util.List;

/**
 * The versions of the tools a run uses, as each reports itself, for the run's
 * machine.txt and the Markdown's header; "not installed" where one is missing.
 */
final class Versions {
    private Versions() {}

    /** "wrk 4.1.0, HAProxy 2.6.12, nginx 1.22.1, iperf3 3.12, perf 6.1.187". */
    static String all() {
        List<String> v = new ArrayList<>();
        v.add(version("wrk", Host.find(Host.output("wrk", "-v"), "^wrk ([^ ]*)")
                .replaceFirst("^debian/", "").replaceFirst("-[^-]*$", "")));
        v.add(version("HAProxy", Host.find(Host.output("haproxy", "-v"), "^HAProxy version ([^ ]*)")));
        v.add(version("nginx", Peers.nginxBinary()
                .map(n -> Host.find(Host.output(n.toString(), "-v"), "nginx/([^ \\n]*)")).orElse("")));
        v.add(version("iperf3", Host.find(Host.output("iperf3", "--version"), "^iperf ([^ ]*)")));
        v.add(version("perf", Host.find(Host.output("perf", "version"), "^perf version ([^ \\n]*)")));
        return String.join(", ", v);
    }

    private static String version(String tool, String found) {
        return tool + " " + (found.isEmpty() ? "not installed" : found);
    }
}
