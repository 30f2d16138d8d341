#!/usr/bin/env bash
# End-to-end media load on loopback: `roomgate serve` (release) holds LEGS G.711 legs in ROOMS
# breakout rooms while examples/media_load.rs generates the RTP and the minimal SIP, measures
# loss, send-time jitter, move latency and memory per leg beside same-run baselines, and this
# script adds the shard's own figures (late ticks, tick processing p99) from its log.
# Runs twice on the same binary: ROOMGATE_MEDIA_BATCH=0 (recv_from until EWOULDBLOCK) and =1
# (recvmmsg), so the batched-I/O before/after is measured under the same load.
#
# usage: bench/media_load.sh [LEGS=500] [ROOMS=50] [SECS=20] [MOVES=200] [MODES="0 1"]
set -euo pipefail
cd "$(dirname "$0")/.."
LEGS=${1:-500}
ROOMS=${2:-50}
SECS=${3:-20}
MOVES=${4:-200}
MODES=${5:-"0 1"}
TOKEN=media-load-token-0123456789
ulimit -n 8192 || true

cargo build --release --quiet --bin roomgate --example media_load
TMP=$(mktemp -d /tmp/roomgate-media-load.XXXXXX)
trap 'kill -TERM ${GW:-0} 2>/dev/null || true; rm -rf "$TMP"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for batch in $MODES; do
  SIP_PORT=$(free_port)
  echo "=== ROOMGATE_MEDIA_BATCH=$batch: $LEGS legs, $ROOMS rooms ==="
  ROOMGATE_MEDIA_BATCH=$batch target/release/roomgate serve \
      --sip-listen "udp:127.0.0.1:$SIP_PORT" --http-listen 127.0.0.1:0 \
      --db "$TMP/gw-$batch.db" --api-token "$TOKEN" --rtp-ports 20000-29999 \
      --log-format json >"$TMP/out-$batch" 2>"$TMP/log-$batch" &
  GW=$!
  for _ in $(seq 100); do grep -q "HTTP API on" "$TMP/out-$batch" && break; sleep 0.1; done
  API=$(sed -n 's/^roomgate: HTTP API on //p' "$TMP/out-$batch")
  target/release/examples/media_load --api "$API" --token "$TOKEN" \
      --sip "127.0.0.1:$SIP_PORT" --pid "$GW" --legs "$LEGS" --rooms "$ROOMS" \
      --secs "$SECS" --moves "$MOVES" | tee "$TMP/res-$batch"
  sleep 1
  kill -TERM "$GW"; wait "$GW" || true
  FLOOR=$(sed -n 's/^floor_tick_p99_us=//p' "$TMP/res-$batch")
  python3 - "$TMP/log-$batch" "$LEGS" "$FLOOR" <<'PY'
import json, sys
path, legs, floor = sys.argv[1], int(sys.argv[2]), float(sys.argv[3] or 0)
wins = []
for line in open(path):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    f = j.get("fields", j)
    if f.get("message") == "media shard stats":
        wins.append(f)
full = [w for w in wins if w["legs"] == legs and w["rx_packets"] >= 0.9 * legs * 50 * 10]
last = wins[-1] if wins else {}
print(f"shard windows under full load: {len(full)} of {len(wins)}")
if full:
    p99 = max(w["tick_p99_us"] for w in full)
    mx = max(w["tick_max_us"] for w in full)
    lag99 = max(w["tick_lag_p99_us"] for w in full)
    lagmax = max(w["tick_lag_max_us"] for w in full)
    rxp = sum(w["rx_packets"] for w in full)
    rxc = sum(w["rx_calls"] for w in full)
    txp = sum(w["tx_packets"] for w in full)
    txe = sum(w["tx_errors"] for w in full)
    ratio = f"{p99/floor:.2f}x" if floor else "n/a"
    print(f"late ticks (total since start): {last.get('late_ticks_total')}")
    print(f"tick processing (mix+encode+send): worst window p99 {p99} us, max {mx} us | plane floor p99 {floor:.0f} us | ratio {ratio}")
    print(f"tick start lag vs 20 ms grid: worst window p99 {lag99} us, max {lagmax} us")
    print(f"receive: {rxp} datagrams in {rxc} calls ({rxc/max(rxp,1):.2f} calls/datagram); send: {txp} datagrams, {txe} errors")
PY
done
