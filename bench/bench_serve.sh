#!/bin/sh
# bench_serve: reports stored per second by `tlsrpt serve` (HTTPS endpoint
# of RFC 8460 §3, plain HTTP here) into SQLite.
#
# BENCH_SERVE_N distinct reports (default 2000: the Microsoft report of the
# corpus with a new report-id each, ~1 KB of JSON) are POSTed by
# BENCH_SERVE_CLIENTS keep-alive connections (default 8, Python's
# http.client in threads) to a server with its default 4 worker threads.
# Prints reports/s (all answered 200, checked) and the server's CPU time
# per report (/proc/PID/stat).  The Python client is the slower side on
# this 2-CPU VM, so the rate is a lower bound; the CPU figure is the
# server's own cost.
set -u
N=${BENCH_SERVE_N:-2000}
C=${BENCH_SERVE_CLIENTS:-8}
SRC=${TLSRPT_SRC:-.}
T=$(mktemp -d /tmp/bench_serve.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen none --accept-domain "*" \
	--db "sqlite:$T/db.sqlite" -q >"$T/log" 2>&1 &
pid=$!
port=
for _ in $(seq 50); do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:[0-9]* port \([0-9]*\).*/\1/p' "$T/log")
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "bench_serve: the server did not start: $(cat "$T/log")"
	exit 1
fi
python3 - "$N" "$C" "$port" "$pid" \
	"$SRC/tests/corpus/Neztore+tls-rpt-monitor/microsoft-report.json" <<'EOF'
import http.client, json, os, sys, threading, time

n, clients, port, pid, sample = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
report = json.load(open(sample))
bodies = []
for i in range(n):
    report["report-id"] = "bench-serve-%d" % i
    bodies.append(json.dumps(report).encode())
codes, lock = {}, threading.Lock()

def cpu():
    f = open("/proc/%s/stat" % pid).read()
    fields = f[f.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def worker(k):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(k, n, clients):
        c.request("POST", "/tlsrpt", bodies[i], {"Content-Type": "application/tlsrpt+json"})
        r = c.getresponse()
        r.read()
        with lock:
            codes[r.status] = codes.get(r.status, 0) + 1

c0, t0 = cpu(), time.time()
threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
dt, c1 = time.time() - t0, cpu()
ok = codes.get(200, 0)
print("bench_serve: %d reports POSTed by %d keep-alive clients: %.0f reports/s stored, "
      "server CPU %.2f s (%.0f us per report)%s" % (n, clients, ok / dt, c1 - c0,
      (c1 - c0) * 1e6 / max(ok, 1), "" if ok == n else " INCOMPLETE: %r" % codes))
EOF
