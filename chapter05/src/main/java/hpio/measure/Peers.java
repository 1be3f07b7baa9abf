package hpio.measure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The peers the balancer is measured against, HAProxy and nginx's stream proxy,
 * when they are installed (and not switched off with PEERS=none); for each one
 * missing, the reason its row gives. nginx's stream module is either built in or
 * a dynamic module to load.
 */
record Peers(Optional<Path> haproxy, String haproxyVersion, String haproxyWhy,
             Optional<Path> nginx, Optional<Path> streamModule, String nginxVersion, String nginxWhy) {

    static final String NOT_INSTALLED = "not installed";

    static Peers find(boolean wanted) {
        if (!wanted) {
            String why = NOT_INSTALLED + " (PEERS=none)";
            return new Peers(Optional.empty(), "", why, Optional.empty(), Optional.empty(), "", why);
        }
        Optional<Path> haproxy = Host.which("haproxy");
        String haproxyVersion = haproxy.map(h -> Host.find(Host.output(h.toString(), "-v"),
                "^HAProxy version ([^ -]*)")).orElse("");

        Optional<Path> nginx = Optional.empty(), module = Optional.empty();
        String nginxWhy = NOT_INSTALLED;
        Optional<Path> installed = nginxBinary();
        if (installed.isPresent()) {
            String v = Host.output(installed.get().toString(), "-V");
            if (v.matches("(?s).*--with-stream( |\\n|$).*")) {
                nginx = installed;
            } else {
                module = streamModule(Host.find(v, "--modules-path=([^ \\n]*)"));
                if (module.isPresent()) nginx = installed;
                else nginxWhy = NOT_INSTALLED + " (nginx without the stream module: apt-get install libnginx-mod-stream)";
            }
        }
        String nginxVersion = nginx.map(n -> Host.find(Host.output(n.toString(), "-v"), "nginx/([^ \\n]*)")).orElse("");
        return new Peers(haproxy, haproxyVersion, NOT_INSTALLED, nginx, module, nginxVersion, nginxWhy);
    }

    /** nginx on PATH, or in /usr/sbin (not on a user's PATH on Debian). */
    static Optional<Path> nginxBinary() {
        Optional<Path> onPath = Host.which("nginx");
        if (onPath.isPresent()) return onPath;
        Path sbin = Path.of("/usr/sbin/nginx");
        return Files.isExecutable(sbin) ? Optional.of(sbin) : Optional.empty();
    }

    private static Optional<Path> streamModule(String modulesPath) {
        List<String> candidates = new ArrayList<>();
        if (!modulesPath.isEmpty()) candidates.add(modulesPath + "/ngx_stream_module.so");
        candidates.addAll(List.of("/usr/lib/nginx/modules/ngx_stream_module.so",
                "/usr/lib64/nginx/modules/ngx_stream_module.so", "/usr/local/nginx/modules/ngx_stream_module.so"));
        return candidates.stream().map(Path::of).filter(Files::isRegularFile).findFirst();
    }

    /** The table's name for a row: "direct (no balancer)", "epoll ET+WB (solutions)", "HAProxy 2.6.12". */
    String label(String row) {
        if (row.equals("direct")) return "direct (no balancer)";
        if (row.endsWith("-et")) return row.substring(0, row.length() - 3) + " ET+WB (solutions)";
        if (row.equals("haproxy")) return "HAProxy" + (haproxyVersion.isEmpty() ? "" : " " + haproxyVersion);
        if (row.equals("nginx")) return "nginx" + (nginxVersion.isEmpty() ? "" : " " + nginxVersion) + " stream";
        return row;
    }

    /** Why a peer's row is not measured, or empty when it can be. */
    Optional<String> missing(String row) {
        if (row.equals("haproxy") && haproxy.isEmpty()) return Optional.of(haproxyWhy);
        if (row.equals("nginx") && nginx.isEmpty()) return Optional.of(nginxWhy);
        return Optional.empty();
    }

    static boolean isPeer(String row) {
        return row.equals("haproxy") || row.equals("nginx");
    }
}
