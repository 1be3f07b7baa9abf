#!/usr/bin/env bash
# make stress: the balancer on every event backend, side by side with the direct
# ceiling and the peers (HAProxy, nginx stream) when installed, under one load.
#
# The backends start once; then for each scenario and each row a fresh proxy
# process starts, takes WARMUP seconds of load, then DURATION seconds measured,
# and stops. Each row: requests/s, p50 and p99 latency, errors, and the proxy's
# CPU (utime+stime over the measured seconds, 100% = one core) and peak RSS
# (VmHWM). The table is printed at the end and written, with the machine, as
# Markdown and CSV to results/stress-YYYYMMDD-HHMMSS/ (logs and configs beside).
#
# Settings (environment or make variables):
#   DURATION=5                 seconds measured per row (WARMUP=2 before it: JIT and caches settle)
#   SCENARIOS=100,1000,5000,close50
#                              N = keep-alive HTTP over N connections;
#                              closeN = N connections, one request each ("Connection: close")
#   LOAD=auto|wrk|builtin      the load tool; auto: wrk when installed, else the
#                              built-in Java generator (hpio.measure.LoadGenerator)
#   PEERS=auto|none            none: the peer rows act as if haproxy and nginx were not installed
#   BACKEND=demo|nginx         what answers: two demo backends (default) or one nginx
#                              with two server blocks; weights 3 and 2 either way
#   ROWS=all                   or a subset: direct,select,poll,epoll,epoll-et,kqueue,nio,haproxy,nginx
#   JAVA_OPTS=...              JVM flags for the balancer (the launcher's default otherwise, C1 only;
#                              see high_perf_lb); e.g. C2 too: JAVA_OPTS="-XX:+UseSerialGC -Xms16m -Xmx512m"
#   STRESS_PORT=28080          the proxy's port; the backends use the next two
set -uo pipefail

here="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$here" || exit 1
JAVA_HOME="$(chapter05/scripts/find-jdk.sh)" || exit 1
java="$JAVA_HOME/bin/java"
jar="chapter05/target/high_perf_lb.jar"

die() { echo "stress: $*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- settings

DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
SCENARIOS=${SCENARIOS:-100,1000,5000,close50}
LOAD=${LOAD:-auto}
PEERS=${PEERS:-auto}
BACKEND=${BACKEND:-demo}
ROWS=${ROWS:-all}
lb_port=${STRESS_PORT:-28080}
port_a=$((lb_port + 1)) port_b=$((lb_port + 2))
weight_a=3 weight_b=2

[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a whole number of seconds, not '$DURATION'"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a whole number of seconds, not '$WARMUP'"
[[ $lb_port =~ ^[0-9]+$ ]] && [ "$lb_port" -ge 1024 ] && [ "$lb_port" -le 65000 ] ||
  die "STRESS_PORT must be from 1024 to 65000, not '$lb_port'"
case "$LOAD" in auto|wrk|builtin) ;; *) die "LOAD must be auto, wrk or builtin, not '$LOAD'" ;; esac
case "$PEERS" in auto|none) ;; *) die "PEERS must be auto or none, not '$PEERS'" ;; esac
case "$BACKEND" in demo|nginx) ;; *) die "BACKEND must be demo or nginx, not '$BACKEND'" ;; esac
IFS=, read -r -a scenarios <<<"$SCENARIOS"
[ ${#scenarios[@]} -gt 0 ] || die "SCENARIOS is empty"
for s in "${scenarios[@]}"; do
  [[ $s =~ ^(close)?[1-9][0-9]*$ ]] || die "scenario '$s' is not N (keep-alive) or closeN, e.g. SCENARIOS=100,close50"
done
[ -f "$jar" ] || die "$jar is missing: run 'make' first"

os=$(uname -s)
case "$os" in
  Linux) event_backends=(select poll epoll nio) edge_backend=epoll ;;
  Darwin|FreeBSD) event_backends=(select poll kqueue nio) edge_backend=kqueue ;;
  *) event_backends=(nio) edge_backend="" ;;
esac
all_rows=(direct "${event_backends[@]}")
[ -n "$edge_backend" ] && all_rows+=("$edge_backend-et")
all_rows+=(haproxy nginx)
if [ "$ROWS" != all ]; then
  IFS=, read -r -a wanted <<<"$ROWS"
  rows=()
  for r in "${all_rows[@]}"; do
    for w in "${wanted[@]}"; do [ "$r" = "$w" ] && rows+=("$r"); done
  done
  [ ${#rows[@]} -gt 0 ] || die "ROWS='$ROWS' names none of: ${all_rows[*]}"
else
  rows=("${all_rows[@]}")
fi

# The load tool.
if [ "$LOAD" = auto ]; then
  if have wrk; then LOAD=wrk; else LOAD=builtin; fi
elif [ "$LOAD" = wrk ] && ! have wrk; then
  die "LOAD=wrk, but wrk is not installed (apt-get install wrk), or use LOAD=builtin"
fi
if [ "$LOAD" = wrk ]; then
  warmup_how="a wrk run of its own"
  load_tool="wrk $(wrk -v 2>&1 | sed -n 's/^wrk \([^ ]*\).*/\1/p' | head -n 1 | sed 's|^debian/||; s/-[^-]*$//'), 1 thread"
else
  warmup_how="on the measured connections"
  load_tool="built-in (hpio.measure.LoadGenerator, Java NIO), 1 thread"
fi

# The peers: installed, and not switched off by PEERS=none.
haproxy_bin="" nginx_bin="" stream_module="" haproxy_why="not installed" nginx_why="not installed"
if [ "$PEERS" = none ]; then
  haproxy_why="not installed (PEERS=none)" nginx_why="not installed (PEERS=none)"
else
  have haproxy && haproxy_bin=$(command -v haproxy)
  nginx_path=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
  if [ -n "$nginx_path" ]; then
    # The stream module is either built in or a dynamic module to load.
    nginx_v=$("$nginx_path" -V 2>&1)
    if grep -q -- '--with-stream\( \|$\)' <<<"$nginx_v"; then
      nginx_bin=$nginx_path
    else
      modules_path=$(sed -n 's/.*--modules-path=\([^ ]*\).*/\1/p' <<<"$nginx_v")
      for so in "$modules_path/ngx_stream_module.so" /usr/lib/nginx/modules/ngx_stream_module.so \
                /usr/lib64/nginx/modules/ngx_stream_module.so /usr/local/nginx/modules/ngx_stream_module.so; do
        if [ -f "$so" ]; then stream_module=$so; nginx_bin=$nginx_path; break; fi
      done
      [ -n "$nginx_bin" ] || nginx_why="not installed (nginx without the stream module: apt-get install libnginx-mod-stream)"
    fi
  fi
fi
if [ "$BACKEND" = nginx ]; then
  nginx_backend_bin=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
  [ -n "$nginx_backend_bin" ] || die "BACKEND=nginx, but nginx is not installed (apt-get install nginx-light)"
fi

# Open files: raise the soft limit to the hard one; every child inherits it.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
ulimit -n "$hard" 2>/dev/null || ulimit -n 10240 2>/dev/null
nofile=$(ulimit -n)
[ "$nofile" = unlimited ] && nofile=1048576

stamp=$(date +%Y%m%d-%H%M%S)
out="results/stress-$stamp"
mkdir -p "$out/logs" "$out/conf" || die "cannot create $out"
rows_tsv="$out/rows.tsv"
: >"$rows_tsv"

# ---------------------------------------------------------------- processes

# Every child runs in a process group of its own (setsid), so one kill reaches
# what it forked too (nginx's worker), and a Ctrl-C meant for us cannot stop a
# child half-way: the trap below ends them all, on Ctrl-C, failure or exit.
children=()
if have setsid; then use_groups=1; else use_groups=0; fi

spawn() {   # spawn LOG COMMAND...: starts it in the background; sets $spawned
  local log=$1; shift
  if [ $use_groups = 1 ]; then setsid "$@" >"$log" 2>&1 </dev/null &
  else "$@" >"$log" 2>&1 </dev/null &
  fi
  spawned=$!
  children+=("$spawned")
}

signal() {  # signal SIG PID: the process group when we made one, else the process
  if [ $use_groups = 1 ]; then kill "-$1" -- "-$2" 2>/dev/null; else kill "-$1" "$2" 2>/dev/null; fi
}

stop() {    # stop PID: SIGTERM, up to 10 s to exit, then SIGKILL
  local pid=$1 i
  signal TERM "$pid"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && signal KILL "$pid"
  wait "$pid" 2>/dev/null
  local kept=() g
  for g in "${children[@]}"; do [ "$g" != "$pid" ] && kept+=("$g"); done
  children=("${kept[@]}")
}

cleanup() {
  trap - EXIT INT TERM
  local g
  for g in "${children[@]}"; do signal TERM "$g"; done
  sleep 0.3
  for g in "${children[@]}"; do signal KILL "$g"; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'echo; echo "stress: interrupted; stopping every process it started (partial results: $out)" >&2; exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

await_port() {  # await_port PORT PID: until the port accepts; fails if PID exits or after 20 s
  local i
  for ((i = 0; i < 200; i++)); do
    port_open "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# The kernel's count of connections dropped because an accept queue was full
# (system-wide; Linux only, else 0).
listen_overflows() {
  awk '/^TcpExt:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == "ListenOverflows") c = i; next }
                    print $c + 0; found = 1; exit }
       END { if (!found) print 0 }' /proc/net/netstat 2>/dev/null || echo 0
}

now() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s; fi; }

# CPU time (clock ticks) of a process and its children; its peak RSS in KiB.
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
family() { echo "$1"; pgrep -P "$1" 2>/dev/null; }
cpu_ticks() {
  local p total=0 t
  for p in $(family "$1"); do
    if [ -r "/proc/$p/stat" ]; then
      # utime and stime are fields 14 and 15; the name in (...) may hold spaces.
      t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
    else
      # No /proc (macOS): ps's cumulative time, [[hh:]mm:]ss[.cc].
      t=$(ps -o time= -p "$p" 2>/dev/null | awk -v hz="$clk_tck" '{n = split($1, a, ":"); s = 0;
            for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%d", s * hz}')
    fi
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
peak_rss_kib() {
  local p max=0 v
  for p in $(family "$1"); do
    if [ -r "/proc/$p/status" ]; then
      v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null)
    else
      v=$(ps -o rss= -p "$p" 2>/dev/null | tr -d ' ')    # no peak without /proc: the size now
    fi
    [ "${v:-0}" -gt "$max" ] && max=$v
  done
  echo "$max"
}

# ---------------------------------------------------------------- configs

write_haproxy_conf() {  # the same backends and weights, TCP mode, one thread
  cat >"$out/conf/haproxy.cfg" <<CFG
# Generated by make stress. HAProxy as a TCP proxy with one thread, like high_perf_lb.
global
    nbthread 1
    # Without maxconn HAProxy sizes itself for 20000 connections and asks for
    # 40014 open files, more than the hard limit here ($nofile): it would not start.
    maxconn 9000

defaults
    mode tcp
    maxconn 9000
    timeout connect 3s
    timeout client 30s
    timeout server 30s

frontend stress
    bind 127.0.0.1:$lb_port
    default_backend backends

backend backends
    balance roundrobin
    server a 127.0.0.1:$port_a weight $weight_a
    server b 127.0.0.1:$port_b weight $weight_b
CFG
}

nginx_common() {  # nginx_common NAME: the top of every generated nginx config
  local name=$1
  [ -n "$stream_module" ] && [ "$name" = nginx-stream ] && echo "load_module $stream_module;"
  cat <<CFG
# Generated by make stress.
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile $((nofile - 100));
pid $PWD/$out/conf/$name.pid;
error_log $PWD/$out/logs/$name-error.log warn;
events {
    # Counts both sides of a proxied connection.
    worker_connections $(((nofile - 200) > 12000 ? 12000 : nofile - 200));
}
CFG
}

write_nginx_stream_conf() {
  {
    nginx_common nginx-stream
    cat <<CFG
stream {
    upstream backends {
        server 127.0.0.1:$port_a weight=$weight_a;
        server 127.0.0.1:$port_b weight=$weight_b;
    }
    server {
        listen 127.0.0.1:$lb_port backlog=4096;    # nginx's default is 511; the others use 4096
        proxy_pass backends;
        proxy_connect_timeout 3s;
        proxy_timeout 30s;
    }
}
CFG
  } >"$out/conf/nginx-stream.conf"
}

write_nginx_backend_conf() {  # BACKEND=nginx: one worker, a short fixed body on two ports
  local temp="$PWD/$out/conf/nginx-backend-temp" m
  mkdir -p "$temp"
  {
    nginx_common nginx-backend
    echo "http {"
    echo "    access_log off;"
    echo "    keepalive_requests 10000000;   # the default (1000) would close busy connections every second"
    echo "    keepalive_timeout 60s;"
    echo "    default_type text/plain;"
    # Temporary folders of our own: the compiled-in ones may not be writable.
    echo "    client_body_temp_path $temp/body;"
    for m in proxy fastcgi uwsgi scgi; do
      "$nginx_backend_bin" -V 2>&1 | grep -q -- "--without-http_${m}_module" || echo "    ${m}_temp_path $temp/$m;"
    done
    for b in "A $port_a" "B $port_b"; do
      set -- $b
      echo "    server {"
      echo "        listen 127.0.0.1:$2 backlog=4096;"
      echo "        location / { return 200 \"Hello from nginx backend $1 on port $2\\n\"; }"
      echo "    }"
    done
    echo "}"
  } >"$out/conf/nginx-backend.conf"
}

# ---------------------------------------------------------------- load

start_load() {  # start_load SECONDS WARMUP CONNS MODE FILE PORT: the load tool, in the background; sets $load
  local secs=$1 warmup=$2 conns=$3 mode=$4 file=$5 port=$6
  local url="http://127.0.0.1:$port/" extra=()
  if [ "$LOAD" = wrk ]; then
    [ "$mode" = close ] && extra=(-H "Connection: close")
    spawn "$file" wrk -t1 -c"$conns" -d"${secs}s" --latency "${extra[@]}" "$url"
  else
    # The built-in generator warms up on the same connections, then prints "Measuring".
    [ "$mode" = close ] && extra=(--close)
    spawn "$file" "$java" -XX:+UseSerialGC -Xms64m -Xmx512m -cp "$jar" \
      hpio.measure.LoadGenerator -t 1 -c "$conns" -d "$secs" --warmup "$warmup" "${extra[@]}" "$url"
  fi
  load=$spawned
}

finish_load() {  # finish_load: waits for the load tool to end
  wait "$load"
  local rc=$?
  stop "$load"
  return $rc
}

await_measuring() {  # await_measuring FILE: until the built-in generator's warm-up is over
  local i
  for ((i = 0; i < 100 * (WARMUP + 30); i++)); do
    grep -q '^Measuring' "$1" 2>/dev/null && return 0
    kill -0 "$load" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

# Reads a load tool's output: prints "rps p50_ms p99_ms errors detail" (detail without spaces).
parse_load() {
  if [ "$LOAD" = wrk ]; then
    awk '
      function ms(v) {
        if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000
        if (v ~ /s$/) return v * 1000; return v + 0
      }
      /^Requests\/sec:/           { rps = $2 }
      /^ +50%/                    { p50 = ms($2) }
      /^ +99%/                    { p99 = ms($2) }
      /Socket errors:/            { gsub(/,/, ""); c = $4; r = $6; w = $8; t = $10 }
      /Non-2xx or 3xx responses:/ { s = $5 }
      END {
        if (rps == "") { print "-"; exit }
        d = ""
        if (c) d = d "connect:" c ","; if (r) d = d "read:" r ",";
        if (w) d = d "write:" w ","; if (t) d = d "timeout:" t ","; if (s) d = d "status:" s ","
        sub(/,$/, "", d)
        printf "%.0f %.3f %.3f %d %s\n", rps, p50, p99, c + r + w + t + s, d == "" ? "-" : d
      }' "$1"
  else
    awk '
      /^RESULT / {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        d = ""
        split("connect read write timeout status", k, " ")
        for (i = 1; i <= 5; i++) if (v[k[i]] > 0) d = d k[i] ":" v[k[i]] ","
        sub(/,$/, "", d)
        printf "%.0f %.3f %.3f %d %s\n", v["rps"], v["p50_us"] / 1000, v["p99_us"] / 1000, v["errors"], d == "" ? "-" : d
        found = 1
      }
      END { if (!found) print "-" }' "$1"
  fi
}

# ---------------------------------------------------------------- rows

label() {
  case "$1" in
    direct) echo "direct (no balancer)" ;;
    *-et) echo "${1%-et} ET+WB (solutions)" ;;
    haproxy) echo "HAProxy${haproxy_version:+ $haproxy_version}" ;;
    nginx) echo "nginx${nginx_version:+ $nginx_version} stream" ;;
    *) echo "$1" ;;
  esac
}

start_proxy() {  # start_proxy ROW LOG: sets $proxy; returns 1 if it did not come up
  local row=$1 log=$2
  local upstreams=(127.0.0.1:$port_a:$weight_a 127.0.0.1:$port_b:$weight_b)
  case "$row" in
    haproxy) spawn "$log" "$haproxy_bin" -db -f "$out/conf/haproxy.cfg" ;;
    nginx)   spawn "$log" "$nginx_bin" -e "$PWD/$out/logs/nginx-stream-error.log" -p "$PWD/$out/conf/" \
               -c "$PWD/$out/conf/nginx-stream.conf" ;;
    *-et)    spawn "$log" ./high_perf_lb "$lb_port" "${upstreams[@]}" -a wrr -e "${row%-et}" \
               --edge-triggered --write-buffer --solutions ;;
    *)       spawn "$log" ./high_perf_lb "$lb_port" "${upstreams[@]}" -a wrr -e "$row" ;;
  esac
  proxy=$spawned
  await_port "$lb_port" "$proxy"
}

record() {  # record SCENARIO ROW RPS P50 P99 ERRORS CPU RSS NOTES (tab-separated, one line)
  local IFS=$'\t'
  echo "$*" >>"$rows_tsv"
}

select_max=496        # select's pool: (FD_SETSIZE 1024 - 32 kept free) / 2 fds per connection

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

measure_row() {  # measure_row SCENARIO CONNS MODE ROW
  local scenario=$1 conns=$2 mode=$3 row=$4
  local name; name=$(label "$row")
  local tag="${row}-${mode}${conns}"
  local log="$out/logs/$tag.proxy.log"
  local proxy=""

  if [ "$row" != direct ]; then
    if ! start_proxy "$row" "$log"; then
      local why; why=$(grep -v '^\s*$' "$log" | tail -n 1 | cut -c1-100)
      [ -n "$proxy" ] && stop "$proxy"
      record "$scenario" "$name" - - - - - - "did not start: ${why:-see $log}"
      echo "did not start (${why:-see $log})"
      return
    fi
  fi
  local target=$lb_port
  [ "$row" = direct ] && target=$port_a

  local file="$out/logs/$tag.load.txt" load t0 c0 t1 c1 o0 o1
  if [ "$LOAD" = wrk ]; then
    # wrk has no warm-up of its own: a run of WARMUP seconds first (new connections after it).
    if [ "$WARMUP" -gt 0 ]; then
      start_load "$WARMUP" 0 "$conns" "$mode" "$out/logs/$tag.warmup.txt" "$target"
      finish_load
    fi
    start_load "$DURATION" 0 "$conns" "$mode" "$file" "$target"
  else
    start_load "$DURATION" "$WARMUP" "$conns" "$mode" "$file" "$target"
    [ "$WARMUP" -gt 0 ] && await_measuring "$file"
  fi
  o0=$(listen_overflows)
  t0=$(now)
  [ -n "$proxy" ] && c0=$(cpu_ticks "$proxy")
  finish_load
  t1=$(now)
  o1=$(listen_overflows)
  local cpu=- rss=-
  if [ -n "$proxy" ]; then
    c1=$(cpu_ticks "$proxy")
    cpu=$(awk -v d=$((c1 - c0)) -v hz="$clk_tck" -v t0="$t0" -v t1="$t1" \
      'BEGIN { printf "%.0f", 100 * d / hz / (t1 - t0) }')
    rss=$(awk -v k="$(peak_rss_kib "$proxy")" 'BEGIN { printf "%.1f", k / 1024 }')
    kill -0 "$proxy" 2>/dev/null || local died=1
    stop "$proxy"
  fi

  local parsed notes=""
  parsed=$(parse_load "$out/logs/$tag.load.txt")
  if [ "$parsed" = - ]; then
    record "$scenario" "$name" - - - - "$cpu" "$rss" "the load tool failed: see logs/$tag.load.txt"
    echo "the load tool failed (logs/$tag.load.txt)"
    return
  fi
  local rps p50 p99 errors detail
  read -r rps p50 p99 errors detail <<<"$parsed"
  [ "$detail" != - ] && notes="${detail//,/, }"
  [ "$row" = direct ] && notes="${notes:+$notes; }backend A only"
  # A full accept queue drops the SYN; the client retries it after 1 s, which shows in p99.
  [ $((o1 - o0)) -gt 0 ] && notes="${notes:+$notes; }listen queue overflowed $((o1 - o0))x"
  [ -n "${died:-}" ] && notes="${notes:+$notes; }the proxy exited during the run"
  # What our balancer logged besides starting and stopping: errors under load.
  if [ "$row" != direct ] && [ "$row" != haproxy ] && [ "$row" != nginx ]; then
    local said
    said=$(grep -cvE 'listening on|loopback only|exercises on|stopped$|^\s*$' "$log")
    [ "$said" -gt 0 ] && notes="${notes:+$notes; }$said log line(s): logs/$tag.proxy.log"
  fi
  record "$scenario" "$name" "$rps" "$p50" "$p99" "$errors" "$cpu" "$rss" "${notes:--}"
  if [ "$cpu" = - ]; then
    printf '%s req/s, p99 %s ms, errors %s\n' "$(group "$rps")" "$p99" "$errors"
  else
    printf '%s req/s, p99 %s ms, errors %s, CPU %s%%, peak RSS %s MB\n' "$(group "$rps")" "$p99" "$errors" "$cpu" "$rss"
  fi
}

group() { awk -v n="$1" 'BEGIN { if (n !~ /^[0-9]+$/) { print n; exit }
  s = ""; while (n >= 1000) { s = sprintf(",%03d", n % 1000) s; n = int(n / 1000) }; print n s }'; }

# ---------------------------------------------------------------- start

jdk_version=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
[ -n "$haproxy_bin" ] && haproxy_version=$("$haproxy_bin" -v 2>/dev/null | sed -n 's/^HAProxy version \([^ -]*\).*/\1/p' | head -n 1)
[ -n "$nginx_bin" ] && nginx_version=$("$nginx_bin" -v 2>&1 | sed -n 's|.*nginx/\([^ ]*\).*|\1|p')
haproxy_version=${haproxy_version:-}
nginx_version=${nginx_version:-}
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || sysctl -n hw.ncpu)
os_name=$( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || sw_vers -productName 2>/dev/null || echo "$os")
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -z "$cpu_model" ] && cpu_model=$(sysctl -n machdep.cpu.brand_string 2>/dev/null || uname -m)
lb_jvm=${JAVA_OPTS:-"$(sed -n 's/^HPIO_JVM_FLAGS="\(.*\)"$/\1/p' high_perf_lb) (the launcher's default)"}
[ -n "${JAVA_OPTS:-}" ] && lb_jvm="$JAVA_OPTS (JAVA_OPTS)"

for p in "$lb_port" "$port_a" "$port_b"; do
  port_open "$p" && die "port $p is in use (another make stress or make run?); stop it or set STRESS_PORT"
done

echo "stress: ${#scenarios[@]} scenario(s) x ${#rows[@]} row(s), ${WARMUP} s warm-up + ${DURATION} s measured per row"
echo "  load: $load_tool; results: $out/"

# The backends, once for the whole run.
if [ "$BACKEND" = demo ]; then
  backend_desc="2 demo backends (hpio.demo.DemoBackend, own JVMs), weights $weight_a:$weight_b"
  for b in "A $port_a" "B $port_b"; do
    set -- $b
    spawn "$out/logs/backend-$1.log" "$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx256m \
      -cp "$jar" hpio.demo.DemoBackend --port "$2" --name "$1"
    backend_pids+=("$spawned")
    await_port "$2" "$spawned" || die "demo backend $1 did not start on $2: $(tail -n 1 "$out/logs/backend-$1.log")"
  done
else
  write_nginx_backend_conf
  backend_desc="nginx $("$nginx_backend_bin" -v 2>&1 | sed -n 's|.*nginx/||p'), one worker, two server blocks, weights $weight_a:$weight_b"
  spawn "$out/logs/backend-nginx.log" "$nginx_backend_bin" -e "$PWD/$out/logs/nginx-backend-error.log" \
    -p "$PWD/$out/conf/" -c "$PWD/$out/conf/nginx-backend.conf"
  backend_pids=("$spawned")
  for p in "$port_a" "$port_b"; do
    await_port "$p" "$spawned" || die "nginx backend did not start on $p: $(tail -n 2 "$out/logs/nginx-backend-error.log" "$out/logs/backend-nginx.log" 2>/dev/null)"
  done
fi
[ -n "$haproxy_bin" ] && write_haproxy_conf
[ -n "$nginx_bin" ] && write_nginx_stream_conf
echo "  backends: $backend_desc"

# The plan: which rows are measured, which only noted.
plan=()
for s in "${scenarios[@]}"; do
  for row in "${rows[@]}"; do plan+=("$s $row"); done
done
measured_total=0
skip_reason() {  # skip_reason CONNS ROW: why this row is not measured, or nothing
  local conns=$1 row=$2
  if [ "$row" = haproxy ] && [ -z "$haproxy_bin" ]; then echo "$haproxy_why"; return; fi
  if [ "$row" = nginx ] && [ -z "$nginx_bin" ]; then echo "$nginx_why"; return; fi
  if [ "$row" = select ] && [ "$conns" -gt $select_max ]; then echo "n/a (FD_SETSIZE)"; return; fi
  if [ "$row" != direct ] && [ $((2 * conns + 64)) -gt "$nofile" ]; then
    echo "n/a (open files limit $nofile: $((2 * conns)) fds needed)"; return
  fi
}
for item in "${plan[@]}"; do
  set -- $item
  [ -z "$(skip_reason "${1#close}" "$2")" ] && measured_total=$((measured_total + 1))
done
echo "  $measured_total row(s) to measure; about $(fmt_secs $((measured_total * (WARMUP + DURATION + 2)))) in all"
echo

run_start=$(date +%s)
done_count=0
for item in "${plan[@]}"; do
  set -- $item
  s=$1 row=$2
  if [[ $s == close* ]]; then conns=${s#close} mode=close scenario="close, $(group "$conns") conns"
  else conns=$s mode=keepalive scenario="keep-alive, $(group "$conns") conns"
  fi
  for pid in "${backend_pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a backend exited (see $out/logs/backend-*.log)"
  done
  why=$(skip_reason "$conns" "$row")
  if [ -n "$why" ]; then
    record "$scenario" "$(label "$row")" - - - - - - "$why"
    printf '  [  -/%2d] %-22s %-28s %s\n' "$measured_total" "$scenario" "$(label "$row")" "$why"
    continue
  fi
  done_count=$((done_count + 1))
  elapsed=$(( $(date +%s) - run_start ))
  if [ $done_count -gt 1 ]; then per=$(( elapsed / (done_count - 1) )); else per=$((WARMUP + DURATION + 2)); fi
  left=$(( (measured_total - done_count + 1) * per ))
  printf '  [%3d/%2d] %-22s %-28s (%s left) ' "$done_count" "$measured_total" "$scenario" "$(label "$row")" \
    "$(fmt_secs $left)"
  measure_row "$scenario" "$conns" "$mode" "$row"
done
wall=$(( $(date +%s) - run_start ))

# ---------------------------------------------------------------- report

for pid in "${backend_pids[@]}"; do stop "$pid"; done

machine=(
  "date: $(date '+%Y-%m-%d %H:%M %Z')"
  "machine: $cores cores, $cpu_model, $(awk '/^MemTotal:/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null)"
  "OS: $os_name, kernel $(uname -sr)"
  "JDK: $jdk_version; balancer JVM flags: $lb_jvm"
  "load: $load_tool; ${WARMUP} s warm-up ($warmup_how), then ${DURATION} s measured per row; each row a fresh proxy process"
  "backends: $backend_desc; proxies use weighted round robin (high_perf_lb -a wrr, HAProxy roundrobin, nginx weight=)"
  "open files: soft limit raised to $nofile"
)

# The table, as text, Markdown and CSV, from the rows' TSV.
awk -F'\t' -v md="$out/stress.md" -v csv="$out/stress.csv" -v load="$LOAD" -v head="$(printf '%s\n' "${machine[@]}")" '
  function group(n,   s) { if (n !~ /^[0-9]+$/) return n; s = "";
    while (n >= 1000) { s = sprintf(",%03d", n % 1000) s; n = int(n / 1000) } return n s }
  function ms(v) { return v == "-" ? "-" : sprintf(v < 10 ? "%.2f" : "%.1f", v) }
  function csvq(s) { if (s ~ /[",]/) { gsub(/"/, "\"\"", s); s = "\"" s "\"" } return s }
  {
    n++; sc[n] = $1; row[n] = $2; rps[n] = $3; p50[n] = $4; p99[n] = $5; err[n] = $6; cpu[n] = $7; rss[n] = $8; note[n] = $9
    cell[n, 1] = (n > 1 && $1 == sc[n - 1]) ? "" : $1; cell[n, 2] = $2; cell[n, 3] = group($3); cell[n, 4] = ms($4); cell[n, 5] = ms($5)
    cell[n, 6] = $6; cell[n, 7] = $7; cell[n, 8] = $8; cell[n, 9] = $9
  }
  END {
    split("scenario|row|req/s|p50 ms|p99 ms|errors|CPU %|peak RSS MB|notes", h, "|")
    for (c = 1; c <= 9; c++) { w[c] = length(h[c]); for (i = 1; i <= n; i++) if (length(cell[i, c]) > w[c]) w[c] = length(cell[i, c]) }
    line = ""; rule = ""
    for (c = 1; c <= 9; c++) {
      f = (c <= 2 || c == 9) ? "%-" w[c] "s" : "%" w[c] "s"
      line = line (c > 1 ? " | " : "  ") sprintf(f, h[c]); rule = rule (c > 1 ? "-+-" : "  ") sprintf("%" w[c] "s", "")
    }
    gsub(/ /, "-", rule); sub(/^--/, "  ", rule)
    sub(/ +$/, "", line); print line; print rule
    for (i = 1; i <= n; i++) {
      if (i > 1 && sc[i] != sc[i - 1]) print rule
      line = ""
      for (c = 1; c <= 9; c++) {
        f = (c <= 2 || c == 9) ? "%-" w[c] "s" : "%" w[c] "s"
        line = line (c > 1 ? " | " : "  ") sprintf(f, cell[i, c])
      }
      sub(/ +$/, "", line); print line
    }
    print "  (CPU %: the proxy process(es) over the measured seconds, 100 = one core; RSS: its peak resident size, VmHWM)"
    if (load == "wrk") print "  (wrk opens its connections anew for the measured run: with thousands, the connect burst is in it)"

    print "# make stress" > md
    print "" > md
    m = split(head, hl, "\n"); for (i = 1; i <= m; i++) print "- " hl[i] > md
    print "" > md
    print "| scenario | row | req/s | p50 ms | p99 ms | errors | CPU % | peak RSS MB | notes |" > md
    print "|---|---|--:|--:|--:|--:|--:|--:|---|" > md
    for (i = 1; i <= n; i++) {
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cell[i, 1], cell[i, 2], cell[i, 3], cell[i, 4],
        cell[i, 5], cell[i, 6], cell[i, 7], cell[i, 8], cell[i, 9] > md
    }
    print "" > md
    print "CPU %: the proxy process(es) over the measured seconds, 100 = one core. RSS: peak resident size (VmHWM)." > md
    if (load == "wrk") print "wrk opens its connections anew for the measured run: with thousands of them, the connect burst" \
      " (SYNs dropped by full accept queues and sent again after 1 s) is inside the measured seconds." > md
    print "scenario,row,load_tool,requests_per_s,p50_ms,p99_ms,errors,cpu_percent,peak_rss_mb,notes" > csv
    for (i = 1; i <= n; i++) {
      printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", csvq(sc[i]), csvq(row[i]), load, rps[i], p50[i], p99[i], err[i],
        cpu[i], rss[i], csvq(note[i]) > csv
    }
  }' "$rows_tsv" >"$out/table.txt"

# The targets, from this run's rows.
targets=$(awk -F'\t' '
  function num(v) { return v != "" && v != "-" }
  function ms(v) { return sprintf(v + 0 < 10 ? "%.2f" : "%.1f", v) }
  function say(what, value, target, verdict) { printf "  %-56s %-22s %-23s %s\n", what, value, target, verdict }
  { n++; sc[n] = $1; row[n] = $2; rps[$1 "|" $2] = $3; p99[$1 "|" $2] = $5; rss[n] = $8
    if ($2 ~ /^HAProxy/) haproxy[$1] = $1 "|" $2
    if (!($1 in seen)) { seen[$1] = 1; scenarios[++ns] = $1 } }
  END {
    for (i = 1; i <= ns; i++) {
      s = scenarios[i]
      if (s != "keep-alive, 100 conns" && s != "keep-alive, 1,000 conns") continue
      e = s "|epoll"; h = haproxy[s]
      if (!(s in haproxy) || !num(rps[e]) || !num(rps[h])) { say("epoll / HAProxy req/s, " s, "not measured", "", ""); continue }
      r = rps[e] / rps[h]
      say("epoll / HAProxy req/s, " s, sprintf("= %.2fx", r), ">= 1.0x (stretch 1.1x)",
          (r >= 1.1) ? "PASS (stretch too)" : ((r >= 1.0) ? "PASS" : "MISS"))
      say("epoll p99 against HAProxy p99, " s, "= " ms(p99[e]) " vs " ms(p99[h]) " ms", "not higher",
          (p99[e] + 0 <= p99[h] + 0) ? "PASS" : "MISS")
    }
    for (i = 1; i <= ns; i++) {
      s = scenarios[i]; e = s "|epoll"; v = s "|nio"
      if (!num(rps[e]) || !num(rps[v])) continue
      r = rps[v] / rps[e]
      say("nio / epoll req/s, " s, sprintf("= %.2fx", r), ">= 0.9x", (r >= 0.9) ? "PASS" : "MISS")
    }
    for (i = 1; i <= n; i++) {
      if (sc[i] != "keep-alive, 5,000 conns" || !num(rss[i]) || row[i] ~ /^direct/) continue
      if (row[i] ~ /^(select|poll|epoll|kqueue|nio)/)
        say("peak RSS, 5,000 conns, " row[i], "= " rss[i] " MB", "<= 64 MB", (rss[i] + 0 <= 64) ? "PASS" : "MISS")
      else say("peak RSS, 5,000 conns, " row[i], "= " rss[i] " MB", "(a peer: for comparison)", "")
    }
  }' "$rows_tsv")

{
  echo
  echo "make stress: $(date '+%Y-%m-%d %H:%M'), $cores cores, $(uname -sr), JDK $jdk_version, load: $load_tool"
  echo
  cat "$out/table.txt"
  if [ -n "$targets" ]; then
    echo
    echo "Targets (ratios of rows measured in this run):"
    echo "$targets"
  fi
  # What our balancer printed under load, beyond its start-up and stop lines.
  ours=$(ls "$out"/logs/*.proxy.log 2>/dev/null | grep -vE '/(haproxy|nginx)-')
  said=""
  [ -n "$ours" ] && said=$(grep -vhE 'listening on|loopback only|exercises on|stopped$|^\s*$' $ours |
           sed 's/ ([0-9]* refused so far)//' | sort | uniq -c | sort -rn | head -n 8)
  if [ -n "$said" ]; then
    echo
    echo "The balancer logged under load (count, message; full logs in $out/logs/):"
    echo "$said" | cut -c1-150 | sed 's/^/  /'
  fi
  echo
  echo "  written: $out/stress.md, $out/stress.csv (logs and configs beside); rows took $(fmt_secs $wall)"
} | tee "$out/summary.txt"
{ echo; echo "## Targets"; echo; echo '```'; echo "${targets:-  (none measured)}"; echo '```'; } >>"$out/stress.md"
rm -f "$out/table.txt" "$rows_tsv"
