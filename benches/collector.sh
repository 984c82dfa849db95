#!/usr/bin/env bash
# Collector ingest benchmark: POST /v1/reports (every request a distinct
# report_id) on SQLite and on a throwaway PostgreSQL, each next to a /healthz
# baseline from the same process, then GET /v1/aggregates over every report
# the POSTs stored (a dashboard polling the sum), plus the collector's peak
# RSS (VmHWM).
# Loopback only, bounded: DURATION seconds per measurement (default 10).
# Installs what it needs (wrk, postgresql) with apt-get, only when missing.
# Prints a Markdown table on stdout; progress goes to stderr.
#
#   benches/collector.sh                  # DURATION=10 CONNS=16 THREADS=2
#   DURATION=3 benches/collector.sh       # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-collector}
log() { echo "collector.sh: $*" >&2; }

need_apt() { # package, probe
  if ! eval "$2" >/dev/null 2>&1; then
    log "installing $1"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  fi
}
need_apt wrk 'command -v wrk'
need_apt postgresql 'ls /usr/lib/postgresql/*/bin/initdb'
need_apt curl 'command -v curl'

log "building (release) into $CARGO_TARGET_DIR"
cargo build --release -q -p candor-collector
# COLLECTOR_BIN: another build to measure (an older one, to compare).
BIN=${COLLECTOR_BIN:-$CARGO_TARGET_DIR/release/candor-collector}

TMP=$(mktemp -d)
PID=
PGDATA=
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [ -n "$PGDATA" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { # a port nobody answers on
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (: </dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
}

cat > "$TMP/post.lua" <<'LUA'
-- One report per request, each with its own report_id (UUID v4 shape):
-- thread number + per-thread sequence, so none is a duplicate.
local n = 0
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("tid", threads) end
request = function()
  n = n + 1
  local id = string.format("%08x-%04x-4%03x-8%03x-%012x", tid, n % 65536, math.random(0, 4095), math.random(0, 4095), n)
  local body = '{"report_id":"' .. id .. '","site":"shop.example","revision":"r1","purpose":"analytics",' ..
    '"window":{"start":1763800020,"seconds":60},"events":{"page_view":{"count":7,"fields":{"path":{"/shop":5,"/":2},' ..
    '"load_ms":[1,4,2,0,0]}},"purchase":{"count":1,"fields":{"amount":42.5}}},"noise":null,"sdk":"candor/0.1.0"}'
  return wrk.format("POST", "/v1/reports", {["Content-Type"] = "application/json"}, body)
end
LUA
cat > "$TMP/report.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests))
end
LUA
cat "$TMP/report.lua" >> "$TMP/post.lua"

start() { # db
  : > "$TMP/out"
  "$BIN" --listen 127.0.0.1:0 --db "$1" --sites shop.example --min-reports 1 --www www --dist dist \
    > "$TMP/out" 2> "$TMP/err" &
  PID=$!
  for _ in $(seq 100); do grep -q '^listening on' "$TMP/out" && break; sleep 0.1; done
  ADDR=$(sed -n 's/^listening on //p' "$TMP/out")
  [ -n "$ADDR" ] || { cat "$TMP/err" >&2; exit 1; }
}
stop() { kill "$PID"; wait "$PID" || true; PID=; }
AGG='/v1/aggregates?site=shop.example&event=page_view'
stored() { curl -s "http://$ADDR/v1/aggregates?site=shop.example&event=page_view" | sed -n 's/.*"reports":\([0-9]*\).*/\1/p'; }
measure() { # label script path
  log "$1: ${DURATION}s"
  local before; before=$(stored)
  local r; r=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$TMP/$2" "http://$ADDR$3" | sed -n 's/^RESULT //p')
  local rps p50 p99 bad total; read -r rps p50 p99 bad total <<< "$r"
  local rss; rss=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
  local new=-; [ "$2" = post.lua ] && new=$(( $(stored) - before ))
  printf '| %s | %s | %s | %s | %s | %s | %s | %s MB |\n' "$1" "$rps" "$p50" "$p99" "$total" "$bad" "$new" "$((rss / 1024))"
}

echo "Collector ingest, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr);" \
  "wrk -t$THREADS -c$CONNS -d${DURATION}s over loopback; release build; $("$PGBIN/postgres" --version)"
echo
echo '| run | req/s | p50 ms | p99 ms | requests | errors/non-2xx | reports stored | peak RSS |'
echo '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'

start "$TMP/bench.db"
measure "GET /healthz (SQLite)" report.lua /healthz
measure "POST /v1/reports (SQLite, WAL)" post.lua /v1/reports
measure "GET /v1/aggregates (SQLite, all reports above)" report.lua "$AGG"
stop

PGDATA="$TMP/pg"
PGPORT=$(free_port)
mkdir -p "$PGDATA"
chown postgres "$TMP" "$PGDATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -o "-p $PGPORT -k $TMP -c listen_addresses=127.0.0.1" \
  -l "$TMP/pg.log" -w start >/dev/null
start "postgres://postgres@127.0.0.1:$PGPORT/postgres"
measure "GET /healthz (PostgreSQL)" report.lua /healthz
measure "POST /v1/reports (PostgreSQL)" post.lua /v1/reports
measure "GET /v1/aggregates (PostgreSQL, all reports above)" report.lua "$AGG"
stop
