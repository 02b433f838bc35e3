#!/bin/sh
# bench_serve_auth: what the dashboard's authentication costs (issue 11).
#
# Two `tlsrpt serve` processes on one SQLite store holding the corpus
# reports: one with --no-auth (the anchor: what an API call cost before
# logins existed), one with logins.  BENCH_AUTH_N requests (default 2000)
# by BENCH_AUTH_CLIENTS keep-alive clients (default 4, Python http.client
# in threads) per line:
#   login            POST /auth/login (one yescrypt hash each)
#   api anchor       GET /api/reports?limit=1 without authentication
#   api bearer       the same with Authorization: Bearer (token SHA-256 +
#                    one indexed row + the user's grants)
#   api session      the same with the session cookie of a login
#   summary anchor / summary bearer   GET /api/summary (the dashboard's call)
# Each line: requests/s and the server's CPU per request (/proc/PID/stat);
# the authenticated lines print their ratio to the anchor.  Target:
# authenticated < 1.10 x the anchor (server CPU); hashing only at login.
set -u
N=${BENCH_AUTH_N:-2000}
C=${BENCH_AUTH_CLIENTS:-4}
SRC=${TLSRPT_SRC:-.}
T=$(mktemp -d /tmp/bench_serve_auth.XXXXXX)
p1= p2=
cleanup() { for p in $p1 $p2; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
export TLSRPT_CONFIG=/dev/null
db=sqlite:$T/db.sqlite
"$TLSRPT" parse --db "$db" "$SRC"/tests/corpus/*/*.json* > /dev/null 2>&1
printf 'bench-password-1\n' | "$TLSRPT" user add bench --admin --password-stdin --db "$db" || exit 1

tok=$("$TLSRPT" user token bench --db "$db" 2>/dev/null)

start() { # OUT ARGS…: starts serve, prints "PID PORT"
	out=$1; shift
	"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --db "$db" -q "$@" \
		> "$out" 2>&1 &
	p=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/^dashboard on .* port \([0-9]*\) .*/\1/p' "$out")
		[ -n "$port" ] && { echo "$p $port"; return 0; }
		sleep 0.05
	done
	echo "bench_serve_auth: serve did not start: $(cat "$out")" >&2
	return 1
}
set -- $(start "$T/a.log" --no-auth) || exit 1
p1=$1 port1=$2
set -- $(start "$T/b.log") || exit 1
p2=$1 port2=$2

/usr/bin/python3 - "$N" "$C" "$port1" "$p1" "$port2" "$p2" "$tok" <<'PY'
import http.client, json, os, sys, threading, time

n, clients = int(sys.argv[1]), int(sys.argv[2])
port_a, pid_a, port_b, pid_b, tok = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]

def cpu(pid):
    f = open("/proc/%s/stat" % pid).read()
    fields = f[f.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def run(port, pid, method, path, headers, body=None, count=n):
    codes, lock = {}, threading.Lock()
    def worker(k):
        c = http.client.HTTPConnection("127.0.0.1", int(port))
        for _ in range(k, count, clients):
            c.request(method, path, body, headers)
            r = c.getresponse()
            r.read()
            with lock:
                codes[r.status] = codes.get(r.status, 0) + 1
    c0, t0 = cpu(pid), time.time()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in ts: t.start()
    for t in ts: t.join()
    dt, c1 = time.time() - t0, cpu(pid)
    ok = codes.get(200, 0)
    return ok / dt, (c1 - c0) * 1e6 / max(ok, 1), ("" if ok == count else " INCOMPLETE: %r" % codes)

def line(name, r, anchor=None):
    rate, us, bad = r
    extra = ""
    if anchor is not None:
        extra = "  ratio %.2f x anchor (server CPU), %.2f x (wall)" % (us / max(anchor[1], 1e-9), anchor[0] / max(rate, 1e-9))
    print("bench_serve_auth: %-15s %7.0f requests/s, server CPU %6.0f us/request%s%s" % (name, rate, us, extra, bad))

# a login session (CSRF cookie, then the login)
c = http.client.HTTPConnection("127.0.0.1", int(port_b))
c.request("GET", "/auth/csrf"); r = c.getresponse(); csrf = json.loads(r.read())["csrf"]
cookie = "tlsrpt_csrf=" + csrf
body = json.dumps({"user": "bench", "password": "bench-password-1"})
lh = {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Cookie": cookie}
c.request("POST", "/auth/login", body, lh); r = c.getresponse(); r.read()
sess = r.getheader("Set-Cookie").split(";")[0]

nlogin = max(n // 40, 10)
line("login", run(port_b, pid_b, "POST", "/auth/login", lh, body, nlogin))
for path, label in (("/api/reports?limit=1", "api"), ("/api/summary", "summary")):
    a = run(port_a, pid_a, "GET", path, {})
    line(label + " anchor", a)
    line(label + " bearer", run(port_b, pid_b, "GET", path, {"Authorization": "Bearer " + tok}), a)
    line(label + " session", run(port_b, pid_b, "GET", path, {"Cookie": sess}), a)
PY
