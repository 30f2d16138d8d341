#!/usr/bin/env bash
# Call-rate benchmark: SIPp's UAC (fixtures/sipp/basic_call.xml: INVITE, 200, ACK, BYE, 200)
# against `roomgate serve` and, in the same run, against SIPp's own UAS (`sipp -sn uas`, the
# do-nothing ceiling); prints both rates, their ratio, failed calls and the p99 INVITE→200.
# Then holds N concurrent established calls and reports roomgate's memory per call (RSS growth
# divided by calls) and INVITE→200 p99 of the first and last thousand calls set up.
# Loopback only; every run is bounded by a call count and a timeout.
#
#   bench/callrate.sh [RATE] [SECONDS] [CONCURRENT]      (defaults: 1000 60 10000)
#   BIN=target/release/roomgate bench/callrate.sh …       (skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RATE=${1:-1000}; SECS=${2:-60}; CONC=${3:-10000}
CALLS=$((RATE * SECS))
# Each established leg holds 2 RTP sockets: raise the open-file limit (root may raise the hard
# limit too), and hold no more calls than it can carry (say so when that is fewer than asked).
# The held calls offer rtcp-mux (RFC 5761), so each holds one socket; HOLD_MEDIA=1 calls do not.
SOCKS=1; [ "${HOLD_MEDIA:-0}" = 1 ] && SOCKS=2
ulimit -Hn $((CONC * SOCKS + 4096)) 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FDS=$(ulimit -n)
if [ "$FDS" != unlimited ] && [ $((CONC * SOCKS + 1000)) -gt "$FDS" ]; then
  echo "note: open-file limit $FDS carries at most $(((FDS - 1000) / SOCKS)) legs ($SOCKS RTP sockets each); holding that many instead of $CONC"
  CONC=$(((FDS - 1000) / SOCKS))
fi
if [ -z "${BIN:-}" ]; then
  CARGO_INCREMENTAL=0 cargo build --release -q
  BIN=target/release/roomgate
fi
OUT=$(mktemp -d /tmp/rg-callrate.XXXX)
SIP=15060; HTTP=18080; UAS=15090
SCEN=$ROOT/fixtures/sipp/basic_call.xml
TOKEN=bench-token-0123456789abcdef

cat >"$OUT/roomgate.toml" <<EOF
[meetings]
max_participants = $((CONC + 1000))
EOF
RG=; UASPID=; HOLD=
cleanup() {
  for p in $HOLD $UASPID $RG; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
"$BIN" serve --config "$OUT/roomgate.toml" --sip-listen udp:127.0.0.1:$SIP \
  --http-listen 127.0.0.1:$HTTP --rtp-ports 20000-62000 --db "$OUT/rg.db" \
  --api-token "$TOKEN" --log-format text >"$OUT/roomgate.log" 2>&1 &
RG=$!
for _ in $(seq 100); do curl -fs http://127.0.0.1:$HTTP/healthz >/dev/null && break; sleep 0.1; done

run_uac() { # name target: one bounded SIPp UAC run in its own directory
  local name=$1 target=$2
  mkdir -p "$OUT/$name"
  ( cd "$OUT/$name" && timeout $((SECS + 90)) sipp -sf "$SCEN" "$target" -s 1000 \
      -i 127.0.0.1 -p "$3" -r "$RATE" -m "$CALLS" -d 0 -l 20000 \
      -timeout $((SECS + 60))s -nostdin -trace_stat -stf stat.csv -fd 1 \
      -trace_rtt -rtt_freq 1 >sipp.out 2>&1 ) || true
}
col() { # file column-name -> value on the last line
  awk -F';' -v col="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i; next} {v=$c} END{print v}' "$1"
}
p99() { # files… -> p99 response time, ms (SIPp rtt file: Date_ms;response_time_ms;rtd_no)
  cat "$@" 2>/dev/null | awk -F';' 'NR>1 && $2 ~ /^[0-9.]+$/ {print $2}' | sort -n |
    awk '{a[NR]=$1} END{ if(NR==0){print "n/a"; exit} i=int(NR*0.99); if(i<1)i=1; printf "%.2f", a[i] }'
}
rate() { # name -> successful calls per second of elapsed run time
  local f=$OUT/$1/stat.csv
  python3 - "$(col "$f" 'SuccessfulCall(C)')" "$(col "$f" 'ElapsedTime(C)')" <<'PY'
import sys
ok = int(sys.argv[1] or 0)
parts = sys.argv[2].split(':')
h, m, s = int(parts[0]), int(parts[1]), float(parts[2])
frac = float('0.' + parts[3]) if len(parts) > 3 else 0.0
secs = h * 3600 + m * 60 + s + frac
print(f"{ok / secs:.0f}" if secs > 0 else "0")
PY
}

echo "== call rate: $RATE calls/s offered for ${SECS}s ($CALLS calls) =="
run_uac roomgate 127.0.0.1:$SIP 16000
sipp -sn uas -i 127.0.0.1 -p $UAS -nostdin >"$OUT/uas.out" 2>&1 &
UASPID=$!
sleep 0.5
run_uac sipp_uas 127.0.0.1:$UAS 16500
kill $UASPID 2>/dev/null || true; UASPID=

RG_RATE=$(rate roomgate); UAS_RATE=$(rate sipp_uas)
for n in roomgate sipp_uas; do
  echo "$n: successful $(col "$OUT/$n/stat.csv" 'SuccessfulCall(C)'), failed $(col "$OUT/$n/stat.csv" 'FailedCall(C)'), p99 INVITE->200 $(p99 "$OUT/$n"/*_rtt.csv) ms"
done
echo "call rate: roomgate ${RG_RATE} calls/s, sipp-uas ${UAS_RATE} calls/s, ratio $(python3 -c "print(f'{$RG_RATE/max($UAS_RATE,1):.2f}')")"
echo "roomgate RSS after the rate run: $(awk '/VmRSS/{print $2}' /proc/$RG/status) KiB"

# Concurrent established calls: hold CONC calls; RSS growth per call. The issue asks for
# signalling-only calls, so the held calls offer a=inactive (RFC 3264 §5.1) with rtcp-mux: the
# dialog and its media socket exist, but no RTP flows (HOLD_MEDIA=1 holds plain sendrecv calls
# instead, whose main-session mix then sends 50 packets/s to every one of them).
HOLD_SCEN=$SCEN
if [ "${HOLD_MEDIA:-0}" != 1 ]; then
  HOLD_SCEN=$OUT/held_call.xml
  sed 's/^\( *\)a=sendrecv$/\1a=inactive\n\1a=rtcp-mux/' "$SCEN" >"$HOLD_SCEN"
fi
rss() { awk '/VmRSS/{print $2}' /proc/$RG/status; }
# Counted from the Prometheus gauge, not by listing the meeting: listing 10,000 participants
# every half second (~1 MB of JSON to write and parse, on the same cores) would show up in the
# very latency measured.
participants() {
  curl -fs http://127.0.0.1:$HTTP/metrics | awk '$1 == "roomgate_participants" {print $2; f=1} END{if(!f) print 0}'
}
for _ in $(seq 120); do [ "$(participants)" -eq 0 ] && break; sleep 0.5; done
BEFORE=$(rss)
mkdir -p "$OUT/held"
HOLD_RATE=$(( RATE < 500 ? RATE : 500 ))
HOLD_SECS=$(( CONC / HOLD_RATE + 60 ))
( cd "$OUT/held" && exec timeout $((HOLD_SECS + 120)) sipp -sf "$HOLD_SCEN" 127.0.0.1:$SIP -s 1000 \
    -i 127.0.0.1 -p 17000 -r $HOLD_RATE -m "$CONC" -l "$CONC" -d $((HOLD_SECS * 1000)) \
    -timeout $((HOLD_SECS + 100))s -nostdin -trace_stat -stf stat.csv -trace_rtt -rtt_freq 1 \
    >sipp.out 2>&1 ) &
HOLD=$!
up=0
for _ in $(seq $((HOLD_SECS * 2))); do
  up=$(participants)
  [ "$up" -ge "$CONC" ] && break
  sleep 0.5
done
sleep 2
AFTER=$(rss)
echo "== concurrent: ${up} established calls held (target ${CONC}) =="
echo "memory per established call: $(( (AFTER - BEFORE) * 1024 / (up > 0 ? up : 1) )) bytes (RSS ${BEFORE} -> ${AFTER} KiB)"
RTT=$(ls "$OUT"/held/*_rtt.csv 2>/dev/null | head -1 || true)
if [ -n "$RTT" ]; then
  head -1001 "$RTT" >"$OUT/first.csv"; (head -1 "$RTT"; tail -1000 "$RTT") >"$OUT/last.csv"
  echo "INVITE->200 p99 while filling: first 1000 calls $(p99 "$OUT/first.csv") ms, last 1000 $(p99 "$OUT/last.csv") ms"
fi
kill $HOLD 2>/dev/null || true; HOLD=
echo "artefacts: $OUT (delete when done)"
