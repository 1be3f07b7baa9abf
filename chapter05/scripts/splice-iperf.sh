#!/bin/bash
# iperf3 through high_perf_lb with and without --splice (and HAProxy, copying and
# splicing, when installed), in front of one `iperf3 -s`, alternating, ROUNDS times.
# Prints Gb/s (iperf3's receiver) and the proxy's CPU time per GB moved; with
# PERF=1 also its system calls per GB (perf stat). Run `make` first.
#   chapter05/scripts/splice-iperf.sh            # ROUNDS=3 T=5
#   ROUNDS=5 T=10 PERF=1 chapter05/scripts/splice-iperf.sh
set -u
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}; T=${T:-5}; PERF=${PERF:-0}; BASE=${BASE:-7200}
command -v iperf3 >/dev/null || { echo "splice-iperf: needs iperf3 (apt-get install iperf3)" >&2; exit 1; }
work=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
server=$BASE
iperf3 -s -p $server >/dev/null 2>&1 & pids+=($!)
declare -A PID PORT
start_lb() {   # name port args...
  local name=$1 port=$2; shift 2
  ./high_perf_lb $port 127.0.0.1:$server -e epoll "$@" >"$work/$name.log" 2>&1 & pids+=($!)
  PID[$name]=$!; PORT[$name]=$port; ORDER+=" $name"
}
ORDER="direct"; PID[direct]=-; PORT[direct]=$server
start_lb lb-copy $((BASE+1))
start_lb lb-splice64 $((BASE+2)) --splice 64
start_lb lb-splice256 $((BASE+7)) --splice          # 256 KiB pipes
start_lb lb-splice1024 $((BASE+3)) --splice 1024
if command -v haproxy >/dev/null; then
  cat >"$work/haproxy.cfg" <<EOF
global
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen copy
    bind 127.0.0.1:$((BASE+4))
    server s1 127.0.0.1:$server
listen auto
    bind 127.0.0.1:$((BASE+5))
    option splice-auto
    server s1 127.0.0.1:$server
listen forced
    bind 127.0.0.1:$((BASE+6))
    option splice-request
    option splice-response
    server s1 127.0.0.1:$server
EOF
  haproxy -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 & pids+=($!)
  for n in haproxy:4 haproxy-splice-auto:5 haproxy-splice-forced:6; do
    PID[${n%:*}]=$!; PORT[${n%:*}]=$((BASE+${n#*:})); ORDER+=" ${n%:*}"
  done
fi
for n in $ORDER; do   # wait until each listens
  for i in $(seq 1 150); do ss -ltn | grep -q "127.0.0.1:${PORT[$n]} " && break; sleep 0.2; done
done
cpu() { [ "$1" = - ] && echo 0 || awk '{print $14+$15}' "/proc/$1/stat"; }   # utime+stime, ticks
tick=$(getconf CLK_TCK)
gbps() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["end"]["sum_received"]; print("%.2f %d" % (s["bits_per_second"]/1e9, s["bytes"]))' "$1" 2>/dev/null || echo "fail 0"; }
echo "splice-iperf: $(date -u '+%F %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), iperf3 -t $T, $ROUNDS rounds"
for n in $ORDER; do iperf3 -c 127.0.0.1 -p ${PORT[$n]} -t 1 >/dev/null 2>&1; sleep 0.5; done   # warm-up, not counted
for r in $(seq 1 "$ROUNDS"); do
  for n in $ORDER; do
    sleep 0.5
    c0=$(cpu ${PID[$n]})
    if [ "$PERF" = 1 ] && [ "${PID[$n]}" != - ]; then
      perf stat -x, -e raw_syscalls:sys_enter -p ${PID[$n]} -o "$work/perf" -- \
        iperf3 -c 127.0.0.1 -p ${PORT[$n]} -t $T -J >"$work/out.json" 2>/dev/null
      calls=$(awk -F, '/raw_syscalls/ {print $1}' "$work/perf")
    else
      iperf3 -c 127.0.0.1 -p ${PORT[$n]} -t $T -J >"$work/out.json" 2>/dev/null; calls=
    fi
    c1=$(cpu ${PID[$n]})
    read -r g bytes < <(gbps "$work/out.json")
    python3 -c "
import sys
n, g, b, ticks, tick, calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
gb = b / 1e9
cpu = '%4d ms/GB' % (ticks * 1000 / tick / gb) if gb and n != 'direct' else '      -   '
sc = '  %6d syscalls/GB' % (int(calls) / gb) if calls and gb else ''
print('round %s  %-22s %6s Gb/s   proxy CPU %s%s' % ('$r', n, g, cpu, sc))
" "$n" "$g" "$bytes" $((c1 - c0)) "$tick" "$calls"
  done
done
