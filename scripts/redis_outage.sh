#!/usr/bin/env bash
# A run with a redis outage in it: starts a redis-server on a free loopback
# port, runs bench_all's accuracy experiment on the store-backed variants
# against it, kills the server (SIGKILL) 0.6 s into the first point and starts
# it again 0.5 s later. The run's records say how many requests were refused
# because redis was unreachable (store_refusals), and its 1 ms bins show the
# hole. Arguments pass through to bench_all (e.g. --out=).
#   scripts/redis_outage.sh --out=results
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >&2
bin=build/release/harness/bench_all
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_redis() {
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    --loglevel warning >/dev/null &
  pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "redis_outage: redis-server did not start" >&2
  exit 1
}
start_redis
trap 'kill $pid 2>/dev/null || true' EXIT
"$bin" --redis="127.0.0.1:$port" --variants=redis_gcra,redis_leased \
  --experiments=accuracy --repetitions=1 --accuracy_duration=2 --warmup=0.05 "$@" &
bench=$!
sleep 0.95   # start-up and the workers' 0.3 s start margin, then 0.6 s in
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
echo "redis_outage: killed redis-server" >&2
sleep 0.5
start_redis
echo "redis_outage: restarted redis-server" >&2
wait "$bench"
