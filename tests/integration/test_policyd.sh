#!/bin/sh
# `tlsrpt policyd` against real servers on loopback: unbound (tests/components/
# dns.sh) with the _mta-sts records (and a DNSSEC-signed zone with TLSA
# records), a static HTTPS server (static_https.py, test CA from
# tests/components/https.sh) serving the policies, `tlsrpt collectd`
# receiving the failures policyd reports.  A socketmap client
# (socketmap.py) asks as Postfix does.
. "$(dirname "$0")/tap.sh"
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/tlsrpt-test-policyd.XXXXXX)
web_pid="" pd_pid="" col_pid=""
cleanup() {
	[ -n "$pd_pid" ] && kill "$pd_pid" 2>/dev/null
	[ -n "$col_pid" ] && kill "$col_pid" 2>/dev/null
	[ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null
	bash "$COMPONENTS/dns.sh" stop "$dir/dns" >/dev/null 2>&1
	sleep 0.2
	rm -rf "$dir"
}
trap cleanup EXIT
fail_out() { d1=$1; shift; fail "$d1" "$(printf '%s\n' "$@" | sed 's/^/# /')"; }

# ---- DNS ------------------------------------------------------------------
mkdir -p "$dir/dns/zones"
z="$dir/dns/zones/pd.test.zone"
zone() { # writes pd.test with the _mta-sts ids given as NAME=ID arguments
	cat > "$z" <<'ZONE'
$ORIGIN pd.test.
$TTL 1
@        IN SOA ns.pd.test. hostmaster.pd.test. 1 3600 600 86400 1
@        IN NS  ns.pd.test.
ns       IN A   127.0.0.1
ZONE
	for d in good testing nonemode nopolicy fail certbad redirect huge slow change keep expire badct; do
		cat >> "$z" <<ZONE
$d            IN MX  10 mx.$d.pd.test.
mx.$d         IN A   127.0.0.1
mta-sts.$d    IN A   127.0.0.1
ZONE
	done
	for a in "$@"; do
		echo "_mta-sts.${a%%=*} IN TXT \"v=STSv1; id=${a#*=}\"" >> "$z"
	done
}
ids="good=1 testing=1 nonemode=1 fail=1 certbad=1 redirect=1 huge=1 slow=1 change=1 keep=1 expire=1 badct=1"
zone $ids
signed=0
if command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null; then
	mkdir -p "$dir/keys"
	cat > "$dir/keys/pdsec.test.zone" <<'ZONE'
$ORIGIN pdsec.test.
$TTL 300
@           IN SOA ns.pdsec.test. hostmaster.pdsec.test. 1 3600 600 86400 60
@           IN NS  ns.pdsec.test.
ns          IN A   127.0.0.1
@           IN MX  10 mx.pdsec.test.
mx          IN A   127.0.0.1
mta-sts     IN A   127.0.0.1
_mta-sts    IN TXT "v=STSv1; id=1"
_25._tcp.mx IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ZONE
	key=$(cd "$dir/keys" && ldns-keygen -a ECDSAP256SHA256 -k pdsec.test)
	(cd "$dir/keys" && ldns-signzone pdsec.test.zone "$key") &&
		cp "$dir/keys/pdsec.test.zone.signed" "$dir/dns/zones/pdsec.test.zone" &&
		cat "$dir/keys/$key.key" > "$dir/anchors" && signed=1
fi
if ! bash "$COMPONENTS/dns.sh" start "$dir/dns" > "$dir/dns.log" 2>&1; then
	fail "dns.sh start" "$(cat "$dir/dns.log")"
	exit 1
fi
eval "$(cat "$dir/dns/env")"

# ---- HTTPS -----------------------------------------------------------------
sans=""
for d in good testing nonemode nopolicy fail redirect huge slow change keep expire badct; do
	sans="$sans,DNS:mta-sts.$d.pd.test"
done
sans="$sans,DNS:mta-sts.pdsec.test"
TLS_EXTRA_SANS=${sans#,} bash "$COMPONENTS/https.sh" ca "$dir/tls" > "$dir/ca.log" 2>&1 ||
	{ fail "https.sh ca" "$(cat "$dir/ca.log")"; exit 1; }
www="$dir/www"
policy() { # DOMAIN BODY
	mkdir -p "$www/mta-sts.$1/.well-known"
	printf '%b' "$2" > "$www/mta-sts.$1/.well-known/mta-sts.txt"
}
enforce="version: STSv1\nmode: enforce\nmx: mx.%s\nmx: *.backup.%s\nmax_age: 604800\n"
for d in good certbad slow keep; do policy $d.pd.test "$(printf "$enforce" $d.pd.test $d.pd.test)"; done
policy pdsec.test "$(printf "$enforce" pdsec.test pdsec.test)"
policy testing.pd.test "version: STSv1\nmode: testing\nmx: mx.testing.pd.test\nmax_age: 86400\n"
policy nonemode.pd.test "version: STSv1\nmode: none\nmax_age: 86400\n"
policy change.pd.test "version: STSv1\nmode: enforce\nmx: mx1.change.pd.test\nmax_age: 86400\n"
policy expire.pd.test "version: STSv1\nmode: enforce\nmx: mx.expire.pd.test\nmax_age: 3\n"
policy badct.pd.test "version: STSv1\nmode: enforce\nmx: mx.badct.pd.test\nmax_age: 86400\n"
echo "text/html" > "$www/mta-sts.badct.pd.test/.content-type"
mkdir -p "$www/mta-sts.fail.pd.test"        # no policy file: 404
mkdir -p "$www/mta-sts.redirect.pd.test"
echo "301 https://mta-sts.good.pd.test/.well-known/mta-sts.txt" > "$www/mta-sts.redirect.pd.test/.status"
policy huge.pd.test "$(printf "$enforce" huge.pd.test huge.pd.test)\\n$(i=0; while [ $i -lt 1200 ]; do
	printf 'mx: host%04d.padding-padding-padding-padding.huge.pd.test\\n' $i; i=$((i + 1)); done)"
echo 30 > "$www/mta-sts.slow.pd.test/.delay"
/usr/bin/python3 "$here/static_https.py" "$www" "$dir/tls/server.pem" "$dir/tls/server.key" "$dir/port" \
	2> "$dir/web.log" &
web_pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$dir/port" ] || { fail "static HTTPS server did not start" "$(cat "$dir/web.log")"; exit 1; }
port=$(cat "$dir/port")

# ---- the collector, for the failures policyd reports -----------------------
"$TLSRPT" collectd --socket "$dir/collect.sock" --db "sqlite:$dir/collect.db" --flush-ms 20 \
	--foreground 2> "$dir/collectd.log" &
col_pid=$!

# ---- policyd ----------------------------------------------------------------
sock="$dir/policyd.sock"
anchor=""
[ "$signed" = 1 ] && anchor="--trust-anchor $dir/anchors"
start_policyd() { # extra options
	rm -f "$dir/policyd.log"
	# shellcheck disable=SC2086
	"$TLSRPT" policyd --socket "$sock" --listen 127.0.0.1:0 --db "sqlite:$dir/policyd.db" \
		--collector-socket "$dir/collect.sock" --resolver "$DNS_SERVER" $anchor \
		--cacert "$dir/tls/ca.pem" --connect-to "::127.0.0.1:$port" --dns-timeout 2 \
		--fetch-timeout 2 --answer-timeout 3 --check-interval 1 --retry-interval 1 \
		--foreground -v "$@" 2> "$dir/policyd.log" &
	pd_pid=$!
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
stop_policyd() { kill "$pd_pid" 2>/dev/null; wait "$pd_pid" 2>/dev/null; pd_pid=""; }
q() { out=$(/usr/bin/python3 "$here/socketmap.py" "$sock" "$@" 2> "$dir/q.err"); }
expect() { # DESCRIPTION WANT (exact)
	if [ "$out" = "$2" ]; then ok "$1"; else fail_out "$1" "got:  $out" "want: $2"; fi
}
expect_re() { # DESCRIPTION REGEX
	if printf '%s\n' "$out" | grep -Eq -- "$2"; then ok "$1"; else fail_out "$1" "got: $out" "want /$2/"; fi
}
logged() { # DESCRIPTION REGEX
	if grep -Eq -- "$2" "$dir/policyd.log"; then ok "$1"; else fail_out "$1" "no log line /$2/" "$(cat "$dir/policyd.log")"; fi
}

start_policyd --listen 127.0.0.1:0 --no-dane-first
sec_good="OK secure match=mx.good.pd.test:.backup.good.pd.test servername=hostname policy_type=sts policy_domain=good.pd.test mx_host_pattern=mx.good.pd.test mx_host_pattern=*.backup.good.pd.test { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: mx.good.pd.test } { policy_string = mx: *.backup.good.pd.test } { policy_string = max_age: 604800 }"
q "sts good.pd.test"
expect "enforce: secure, match= with .wildcards, TLSRPT attributes with *.patterns, policy strings in order" "$sec_good"
q "sts Good.PD.test." "sts good.pd.test:25"
expect "key lower-cased, trailing dot and :25 dropped" "$sec_good
$sec_good"
q "sts .pd.test" "sts [127.0.0.1]" "sts 192.0.2.1" "sts [mx.good.pd.test]:2525"
expect "leading dot, bracketed, IP: NOTFOUND" "NOTFOUND 
NOTFOUND 
NOTFOUND 
NOTFOUND "
q "sts good.pd.test:2525"
expect "transport nexthop domain:port: the domain's policy" "$sec_good"
q "sts testing.pd.test" "sts nonemode.pd.test" "sts nopolicy.pd.test"
expect "testing, none and no record: NOTFOUND" "NOTFOUND 
NOTFOUND 
NOTFOUND "

q "sts fail.pd.test"
expect "TXT record, policy 404, nothing cached: NOTFOUND (deliver, RFC 8461)" "NOTFOUND "
logged "fetch error logged with the domain and the status" 'domain=fail.pd.test: MTA-STS policy sts-policy-fetch-error: .*HTTP 404'
q "sts redirect.pd.test"
expect "redirecting policy host: NOTFOUND" "NOTFOUND "
logged "redirect: clear log line" 'domain=redirect.pd.test: MTA-STS policy sts-policy-fetch-error: .*HTTP 301 \(a redirect: not followed'
q "sts certbad.pd.test"
expect "certificate without the mta-sts name: NOTFOUND" "NOTFOUND "
logged "certificate: sts-webpki-invalid logged" 'domain=certbad.pd.test: MTA-STS policy sts-webpki-invalid'
q "sts huge.pd.test"
expect "policy over 64 KiB: NOTFOUND" "NOTFOUND "
logged "huge policy: refused, the limit named" 'domain=huge.pd.test: .*larger than 65536 bytes'
q "sts badct.pd.test"
expect "policy served as text/html: NOTFOUND" "NOTFOUND "
logged "wrong media type: sts-policy-invalid" 'domain=badct.pd.test: MTA-STS policy sts-policy-invalid: .*text/html'
start=$(date +%s)
q "sts slow.pd.test"
took=$(( $(date +%s) - start ))
expect "slow policy host: NOTFOUND" "NOTFOUND "
if [ "$took" -le 4 ]; then ok "slow policy host: answered in ${took}s (fetch timeout 2 s, answer timeout 3 s)"
else fail "slow policy host: answered after ${took}s"; fi
logged "slow host: timeout logged" 'domain=slow.pd.test: MTA-STS policy sts-policy-fetch-error: .*(timed out|Timeout)'

# the failures only policyd saw reach the collector: one failed sts session each
# (the collector counts in memory and stores every 2 s: wait up to 10 s)
for _ in $(seq 1 50); do
	[ "$(sqlite3 "$dir/collect.db" "SELECT count(*) FROM result_failures" 2>/dev/null)" != 0 ] &&
		break
	sleep 0.2
done
sleep 2.5
rows=$(sqlite3 "$dir/collect.db" "SELECT t.domain, t.policy_type, t.policy_domain, f.result_type, f.failed_count
	FROM result_failures f JOIN result_tuples t ON t.key = f.policy ORDER BY t.domain" 2>&1)
for want in "fail.pd.test|sts|fail.pd.test|sts-policy-fetch-error|1" \
	"certbad.pd.test|sts|certbad.pd.test|sts-webpki-invalid|1" \
	"badct.pd.test|sts|badct.pd.test|sts-policy-invalid|1" \
	"redirect.pd.test|sts|redirect.pd.test|sts-policy-fetch-error|1"; do
	if printf '%s\n' "$rows" | grep -qxF "$want"; then ok "reported to the collector: $want"
	else fail_out "not reported: $want" "$rows" "$(cat "$dir/collectd.log")"; fi
done
if printf '%s\n' "$rows" | grep -q 'good.pd.test\|testing.pd.test\|nopolicy'; then
	fail_out "nothing reported for good, testing or no-policy domains" "$rows"
else ok "nothing reported for good, testing or no-policy domains"; fi

# malformed netstrings: PERM, connection closed, the server stays up
out=$(/usr/bin/python3 "$here/socketmap.py" "$sock" --raw 'abc:xyz,' 2>&1)
expect_re "non-digit length: PERM answer and close" '^18:PERM bad netstring,'
out=$(/usr/bin/python3 "$here/socketmap.py" "$sock" --raw '99999999:' 2>&1)
expect_re "length over the limit: PERM answer and close" 'PERM bad netstring'
out=$(/usr/bin/python3 "$here/socketmap.py" "$sock" --raw '5:abcdeX' 2>&1)
expect_re "no ',' after the payload: PERM" 'PERM bad netstring'
q "nokey"
expect "request without a key: PERM" "PERM request is not \"name key\""
logged "malformed input logged" 'client: netstring: '
q "sts good.pd.test"
expect "server still answers after bad input" "$sec_good"

# loopback TCP: the same answers
tcp=$(sed -n 's/.*listening on tcp //p' "$dir/policyd.log")
out=$(/usr/bin/python3 "$here/socketmap.py" "$tcp" "sts good.pd.test" 2> "$dir/q.err")
expect "loopback TCP ($tcp): the same answer" "$sec_good"
if "$TLSRPT" policyd --socket "" --listen 192.0.2.1:1 --db "sqlite:$dir/x.db" --foreground \
	> "$dir/nl.out" 2>&1; then fail "non-loopback listen address accepted"
elif grep -q "only loopback" "$dir/nl.out"; then ok "non-loopback listen address refused with the reason"
else fail_out "non-loopback listen: unclear error" "$(cat "$dir/nl.out")"; fi

# counters: SIGUSR1 logs them
kill -USR1 "$pd_pid"; sleep 1.2
logged "SIGUSR1: stats line with lookups, cache hits, fetch failures" 'stats: requests=[0-9]+ lookups=[0-9]+ cache_hits=[1-9][0-9]* .*fetch_failures=[1-9]'

# ---- the cache: store, id change, failed refresh, max_age expiry ---------
q "sts keep.pd.test" "sts change.pd.test" "sts expire.pd.test"
expect_re "keep, change, expire: first policies" '^OK secure match=mx\.keep\.pd\.test.*
OK secure match=mx1\.change\.pd\.test .*
OK secure match=mx\.expire\.pd\.test '
echo "500" > "$www/mta-sts.keep.pd.test/.status"
echo "500" > "$www/mta-sts.expire.pd.test/.status"
echo "500" > "$www/mta-sts.good.pd.test/.status"
policy change.pd.test "version: STSv1\nmode: enforce\nmx: mx2.change.pd.test\nmax_age: 86400\n"
zone $(echo "$ids" | sed 's/keep=1/keep=2/; s/change=1/change=2/')
bash "$COMPONENTS/dns.sh" reload "$dir/dns" > /dev/null 2>&1
sleep 1.5
q "sts keep.pd.test" "sts change.pd.test"      # the TXT checks are due: resolved behind the answers
sleep 2.5
q "sts change.pd.test"
expect_re "TXT id changed: the new policy is fetched and used" '^OK secure match=mx2\.change\.pd\.test '
q "sts keep.pd.test"
expect_re "id changed but the fetch fails: the cached policy is kept" '^OK secure match=mx\.keep\.pd\.test'
logged "failed refresh logged" 'domain=keep.pd.test: MTA-STS policy sts-policy-fetch-error: .*HTTP 500'
q "sts expire.pd.test"
expect "max_age over, refetch fails: no policy any more (NOTFOUND)" "NOTFOUND "
for _ in $(seq 1 50); do         # stored within the collector's 2 s window
	n=$(sqlite3 "$dir/collect.db" "SELECT count(*) FROM result_tuples WHERE domain = 'expire.pd.test' AND policy_type = 'sts'")
	[ "$n" = 1 ] && break
	sleep 0.2
done
if [ "$n" = 1 ]; then ok "expired policy whose refetch failed: reported"; else fail "expire.pd.test not reported ($n)"; fi
if grep -q 'keep.pd.test' "$dir/collect.db" 2>/dev/null && sqlite3 "$dir/collect.db" \
	"SELECT domain FROM result_tuples" | grep -qx keep.pd.test; then
	fail "a failed refresh with a cached policy was reported (the cached policy was used)"
else ok "failed refresh with a cached policy: not reported (the sessions used the cached policy)"; fi

# the store keeps policies across a restart: good.pd.test now fails to fetch
stop_policyd
start_policyd --listen 127.0.0.1:0 --no-dane-first
q "sts good.pd.test"
expect "after a restart, the stored policy answers (its host now fails)" "$sec_good"
logged "policies read from the store at start" '[0-9]+ MTA-STS policies read from the store'
stop_policyd

# ---- answer variants -------------------------------------------------------
start_policyd --no-dane-first --enforce-testing --fetch-failure defer
q "sts testing.pd.test" "sts fail.pd.test"
expect "--enforce-testing and --fetch-failure defer" "OK secure match=mx.testing.pd.test servername=hostname policy_type=sts policy_domain=testing.pd.test mx_host_pattern=mx.testing.pd.test { policy_string = version: STSv1 } { policy_string = mode: testing } { policy_string = mx: mx.testing.pd.test } { policy_string = max_age: 86400 }
OK secure match=hostname servername=hostname policy_type=sts policy_domain=fail.pd.test policy_failure=sts-policy-fetch-error"
stop_policyd
start_policyd --no-dane-first --no-tlsrpt-attributes --fetch-failure defer
q "sts good.pd.test" "sts fail.pd.test"
expect "--no-tlsrpt-attributes (Postfix <= 3.9): level and match only; defer is TEMP" "OK secure match=mx.good.pd.test:.backup.good.pd.test servername=hostname
TEMP MTA-STS policy of fail.pd.test: sts-policy-fetch-error"
stop_policyd

# ---- DANE first -----------------------------------------------------------
if [ "$signed" = 1 ]; then
	start_policyd
	q "sts pdsec.test" "sts good.pd.test"
	expect "DNSSEC MX with TLSA: dane; unsigned domain: MTA-STS" "OK dane
$sec_good"
	stop_policyd
	start_policyd --no-dane-first
	q "sts pdsec.test"
	expect_re "--no-dane-first: the MTA-STS policy of the DANE domain" '^OK secure match=mx\.pdsec\.test'
	stop_policyd
else
	ok "DANE first # SKIP ldnsutils (ldns-signzone) not installed"
fi

# ---- --query -----------------------------------------------------------------
out=$("$TLSRPT" policyd --query change.pd.test --db "sqlite:$dir/q.db" --resolver "$DNS_SERVER" \
	--cacert "$dir/tls/ca.pem" --connect-to "::127.0.0.1:$port" --no-dane-first 2>&1)
expect_re "--query prints the policy and the answer" 'mode: enforce'
expect_re "--query: answer line" '^answer: OK secure match=mx2\.change\.pd\.test'
out=$("$TLSRPT" policyd --query "[1.2.3.4]" --db "sqlite:$dir/q.db" 2>&1)
expect_re "--query of a bracketed next hop: says why" 'bracketed next hop'

tap_done
