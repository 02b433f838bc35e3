#!/bin/sh
# `tlsrpt policyd` with the real Postfix 3.10 (tests/components/postfix.sh,
# built from the upstream tarball against our libtlsrpt): postmap -q through
# socketmap, and deliveries with smtp_tls_policy_maps = socketmap:… to an
# SMTP sink with STARTTLS (tests/components/smtp-sink.sh).  DNS: unbound on
# 127.53.x.y:53, given to Postfix as its resolv.conf and to policyd; the
# policies come from a static HTTPS server; Postfix's TLSRPT events go to
# `tlsrpt collectd`.
#   good.pd.test  enforce, the MX certificate names the MX: delivered, sts success
#   bad.pd.test   enforce, the MX certificate does not: deferred, sts failure
#   fail.pd.test  _mta-sts record, the policy host answers 404, nothing cached:
#                 delivered (RFC 8461), policyd reports sts-policy-fetch-error,
#                 Postfix reports the session under no-policy-found
#   testing.pd.test  mode testing, certificate does not name the MX: delivered,
#                 reported no-policy-found (Postfix cannot report testing mode)
. "$(dirname "$0")/tap.sh"
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "ok 1 # SKIP needs root (Postfix's master)"; exit 0; }
PF="$COMPONENTS/postfix.sh"
[ -f "$PF" ] || { echo "ok 1 # SKIP tests/components/postfix.sh absent"; exit 0; }
export TLSRPT_O
bash "$PF" build > /tmp/tlsrpt-policyd-pf-build.log 2>&1
rc=$?
if [ $rc = 3 ]; then echo "ok 1 # SKIP no Postfix tarball: $(tail -1 /tmp/tlsrpt-policyd-pf-build.log)"; exit 0; fi
if [ $rc != 0 ]; then fail "postfix.sh build" "$(tail -20 /tmp/tlsrpt-policyd-pf-build.log)"; exit 1; fi

dir=$(mktemp -d /tmp/tlsrpt-test-policyd-pf.XXXXXX)
chmod 755 "$dir"        # Postfix's smtp (user postfix) reaches the socket in it
web_pid="" pd_pid="" col_pid=""
cleanup() {
	bash "$PF" stop "$dir/pf" >/dev/null 2>&1
	bash "$COMPONENTS/smtp-sink.sh" stop "$dir/sink" >/dev/null 2>&1
	[ -n "$pd_pid" ] && kill "$pd_pid" 2>/dev/null
	[ -n "$col_pid" ] && kill "$col_pid" 2>/dev/null
	[ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null
	bash "$COMPONENTS/dns.sh" stop "$dir/dns" >/dev/null 2>&1
	sleep 0.2
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
fail_out() { d1=$1; shift; fail "$d1" "$(printf '%s\n' "$@" | sed 's/^/# /')"; }

# ---- DNS on 127.53.x.y:53 (Postfix knows only the system resolver) ---------
mkdir -p "$dir/dns/zones"
cat > "$dir/dns/zones/pd.test.zone" <<'ZONE'
$ORIGIN pd.test.
$TTL 60
@        IN SOA ns.pd.test. hostmaster.pd.test. 1 3600 600 86400 60
@        IN NS  ns.pd.test.
ns       IN A   127.0.0.1
good             IN MX  10 mx.good.pd.test.
mx.good          IN A   127.0.0.1
mta-sts.good     IN A   127.0.0.1
_mta-sts.good    IN TXT "v=STSv1; id=1"
_smtp._tls.good  IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@pd.test"
bad              IN MX  10 mx.bad.pd.test.
mx.bad           IN A   127.0.0.1
mta-sts.bad      IN A   127.0.0.1
_mta-sts.bad     IN TXT "v=STSv1; id=1"
_smtp._tls.bad   IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@pd.test"
fail             IN MX  10 mx.fail.pd.test.
mx.fail          IN A   127.0.0.1
mta-sts.fail     IN A   127.0.0.1
_mta-sts.fail    IN TXT "v=STSv1; id=1"
_smtp._tls.fail  IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@pd.test"
testing          IN MX  10 mx.testing.pd.test.
mx.testing       IN A   127.0.0.1
mta-sts.testing  IN A   127.0.0.1
_mta-sts.testing IN TXT "v=STSv1; id=1"
_smtp._tls.testing IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@pd.test"
ZONE
started=0
for try in 1 2 3 4 5; do
	addr="127.53.$(( $$ % 200 + 1 )).$(( (try * 37 + $$) % 250 + 1 ))"
	if DNS_LISTEN_ADDR=$addr DNS_LISTEN_PORT=53 bash "$COMPONENTS/dns.sh" start "$dir/dns" > "$dir/dns.log" 2>&1; then
		started=1; break
	fi
done
[ $started = 1 ] || { fail "dns.sh start on port 53" "$(cat "$dir/dns.log")"; exit 1; }
eval "$(cat "$dir/dns/env")"
printf 'nameserver %s\n' "$DNS_ADDR" > "$dir/resolv.conf"

# ---- certificates: the MX certificate names mx.good, not mx.bad -----------
TLS_EXTRA_SANS="DNS:mx.good.pd.test,DNS:mta-sts.good.pd.test,DNS:mta-sts.bad.pd.test,DNS:mta-sts.fail.pd.test,DNS:mta-sts.testing.pd.test" \
	bash "$COMPONENTS/https.sh" ca "$dir/tls" > "$dir/ca.log" 2>&1 ||
	{ fail "https.sh ca" "$(cat "$dir/ca.log")"; exit 1; }
www="$dir/www"
for d in good bad; do
	mkdir -p "$www/mta-sts.$d.pd.test/.well-known"
	printf 'version: STSv1\nmode: enforce\nmx: mx.%s.pd.test\nmax_age: 86400\n' $d \
		> "$www/mta-sts.$d.pd.test/.well-known/mta-sts.txt"
done
mkdir -p "$www/mta-sts.fail.pd.test" "$www/mta-sts.testing.pd.test/.well-known"    # fail: 404
printf 'version: STSv1\nmode: testing\nmx: mx.testing.pd.test\nmax_age: 86400\n' \
	> "$www/mta-sts.testing.pd.test/.well-known/mta-sts.txt"
/usr/bin/python3 "$here/static_https.py" "$www" "$dir/tls/server.pem" "$dir/tls/server.key" "$dir/port" \
	2> "$dir/web.log" &
web_pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$dir/port" ] || { fail "static HTTPS server did not start" "$(cat "$dir/web.log")"; exit 1; }
port=$(cat "$dir/port")

# ---- collector, policyd, SMTP sink ------------------------------------------
"$TLSRPT" collectd --socket "$dir/collect.sock" --db "sqlite:$dir/collect.db" --flush-ms 20 \
	--socket-mode 0666 --foreground 2> "$dir/collectd.log" &
col_pid=$!
sock="$dir/policyd.sock"
"$TLSRPT" policyd --socket "$sock" --db "sqlite:$dir/policyd.db" --collector-socket "$dir/collect.sock" \
	--resolver "$DNS_ADDR@53" --cacert "$dir/tls/ca.pem" --connect-to "::127.0.0.1:$port" \
	--no-dane-first --foreground -v 2> "$dir/policyd.log" &
pd_pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
TLS_DIR="$dir/tls" bash "$COMPONENTS/smtp-sink.sh" start "$dir/sink" > "$dir/sink.env" 2> "$dir/sink.log" ||
	{ fail "smtp-sink.sh start" "$(cat "$dir/sink.log")"; exit 1; }
eval "$(cat "$dir/sink.env")"

# ---- Postfix -------------------------------------------------------------------
cat > "$dir/extra.cf" <<EOF
smtp_tls_policy_maps = socketmap:unix:$sock:sts
smtp_tls_CAfile = $dir/tls/ca.pem
transport_maps = inline:{ good.pd.test=smtp:good.pd.test:$SMTP_PORT, bad.pd.test=smtp:bad.pd.test:$SMTP_PORT,
 fail.pd.test=smtp:fail.pd.test:$SMTP_PORT, testing.pd.test=smtp:testing.pd.test:$SMTP_PORT }
smtp_tlsrpt_enable = yes
smtp_tlsrpt_socket_name = $dir/collect.sock
smtp_tlsrpt_skip_reused_handshakes = no
smtp_connection_cache_on_demand = no
# the instance logs to DIR/maillog, under /tmp: Postfix allows only
# maillog_file_prefixes (default /var, /dev/stdout)
maillog_file_prefixes = /var, /dev/stdout, $dir
# the instance has no proxymap(8), which smtpd needs for the default
# local_recipient_maps; the test sends no local mail
local_recipient_maps =
EOF
if ! POSTFIX_RESOLV_CONF="$dir/resolv.conf" bash "$PF" start "$dir/pf" "$dir/extra.cf" > "$dir/pf.env" 2> "$dir/pf.log"; then
	fail "postfix.sh start" "$(cat "$dir/pf.log")"
	exit 1
fi
eval "$(cat "$dir/pf.env")"

# postmap -q through the socketmap: what Postfix itself gets
out=$(bash "$PF" cmd "$dir/pf" postmap -q good.pd.test "socketmap:unix:$sock:sts" 2> "$dir/postmap.err")
want="secure match=mx.good.pd.test servername=hostname policy_type=sts policy_domain=good.pd.test mx_host_pattern=mx.good.pd.test { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: mx.good.pd.test } { policy_string = max_age: 86400 }"
if [ "$out" = "$want" ]; then ok "postmap -q good.pd.test socketmap:unix:…:sts answers the enforce policy"
else fail_out "postmap -q" "got:  $out" "want: $want"; fi
out=$(bash "$PF" cmd "$dir/pf" postmap -q nothing.pd.test "socketmap:unix:$sock:sts" 2> "$dir/postmap.err"; echo "rc=$?")
if [ "$out" = "rc=1" ]; then ok "postmap -q of a domain without MTA-STS: not found (exit 1)"
else fail_out "postmap -q nothing" "$out"; fi

send() { # RCPT
	printf 'From: a@postfix.test\r\nTo: %s\r\nSubject: policyd\r\n\r\nhello\r\n' "$1" > "$dir/m.eml"
	curl -sS --max-time 10 "smtp://127.0.0.1:$POSTFIX_SMTPD_PORT" --mail-from a@postfix.test \
		--mail-rcpt "$1" -T "$dir/m.eml" 2>&1
}
send u@good.pd.test > "$dir/send1.log" || fail "inject to good" "$(cat "$dir/send1.log")"
if bash "$PF" wait-log "$dir/pf" 'to=<u@good.pd.test>.*status=sent' 1 30 2> "$dir/w1.log"; then
	ok "enforce, certificate names the MX: delivered"
else fail_out "good.pd.test not delivered" "$(tail -n 15 "$dir/pf/maillog")" "$(tail -5 "$dir/policyd.log")"; fi
if grep -q 'Verified TLS connection established to mx.good.pd.test' "$dir/pf/maillog"; then
	ok "Postfix verified the certificate (secure level from policyd)"
else fail_out "no verified TLS connection" "$(grep -i tls "$dir/pf/maillog" | tail -5)"; fi

send u@bad.pd.test > "$dir/send2.log" || fail "inject to bad" "$(cat "$dir/send2.log")"
if bash "$PF" wait-log "$dir/pf" 'to=<u@bad.pd.test>.*status=deferred' 1 30 2> "$dir/w2.log"; then
	ok "enforce, certificate does not name the MX: deferred"
else fail_out "bad.pd.test not deferred" "$(tail -n 15 "$dir/pf/maillog")"; fi
send u@fail.pd.test > "$dir/send3.log" || fail "inject to fail" "$(cat "$dir/send3.log")"
if bash "$PF" wait-log "$dir/pf" 'to=<u@fail.pd.test>.*status=sent' 1 30 2> "$dir/w3.log"; then
	ok "policy fetch fails, nothing cached: delivered without MTA-STS (RFC 8461)"
else fail_out "fail.pd.test not delivered" "$(tail -n 15 "$dir/pf/maillog")"; fi
send u@testing.pd.test > "$dir/send4.log" || fail "inject to testing" "$(cat "$dir/send4.log")"
if bash "$PF" wait-log "$dir/pf" 'to=<u@testing.pd.test>.*status=sent' 1 30 2> "$dir/w4.log"; then
	ok "mode testing, certificate does not name the MX: delivered"
else fail_out "testing.pd.test not delivered" "$(tail -n 15 "$dir/pf/maillog")"; fi
if [ "$(bash "$COMPONENTS/smtp-sink.sh" count "$dir/sink")" = 3 ]; then ok "the sink holds exactly the three delivered mails"
else fail "sink count: $(bash "$COMPONENTS/smtp-sink.sh" count "$dir/sink")"; fi

# Postfix reported both sessions under the sts policy policyd gave it
# (the collector counts in memory and stores every 2 s)
sleep 2.5
rows=$(sqlite3 "$dir/collect.db" "SELECT domain, policy_type, policy_domain, total_success > 0, total_failure > 0
	FROM result_policies ORDER BY domain" 2>&1)
fails=$(sqlite3 "$dir/collect.db" "SELECT t.domain, f.result_type FROM result_failures f
	JOIN result_tuples t ON t.key = f.policy" 2>&1)
if printf '%s\n' "$rows" | grep -qx 'good.pd.test|sts|good.pd.test|1|0'; then
	ok "Postfix reported good.pd.test: sts policy, success"
else fail_out "good.pd.test report" "$rows" "$(tail -5 "$dir/collectd.log")"; fi
if printf '%s\n' "$rows" | grep -qx 'bad.pd.test|sts|bad.pd.test|0|1' &&
   printf '%s\n' "$fails" | grep -q '^bad.pd.test|certificate-host-mismatch'; then
	ok "Postfix reported bad.pd.test: sts policy, certificate-host-mismatch"
else fail_out "bad.pd.test report" "$rows" "$fails"; fi
if printf '%s\n' "$rows" | grep -qx 'fail.pd.test|sts|fail.pd.test|0|1' &&
   printf '%s\n' "$fails" | grep -q '^fail.pd.test|sts-policy-fetch-error' &&
   printf '%s\n' "$rows" | grep -qx 'fail.pd.test|no-policy-found|fail.pd.test|1|0'; then
	ok "fetch error: policyd reported sts-policy-fetch-error, Postfix the session as no-policy-found"
else fail_out "fail.pd.test reports" "$rows" "$fails"; fi
if printf '%s\n' "$rows" | grep -qx 'testing.pd.test|no-policy-found|testing.pd.test|1|0' &&
   ! printf '%s\n' "$rows" | grep -q '^testing.pd.test|sts'; then
	ok "testing mode: reported as no-policy-found, no false sts success"
else fail_out "testing.pd.test reports" "$rows"; fi
tap_done
