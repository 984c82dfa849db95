#!/usr/bin/env bash
# Collector ingest: reports/s and latency for POST /v1/reports (each with a
# distinct report_id) on SQLite and on a throwaway PostgreSQL, next to a
# /healthz baseline in the same run, plus the collector's peak RSS.
# Loopback only, bounded: DURATION seconds per measurement (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p candor-collector
BIN=target/release/candor-collector
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${PGDATA:-}" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1; rm -rf "$TMP"' EXIT

cat > "$TMP/post.lua" <<'LUA'
local n = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
request = function()
  n = n + 1
  local id = string.format("%08x-%04x-4%03x-8%03x-%012x", tid, n % 65536, math.random(0, 4095), math.random(0, 4095), n)
  local body = '{"report_id":"' .. id .. '","site":"shop.example","revision":"r1","purpose":"analytics",' ..
    '"window":{"start":1763800020,"seconds":60},"events":{"page_view":{"count":7,"fields":{"path":{"/shop":5,"/":2},' ..
    '"load_ms":[1,4,2,0,0]}},"purchase":{"count":1,"fields":{"amount":42.5}}},"noise":null,"sdk":"candor/0.1.0"}'
  return wrk.format("POST", "/v1/reports", {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  local codes = 0
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status, summary.requests))
end
LUA
cat > "$TMP/get.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status, summary.requests))
end
LUA

start() { # db -> sets ADDR, PID
  "$BIN" --listen 127.0.0.1:0 --db "$1" --sites shop.example --www www --dist dist > "$TMP/out" 2> /dev/null &
  PID=$!
  for _ in $(seq 50); do grep -q listening "$TMP/out" 2>/dev/null && break; sleep 0.1; done
  ADDR=$(sed -n 's/^listening on //p' "$TMP/out")
}
measure() { # label script path
  local r; r=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$TMP/$2" "http://$ADDR$3" | sed -n 's/^RESULT //p')
  read -r rps p50 p99 bad total <<< "$r"
  local rss; rss=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
  printf '| %s | %s | %s | %s | %s | %s | %s MB |\n' "$1" "$rps" "$p50" "$p99" "$total" "$bad" "$((rss / 1024))"
}

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); wrk -t2 -c$CONNS -d${DURATION}s"
echo
echo '| run | req/s | p50 ms | p99 ms | requests | non-2xx | peak RSS |'
echo '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'
start "$TMP/bench.db"
measure "GET /healthz (SQLite)" get.lua /healthz
measure "POST /v1/reports (SQLite)" post.lua /v1/reports
kill "$PID"; wait "$PID" 2>/dev/null || true

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
PGDATA="$TMP/pg"; mkdir -p "$PGDATA"; chown postgres "$TMP" "$PGDATA"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -o "-p $PGPORT -k $TMP -c listen_addresses=127.0.0.1" -l "$TMP/pg.log" -w start >/dev/null
start "postgres://postgres@127.0.0.1:$PGPORT/postgres"
measure "GET /healthz (PostgreSQL)" get.lua /healthz
measure "POST /v1/reports (PostgreSQL)" post.lua /v1/reports
kill "$PID"; wait "$PID" 2>/dev/null || true
