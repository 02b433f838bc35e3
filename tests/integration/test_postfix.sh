#!/bin/sh
# Postfix in the loop: a real Postfix 3.10 (tests/components/postfix.sh, built
# once with -DUSE_TLSRPT against our libtlsrpt) delivers to SMTP listeners on
# loopback through the project's unbound (a DNSSEC-signed test zone), and
# reports each TLS handshake to `tlsrpt collectd` on a socket under its
# $queue_directory.  Postfix's own "TLSRPT: status=" log lines are the oracle:
#   - each scenario (table below) logs the result it must, with and without
#     smtp_tls_connection_reuse (tlsproxy);
#   - the store, through `tlsrpt send --dry-run`, holds exactly those sessions
#     (per domain: successes, failures per result type);
#   - the collector stopped: deliveries are neither delayed nor failed;
#     started again: results are stored again;
#   - `tlsrpt send` delivers the day's reports, DKIM-signed, through this
#     Postfix to the listener of each rua=mailto: domain, and one by
#     rua=https: to a running `tlsrpt serve`; `tlsrpt parse` of the captured
#     mails and the same mails through Postfix's local delivery to an alias
#     "|tlsrpt parse --mta" give a `tlsrpt summary --json` with exactly the
#     sessions Postfix logged;
#   - the alias pipe: a store failure defers (exit 75) and the mail is stored
#     after the retry; a mail that is no report is delivered, not bounced.
# Needs root (Postfix's master, DNS on port 53 in a private mount namespace)
# and the Postfix tarball at $TLSRPT_SRC/../shared/postfix; skips otherwise.
. "$(dirname "$0")/tap.sh"
set -u
PY=/usr/bin/python3
C=$COMPONENTS
PF="bash $C/postfix.sh"

[ "$(id -u)" = 0 ] || { echo "ok 1 # SKIP needs root (Postfix master, DNS on port 53)"; exit 0; }
for t in unbound ldns-keygen ldns-signzone dig curl sqlite3; do
	command -v $t >/dev/null 2>&1 || { echo "ok 1 # SKIP $t missing (sh scripts/install-deps.sh)"; exit 0; }
done
$PY -c 'import aiosmtpd, dkim' 2>/dev/null || { echo "ok 1 # SKIP python3-aiosmtpd/python3-dkim missing"; exit 0; }
if ! out=$($PF build 2>&1); then
	case "$out" in
	*"no Postfix source"*) echo "ok 1 # SKIP $(echo "$out" | tail -n 1)"; exit 0 ;;
	esac
	fail "Postfix builds" "$out"; exit 1
fi
# linked against a plain build of libtlsrpt (postfix.sh), it runs the one under test
pf_home=$(echo "$out" | sed -n 's/^POSTFIX_HOME=//p')
pf_lib=$(ldd "$pf_home/libexec/smtp" 2>/dev/null | awk '$1 == "libtlsrpt.so.0" { print $3 }')
[ -n "$pf_lib" ] && [ "$(realpath "$pf_lib")" = "$(realpath "$TLSRPT_SRC/$TLSRPT_O/libtlsrpt.so.0")" ] &&
	ok "Postfix's smtp loads libtlsrpt.so.0 from $TLSRPT_O (the library under test)" ||
	fail "Postfix's smtp loads our libtlsrpt.so.0" "$(ldd "$pf_home/libexec/smtp" 2>&1)"

T=$(mktemp -d /tmp/tlsrpt-postfix.XXXXXX)
chmod 755 "$T"
CPID=; SPID=
cleanup() {
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	$PF stop "$T/pf" >/dev/null 2>&1
	for s in good plain other rua; do "$C/smtp-sink.sh" stop "$T/sink-$s" >/dev/null 2>&1; done
	"$C/dns.sh" stop "$T/dns" >/dev/null 2>&1; "$C/dns.sh" stop "$T/dns53" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM
start_secs=$(date +%s)
at() { echo "# t=$(( $(date +%s) - start_secs ))s $*"; }

# ---- listeners -------------------------------------------------------------
"$C/https.sh" ca "$T/tls" >/dev/null && "$C/https.sh" ca "$T/tls-other" >/dev/null ||
	{ fail "test CAs"; exit 1; }
sink() { # NAME [ENV=...]: start a listener in the background (in parallel)
	n=$1; shift
	env TLS_DIR="$T/tls" "$@" "$C/smtp-sink.sh" start "$T/sink-$n" > "$T/sink-$n.env" &
}
sink_port() { # NAME: set <NAME>_PORT
	eval "$(echo "$1" | tr a-z A-Z)_PORT=$(sed -n 's/^SMTP_PORT=//p' "$T/sink-$1.env")"
	[ -n "$(eval echo "\$$(echo "$1" | tr a-z A-Z)_PORT")" ] || { fail "listener $1 starts"; exit 1; }
}
sink good
sink plain SMTP_NO_STARTTLS=1
sink other TLS_DIR="$T/tls-other"      # a certificate from a CA Postfix does not trust
sink rua                               # where report mail for rua=mailto: arrives
wait
for s in good plain other rua; do sink_port $s; done
SERVE_PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# DANE-EE(3) SPKI(1) SHA-256(1) of the good listener's key, and one that matches nothing
TLSA_OK=$(openssl pkey -in "$T/tls/server.key" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
TLSA_BAD=$(echo nothing | sha256sum | cut -d' ' -f1)

# ---- the scenarios ---------------------------------------------------------
# domain  listener  policy (smtp_tls_policy_maps value; - = none) | expected log line
# | expected with smtp_tls_connection_reuse = yes, when it differs
STS_POLICY='policy_type=sts policy_domain=@D@ { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: mx-good.example.test } { policy_string = max_age: 86400 } mx_host_pattern=mx-good.example.test'
cat > "$T/scenarios" <<EOF
sts-ok      good  secure $STS_POLICY|status=success
sts-fetch   good  secure $STS_POLICY policy_failure=sts-policy-fetch-error|failure_type=sts_policy_fetch_error|TLSRPT: status=
nopolicy    good  -|status=success
plain       plain encrypt|failure_type=starttls_not_supported
mismatch    good  verify match=mx.elsewhere.test|failure_type=certificate_host_mismatch
untrusted   other verify|failure_type=validation_failure
dane-ok     good  dane|status=success
dane-bad    good  dane|status=failure
EOF
# (sts-* use "secure": with the sts attributes Postfix matches mx_host_pattern.)
# With connection reuse Postfix 3.10.13 sometimes ignores policy_failure=: it
# delivers and logs status=success (seen here, not ours to fix); the store
# must still hold exactly what it logged, which the oracle below checks.

at "listeners up"
# ---- DNS: example.test signed (DNSSEC, for DANE); sender.test holds the DKIM key
mkdir -p "$T/dns/zones" "$T/keys"
{
	cat <<EOF
\$ORIGIN example.test.
\$TTL 300
@            IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
@            IN NS  ns.example.test.
ns           IN A   127.0.0.1
mx-good      IN A   127.0.0.1
mx-plain     IN A   127.0.0.1
mx-other     IN A   127.0.0.1
mx-dane-bad  IN A   127.0.0.1
mx-rua       IN A   127.0.0.1
reports      IN MX  10 mx-rua.example.test.
_$GOOD_PORT._tcp.mx-good     IN TLSA 3 1 1 $TLSA_OK
_$GOOD_PORT._tcp.mx-dane-bad IN TLSA 3 1 1 $TLSA_BAD
EOF
	while IFS='|' read -r line _; do
		set -- $line
		mx=mx-$2; [ "$1" = dane-bad ] && mx=mx-dane-bad
		rua="mailto:tls@reports.example.test"
		[ "$1" = nopolicy ] && rua="https://localhost:$SERVE_PORT/tlsrpt"
		echo "$1 IN MX 10 $mx.example.test."
		echo "_smtp._tls.$1 IN TXT \"v=TLSRPTv1; rua=$rua\""
	done < "$T/scenarios"
} > "$T/keys/example.test"
cat > "$T/dns/zones/sender.test.zone" <<'EOF'
$ORIGIN sender.test.
$TTL 300
@   IN SOA ns.sender.test. hostmaster.sender.test. 1 3600 600 86400 60
@   IN NS  ns.sender.test.
ns  IN A   127.0.0.1
EOF
(
	cd "$T/keys" && k=$(ldns-keygen -a ECDSAP256SHA256 -k example.test) &&
	ldns-signzone -f "$T/dns/zones/example.test.zone" example.test "$k" &&
	tr '\t' ' ' < "$k.ds" > "$T/dns/trust-anchors"
) || { fail "test zone signed (ldns-signzone)"; exit 1; }
cp -r "$T/dns" "$T/dns53"
"$C/dns.sh" start "$T/dns" > /dev/null || { fail "unbound starts"; exit 1; }
eval "$(cat "$T/dns/env")"
A53="127.53.$(( $$ % 200 + 20 )).$(( RANDOM % 250 + 1 ))"
DNS_LISTEN_ADDR=$A53 DNS_LISTEN_PORT=53 "$C/dns.sh" start "$T/dns53" > /dev/null ||
	{ fail "unbound on $A53:53 starts"; exit 1; }
printf 'nameserver %s\noptions trust-ad timeout:2 attempts:2\n' "$A53" > "$T/resolv.conf"
DKIM_SERVICE=tlsrpt "$C/dkim.sh" genkey "$T/dkim" sender.test sel > /dev/null 2>&1 &&
	"$C/dkim.sh" publish "$T/dkim" "$T/dns" > /dev/null && "$C/dkim.sh" publish "$T/dkim" "$T/dns53" > /dev/null ||
	{ fail "DKIM key published"; exit 1; }
dig +dnssec @127.0.0.1 -p "$DNS_PORT" sts-ok.example.test MX | grep -q 'flags:.* ad' &&
	ok "the test zone validates (AD bit) with the test trust anchor" ||
	fail "DNSSEC validation" "$(dig +dnssec @127.0.0.1 -p "$DNS_PORT" sts-ok.example.test MX)"

at "DNS up"
# ---- tlsrpt collectd on a socket under $queue_directory ---------------------
QD=$T/pf/spool
mkdir -p "$QD/run/tlsrpt"; chmod 755 "$QD/run" "$QD/run/tlsrpt"
SOCK=$QD/run/tlsrpt/tlsrpt.sock
RESULTS=$T/results.db
: > "$T/collectd.log"
collectd_start() {
	n0=$(grep -c 'receiving on' "$T/collectd.log")
	"$TLSRPT" collectd --socket "$SOCK" --db "sqlite:$RESULTS" --foreground --stats-secs 0 \
		--socket-mode 0660 --socket-group postfix >> "$T/collectd.log" 2>&1 &
	CPID=$!
	i=0
	while [ "$(grep -c 'receiving on' "$T/collectd.log")" -le "$n0" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$SOCK" ]
}
collectd_stop() { kill -TERM "$CPID"; wait "$CPID"; CPID=; }
collectd_start || { fail "collectd starts" "$(cat "$T/collectd.log")"; exit 1; }

# ---- Postfix ---------------------------------------------------------------
: > "$T/policy"; tm=""
while IFS='|' read -r line _; do
	set -- $line; d=$1.example.test; port=$(eval echo "\$$(echo "$2" | tr a-z A-Z)_PORT"); shift 2
	tm="$tm $d=smtp:$d:$port,"
	[ "$*" = - ] || echo "$d:$port $*" | sed "s/@D@/$d/g" >> "$T/policy"
done < "$T/scenarios"
cat > "$T/main.cf" <<EOF
transport_maps = inline:{$tm reports.example.test=smtp:reports.example.test:$RUA_PORT }
smtp_tls_policy_maps = texthash:$T/policy
smtp_tls_CAfile = $T/tls/ca.pem
smtp_dns_support_level = dnssec
smtp_tls_security_level = may
smtp_tlsrpt_enable = yes
smtp_tlsrpt_socket_name = run/tlsrpt/tlsrpt.sock
smtp_tlsrpt_skip_reused_handshakes = no
smtp_tls_connection_reuse = no
EOF
POSTFIX_RESOLV_CONF=$T/resolv.conf $PF start "$T/pf" "$T/main.cf" > "$T/pf.env" ||
	{ fail "Postfix starts" "$(cat "$T/pf.env")"; exit 1; }
eval "$(cat "$T/pf.env")"
LOG=$POSTFIX_LOG
ok "Postfix starts on 127.0.0.1:$POSTFIX_SMTPD_PORT (log $LOG)"

at "Postfix up"
inject() { # FROM RCPT FILE
	curl -sS --max-time 20 "smtp://127.0.0.1:$POSTFIX_SMTPD_PORT" --mail-from "$1" --mail-rcpt "$2" -T "$3"
}
printf 'From: <app@postfix.test>\r\nSubject: tlsrpt test\r\n\r\nhello\r\n' > "$T/m.eml"
tlsrpt_lines() { grep -c 'TLSRPT: status=' "$LOG"; }
# run_phase NAME: one mail to each scenario domain; wait for one TLSRPT line each,
# then drop the deferred ones (no retries to race with the count)
run_phase() {
	: > "$T/before"
	while IFS='|' read -r line _; do
		set -- $line
		echo "$1 $(grep -c "TLSRPT: status=.*domain=$1.example.test," "$LOG")" >> "$T/before"
		inject app@postfix.test "user@$1.example.test" "$T/m.eml" || fail "$1: mail accepted"
	done < "$T/scenarios"
	# one more line for each scenario's domain (a total count could be
	# reached by one domain's second attempt while another's is still on
	# its way, and the queue is emptied next)
	while read -r d b; do
		$PF wait-log "$T/pf" "TLSRPT: status=.*domain=$d.example.test," $((b + 1)) 40 ||
			fail "$phase: a TLSRPT log line for $d" "$(tail -n 30 "$LOG")"
	done < "$T/before"
	$PF cmd "$T/pf" postsuper -d ALL > /dev/null 2>&1
	sleep 1
}
check_phase() { # FROM-LINE: each scenario's first line after FROM-LINE logs what it must
	cp_from=$1
	while IFS='|' read -r line want want_reuse; do
		set -- $line
		[ "$phase" != "no connection reuse" ] && [ -n "$want_reuse" ] && want=$want_reuse
		got=$(tail -n +"$cp_from" "$LOG" | grep "TLSRPT: status=.*domain=$1.example.test," | head -n 1)
		case "$got" in
		*"$want"*) ok "$1 ($phase): Postfix logs $want" ;;
		*) fail "$1 ($phase): Postfix logs $want" "got: ${got:-no TLSRPT line}" ;;
		esac
	done < "$T/scenarios"
}
from=$(( $(wc -l < "$LOG") + 1 )); phase="no connection reuse"
run_phase; check_phase "$from"

sed -i 's/^smtp_tls_connection_reuse = no/smtp_tls_connection_reuse = yes/' "$T/pf/etc/main.cf"
# returns once every process of the old settings has gone (idle smtp
# processes, scache's cached connections): the phase runs the new ones
$PF reload "$T/pf" > "$T/reload.out" 2>&1 || fail "postfix reload" "$(cat "$T/reload.out")"
from=$(( $(wc -l < "$LOG") + 1 )); phase="connection reuse, tlsproxy"
run_phase; check_phase "$from"
# (which process logs the TLSRPT line then varies between runs: tlsproxy
# or smtp; the counts above are checked either way)
if tail -n +"$from" "$LOG" | grep -qE 'postfix/tlsproxy\[[0-9]*\]: (TLSRPT: status=|.*TLS connection established)'; then
	ok "with connection reuse tlsproxy does TLS"
else
	fail "tlsproxy does TLS" "$(tail -n +"$from" "$LOG" | grep -E 'TLSRPT|tlsproxy' | head -n 3)"
fi

at "scenarios done"
# ---- the collector stopped: deliveries neither delayed nor failed ----------
collectd_stop
down_from=$(( $(wc -l < "$LOG") + 1 )); t0=$(date +%s)
for i in 1 2 3; do inject app@postfix.test "down$i@nopolicy.example.test" "$T/m.eml"; done
$PF wait-log "$T/pf" 'to=<down[0-9]@nopolicy.example.test>.*status=sent' 3 20
secs=$(( $(date +%s) - t0 ))
sent=$(tail -n +"$down_from" "$LOG" | grep -c 'to=<down[0-9]@nopolicy.example.test>.*status=sent')
slow=$(tail -n +"$down_from" "$LOG" | grep 'to=<down[0-9]@nopolicy.example.test>.*status=sent' |
	sed -n 's/.*, delay=\([0-9.]*\),.*/\1/p' | awk '$1 >= 2' | wc -l)
[ "$sent" = 3 ] && [ "$slow" = 0 ] && ! tail -n +"$down_from" "$LOG" | grep -q 'status=deferred\|status=bounced' &&
	ok "collector stopped: 3 deliveries sent at once (each delay < 2 s, ${secs}s in all), none deferred" ||
	fail "collector stopped: deliveries" "sent=$sent slow=$slow" "$(tail -n +"$down_from" "$LOG")"
down_lines=$(tail -n +"$down_from" "$LOG" | grep -c 'TLSRPT: status=')
collectd_start || fail "collectd starts again" "$(tail -n 5 "$T/collectd.log")"
up_from=$(( $(wc -l < "$LOG") + 1 ))
for i in 1 2; do inject app@postfix.test "up$i@nopolicy.example.test" "$T/m.eml"; done
$PF wait-log "$T/pf" 'to=<up[0-9]@nopolicy.example.test>.*status=sent' 2 20 &&
	ok "collector started again: deliveries go on" || fail "deliveries after restart" "$(tail -n +"$up_from" "$LOG")"
sleep 1
collectd_stop

# ---- the oracle: Postfix's log, the lines while the collector was down left out
# "domain result-type count" per line, success as "success"
oracle() { # LOG-FILE
	grep 'TLSRPT: status=' "$1" |
		sed -n 's/.*status=failure, domain=\([^,]*\),.*failure_type=\([a-z_]*\).*/\1 \2/p; t
			s/.*status=success, domain=\([^,]*\),.*/\1 success/p' |
		tr '_' '-' | sort | uniq -c | awk '{ print $2, $3, $1 }'
}
{ head -n $((down_from - 1)) "$LOG"; tail -n +"$up_from" "$LOG"; } > "$T/log.counted"
oracle "$T/log.counted" > "$T/oracle"
total=$(awk '{ s += $3 } END { print s }' "$T/oracle")
[ "$(grep -c 'TLSRPT: status=' "$T/log.counted")" = "$total" ] && [ "$total" -ge 18 ] &&
	ok "the oracle: $total TLSRPT log lines ($down_lines more while the collector was down)" ||
	fail "the oracle" "$(cat "$T/oracle")"

at "collector phase done"
# ---- the store through tlsrpt send --dry-run -------------------------------
DAY=$(date -u +%F)
NOW=$(( $(date -u -d "$DAY" +%s) + 86400 + 3600 ))
mkdir -p "$T/dry"
SEND="--db sqlite:$RESULTS --day $DAY --now $NOW --resolver 127.0.0.1@$DNS_PORT --submitter sender.test --contact tlsrpt@sender.test --timeout 20"
# shellcheck disable=SC2086
"$TLSRPT" send $SEND --dry-run "$T/dry" > "$T/dry.out" 2>&1 || fail "send --dry-run" "$(cat "$T/dry.out")"
reports_counts() { # DIR-OR-FILES...: "domain result-type count" from report JSON (gz or not)
	$PY - "$@" <<'EOF'
import glob, gzip, json, os, sys
c = {}
files = []
for a in sys.argv[1:]:
    files += sorted(glob.glob(os.path.join(a, "*.json*"))) if os.path.isdir(a) else [a]
for f in files:
    raw = open(f, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    for p in json.loads(raw)["policies"]:
        d = p["policy"].get("policy-domain")
        s = p["summary"]
        if s.get("total-successful-session-count"):
            c[(d, "success")] = c.get((d, "success"), 0) + s["total-successful-session-count"]
        for fd in p.get("failure-details", []):
            k = (d, fd["result-type"])
            c[k] = c.get(k, 0) + fd["failed-session-count"]
for (d, t), n in sorted(c.items()):
    print(d, t, n)
EOF
}
# Reports to the recipient domains Postfix logged, keyed by the report's domain
# (its file name SUBMITTER!DOMAIN!BEGIN!END.json.gz)
for f in "$T/dry"/*.json.gz; do
	d=$(basename "$f" | cut -d'!' -f2)
	grep -q "^$d " "$T/oracle" && reports_counts "$f" | sed "s/^[^ ]* /$d /"
done | sort > "$T/dry.counts"
if cmp -s "$T/oracle" "$T/dry.counts"; then ok "send --dry-run reports exactly the sessions Postfix logged, domain by domain, result type by result type"
else fail "dry-run reports = Postfix log" "log:" "$(cat "$T/oracle")" "reports:" "$(cat "$T/dry.counts")"; fi
# DANE: the policy-domain of a TLSA policy is the TLSA base domain, the MX host
# (Postfix gives it so; RFC 8460 4.4), and the reporter also reports to the MX
# host's own TLSRPT record: those reports hold the same sessions
dane_map='s/^dane-ok\.example\.test /mx-good.example.test /; s/^dane-bad\.example\.test /mx-dane-bad.example.test /'
grep '^dane-' "$T/oracle" | sed "$dane_map" | sort > "$T/oracle.mx"
for f in "$T/dry"/*'!mx-'*.json.gz; do reports_counts "$f"; done | sort > "$T/dry.mx"
if [ -s "$T/oracle.mx" ] && cmp -s "$T/oracle.mx" "$T/dry.mx"; then ok "DANE: the reports for the MX hosts (TLSA base domains) hold the same sessions"
else fail "DANE MX-host reports" "log:" "$(cat "$T/oracle.mx")" "reports:" "$(cat "$T/dry.mx")"; fi
# what the receiving side will show per policy-domain
sed "$dane_map" "$T/oracle" | sort > "$T/oracle.pd"
# the policies are those Postfix was given
$PY - "$T/dry" <<'EOF' && ok "policy types and strings as Postfix was given them (sts + policy_string, tlsa, no-policy-found)" || fail "policy types" "$(ls "$T/dry")"
import glob, gzip, json, sys
seen = {}
for f in glob.glob(sys.argv[1] + "/*.json*"):
    raw = open(f, "rb").read()
    raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    for p in json.loads(raw)["policies"]:
        seen[f.split("!")[1]] = p["policy"]
ok = seen["sts-ok.example.test"]["policy-type"] == "sts" \
    and "mode: enforce" in seen["sts-ok.example.test"].get("policy-string", []) \
    and seen["sts-ok.example.test"].get("mx-host") == ["mx-good.example.test"] \
    and seen["dane-ok.example.test"]["policy-type"] == "tlsa" \
    and seen["dane-ok.example.test"]["policy-domain"] == "mx-good.example.test" \
    and seen["nopolicy.example.test"]["policy-type"] == "no-policy-found"
if not ok:
    print(json.dumps(seen, indent=1)); sys.exit(1)
EOF

at "dry-run checked"
# ---- the full loop: reports delivered by mail (through this Postfix) and HTTPS
RECV=$T/recv.db
# tlsrpt refuses keys others can read (the components make them 0644 for
# Postfix's sake): private copies
install -m 600 "$T/tls/server.key" "$T/serve.key"
install -m 600 "$T/dkim/sel.private" "$T/dkim-send.private"
"$TLSRPT" serve --listen "127.0.0.1:$SERVE_PORT" --dashboard-listen none --accept-domain "*" --db "sqlite:$RECV" \
	--tls-cert "$T/tls/server.pem" --tls-key "$T/serve.key" -q > "$T/serve.log" 2>&1 &
SPID=$!
i=0; while ! curl -s --cacert "$T/tls/ca.pem" "https://localhost:$SERVE_PORT/healthz" > /dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
rua_before=$(grep -c 'TLSRPT: status=' "$LOG")
# shellcheck disable=SC2086
"$TLSRPT" send $SEND --smtp "smtp://127.0.0.1:$POSTFIX_SMTPD_PORT" --cacert "$T/tls/ca.pem" \
	--dkim-key "$T/dkim-send.private" --dkim-selector sel > "$T/send.out" 2>&1 &&
	ok "tlsrpt send: every report delivered (mail through Postfix, HTTPS to tlsrpt serve)" ||
	fail "tlsrpt send" "$(cat "$T/send.out")"
n_mail=$(awk '$1 != "nopolicy.example.test" { print $1 }' "$T/oracle" | sort -u | wc -l)
i=0; while [ "$("$C/smtp-sink.sh" count "$T/sink-rua")" -lt "$n_mail" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
[ "$("$C/smtp-sink.sh" count "$T/sink-rua")" = "$n_mail" ] &&
	ok "$n_mail report mails arrived at the rua=mailto: listener (through Postfix)" ||
	fail "report mails at the listener" "$("$C/smtp-sink.sh" count "$T/sink-rua") of $n_mail" "$(tail -n 20 "$LOG")"
# (dkim.sh verify's check, all mails in one python3-dkim process)
bad=$($PY - "$DNS_PORT" "$T/sink-rua/mail"/*.eml <<'PYEOF'
import sys, dkim, dns.resolver
r = dns.resolver.Resolver(configure=False)
r.nameservers, r.port, r.lifetime = ["127.0.0.1"], int(sys.argv[1]), 5
def dnsfunc(name, timeout=5):
    return b"".join(r.resolve(name.decode().rstrip("."), "TXT")[0].strings)
for f in sys.argv[2:]:
    d = dkim.DKIM(open(f, "rb").read(), tlsrpt="strict")
    n = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
    try:
        good = n > 0 and all(d.verify(idx=i, dnsfunc=dnsfunc) for i in range(n))
    except Exception:
        good = False
    if not good:
        print(f)
PYEOF
)
[ -z "$bad" ] && ok "every report mail is DKIM-signed (s=tlsrpt key, verified by python3-dkim)" || fail "DKIM" "$bad"

"$TLSRPT" parse --db "sqlite:$RECV" "$T/sink-rua/mail"/*.eml > "$T/parse.out" 2>&1 &&
	ok "tlsrpt parse stores the captured report mails" || fail "tlsrpt parse" "$(cat "$T/parse.out")"
summary_counts() { # DB
	"$TLSRPT" summary --db "sqlite:$1" --json --since "$DAY" --until "$DAY" | $PY -c '
import json, sys
for d in json.load(sys.stdin)["domains"]:
    if d["successful_sessions"]:
        print(d["domain"], "success", d["successful_sessions"])
    c = {}
    for f in d["failures"]:
        c[f["result_type"]] = c.get(f["result_type"], 0) + f["failed_sessions"]
    for t, n in c.items():
        print(d["domain"], t, n)' | sort
}
summary_counts "$RECV" > "$T/recv.counts"
if cmp -s "$T/oracle.pd" "$T/recv.counts"; then ok "receiving side (mail via parse + HTTPS via serve): summary --json shows exactly the sessions Postfix logged"
else fail "summary = Postfix log" "log:" "$(cat "$T/oracle.pd")" "summary:" "$(cat "$T/recv.counts")" "$(cat "$T/serve.log")"; fi
[ "$(grep -c 'TLSRPT: status=' "$LOG")" = "$rua_before" ] ||
	fail "delivering the reports made TLSRPT events" "(reports.example.test has no TLSRPT record)"

at "receiving side checked"
# ---- the same mails through Postfix's local delivery to an alias -----------
mkdir -p "$T/recv2"; chmod 777 "$T/recv2"
R2=$T/recv2/recv.db
printf 'postmaster: root\ntlsrpt-in: "|%s parse --mta --db sqlite:%s"\n' "$TLSRPT" "$R2" > "$T/pf/etc/aliases"
$PF newaliases "$T/pf" || fail "postalias"
sqlite3 "$R2" 'PRAGMA user_version;' > /dev/null
"$TLSRPT" parse --db "sqlite:$R2" < /dev/null > /dev/null 2>&1   # the schema, then read-only:
chmod 444 "$R2"; chmod 555 "$T/recv2"                            # a store that fails
first=$(ls "$T/sink-rua/mail"/*.eml | head -n 1)
la=$(( $(wc -l < "$LOG") + 1 ))
inject reporter@sender.test tlsrpt-in@postfix.test "$first"
$PF wait-log "$T/pf" 'to=<tlsrpt-in@postfix.test>.*status=deferred' 1 20
if tail -n +"$la" "$LOG" | grep 'to=<tlsrpt-in@postfix.test>' | grep -q 'status=deferred' &&
   ! tail -n +"$la" "$LOG" | grep -q 'status=bounced'; then ok "alias pipe: a store that fails defers the mail (exit 75), no bounce"
else fail "alias pipe: store failure defers" "$(tail -n +"$la" "$LOG")"; fi
chmod 777 "$T/recv2"; chmod 666 "$T/recv2"/*
$PF flush "$T/pf" > /dev/null 2>&1
$PF wait-log "$T/pf" 'to=<tlsrpt-in@postfix.test>.*status=sent' 1 20 &&
	ok "alias pipe: after the store is back, the retry delivers it" ||
	fail "alias pipe retry" "$(tail -n +"$la" "$LOG")"
for f in "$T/sink-rua/mail"/*.eml; do
	[ "$f" = "$first" ] || inject reporter@sender.test tlsrpt-in@postfix.test "$f"
done
$PF wait-log "$T/pf" 'to=<tlsrpt-in@postfix.test>.*status=sent' "$n_mail" 30 || fail "alias deliveries" "$(tail -n 20 "$LOG")"
awk '$1 != "nopolicy.example.test"' "$T/oracle.pd" > "$T/oracle.mail"
summary_counts "$R2" > "$T/recv2.counts"
if cmp -s "$T/oracle.mail" "$T/recv2.counts"; then ok "through Postfix's local delivery to \"|tlsrpt parse --mta\": summary shows exactly the sessions Postfix logged"
else fail "alias summary = Postfix log" "log:" "$(cat "$T/oracle.mail")" "summary:" "$(cat "$T/recv2.counts")"; fi
printf 'From: <someone@sender.test>\r\nSubject: hello\r\n\r\nnot a report\r\n' > "$T/nonreport.eml"
la=$(( $(wc -l < "$LOG") + 1 ))
inject someone@sender.test tlsrpt-in@postfix.test "$T/nonreport.eml"
# wait for this mail's own delivery line (counting all the alias's lines
# would depend on how many retries came before)
i=0
while ! tail -n +"$la" "$LOG" | grep -qE 'to=<tlsrpt-in@postfix.test>.*status=(sent|bounced|deferred)' &&
      [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
if tail -n +"$la" "$LOG" | grep 'to=<tlsrpt-in@postfix.test>' | grep -q 'status=sent (delivered to command' &&
   ! tail -n +"$la" "$LOG" | grep -q 'status=bounced\|sender non-delivery notification'; then ok "alias pipe: a mail that is no report is accepted, not bounced"
else fail "alias pipe: non-report" "$(tail -n +"$la" "$LOG")"; fi

# Target: under a minute (build excluded) on an idle 2-CPU machine; the budget
# grows with the load average per CPU (the development VM is shared).
secs=$(( $(date +%s) - start_secs ))
budget=$(awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { f = l / n; if (f < 1) f = 1; printf "%d", 60 * f }')
[ "$secs" -le "$budget" ] && ok "this test's own run (build excluded) took ${secs}s (budget ${budget}s: 60 s x load per CPU)" ||
	fail "run time ${secs}s over ${budget}s"
tap_done
