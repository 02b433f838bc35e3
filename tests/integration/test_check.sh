#!/bin/sh
# `tlsrpt check` against real servers on loopback: unbound (tests/components/
# dns.sh) serving a check.test zone with good and broken domains, and a
# static HTTPS server (static_https.py, test CA from tests/components/https.sh)
# serving their MTA-STS policies.  Asserts findings and exit codes.
. "$(dirname "$0")/tap.sh"
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/tlsrpt-test-check.XXXXXX)
web_pid=""
cleanup() {
	[ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null
	bash "$COMPONENTS/dns.sh" stop "$dir/dns" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT

# ---- DNS ------------------------------------------------------------------
mkdir -p "$dir/dns/zones"
echo servfail.check.test > "$dir/dns/servfail.list"
echo timeout.check.test > "$dir/dns/timeout.list"
z="$dir/dns/zones/check.test.zone"
cat > "$z" <<'ZONE'
$ORIGIN check.test.
$TTL 300
@        IN SOA ns.check.test. hostmaster.check.test. 1 3600 600 86400 60
@        IN NS  ns.check.test.
ns       IN A   127.0.0.1
ZONE
# domain D gets an MX, an address for mx.D, mta-sts.D and reports.D
domain() {
	cat >> "$z" <<ZONE
$1            IN MX  10 mx.$1.check.test.
mx.$1         IN A   127.0.0.1
mta-sts.$1    IN A   127.0.0.1
reports.$1    IN A   127.0.0.1
_mta-sts.$1   IN TXT "v=STSv1; id=20261123T000000"
ZONE
}
for d in good badrec two none mxmismatch badpolicy redirect certbad testing dane xn--bcher-kva huge; do domain $d; done
cat >> "$z" <<'ZONE'
_smtp._tls.good       IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test,https://reports.good.check.test/tlsrpt"
_smtp._tls.badrec     IN TXT "v=TLSRPTv1; rua=mailto:a@badrec.check.test,b@badrec.check.test"
_smtp._tls.two        IN TXT "v=TLSRPTv1; rua=mailto:a@two.check.test"
_smtp._tls.two        IN TXT "v=TLSRPTv1; rua=mailto:b@two.check.test"
_smtp._tls.mxmismatch IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
_smtp._tls.badpolicy  IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
_smtp._tls.redirect   IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
_smtp._tls.certbad    IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
_smtp._tls.testing    IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
_smtp._tls.dane       IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
_smtp._tls.xn--bcher-kva IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
_smtp._tls.huge       IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.check.test"
_smtp._tls.alias      IN CNAME _smtp._tls.good.check.test.
alias                 IN MX  10 mx.good.check.test.
_smtp._tls.nomail     IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@nowhere.check.test"
nomail                IN MX  10 mx.good.check.test.
_25._tcp.mx.dane      IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ZONE
# signed zones (ldnsutils): dnssec.test validates with the trust anchor;
# bogus.test is signed with a key other than the anchored one
signed=0
if command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null; then
	mkdir -p "$dir/keys"
	for origin in dnssec.test bogus.test; do
		cat > "$dir/keys/$origin.zone" <<ZONE
\$ORIGIN $origin.
\$TTL 300
@           IN SOA ns.$origin. hostmaster.$origin. 1 3600 600 86400 60
@           IN NS  ns.$origin.
ns          IN A   127.0.0.1
@           IN MX  10 mx.$origin.
mx          IN A   127.0.0.1
_smtp._tls  IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@$origin"
_25._tcp.mx IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ZONE
		key=$(cd "$dir/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$origin")
		(cd "$dir/keys" && ldns-signzone "$origin.zone" "$key") &&
			cp "$dir/keys/$origin.zone.signed" "$dir/dns/zones/$origin.zone"
		[ "$origin" = bogus.test ] && key=$(cd "$dir/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$origin")
		cat "$dir/keys/$key.key" >> "$dir/anchors"
	done
	[ -s "$dir/dns/zones/dnssec.test.zone" ] && [ -s "$dir/dns/zones/bogus.test.zone" ] && signed=1
fi
if ! bash "$COMPONENTS/dns.sh" start "$dir/dns" > "$dir/dns.log" 2>&1; then
	fail "dns.sh start" "$(cat "$dir/dns.log")"
	exit 1
fi
eval "$(cat "$dir/dns/env")"

# ---- HTTPS: test CA, one certificate for every mta-sts host but certbad ----
sans=""
for d in good badrec two none mxmismatch badpolicy redirect testing dane xn--bcher-kva huge; do
	sans="$sans,DNS:mta-sts.$d.check.test,DNS:reports.$d.check.test"
done
TLS_EXTRA_SANS=${sans#,} bash "$COMPONENTS/https.sh" ca "$dir/tls" > "$dir/ca.log" 2>&1 ||
	{ fail "https.sh ca" "$(cat "$dir/ca.log")"; exit 1; }
www="$dir/www"
policy() { # DOMAIN BODY
	mkdir -p "$www/mta-sts.$1.check.test/.well-known"
	printf '%b' "$2" > "$www/mta-sts.$1.check.test/.well-known/mta-sts.txt"
}
good="version: STSv1\nmode: enforce\nmx: mx.%s.check.test\nmax_age: 604800\n"
for d in good badrec two none certbad dane xn--bcher-kva; do policy $d "$(printf "$good" $d)"; done
policy mxmismatch "version: STSv1\nmode: enforce\nmx: mail.elsewhere.test\nmax_age: 604800\n"
policy badpolicy "version: STSv1\nmode: enforcing\nmx: mx.badpolicy.check.test\nmax_age: 604800\n"
policy testing "version: STSv1\nmode: testing\nmx: *.testing.check.test\nmax_age: 3600\n"
# a policy over the 64 KiB limit (RFC 8461 §3.3): 1100 mx lines of 60 bytes
policy huge "$(printf "$good" huge)$(i=0; while [ $i -lt 1100 ]; do
	printf 'mx: host%04d.padding-padding-padding-padding.huge.check.test\\n' $i; i=$((i + 1)); done)"
mkdir -p "$www/mta-sts.redirect.check.test"
echo "301 https://mta-sts.good.check.test/.well-known/mta-sts.txt" > "$www/mta-sts.redirect.check.test/.status"
/usr/bin/python3 "$here/static_https.py" "$www" "$dir/tls/server.pem" "$dir/tls/server.key" "$dir/port" \
	2> "$dir/web.log" &
web_pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$dir/port" ] || { fail "static HTTPS server did not start" "$(cat "$dir/web.log")"; exit 1; }
port=$(cat "$dir/port")

# ---- the checks -----------------------------------------------------------
# fail() prints details as given: prefix every line so output lines that
# start with "ok" are not counted as TAP results
fail_out() { d1=$1; shift; fail "$d1" "$(printf '%s\n' "$@" | sed 's/^/# /')"; }
run() { # DOMAIN [extra args]: sets $out and $rc
	d=$1; shift
	out=$("$TLSRPT" check --resolver "$DNS_SERVER" --cacert "$dir/tls/ca.pem" \
		--connect-to "::127.0.0.1:$port" --timeout 3 "$@" "$d" 2>&1)
	rc=$?
}
expect() { # DESCRIPTION WANT-RC REGEX...
	desc=$1 want=$2; shift 2
	if [ "$rc" != "$want" ]; then fail_out "$desc: exit $rc, want $want" "$out"; return; fi
	for re in "$@"; do
		if ! printf '%s\n' "$out" | grep -Eq -- "$re"; then fail_out "$desc: no line matching /$re/" "$out"; return; fi
	done
	ok "$desc"
}

run good.check.test
expect "good domain: exit 0, record, rua targets and policy ok" 0 \
	'^ok +tlsrpt.record: TLSRPT record at _smtp._tls.good.check.test' \
	'^ok +tlsrpt.rua: mailto:tlsrpt@good.check.test: good.check.test receives mail' \
	'^ok +tlsrpt.rua: https://reports.good.check.test/tlsrpt answers over HTTPS with a valid certificate' \
	'^ok +mta-sts.policy: policy at https://mta-sts.good.check.test/.well-known/mta-sts.txt: mode enforce' \
	'^ok +mta-sts.mx: every MX host matches' '^worst: ok$'

run good.check.test --json
if printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["domain"] == "good.check.test" and d["worst"] == "ok", d
assert all(set(f) == {"check", "severity", "message", "fix"} for f in d["findings"])
assert any(f["check"] == "tlsrpt.record" and f["severity"] == "ok" for f in d["findings"])
' 2> "$dir/json.err"; then ok "--json: a JSON document with domain, findings, worst"
else fail_out "--json output" "$out" "$(cat "$dir/json.err")"; fi

run badrec.check.test
expect "raw comma in rua: error exit, says encode as %2C" 5 \
	"^ERROR tlsrpt.record: .*encode ',' inside a URI as %2C" '^worst: error$'

run two.check.test
expect "two TLSRPT records: error" 5 '^ERROR tlsrpt.record: .*2 TLSRPT records' \
	'fix: keep exactly one v=TLSRPTv1 TXT record'

run none.check.test
expect "no TLSRPT record: error with an example record as fix" 5 \
	'^ERROR tlsrpt.record: no TLSRPT record at _smtp._tls.none.check.test \((nxdomain|nodata)\)' \
	'fix: publish one TXT record: _smtp._tls.none.check.test. TXT "v=TLSRPTv1; rua=mailto:'

run alias.check.test
expect "CNAME chain shown (REC-25)" 4 \
	'^ok +tlsrpt.record: CNAME chain followed: _smtp._tls.alias.check.test -> _smtp._tls.good.check.test' \
	'^ok +tlsrpt.record: TLSRPT record at _smtp._tls.alias.check.test'

run "b$(printf '\303\274')cher.check.test"
expect "IDN domain queried in A-labels (REC-26)" 0 'queried as xn--bcher-kva.check.test' \
	'^ok +tlsrpt.record: TLSRPT record at _smtp._tls.xn--bcher-kva.check.test'

run nomail.check.test
expect "rua domain that does not exist: error" 5 \
	'^ERROR tlsrpt.rua: mailto:tlsrpt@nowhere.check.test: domain nowhere.check.test does not exist'

run mxmismatch.check.test
expect "MX not covered by the policy: error naming the host and the fix" 5 \
	'^ERROR mta-sts.mx: MX host mx.mxmismatch.check.test matches no mx pattern.*will not deliver' \
	'fix: add "mx: mx.mxmismatch.check.test"' '^WARN +mta-sts.mx: mx pattern "mail.elsewhere.test" matches none'

run badpolicy.check.test
expect "invalid policy: error with the line number" 5 \
	'^ERROR mta-sts.policy: policy at .* is invalid: line 2: mode "enforcing" is not one of enforce, testing, none'

run redirect.check.test
expect "policy behind a redirect: error, only 200 is valid" 5 \
	'^ERROR mta-sts.policy: .* answered HTTP 301: only 200 is valid'

run certbad.check.test
expect "policy host certificate not valid: error" 5 '^ERROR mta-sts.policy: certificate of mta-sts.certbad.check.test is not valid'

run huge.check.test
expect "policy over 64 KiB: refused, the limit named" 5 \
	'^ERROR mta-sts.policy: policy cannot be fetched: .*larger than 65536 bytes'

run testing.check.test
expect "mode testing and short max_age: warning exit" 4 \
	'^ok +mta-sts.policy: mode testing' '^WARN +mta-sts.policy: max_age 3600 is less than a day' '^worst: warning$'

run dane.check.test
expect "TLSA without DNSSEC: warning that it is useless for DANE" 4 \
	'^ok +dane.tlsa: 1 TLSA record at _25._tcp.mx.dane.check.test \(1 usable for SMTP\): 3 1 1 0123456789ABCDEF' \
	'^WARN +dane.tlsa: TLSA records at _25._tcp.mx.dane.check.test are not DNSSEC-secure: without DNSSEC they are useless for DANE'

if [ "$signed" = 1 ]; then
	run dnssec.test --trust-anchor "$dir/anchors"
	expect "signed zone with TLSA 3 1 1: DNSSEC-secure, DANE in force, exit 0 without MTA-STS" 0 \
		'^ok +tlsrpt.record: TLSRPT record at _smtp._tls.dnssec.test \(DNSSEC-secure\)' \
		'^ok +dane.tlsa: DANE is in force for mx.dnssec.test' '^worst: ok$'
	run bogus.test --trust-anchor "$dir/anchors"
	expect "zone signed with a key other than the trust anchor: bogus, error" 5 \
		'^ERROR tlsrpt.record: DNSSEC validation failed for _smtp._tls.bogus.test'
	run dnssec.test
	expect "same signed zone without a trust anchor: TLSA not secure, warning" 4 \
		'^WARN +dane.tlsa: TLSA records at _25._tcp.mx.dnssec.test are not DNSSEC-secure'
else
	ok "# SKIP DNSSEC cases: ldns-signzone not installed (ldnsutils)"
fi

run servfail.check.test
expect "SERVFAIL: error, temporary (REC-28)" 5 \
	'^ERROR tlsrpt.record: lookup of _smtp._tls.servfail.check.test failed temporarily \(servfail'

start=$(date +%s)
run timeout.check.test --timeout 1
secs=$(( $(date +%s) - start ))
expect "dead name servers: timeout finding" 5 '^ERROR tlsrpt.record: lookup of _smtp._tls.timeout.check.test failed temporarily \((timeout|servfail)'
if [ "$secs" -le 12 ]; then ok "timeouts are enforced (${secs}s for the whole check)"
else fail "check of a dead domain took ${secs}s"; fi

# a local resolver that does not answer (nothing listens on the port) is
# not the domain's fault: said so, exit 3
out=$("$TLSRPT" check --resolver 127.0.0.1@9 --timeout 1 servfail.check.test 2>&1); rc=$?
expect "local resolver down: said so, exit 3" 3 \
	'^tlsrpt check: the local resolver \(127\.0\.0\.1@9\) does not answer: the lookup of check\.test failed too'
run "" ; [ "$rc" = 2 ] && ok "empty domain: usage error" || fail_out "empty domain: exit $rc" "$out"
"$TLSRPT" check >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && ok "no domain: usage exit 2" || fail "no domain: exit $rc"
tap_done
