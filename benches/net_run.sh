#!/usr/bin/env bash
# The network benches (issue 14 §8): echo and HTTP servers side by side, loopback only.
#
#   bash benches/net_run.sh [RUNS]          # default 5 runs
#
# Every run starts a fresh server process for each (workload, server) and runs the servers
# one after the other, rotating which goes first from run to run, so each run compares
# the servers minutes apart at most; the report takes per-run ratios and their medians.
#
# Echo: target/release/echo_client (one thread, the same for every server) at 1, 64 and
# 1,000 connections × 64 B and 16 KiB messages; the client reads the server's CPU time
# from /proc/PID/stat before and after the measured pass.
# HTTP: wrk -t1 -cN -d${HTTP_SECS}s --latency against hyper on this runtime and on tokio,
# N = 64 and 256; the server's CPU time is read before and after wrk.
#
# Environment:
#   PIN=1         pin the load client to CPU 1 and the server to CPU 0 (default: no pinning,
#                 the kernel shares both CPUs between them, the same for every server)
#   SCALE=0.5     multiply the echo message counts (default 1)
#   HTTP_SECS=5   wrk duration
#   ONLY=echo|http  run one half
#   ECHO_SERVERS="asyncio tokio ..." / HTTP_SERVERS="..."  a subset
#   PY=...        the CPython 3.13 with uvloop (default: pyenv's 3.13.0)
#
# Output: target/net-runs/<date>/results.jsonl (+ logs/), then the report
# (benches/net_report.py). Needs wrk (apt-get install -y wrk) and uvloop
# (PYENV_VERSION=3.13.0 python -m pip install uvloop).
set -euo pipefail
runs=${1:-5}
cd "$(dirname "$0")/.."
root=$PWD
: "${PIN:=0}" "${SCALE:=1}" "${HTTP_SECS:=5}" "${ONLY:=}"
: "${PY:=$(PYENV_VERSION=3.13.0 pyenv which python 2>/dev/null || echo python3)}"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
bin=$CARGO_TARGET_DIR/release
out=$CARGO_TARGET_DIR/net-runs/$(date -u +%Y%m%dT%H%M%S)
mkdir -p "$out/logs"
results=$out/results.jsonl

cargo build --release -q -p asyncio-benches --features net --bin net_server --bin echo_client
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
"$PY" -c 'import uvloop' || { echo "uvloop missing for $PY" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

kinds=$("$bin/net_server" --list)
default_echo="asyncio tokio smol cpython-streams uvloop-streams uvloop-protocol"
# The streams API server, once the runtime has it.
grep -qx echo-asyncio-streams <<<"$kinds" && default_echo="asyncio asyncio-streams ${default_echo#asyncio }"
: "${ECHO_SERVERS:=$default_echo}" "${HTTP_SERVERS:=asyncio tokio}"
read -ra echo_servers <<<"$ECHO_SERVERS"
read -ra http_servers <<<"$HTTP_SERVERS"

if [ "$PIN" = 1 ]; then
    client_pin=(taskset -c 1)
    server_pin=(taskset -c 0)
else
    client_pin=()
    server_pin=()
fi

# conns size msgs-per-connection warm-up-per-connection
echo_workloads=(
    "1 64 30000 500"
    "1 16384 30000 500"
    "64 64 1000 20"
    "64 16384 600 10"
    "1000 64 60 3"
    "1000 16384 20 2"
)
http_conns=(64 256)

# Below the ephemeral range (32768-60999), where the clients' own ports (and their
# TIME_WAIT leftovers) live; a few hundred servers per full run.
port=$((10000 + RANDOM % 10000))
srv_pid=
start_server() { # bench server: three tries, on a fresh port each
    for _ in 1 2 3; do
        try_start_server "$@" && return 0
        stop_server
    done
    echo "$2 did not start, skipped" >&2
    return 1
}
try_start_server() {
    port=$((port + 1))
    local bench=$1 s=$2
    case $s in
        cpython-streams) set -- "$PY" benches/net_ref.py asyncio-streams "$port" ;;
        uvloop-*) set -- "$PY" benches/net_ref.py "$s" "$port" ;;
        *) set -- "$bin/net_server" "$bench-$s" "$port" ;;
    esac
    "${server_pin[@]}" "$@" >>"$out/logs/servers.log" 2>&1 &
    srv_pid=$!
    for _ in $(seq 100); do
        kill -0 "$srv_pid" 2>/dev/null || return 1
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    return 1
}
stop_server() {
    kill "$srv_pid" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
}
load1() { # the machine's 1-minute load average (it is shared: other builds run too)
    cut -d' ' -f1 /proc/loadavg
}
cpu_ticks() { # utime + stime of a process, all threads (fields 14, 15 of /proc/PID/stat)
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}
rotate() { # print the arguments after $1, rotated left by $1
    local k=$1
    shift
    local n=$# a=("$@")
    for i in $(seq 0 $((n - 1))); do printf '%s ' "${a[$(((i + k) % n))]}"; done
}

t0=$SECONDS
for r in $(seq 1 "$runs"); do
    if [ "$ONLY" != http ]; then
        for w in "${echo_workloads[@]}"; do
            read -r conns size msgs warm <<<"$w"
            msgs=$(awk -v m="$msgs" -v s="$SCALE" 'BEGIN { v = int(m * s); print v < 1 ? 1 : v }')
            for s in $(rotate "$r" "${echo_servers[@]}"); do
                start_server echo "$s" || continue
                line=$(timeout 300 "${client_pin[@]}" "$bin/echo_client" --addr "127.0.0.1:$port" \
                    --conns "$conns" --size "$size" --msgs "$msgs" --warmup "$warm" \
                    --pid "$srv_pid" --timeout 240 2>>"$out/logs/client.log") || line=
                stop_server
                if [ -z "$line" ]; then
                    echo "run $r echo $conns×$size $s: FAILED (see $out/logs)" >&2
                    continue
                fi
                echo "{\"bench\": \"echo\", \"run\": $r, \"server\": \"$s\", \"load1\": $(load1), ${line:1}" >>"$results"
            done
        done
    fi
    if [ "$ONLY" != echo ]; then
        for c in "${http_conns[@]}"; do
            for s in $(rotate "$r" "${http_servers[@]}"); do
                start_server http "$s" || continue
                log=$out/logs/run$r-http-$c-$s.txt
                before=$(cpu_ticks "$srv_pid")
                timeout $((HTTP_SECS + 60)) "${client_pin[@]}" wrk -t1 -c"$c" -d"${HTTP_SECS}s" \
                    --latency "http://127.0.0.1:$port/" >"$log" 2>&1 || true
                after=$(cpu_ticks "$srv_pid")
                stop_server
                awk -v run="$r" -v s="$s" -v c="$c" -v cpu="$((after - before))" -v load="$(load1)" \
                    -v hz="$(getconf CLK_TCK)" '
                    function us(v) {
                        if (v ~ /us$/) return v + 0
                        if (v ~ /ms$/) return v * 1000
                        if (v ~ /m$/) return v * 60e6
                        return v * 1e6
                    }
                    $1 == "50%" { p50 = us($2) }
                    $1 == "99%" { p99 = us($2) }
                    / requests in / { n = $1 }
                    /^Requests\/sec:/ { rps = $2 }
                    /Socket errors|Non-2xx/ { err = err $0 }
                    END {
                        if (!n) { print "run " run " http " c " " s ": FAILED" > "/dev/stderr"; exit }
                        printf "{\"bench\": \"http\", \"run\": %d, \"server\": \"%s\", \"load1\": %s, \"conns\": %d, " \
                            "\"requests\": %d, \"req_per_s\": %.0f, \"p50_us\": %.1f, \"p99_us\": %.1f, " \
                            "\"server_cpu_s\": %.2f, \"server_cpu_us_per_req\": %.3f, \"errors\": \"%s\"}\n",
                            run, s, load, c, n, rps, p50, p99, cpu / hz, cpu / hz * 1e6 / n, err
                    }' "$log" >>"$results"
            done
        done
    fi
    echo "run $r of $runs done ($((SECONDS - t0)) s)" >&2
done
python3 benches/net_report.py "$results" | tee "$out/report.md"
