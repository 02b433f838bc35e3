#!/bin/sh
# bench_postfix.sh: what TLSRPT costs a real Postfix.  A sending Postfix
# (tests/components/postfix.sh, built with -DUSE_TLSRPT against our
# libtlsrpt) delivers BENCH_POSTFIX_N mails (default 300), each on a new
# TLS connection, to a second Postfix on loopback that accepts with
# STARTTLS and discards.  Rounds alternate smtp_tlsrpt_enable = no / yes
# (with `tlsrpt collectd` storing the events), BENCH_POSTFIX_ROUNDS each
# (default 3); each round: queue the mails held, release them at once, time
# until the log shows all sent.  Prints deliveries/s per round and the
# ratio of the medians, yes / no.  Target (bench/README.md): cost < 2 %.
# Needs root and the Postfix tarball (../shared/postfix); says why if not.
set -u
N=${BENCH_POSTFIX_N:-300}
ROUNDS=${BENCH_POSTFIX_ROUNDS:-3}
SRC=${TLSRPT_SRC:-$PWD}
C=$SRC/tests/components
PF="bash $C/postfix.sh"
TLSRPT=${TLSRPT:-$SRC/${TLSRPT_O:-build}/tlsrpt}
[ "$(id -u)" = 0 ] || { echo "bench_postfix: skipped: needs root"; exit 0; }
if ! out=$($PF build 2>&1); then echo "bench_postfix: skipped: $out" | tail -n 3; exit 0; fi

T=$(mktemp -d /tmp/bench-postfix.XXXXXX); chmod 755 "$T"
CPID=
cleanup() {
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null
	$PF stop "$T/send" >/dev/null 2>&1; $PF stop "$T/sink" >/dev/null 2>&1
	"$C/dns.sh" stop "$T/dns" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# the receiving Postfix: STARTTLS with a CA-signed certificate, discards
"$C/https.sh" ca "$T/tls" >/dev/null
cat > "$T/sink.cf" <<EOF
mydestination =
relay_domains = bench.example.test
transport_maps = inline:{ bench.example.test=discard: }
smtpd_tls_security_level = may
smtpd_tls_cert_file = $T/tls/server.pem
smtpd_tls_key_file = $T/tls/server.key
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 100
EOF
$PF start "$T/sink" "$T/sink.cf" > "$T/sink.env" || { echo "bench_postfix: sink did not start"; cat "$T/sink.env"; exit 1; }
SINK_PORT=$(sed -n 's/^POSTFIX_SMTPD_PORT=//p' "$T/sink.env")

mkdir -p "$T/dns/zones"
cat > "$T/dns/zones/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 3600
@          IN SOA ns.example.test. h.example.test. 1 3600 600 86400 60
@          IN NS  ns.example.test.
ns         IN A   127.0.0.1
bench      IN MX  10 mx.example.test.
mx         IN A   127.0.0.1
_smtp._tls.bench IN TXT "v=TLSRPTv1; rua=mailto:tls@example.test"
EOF
A53="127.53.$(( $$ % 200 + 20 )).$(( $$ % 250 + 1 ))"
DNS_LISTEN_ADDR=$A53 DNS_LISTEN_PORT=53 "$C/dns.sh" start "$T/dns" >/dev/null || { echo "bench_postfix: dns did not start"; exit 1; }
printf 'nameserver %s\n' "$A53" > "$T/resolv.conf"

# the sending Postfix and the collector, its socket under $queue_directory
mkdir -p "$T/send/spool/run/tlsrpt"
"$TLSRPT" collectd --socket "$T/send/spool/run/tlsrpt/tlsrpt.sock" --db "sqlite:$T/results.db" \
	--foreground --stats-secs 0 --socket-mode 0660 --socket-group postfix > "$T/collectd.log" 2>&1 &
CPID=$!
cat > "$T/send.cf" <<EOF
transport_maps = inline:{ bench.example.test=smtp:bench.example.test:$SINK_PORT }
smtp_tls_CAfile = $T/tls/ca.pem
smtp_tls_security_level = may
smtp_tlsrpt_socket_name = run/tlsrpt/tlsrpt.sock
smtp_tlsrpt_skip_reused_handshakes = no
smtp_tls_session_cache_database =
smtp_connection_cache_on_demand = no
default_destination_concurrency_limit = 20
default_process_limit = 100
EOF
POSTFIX_RESOLV_CONF=$T/resolv.conf $PF start "$T/send" "$T/send.cf" > "$T/send.env" || { echo "bench_postfix: sender did not start"; exit 1; }
SEND_PORT=$(sed -n 's/^POSTFIX_SMTPD_PORT=//p' "$T/send.env")
LOG=$T/send/maillog

# queue N mails, held (one SMTP session, N messages)
queue_held() {
	/usr/bin/python3 - "$SEND_PORT" "$N" <<'EOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    s.sendmail("bench@postfix.test", ["u%d@bench.example.test" % i],
               "From: bench@postfix.test\r\nSubject: bench %d\r\n\r\nx\r\n" % i)
s.quit()
EOF
}
round() { # yes|no
	sed -i "s/^smtp_tlsrpt_enable = .*/smtp_tlsrpt_enable = $1/" "$T/send/etc/main.cf"
	grep -q '^smtp_tlsrpt_enable' "$T/send/etc/main.cf" || echo "smtp_tlsrpt_enable = $1" >> "$T/send/etc/main.cf"
	grep -q '^smtpd_end_of_data_restrictions' "$T/send/etc/main.cf" ||
		echo "smtpd_end_of_data_restrictions = check_client_access static:HOLD" >> "$T/send/etc/main.cf"
	$PF reload "$T/send" > /dev/null; sleep 1
	queue_held
	sent0=$(grep -c 'status=sent' "$LOG"); ev0=$(grep -c 'TLSRPT: status=' "$LOG")
	t0=$(date +%s.%N)
	$PF cmd "$T/send" postsuper -H ALL > /dev/null 2>&1
	$PF flush "$T/send" > /dev/null 2>&1
	$PF wait-log "$T/send" 'status=sent' $((sent0 + N)) 300 || { echo "bench_postfix: not all sent"; exit 1; }
	t1=$(date +%s.%N)
	ev=$(( $(grep -c 'TLSRPT: status=' "$LOG") - ev0 ))
	rate=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')
	printf '  tlsrpt %-3s  %5d deliveries in %6.2f s  %7.1f deliveries/s  (%d TLSRPT events)\n' \
		"$1" "$N" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$rate" "$ev"
	[ -n "${warmup:-}" ] || echo "$1 $rate" >> "$T/rates"
}
echo "  $N mails a round, each a new TLS connection to a discarding Postfix; load $(cut -d' ' -f1-3 /proc/loadavg)"
warmup=1; round no > /dev/null; warmup=    # warm-up (processes, DNS cache), not counted
i=0
while [ $i -lt "$ROUNDS" ]; do round no; round yes; i=$((i + 1)); done
med() { grep "^$1 " "$T/rates" | cut -d' ' -f2 | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
no=$(med no); yes=$(med yes)
awk -v no="$no" -v yes="$yes" 'BEGIN { printf "  median: no %.1f/s, yes %.1f/s; ratio yes/no = %.3f (cost %.1f %%; target < 2 %%)\n", no, yes, yes / no, (1 - yes / no) * 100 }'
kill "$CPID"; wait "$CPID"; CPID=
echo "  collector stored $(sqlite3 "$T/results.db" 'SELECT COALESCE(SUM(total_success + total_failure), 0) FROM result_policies' 2>/dev/null || echo '?') results"
