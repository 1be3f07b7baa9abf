#!/usr/bin/env bash
# make bench: JMH measures one runOnce (1 ready fd among N idle) per backend, the
# loop's timer re-arm (ns and bytes per op), and
# the bare epoll_wait floor, then BenchReport prints the table and the ratios.
#
#   chapter05/scripts/bench.sh quick   ~2 minutes: 1 fork, 1 warmup + 3 measured 1 s iterations
#   chapter05/scripts/bench.sh full    ~7 minutes: 2 forks, 3 warmup + 5 measured, with -prof gc
#   GC=1 adds -prof gc (allocation per op) to quick; GC=0 drops it from full.
#   BACKENDS=io_uring,epoll measures only those runOnce backends (default: all; the
#   select class and the epoll_wait floor run only when BACKENDS is unset).
#
# Expects `make build` to have compiled the benchmarks (chapter05/target/test-classes)
# and written the test class path to chapter05/target/bench-classpath.txt, as the
# Makefile's bench target does. JMH's full output goes to chapter05/target/bench/jmh.log;
# the JSON result to chapter05/target/bench/runonce.json.
set -euo pipefail

usage() { echo "usage: $0 quick|full   (GC=1 or GC=0 to force -prof gc on or off)" >&2; }
if [ $# -ne 1 ]; then echo "bench: expected one argument, got $#" >&2; usage; exit 2; fi
mode=$1
case "$mode" in
  quick) runs=(-f 1 -wi 1 -w 1s -i 3 -r 1s); gc=${GC:-0} ;;
  full)  runs=(-f 2 -wi 3 -w 1s -i 5 -r 1s); gc=${GC:-1} ;;
  *) echo "bench: unknown mode '$mode'" >&2; usage; exit 2 ;;
esac

cd "$(dirname "$0")/../.."     # the repository root, wherever we are called from
if [ "$(uname -s)" != Linux ]; then
  echo "bench: the runOnce benchmarks need Linux (epoll and its floor); this is $(uname -s)" >&2
  exit 1
fi
JAVA_HOME=$(chapter05/scripts/find-jdk.sh)   # honours a JAVA_HOME that is 25 or newer
target=chapter05/target
if [ ! -f "$target/bench-classpath.txt" ] || [ ! -f "$target/test-classes/META-INF/BenchmarkList" ]; then
  echo "bench: benchmarks not built ($target/bench-classpath.txt or test-classes/META-INF/BenchmarkList missing): run 'make bench'" >&2
  exit 1
fi
out=$target/bench
mkdir -p "$out"
rm -f "$out/runonce.json"
cp="$target/classes:$target/test-classes:$(cat "$target/bench-classpath.txt")"

# Both the JMH host VM and its forks: the forks make the FFM downcalls
# (--enable-native-access, or every first restricted call prints a warning), and
# JMH 1.37 calls sun.misc.Unsafe, which JDK 24+ warns about unless allowed.
vm_flags=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
profilers=()
[ "$gc" = 1 ] && profilers=(-prof gc)

benches='^hpio\.bench\.(RunOnceBenchmark|SelectRunOnceBenchmark|EpollWaitFloorBenchmark)\.'
only=()
if [ -n "${BACKENDS:-}" ]; then
  case "$BACKENDS" in
    *[!a-z_,]*) echo "bench: BACKENDS='$BACKENDS' is not a comma-separated list of names, e.g. io_uring,epoll" >&2; exit 2 ;;
  esac
  benches='^hpio\.bench\.RunOnceBenchmark\.'
  only=(-p "backend=$BACKENDS")
fi
echo "bench ($mode): one runOnce with 1 ready fd among N idle; ${BACKENDS:-select, poll, epoll, io_uring, nio and the bare epoll_wait}"
echo "  JMH ${runs[*]}${profilers[*]:+ ${profilers[*]}}; full log: $out/jmh.log"
printf '  %8s  %-40s %-34s %s\n' progress benchmark parameters "JMH's mean ± 99.9% CI (the table below uses medians)"
start=$(date +%s)
# -foe: a failing benchmark (say an fd past FD_SETSIZE) stops the run and fails make.
# The filter shows one line per configuration; errors and warnings pass through.
"$JAVA_HOME/bin/java" "${vm_flags[@]}" -cp "$cp" org.openjdk.jmh.Main \
    "$benches" "${only[@]}" \
    "${runs[@]}" "${profilers[@]}" -bm avgt -tu ns -foe true \
    -jvmArgs "${vm_flags[*]}" \
    -rf json -rff "$out/runonce.json" 2>&1 \
  | tee "$out/jmh.log" \
  | awk '
      /^# Run complete/   { done = 1 }
      done                { next }
      /^# Run progress:/  { progress = $4 }
      /^# Benchmark: /    { bench = $3; sub(/^hpio\.bench\./, "", bench) }
      /^# Parameters: /   { params = $0; sub(/^# Parameters: /, "", params) }
      /^Result "/         { want = 1; next }
      want == 1           { want = 0; sub(/^ +/, ""); sub(/ *\[Average\]/, "");
                            printf "  %8s  %-40s %-34s %s\n", progress, bench, params, $0; fflush(); next }
      /Exception|Error|<failure>|WARNING|^[ \t]+at /  { print; fflush() }
    '

"$JAVA_HOME/bin/java" -cp "$cp" hpio.bench.BenchReport "$out/runonce.json"
secs=$(( $(date +%s) - start ))
printf '\n  JMH and report took %dm%02ds (%s mode); JSON: %s\n' $((secs / 60)) $((secs % 60)) "$mode" "$out/runonce.json"

# The loop's timers: re-arming one of N armed timers, and what it allocates
# (always with -prof gc: the point is 0 B/op). About 30 s.
echo
echo "timers: re-arm one of N armed timers (EventLoop.schedule), JMH ${runs[*]} -prof gc"
"$JAVA_HOME/bin/java" "${vm_flags[@]}" -cp "$cp" org.openjdk.jmh.Main '^hpio\.bench\.TimerBenchmark\.' \
    "${runs[@]}" -prof gc -bm avgt -tu ns -foe true -jvmArgs "${vm_flags[*]}" 2>&1 \
  | tee "$out/timers.log" \
  | awk '/^Benchmark/ { on = 1 } on && (/^Benchmark/ || /avgt/) && !/gc\.(count|time)|alloc\.rate /'
