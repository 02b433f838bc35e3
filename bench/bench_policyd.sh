#!/bin/sh
# bench_policyd.sh: cold `tlsrpt policyd` lookups: every lookup is a new
# domain, so a TXT lookup (unbound on loopback), a DANE check (MX lookup)
# and an HTTPS fetch (static_https.py, test CA) before the answer.
# BENCH_POLICYD_COLD_N domains (default 200).  Prints lookups/s and
# p50/p99 latency from bench_policyd --cold.  Then, if Debian's
# postfix-mta-sts-resolver is installed, says so (side by side needs the
# system resolver; see bench/README.md).
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
	rm -rf "$dir"
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
if dpkg-query -W -f='${Status}' postfix-mta-sts-resolver 2>/dev/null | grep -q 'install ok installed'; then
	echo "postfix-mta-sts-resolver is installed: not run side by side (it resolves with the system resolver only)"
else
	echo "postfix-mta-sts-resolver (Debian 1.1.2) not installed: no side-by-side figure"
fi
