#!/usr/bin/env bash
# make soak: finds the JDK and runs the soak harness, hpio.measure.SoakRunner, from
# the repository root. The settings (DURATION, BACKEND, THREADS, SEED, CONNS,
# MAX_CONNS, RSS_BOUND, JAVA_OPTS) pass through the environment; what they mean is
# in SoakSettings.java and docs/13-soak.md.
set -u
cd "$(dirname "$0")/../.." || exit 1
JAVA_HOME="$(chapter05/scripts/find-jdk.sh)" || exit 1
jar=chapter05/target/high_perf_lb.jar
[ -f "$jar" ] || { echo "soak: $jar is missing: run 'make' first" >&2; exit 1; }
# exec: a Ctrl-C reaches the runner itself, which then stops every process it started.
# The runner is also the load and the backends (virtual threads): a heap for 16 MiB buffers.
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx512m -XX:TieredStopAtLevel=1 \
  -cp "$jar" hpio.measure.SoakRunner
