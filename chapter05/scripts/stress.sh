#!/usr/bin/env bash
# make stress: finds the JDK and runs the stress harness, hpio.measure.StressRunner,
# from the repository root. The settings (DURATION, WARMUP, SCENARIOS, LOAD, PEERS,
# BACKEND, ROWS, JAVA_OPTS, STRESS_PORT, THREADS) pass through the environment; what they
# mean is in StressSettings.java. The runner raises its open-files limit to the hard
# one itself (wrk at 10,000 connections needs it); every process it starts inherits it.
set -u
cd "$(dirname "$0")/../.." || exit 1
JAVA_HOME="$(chapter05/scripts/find-jdk.sh)" || exit 1
jar=chapter05/target/high_perf_lb.jar
[ -f "$jar" ] || { echo "stress: $jar is missing: run 'make' first" >&2; exit 1; }
# exec: a Ctrl-C reaches the runner itself, which then stops every process it started.
# A small heap and C1 only: the runner mostly waits, and must leave the cores to the load.
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx64m -XX:TieredStopAtLevel=1 \
  -cp "$jar" hpio.measure.StressRunner
