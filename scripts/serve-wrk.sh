#!/usr/bin/env bash
# Load on `gloss serve` from wrk (Debian package `wrk`): one event-driven client thread with
# 50 connections, so the load generator takes less of the 2 cores than the server it
# measures (benches/serve_load.rs uses 50 blocking client threads, which cost more CPU per
# request than the server does). The request mix: every prefix of the first 60 queries of
# tests/relevance.tsv (search as you type) and all its 317 queries, cycled in order.
#
#   scripts/serve-wrk.sh [NOTES_FOLDER] [SECONDS]     (default: content/, 20 s)
# Extra serve flags through GLOSS_SERVE_FLAGS, e.g. GLOSS_SERVE_FLAGS="--cache-mb 0".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
notes=$(realpath "${1:-$root/content}")
secs=${2:-20}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
gloss=$(ls -t "$root"/target/*/release/gloss "$root"/target/release/gloss 2>/dev/null | head -1)
"$gloss" --content "$notes" --index "$work/index" serve --port "$port" \
  ${GLOSS_SERVE_FLAGS:-} >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/status" >/dev/null && break; sleep 0.2; done
python3 - "$root/tests/relevance.tsv" >"$work/mix.lua" <<'PY'
import sys, urllib.parse
rows = [l.split("\t")[0] for l in open(sys.argv[1])
        if l.strip() and not l.startswith("#") and not l.startswith("query\t")]
queries = [q[:i] for q in rows[:60] for i in range(2, len(q) + 1)] + rows
paths = ["/api/search?q=%s&mode=search&limit=10" % urllib.parse.quote(q) for q in queries]
print("paths = {\n" + ",\n".join('"%s"' % p for p in paths) + "\n}")
print("n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format('GET', paths[(n % #paths) + 1])\nend")
PY
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t1 -c50 -d3s -s "$work/mix.lua" "http://127.0.0.1:$port" >/dev/null   # warm-up
before=$(awk '{print $14+$15}' "/proc/$server/stat")
wrk -t1 -c50 -d"${secs}s" --latency -s "$work/mix.lua" "http://127.0.0.1:$port"
after=$(awk '{print $14+$15}' "/proc/$server/stat")
echo "server CPU during the run: $(( (after - before) ))/$(getconf CLK_TCK) s"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
curl -s "http://127.0.0.1:$port/api/status"; echo
