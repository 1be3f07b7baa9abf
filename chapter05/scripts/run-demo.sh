#!/usr/bin/env bash
# `make run`: two demo backends (A on 9001, B on 9002) and the balancer on 8080
# with weights 3 and 2 (wrr). Ctrl-C stops all three. Extra arguments go to the
# balancer, e.g. `make run ARGS="-e select -v"`.
set -u
here="$(cd "$(dirname "$0")/../.." && pwd)"
JAVA_HOME="$("$here/chapter05/scripts/find-jdk.sh")" || exit 1
java="$JAVA_HOME/bin/java"
jar="$here/chapter05/target/high_perf_lb.jar"
lb_port=${PORT:-8080}

pids=()
cleanup() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT
trap "cleanup; exit 0" INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for backend in 9001:A 9002:B; do
  port=${backend%%:*} name=${backend##*:}
  if port_open "$port"; then
    echo "make run: port $port is already in use (an earlier 'make run' still running?); stop it first" >&2
    exit 1
  fi
  "$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx64m -cp "$jar" hpio.demo.DemoBackend \
    --port "$port" --name "$name" &
  pids+=($!)
done
for port in 9001 9002; do
  for _ in $(seq 100); do port_open "$port" && break; sleep 0.1; done
  port_open "$port" || { echo "make run: demo backend on $port did not start" >&2; exit 1; }
done

cat <<MSG

  Try, in another terminal:   curl localhost:$lb_port
  Five requests in a row show the weights 3:2 (A B A B A, nginx's smooth order):
      for i in 1 2 3 4 5; do curl -s localhost:$lb_port; done
  Ctrl-C here stops the balancer and both demo backends.

MSG
"$here/high_perf_lb" "$lb_port" 127.0.0.1:9001:3 127.0.0.1:9002:2 -a wrr ${ARGS:-} &
pids+=($!)
wait "${pids[-1]}"
