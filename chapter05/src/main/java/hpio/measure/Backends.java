package hpio.measure;

import static hpio.measure.StressSettings.WEIGHT_A;
import static hpio.measure.StressSettings.WEIGHT_B;

import hpio.demo.DemoBackend;
import hpio.measure.StressRunner.Abort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What answers the requests, started once for the whole run: two demo backends,
 * each in a JVM of its own (BACKEND=demo), or one nginx with two server blocks
 * (BACKEND=nginx). Weights 3:2 either way.
 */
final class Backends {
    private final Children children;
    private final List<Process> processes;
    private final String description;

    private Backends(Children children, List<Process> processes, String description) {
        this.children = children;
        this.processes = processes;
        this.description = description;
    }

    static Backends start(StressSettings settings, Optional<Path> nginx, PeerConfigs configs, Children children,
                          Path out, String java, Optional<BulkLoad> bulk) {
        List<Process> started = new ArrayList<>();
        String bulkServer = "";
        if (bulk.isPresent()) {
            // The bulk scenario's server, started once: iperf3 -s takes one test after another.
            Process p = children.start(out.resolve("logs/backend-bulk.log"),
                    bulk.get().serverCommand(settings.bulkPort(), java, StressRunner.JAR));
            started.add(p);
            if (!Children.awaitPort(settings.bulkPort(), p)) {
                throw new Abort("the bulk server (" + bulk.get().csvName + ") did not start on " + settings.bulkPort()
                        + ": " + RowRunner.lastLine(out.resolve("logs/backend-bulk.log")));
            }
            bulkServer = "; bulk: " + bulk.get().csvName + " server on " + settings.bulkPort();
        }
        String weights = "weights " + WEIGHT_A + ":" + WEIGHT_B;
        if (nginx.isEmpty()) {
            String[][] backends = {{"A", Integer.toString(settings.portA())}, {"B", Integer.toString(settings.portB())}};
            for (String[] b : backends) {
                Path log = out.resolve("logs/backend-" + b[0] + ".log");
                Process p = children.start(log, List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                        "-Xmx256m", "-cp", StressRunner.JAR, DemoBackend.class.getName(), "--port", b[1], "--name", b[0]));
                started.add(p);
                if (!Children.awaitPort(Integer.parseInt(b[1]), p)) {
                    throw new Abort("demo backend " + b[0] + " did not start on " + b[1] + ": " + RowRunner.lastLine(log));
                }
            }
            return new Backends(children, started,
                    "2 demo backends (" + DemoBackend.class.getName() + ", own JVMs), " + weights + bulkServer);
        }
        String bin = nginx.get().toString();
        Path abs = out.toAbsolutePath();
        try {
            // nginx creates the temp folders' subfolders, not the folder they are in.
            Files.createDirectories(out.resolve("conf/nginx-backend-temp"));
        } catch (IOException e) {
            throw new Abort("cannot create " + out.resolve("conf/nginx-backend-temp") + ": " + e.getMessage());
        }
        StressRunner.write(out.resolve("conf/nginx-backend.conf"), configs.nginxBackend(Host.output(bin, "-V")));
        String version = Host.find(Host.output(bin, "-v"), "nginx/(.*)$");
        Process p = children.start(out.resolve("logs/backend-nginx.log"), List.of(bin,
                "-e", abs + "/logs/nginx-backend-error.log", "-p", abs + "/conf/", "-c", abs + "/conf/nginx-backend.conf"));
        started.add(p);
        for (int port : new int[] {settings.portA(), settings.portB()}) {
            if (!Children.awaitPort(port, p)) {
                throw new Abort("nginx backend did not start on " + port + ": "
                        + RowRunner.lastLine(out.resolve("logs/nginx-backend-error.log")) + " "
                        + RowRunner.lastLine(out.resolve("logs/backend-nginx.log")));
            }
        }
        return new Backends(children, started,
                "nginx " + version + ", one worker, two server blocks, " + weights + bulkServer);
    }

    String description() { return description; }

    boolean alive() {
        return processes.stream().allMatch(Process::isAlive);
    }

    void stop() {
        processes.forEach(children::stop);
    }
}
