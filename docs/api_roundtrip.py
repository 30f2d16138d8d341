#!/usr/bin/env python3
"""API round-trip figures for roomgate on loopback (one keep-alive connection, sequential).
Baseline in the same run: GET /healthz (HTTP stack only, no engine hop, no auth)."""
import http.client, json, os, subprocess, sys, tempfile, time, statistics

binary = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
tmp = tempfile.mkdtemp()
tok = "bench-token-0123456789"
p = subprocess.Popen([binary, "serve", "--http-listen", "127.0.0.1:0", "--db", os.path.join(tmp, "b.db"),
                      "--api-token", tok], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
for line in p.stdout:
    if line.startswith("roomgate: HTTP API on http://"):
        hostport = line.split("http://")[1].split("/")[0]
        break
host, port = hostport.rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port))
H = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}

def call(method, path, body=None, headers=H):
    c.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    r = c.getresponse(); data = r.read()
    return r.status, data

for i in range(10):
    s, d = call("POST", "/api/v1/meetings/1000/participants", {"name": f"P{i}", "identity": f"sip:p{i}@x"})
    assert s == 201, d
assert call("PUT", "/api/v1/meetings/1000/breakouts", {"count": 2, "options": {"countdown_s": 0}})[0] == 200
assert call("POST", "/api/v1/meetings/1000/breakouts/open", {})[0] == 200

def measure(name, fn):
    for _ in range(100): fn(0)
    ts = []
    for i in range(n):
        t0 = time.perf_counter_ns(); fn(i); ts.append(time.perf_counter_ns() - t0)
    ts.sort()
    med = statistics.median(ts) / 1000; p99 = ts[int(len(ts) * 0.99)] / 1000
    print(f"{name:55s} median {med:8.1f} µs   p99 {p99:8.1f} µs")
    return med

base = measure("baseline GET /healthz (no auth, no engine)", lambda i: call("GET", "/healthz", headers={}))
read = measure("GET /api/v1/meetings/1000/breakouts", lambda i: call("GET", "/api/v1/meetings/1000/breakouts"))
move = measure("POST .../participants/1/move (engine, no store write)",
               lambda i: call("POST", "/api/v1/meetings/1000/participants/1/move", {"room": str(1 + i % 2)}))
pre = measure("PUT .../preassignments (engine + durable SQLite commit)",
              lambda i: call("PUT", "/api/v1/meetings/1000/preassignments",
                             {"preassignments": [{"identity": f"sip:x{i}@y", "room": "Room 1"}]}))
print(f"ratios to baseline: read {read/base:.2f}x, move {move/base:.2f}x, durable write {pre/base:.2f}x")
p.terminate(); p.wait()
print("serve exit code after SIGTERM:", p.returncode)
