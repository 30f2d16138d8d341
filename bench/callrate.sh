#!/usr/bin/env bash
# Call-rate benchmark: SIPp's UAC against `roomgate serve`, and in the same run against SIPp's
# own UAS (the do-nothing ceiling); prints both rates, their ratio, failed calls and the p99
# INVITE→200 time. Then holds N concurrent established calls and reports memory per call.
# Loopback only; every loop is bounded by a call count and a timeout.
#
#   bench/callrate.sh [RATE] [SECONDS] [CONCURRENT]      (defaults: 1000 60 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-1000}; SECS=${2:-60}; CONC=${3:-10000}
CALLS=$((RATE * SECS))
ulimit -n 200000 2>/dev/null || ulimit -n 65536
cargo build --release -q
BIN=target/release/roomgate
OUT=$(mktemp -d /tmp/rg-callrate.XXXX)
SIP=15060; HTTP=18080; UAS=15090
SCEN=fixtures/sipp/basic_call.xml

"$BIN" serve --sip-listen udp:127.0.0.1:$SIP --http-listen 127.0.0.1:$HTTP \
  --rtp-ports 20000-60000 --db "$OUT/rg.db" --api-token bench --log-format text \
  >"$OUT/roomgate.log" 2>&1 &
RG=$!
trap 'kill $RG 2>/dev/null; kill $UASPID 2>/dev/null; true' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:$HTTP/healthz >/dev/null && break; sleep 0.1; done

run_uac() { # name target
  local name=$1 target=$2
  ( cd "$OUT" && timeout $((SECS + 60)) sipp -sf "$OLDPWD/$SCEN" "$target" -s 1000 \
      -i 127.0.0.1 -p $((16000 + RANDOM % 1000)) -r "$RATE" -m "$CALLS" -d 0 -l 20000 \
      -timeout $((SECS + 30))s -nostdin -bg=false -trace_stat -stf "$name.csv" \
      -trace_rtt -rtt_freq 1 >"$name.out" 2>&1 ) || true
}
stat() { # file column-name -> last value
  awk -F';' -v col="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i; next} {v=$c} END{print v}' "$1"
}
p99() { # rtt file -> p99 ms
  awk -F';' 'NR>1 && $3+0>0 {print $3}' "$1" | sort -n | awk '{a[NR]=$1} END{ if(NR==0){print "n/a"; exit} i=int(NR*0.99); if(i<1)i=1; print a[i] }'
}

run_uac roomgate 127.0.0.1:$SIP
sipp -sn uas -i 127.0.0.1 -p $UAS -nostdin -bg >/dev/null 2>&1 &
UASPID=$!
sleep 0.5
run_uac sipp_uas 127.0.0.1:$UAS
kill $UASPID 2>/dev/null || true

rate() { # name -> calls/s
  local f; f=$(ls "$OUT"/"$1"*_.csv 2>/dev/null | head -1 || true)
  [ -z "$f" ] && f=$(ls "$OUT"/*"$1"*.csv | head -1)
  local ok; ok=$(stat "$f" SuccessfulCall\(C\))
  local el; el=$(stat "$f" ElapsedTime\(C\))
  python3 - "$ok" "$el" <<'PY'
import sys
ok=int(sys.argv[1]); h,m,s=sys.argv[2].split(':')[:3]
secs=int(h)*3600+int(m)*60+float(s)
print(f"{ok/secs:.0f}")
PY
}
for n in roomgate sipp_uas; do
  f=$(ls "$OUT"/*.csv | grep -F "$n" | head -1 || true)
  echo "$n: stats file ${f:-missing}"
done
RG_RATE=$(rate roomgate); UAS_RATE=$(rate sipp_uas)
RG_FAIL=$(stat "$(ls "$OUT"/*.csv | grep roomgate | head -1)" FailedCall\(C\))
RG_P99=$(p99 "$(ls "$OUT"/*rtt* | grep roomgate | head -1)")
UAS_P99=$(p99 "$(ls "$OUT"/*rtt* | grep sipp_uas | head -1)")
echo "call rate: roomgate ${RG_RATE} calls/s, sipp-uas ${UAS_RATE} calls/s, ratio $(python3 -c "print(f'{$RG_RATE/max($UAS_RATE,1):.2f}')")"
echo "failed calls (roomgate): ${RG_FAIL}"
echo "p99 INVITE->200: roomgate ${RG_P99} ms, sipp-uas ${UAS_P99} ms"

# Concurrent established calls: hold CONC calls, measure the gateway's RSS growth per call.
rss() { awk '/VmRSS/{print $2}' /proc/$RG/status; }
BEFORE=$(rss)
( cd "$OUT" && timeout 300 sipp -sf "$OLDPWD/$SCEN" 127.0.0.1:$SIP -s 1000 -i 127.0.0.1 -p 17000 \
    -r 1000 -m "$CONC" -l "$CONC" -d 120000 -timeout 280s -nostdin -trace_stat -stf held.csv \
    >held.out 2>&1 ) &
HOLD=$!
for _ in $(seq 600); do
  up=$(curl -fs -H "Authorization: Bearer bench" http://127.0.0.1:$HTTP/api/v1/meetings/1000/participants \
       | python3 -c 'import sys,json; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0)
  [ "$up" -ge "$CONC" ] && break; sleep 0.5
done
AFTER=$(rss)
echo "concurrent established calls: ${up} (target ${CONC})"
echo "memory per established call: $(( (AFTER - BEFORE) * 1024 / (up > 0 ? up : 1) )) bytes (RSS ${BEFORE} -> ${AFTER} KiB)"
kill $HOLD 2>/dev/null || true
echo "artefacts: $OUT"
