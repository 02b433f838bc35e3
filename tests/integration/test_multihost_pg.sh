#!/bin/sh
# Several hosts, one PostgreSQL (issue 10 item 6; tlsrpt.conf(5) "SEVERAL
# HOSTS"): on one real PostgreSQL 15 (tests/components/pg.sh),
#  - 3 `tlsrpt collectd`, each with its own socket, get results from MTAs
#    (tests/tools/tlsrpt_load.c through libtlsrpt) at the same time: the
#    stored counts equal what was sent, nothing lost or counted twice;
#  - 2 `tlsrpt send` for the same day race, then 2 `tlsrpt reportd`: each
#    report goes out once (deliveries captured by the SMTP sink and the
#    HTTPS sink; rua records from unbound), whoever wins;
#  - 2 `tlsrpt serve` get the same reports POSTed at the same time: each
#    is stored once, every POST answered 200 (stored or duplicate).
. "$(dirname "$0")/tap.sh"
set -u
cd "$TLSRPT_SRC" || exit 1
C=$COMPONENTS
PY=/usr/bin/python3
command -v psql >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/initdb ] ||
	{ echo "ok 1 # SKIP PostgreSQL not installed (sh scripts/install-deps.sh)"; exit 0; }
$PY -c 'import aiosmtpd' 2>/dev/null && command -v unbound >/dev/null ||
	{ echo "ok 1 # SKIP components not installed (sh scripts/install-deps.sh)"; exit 0; }
# short: the PostgreSQL socket path must stay under 107 bytes
T=$(mktemp -d /tmp/tmh.XXXXXX)
chmod 755 "$T"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for c in dns smtp-sink https; do bash "$C/$c.sh" stop "$T/$c" >/dev/null 2>&1; done
	bash "$C/pg.sh" stop "$T/pg" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

if ! bash "$C/pg.sh" start "$T/pg" > "$T/pg.log" 2>&1; then
	fail "PostgreSQL starts" "$(tail -n 5 "$T/pg.log")"; tap_done; exit 1
fi
eval "$(cat "$T/pg/env")"
DB=$DATABASE_URL
sql() { PGPASSWORD=secret psql -X -q -A -t -h 127.0.0.1 -p "$PGPORT" -U tlsrpt -d tlsrpt -c "$1" 2>&1; }
ok "PostgreSQL on 127.0.0.1:$PGPORT, one database for every process"

# ---- 3 collectors ------------------------------------------------------
san=
nm "$TLSRPT_O/libtlsrpt.a" 2>/dev/null | grep -q __asan && san="-fsanitize=address,undefined"
if ! cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 $san -Iinclude -o "$T/load" \
	tests/tools/tlsrpt_load.c "$TLSRPT_O/libtlsrpt.a" 2>"$T/cc.log"; then
	fail "build the load tool" "$(cat "$T/cc.log")"; tap_done; exit 1
fi
# no command has run on the database yet: the 3 collectors create the
# schema at the same time
CPIDS=""
for i in 1 2 3; do
	"$TLSRPT" collectd --socket "$T/c$i.sock" --db "$DB" --foreground --stats-secs 0 \
		> "$T/c$i.log" 2>&1 &
	CPIDS="$CPIDS $!"
done
PIDS=$CPIDS
up=0
for _ in $(seq 1 100); do
	up=0
	for i in 1 2 3; do grep -q 'receiving on' "$T/c$i.log" 2>/dev/null && up=$((up + 1)); done
	[ "$up" = 3 ] && break
	sleep 0.1
done
[ "$up" = 3 ] && ok "3 collectors on one database" || fail "3 collectors start" "$(cat "$T"/c?.log)"
N=3000
LPIDS=""
for i in 1 2 3; do
	"$T/load" "$T/c$i.sock" $N 5 10 postfix > "$T/load$i.out" 2>&1 &
	LPIDS="$LPIDS $!"
done
lrc=0
for p in $LPIDS; do wait "$p" || lrc=1; done
[ "$lrc" = 0 ] && ok "3 × $N results sent at once through libtlsrpt" ||
	fail "load" "$(cat "$T"/load?.out)"
crc=0
for p in $CPIDS; do kill -TERM "$p"; wait "$p" || crc=1; done
PIDS=""
[ "$crc" = 0 ] && ok "the 3 collectors exit 0 on SIGTERM" || fail "collectors exit" "$(tail -n 3 "$T"/c?.log)"
stored=0
for i in 1 2 3; do
	s=$(sed -n 's/.*exit: received=[0-9]* results=[0-9]* stored=\([0-9]*\).*/\1/p' "$T/c$i.log")
	stored=$((stored + ${s:-0}))
done
[ "$stored" = $((3 * N)) ] && ok "the collectors say they stored $stored results" ||
	fail "collector counters" "stored=$stored want $((3 * N))" "$(grep exit: "$T"/c?.log)"
got=$(sql "SELECT COALESCE(SUM(total_success + total_failure), 0) || ' ' || COALESCE(SUM(total_failure), 0) FROM result_policies")
[ "$got" = "$((3 * N)) $((3 * N / 10))" ] &&
	ok "the database holds exactly $((3 * N)) sessions, $((3 * N / 10)) failed: none lost, none counted twice" ||
	fail "sessions in the database" "got '$got', want '$((3 * N)) $((3 * N / 10))'"
rows=$(sql "SELECT COUNT(*) FROM result_policies")
[ "$rows" -ge 5 ] 2>/dev/null && [ "$rows" -le 10 ] &&
	ok "one counter row per domain and day ($rows), shared by the collectors" ||
	fail "counter rows" "got '$rows'"

# ---- 2 reporters -------------------------------------------------------
bash "$C/https.sh" ca "$T/tls" > /dev/null
export TLS_DIR="$T/tls"
bash "$C/smtp-sink.sh" start "$T/smtp-sink" > /dev/null || { fail "smtp sink starts"; tap_done; exit 1; }
bash "$C/https.sh" start "$T/https" > /dev/null || { fail "https sink starts"; tap_done; exit 1; }
eval "$(cat "$T/smtp-sink/env")"
eval "$(cat "$T/https/env")"
W="https://localhost:$HTTPS_PORT"
mkdir -p "$T/dns/zones"
cat > "$T/dns/zones/example.zone" <<ZONE
\$ORIGIN example.
\$TTL 300
@               IN SOA ns.example. hostmaster.example. 1 3600 600 86400 60
@               IN NS  ns.example.
ns              IN A   127.0.0.1
_smtp._tls.d0   IN TXT "v=TLSRPTv1; rua=mailto:d0@example.test"
_smtp._tls.d1   IN TXT "v=TLSRPTv1; rua=$W/d1"
_smtp._tls.d2   IN TXT "v=TLSRPTv1; rua=mailto:d2@example.test,$W/d2"
_smtp._tls.d3   IN TXT "v=TLSRPTv1; rua=mailto:d3@example.test"
_smtp._tls.d4   IN TXT "v=TLSRPTv1; rua=$W/d4"
ZONE
bash "$C/dns.sh" start "$T/dns" > /dev/null || { fail "dns starts"; tap_done; exit 1; }
eval "$(cat "$T/dns/env")"
COMMON="--db $DB --resolver 127.0.0.1@$DNS_PORT --submitter example.test --org Multi-Host
 --contact tlsrpt@example.test --smtp smtp://127.0.0.1:$SMTP_PORT --cacert $HTTPS_CA --timeout 20"
posts() { ls "$HTTPS_OUT"/*.body 2>/dev/null | wc -l; }
mails() { ls "$T/smtp-sink/mail"/*.eml 2>/dev/null | wc -l; }
days=$(sql "SELECT DISTINCT day FROM result_policies ORDER BY day")
nd=$(echo $days | wc -w)
first=$(echo "$days" | head -n 1)
last=$(echo "$days" | tail -n 1)
# 2 reportd on a simulated clock just past the midnight after the last
# day with results: both make the same reports and race to send them
M=$(( (last + 1) * 86400 ))
# shellcheck disable=SC2086
"$TLSRPT" reportd $COMMON -v --jitter 1 --fake-clock $((M + 5)) --stop-at $((M + 600)) > "$T/rd1.out" 2>&1 &
r1=$!
# shellcheck disable=SC2086
"$TLSRPT" reportd $COMMON -v --jitter 1 --fake-clock $((M + 5)) --stop-at $((M + 600)) > "$T/rd2.out" 2>&1 &
r2=$!
wait $r1; rc1=$?
wait $r2; rc2=$?
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] && ! grep -q 'reportd: error' "$T/rd1.out" "$T/rd2.out" &&
	ok "2 reportd racing after the same midnight exit 0, no error" ||
	fail "2 reportd" "rc=$rc1,$rc2" "$(cat "$T/rd1.out" "$T/rd2.out")"
sleep 0.5
# days before the last (a run across midnight UTC) are not reportd's: send them
for day in $days; do
	[ "$day" = "$last" ] && continue
	# shellcheck disable=SC2086
	"$TLSRPT" send $COMMON --day "$(date -u -d "@$((day * 86400))" +%F)" --now $((M + 5)) > /dev/null 2>&1
done
[ "$(mails)" = $((3 * nd)) ] && ok "each report mail delivered once ($(mails): d0, d2, d3 per day)" ||
	fail "mails" "$(mails), want $((3 * nd))" "$(cat "$T/rd1.out" "$T/rd2.out")"
[ "$(posts)" = $((3 * nd)) ] && ok "each HTTPS report POSTed once ($(posts): d1, d2, d4 per day)" ||
	fail "posts" "$(posts), want $((3 * nd))"
dup=$(for j in "$T/smtp-sink/mail"/*.eml; do grep -m1 '^Subject:' "$j"; done | sort | uniq -d)
[ -z "$dup" ] && ok "no Report-ID mailed twice" || fail "duplicate mail" "$dup"
sent=$(sql "SELECT COUNT(*) FROM outbox_deliveries WHERE state = 'sent'")
[ "$sent" = $((6 * nd)) ] && ok "the outbox says $sent deliveries sent, one row each" ||
	fail "outbox sent" "got '$sent', want $((6 * nd))" "$(sql 'SELECT state, COUNT(*) FROM outbox_deliveries GROUP BY state')"
d1=$(grep -c ': delivered to ' "$T/rd1.out"); d2=$(grep -c ': delivered to ' "$T/rd2.out")
echo "# who won: reportd 1 delivered $d1, reportd 2 delivered $d2"
# then 2 `send --day` racing on the same day: it is done, nothing goes out
D=$(date -u -d "@$((first * 86400))" +%F)
# shellcheck disable=SC2086
"$TLSRPT" send $COMMON -v --day "$D" --now $((M + 5)) > "$T/s1.out" 2>&1 &
s1=$!
# shellcheck disable=SC2086
"$TLSRPT" send $COMMON -v --day "$D" --now $((M + 5)) > "$T/s2.out" 2>&1 &
s2=$!
wait $s1; r1=$?
wait $s2; r2=$?
[ "$r1" = 0 ] && [ "$r2" = 0 ] && [ "$(mails)" = $((3 * nd)) ] && [ "$(posts)" = $((3 * nd)) ] &&
	grep -q ' 0 queued, .* 0 sent' "$T/s1.out" && grep -q ' 0 queued, .* 0 sent' "$T/s2.out" &&
	ok "2 racing 'send --day $D' afterwards: exit 0, nothing queued or sent again" ||
	fail "racing send" "rc=$r1,$r2 mails=$(mails) posts=$(posts)" "$(cat "$T/s1.out" "$T/s2.out")"

# ---- 2 receivers -------------------------------------------------------
SPIDS=""
for i in 1 2; do
	"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen none --accept-domain "*" --db "$DB" -q > "$T/serve$i.out" 2> "$T/serve$i.err" &
	SPIDS="$SPIDS $!"
done
PIDS=$SPIDS
ports=""
for i in 1 2; do
	p=""
	for _ in $(seq 1 100); do
		p=$(sed -n 's/^listening on .* port \([0-9]*\) .*/\1/p' "$T/serve$i.out")
		[ -n "$p" ] && break
		sleep 0.05
	done
	ports="$ports $p"
done
set -- $ports
if [ $# = 2 ]; then
	ok "2 receivers on one database (ports $1 $2)"
	$PY - "$1" "$2" tests/corpus/Neztore+tls-rpt-monitor/microsoft-report.json > "$T/posts.out" 2>&1 <<'EOF'
import http.client, json, sys, threading
ports, sample = [int(sys.argv[1]), int(sys.argv[2])], sys.argv[3]
rep = json.load(open(sample))
n = 150
res = {}
lock = threading.Lock()
def post(port, i):
    r = dict(rep); r["report-id"] = "multihost-%d" % i
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/tlsrpt", json.dumps(r), {"Content-Type": "application/tlsrpt+json"})
    a = c.getresponse(); body = a.read().decode()
    with lock:
        k = (a.status, body.split()[0] if body else "")
        res[k] = res.get(k, 0) + 1
def worker(k):
    for i in range(k, n, 4):
        ts = [threading.Thread(target=post, args=(p, i)) for p in ports]
        for t in ts: t.start()
        for t in ts: t.join()
ws = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for w in ws: w.start()
for w in ws: w.join()
for k, v in sorted(res.items()):
    print("%d %s %d" % (k[0], k[1], v))
EOF
	stored=$(sed -n 's/^200 stored \([0-9]*\)$/\1/p' "$T/posts.out")
	dupl=$(sed -n 's/^200 duplicate \([0-9]*\)$/\1/p' "$T/posts.out")
	[ "${stored:-0}" = 150 ] && [ "${dupl:-0}" = 150 ] &&
		ok "150 reports POSTed to both at once: each answered 200, 150 stored, 150 duplicate" ||
		fail "concurrent POSTs" "$(cat "$T/posts.out")" "$(tail -n 5 "$T"/serve?.err)"
	n=$(sql "SELECT COUNT(*) FROM reports WHERE report_id LIKE 'multihost-%'")
	[ "$n" = 150 ] && ok "the database holds each report once ($n)" || fail "reports stored" "got '$n'"
else
	fail "2 receivers start" "$(cat "$T"/serve?.err)"
fi
for p in $SPIDS; do kill "$p"; wait "$p"; done
PIDS=""
tap_done
