#!/usr/bin/env bash
# Load figures of `roe serve` (docs/performance.md): requests a second and
# latency of single-record decides with keep-alive, and records a second of
# NDJSON batches, each beside the service's trivial endpoint (`/healthz`, a
# fixed body) in the same run; then `roe run` over the same records.
#
# The server is pinned to core 0 and the load generator (wrk, from Debian's
# packages: apt-get install wrk) to core 1; on loopback only, each run bounded
# by SECONDS (default 10). Usage: benches/serve/load.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-10}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release -q
ROE=target/release/roe
WORK=$(mktemp -d /tmp/roe-load.XXXXXX)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir "$WORK/policies"
cp examples/inbound_routing.roe "$WORK/policies/"
# One hot lead, and 1,000 leads (the example's, with distinct ids) for batches.
cp examples/hot_lead.json "$WORK/one.json"
python3 - "$WORK" <<'PY'
import json, sys
leads = [json.loads(l) for l in open("examples/inbound_leads.jsonl") if l.strip()]
with open(sys.argv[1] + "/batch.ndjson", "w") as out:
    for n in range(1000):
        lead = dict(leads[n % len(leads)], id=f"L-{n}")
        out.write(json.dumps(lead) + "\n")
with open(sys.argv[1] + "/many.ndjson", "w") as out:
    for n in range(200000):
        lead = dict(leads[n % len(leads)], id=f"L-{n}")
        out.write(json.dumps(lead) + "\n")
PY
taskset -c 0 "$ROE" serve --policies "$WORK/policies" --addr 127.0.0.1:0 --log-format off \
  --watch 0 > "$WORK/serve.out" &
SERVER=$!
for _ in $(seq 1 50); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
BASE=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out")
NOW=2026-11-30T10:00:00Z
load() { taskset -c 1 wrk -t1 -c"$1" -d"${SECONDS_EACH}s" --latency "${@:2}"; }
echo "== trivial endpoint (GET /healthz), 16 connections"
load 16 "$BASE/healthz"
echo "== single-record decide (POST one lead), 16 connections"
BODY="$WORK/one.json" TYPE=application/json load 16 -s benches/serve/post.lua \
  "$BASE/v1/policies/inbound_routing/decide?now=$NOW"
echo "== NDJSON batch of 1,000 leads, 2 connections (records/s = requests/s x 1000)"
BODY="$WORK/batch.ndjson" TYPE=application/x-ndjson load 2 -s benches/serve/post.lua \
  "$BASE/v1/policies/inbound_routing/decide?now=$NOW"
echo "== roe run over 200,000 of the same leads, pinned to core 0"
/usr/bin/time -f "%e s" taskset -c 0 "$ROE" run examples/inbound_routing.roe \
  --records "$WORK/many.ndjson" --now "$NOW" > /dev/null
