#!/bin/sh
# bench_policyd.sh: cold `tlsrpt policyd` lookups: every lookup is a new
# domain, so a TXT lookup (unbound on loopback), a DANE check (MX lookup)
# and an HTTPS fetch (static_https.py, test CA) before the answer.
# BENCH_POLICYD_COLD_N domains (default 200).  Prints lookups/s and
# p50/p99 latency from bench_policyd --cold.  Then, if Debian's
# postfix-mta-sts-resolver is installed (and we are root), cached lookups
# over loopback TCP side by side: it resolves only with the system
# resolver, so it runs in a private mount namespace whose resolv.conf
# names unbound on 127.53.x.y:53 (dns.sh exec), and fetches from port 443.
set -u
O=${TLSRPT_O:-build}
SRC=${TLSRPT_SRC:-$PWD}
TLSRPT=${TLSRPT:-$SRC/$O/tlsrpt}
N=${BENCH_POLICYD_COLD_N:-200}
C="$SRC/tests/components"
dir=$(mktemp -d /tmp/bench-policyd-cold.XXXXXX)
web_pid="" pd_pid=""
cleanup() {
	[ -n "$pd_pid" ] && kill "$pd_pid" 2>/dev/null
	[ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null
	bash "$C/dns.sh" stop "$dir/dns" >/dev/null 2>&1
	sleep 0.2
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/dns/zones" "$dir/www"
z="$dir/dns/zones/cold.test.zone"
printf '$ORIGIN cold.test.\n$TTL 300\n@ IN SOA ns.cold.test. h.cold.test. 1 3600 600 86400 60\n@ IN NS ns.cold.test.\nns IN A 127.0.0.1\n' > "$z"
i=0
while [ $i -lt "$N" ]; do
	d="d$i"
	printf '%s IN MX 10 mx.%s.cold.test.\nmx.%s IN A 127.0.0.1\nmta-sts.%s IN A 127.0.0.1\n_mta-sts.%s IN TXT "v=STSv1; id=1"\n' \
		$d $d $d $d $d >> "$z"
	mkdir -p "$dir/www/mta-sts.$d.cold.test/.well-known"
	printf 'version: STSv1\nmode: enforce\nmx: mx.%s.cold.test\nmax_age: 86400\n' $d \
		> "$dir/www/mta-sts.$d.cold.test/.well-known/mta-sts.txt"
	echo "$d.cold.test" >> "$dir/domains"
	i=$((i + 1))
done
bash "$C/dns.sh" start "$dir/dns" > "$dir/dns.log" 2>&1 || { echo "INCOMPLETE: dns.sh: $(tail -3 "$dir/dns.log")"; exit 1; }
eval "$(cat "$dir/dns/env")"
# mta-sts.dN.cold.test is two labels under cold.test: one SAN per name
sans=$(sed 's/^/DNS:mta-sts./' "$dir/domains" | tr '\n' ',' | sed 's/,$//')
TLS_EXTRA_SANS=$sans bash "$C/https.sh" ca "$dir/tls" > /dev/null 2>&1
/usr/bin/python3 "$SRC/tests/integration/static_https.py" "$dir/www" "$dir/tls/server.pem" "$dir/tls/server.key" \
	"$dir/port" 2> /dev/null &
web_pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
: > "$dir/empty.conf"
TLSRPT_CONFIG="$dir/empty.conf" "$TLSRPT" policyd --socket "$dir/p.sock" --db "sqlite:$dir/p.db" \
	--resolver "$DNS_SERVER" --cacert "$dir/tls/ca.pem" --connect-to "::127.0.0.1:$(cat "$dir/port")" \
	--foreground 2> "$dir/policyd.log" &
pd_pid=$!
i=0
while [ ! -S "$dir/p.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$SRC/$O/bench/bench_policyd" --cold "$dir/p.sock" "$dir/domains" || tail -3 "$dir/policyd.log"
dpkg-query -W -f='${Status}' postfix-mta-sts-resolver 2>/dev/null | grep -q 'install ok installed' ||
	echo "postfix-mta-sts-resolver (Debian) not installed: no side-by-side figure (apt-get install postfix-mta-sts-resolver)"

# ---- side by side: postfix-mta-sts-resolver (Debian), cached lookups over TCP
if ! dpkg-query -W -f='${Status}' postfix-mta-sts-resolver 2>/dev/null | grep -q 'install ok installed' ||
   [ "$(id -u)" != 0 ]; then
	exit 0
fi
side="$dir/side"
mkdir -p "$side/dns/zones" "$side/www"
cat > "$side/dns/zones/side.test.zone" <<'ZONE'
$ORIGIN side.test.
$TTL 300
@             IN SOA ns.side.test. h.side.test. 1 3600 600 86400 60
@             IN NS  ns.side.test.
ns            IN A   127.0.0.1
bench         IN MX  10 mx.bench.side.test.
mx.bench      IN A   127.0.0.1
mta-sts.bench IN A   127.0.0.1
_mta-sts.bench IN TXT "v=STSv1; id=1"
ZONE
addr="127.53.$(( $$ % 200 + 1 )).$(( $$ % 251 + 2 ))"
DNS_LISTEN_ADDR=$addr DNS_LISTEN_PORT=53 bash "$C/dns.sh" start "$side/dns" > "$side/dns.log" 2>&1 ||
	{ echo "side by side: INCOMPLETE: dns.sh on $addr:53: $(tail -2 "$side/dns.log")"; exit 0; }
TLS_EXTRA_SANS="DNS:mta-sts.bench.side.test" bash "$C/https.sh" ca "$side/tls" > /dev/null 2>&1
printf 'version: STSv1\nmode: enforce\nmx: mx.bench.side.test\nmax_age: 86400\n' > "$side/www/policy"
# the resolver fetches from port 443: a small HTTPS server there
/usr/bin/python3 - "$side" <<'PY' 2> "$side/https443.log" &
import http.server, ssl, sys
d = sys.argv[1]
body = open(d + "/www/policy", "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 443), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(d + "/tls/server.pem", d + "/tls/server.key")
s.socket = c.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PY
h443=$!
rport=$((20000 + $$ % 20000))
printf 'host: 127.0.0.1\nport: %s\ncache:\n  type: internal\n  options:\n    cache_size: 10000\ndefault_zone:\n  strict_testing: false\n  timeout: 4\n' \
	"$rport" > "$side/resolver.yml"
SSL_CERT_FILE="$side/tls/ca.pem" bash "$C/dns.sh" exec "$side/dns" -- /usr/bin/mta-sts-daemon -c "$side/resolver.yml" \
	-v warn > "$side/resolver.log" 2>&1 &
rpid=$!
TLSRPT_CONFIG="$dir/empty.conf" "$TLSRPT" policyd --socket "" --listen 127.0.0.1:0 --db "sqlite:$side/p.db" \
	--resolver "$addr@53" --cacert "$side/tls/ca.pem" --foreground \
	--connect-to "mta-sts.bench.side.test:443:127.0.0.1:443" 2> "$side/policyd.log" &
spid=$!
# (libcurl resolves the policy host with the system resolver: --connect-to)
i=0
while ! ss -Hltn "( sport = :$rport )" | grep -q . && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
ours=$(sed -n 's/.*listening on tcp //p' "$side/policyd.log")
"$SRC/$O/bench/bench_policyd" --tcp "tlsrpt policyd, TCP" "$ours" bench.side.test | tee "$side/ours.out"
"$SRC/$O/bench/bench_policyd" --tcp "postfix-mta-sts-resolver 1.1.2" "127.0.0.1:$rport" bench.side.test |
	tee "$side/theirs.out"
a=$(awk '/lookups\/s/ {print $(NF-5); exit}' "$side/ours.out")
b=$(awk '/lookups\/s/ {print $(NF-5); exit}' "$side/theirs.out")
if [ -n "$a" ] && [ -n "$b" ]; then
	awk -v a="$a" -v b="$b" 'BEGIN { printf "tlsrpt policyd / postfix-mta-sts-resolver (cached, TCP, 1 connection): %.1fx\n", a / b }'
fi
kill "$spid" "$h443" 2>/dev/null
pkill -P "$rpid" 2>/dev/null; kill "$rpid" 2>/dev/null
bash "$C/dns.sh" stop "$side/dns" > /dev/null 2>&1
