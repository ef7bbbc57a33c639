#!/usr/bin/env bash
# CPU time per request of one or more builds of the standalone server, side by side against one Redis: steadier than
# req/s on a shared machine, because it does not depend on how much CPU the other processes leave. For each build and
# workload: wrk -t1 -c16 for 5 s, and the server process's user + system time (/proc/<pid>/stat) over the run, divided by
# the requests wrk completed; after a warm-up run, RUNS alternating runs per build (default 5), the median reported.
# Usage: bash bench/cpu-per-request.sh NAME=DIR [NAME=DIR ...]
#   DIR holds a Release build of SessionFunctions.Server (SessionFunctions.Server.dll), e.g.
#   bash bench/cpu-per-request.sh head=SessionFunctions.Server/bin/Release/net10.0 old=/tmp/wt/SessionFunctions.Server/bin/Release/net10.0
# Needs redis-server and wrk (bench/run.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { sed -n '2,9p' "$0"; exit 2; }
runs=${RUNS:-5}
seconds=${SECONDS_PER_RUN:-5}
work=$(mktemp -d)
redis_port=6399
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; redis-cli -p $redis_port shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
redis-server --port $redis_port --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
for _ in $(seq 50); do redis-cli -p $redis_port ping >/dev/null 2>&1 && break; sleep 0.1; done

names=(); ports=(); port=7400
for spec in "$@"; do
  name=${spec%%=*}; dir=${spec#*=}
  [ -f "$dir/SessionFunctions.Server.dll" ] || { echo "cpu-per-request: no SessionFunctions.Server.dll in $dir" >&2; exit 1; }
  port=$((port + 1))
  (cd "$dir" && ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Session__Keys__0=cpu-key \
    Redis__ConnectionString=127.0.0.1:$redis_port exec dotnet SessionFunctions.Server.dll --urls "http://127.0.0.1:$port" \
    >"$work/$name.log" 2>&1) &
  pids+=($!); names+=("$name"); ports+=("$port")
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/api/session" && break; sleep 0.1; done
done

# The server's process: dotnet, the child of the subshell started above.
server_pid() { pgrep -f -- "--urls http://127.0.0.1:$1" | head -1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)

# SESSIONS sessions per build and size (default 64, as bench/run.sh: sixteen connections writing one session would
# measure conflicts, not saves), created through that build, so that each remembers its own; used round robin.
sessions=${SESSIONS:-64}
pad60k=$(head -c 61300 /dev/zero | tr '\0' x)
declare -A cookies
for i in "${!names[@]}"; do
  for size in small 60k; do
    body='{"count":0,"name":"ada"}'
    [ "$size" = 60k ] && body="{\"count\":0,\"name\":\"ada\",\"pad\":\"$pad60k\"}"
    list=""
    for _ in $(seq "$sessions"); do
      cookie=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$body" \
        "http://127.0.0.1:${ports[$i]}/api/session" | grep -i '^set-cookie' | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//' | tr -d '\r' | paste -sd';' | sed 's/;/; /')
      list+="${list:+|}$cookie"
    done
    cookies["${names[$i]}:$size"]=$list
  done
done

workloads=(read write read-60k)
declare -A samples
for workload in "${workloads[@]}"; do
  # Run 0 warms each build up (JIT tiering, pools) and is not counted.
  for run in $(seq 0 "$runs"); do
    for i in "${!names[@]}"; do
      name=${names[$i]}; port=${ports[$i]}; pid=$(server_pid "$port")
      case $workload in
        read) size=small; method=GET ;;
        read-60k) size=60k; method=GET ;;
        write) size=small; method=PUT ;;
      esac
      if [ "$method" = PUT ]; then export BODY='{"count":{n},"name":"ada"}'; else unset BODY; fi
      before=$(cpu_ticks "$pid")
      out=$(COOKIES="${cookies[$name:$size]}" METHOD=$method URL_PATH=/api/session COUNTER_START=$((run * 1000000)) \
        wrk -t1 -c16 -d${seconds}s -s bench/wrk/sessions.lua "http://127.0.0.1:$port/api/session")
      after=$(cpu_ticks "$pid")
      requests=$(echo "$out" | awk '/requests in/ {print $1}')
      failed=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
      micros=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
      [ "$run" -gt 0 ] && samples["$workload:$name"]+="$micros "
      echo "run $run $workload $name: $requests requests (${failed:-0} not 2xx), $micros µs CPU/request" >&2
    done
  done
done

echo "| request | $(printf '%s | ' "${names[@]}")"
echo "|---|$(printf -- '---:|%.0s' "${names[@]}")"
for workload in "${workloads[@]}"; do
  row="| $workload |"
  for name in "${names[@]}"; do
    median=$(echo "${samples[$workload:$name]}" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    row+=" $median µs |"
  done
  echo "$row"
done
