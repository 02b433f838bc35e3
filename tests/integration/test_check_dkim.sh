#!/bin/sh
# `tlsrpt check --dkim-selector SEL DOMAIN [--dkim-key FILE]` against a real
# unbound (tests/components/dns.sh) serving a dkim.test zone with DKIM key
# records made from real keys (opendkim-genkey, via tests/components/dkim.sh):
# no s=, s=email only, s=email:tlsrpt, revoked, missing, two records, t=y,
# a key other than --dkim-key's, SERVFAIL.  Asserts findings and exit codes
# (tlsrpt-check(1): 0 ok, 4 warning, 5 error, 2 usage).  `tlsrpt send`
# logging the same findings is tested in test_send.sh.
. "$(dirname "$0")/tap.sh"
PATH="$PATH:/usr/sbin"
if ! command -v unbound >/dev/null || ! command -v opendkim-genkey >/dev/null; then
	echo "ok 1 # SKIP unbound or opendkim-genkey not installed (sh scripts/install-deps.sh)"; exit 0
fi
dir=$(mktemp -d /tmp/tlsrpt-test-check-dkim.XXXXXX)
cleanup() {
	bash "$COMPONENTS/dns.sh" stop "$dir/dns" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT

# ---- keys and zone ---------------------------------------------------------
for k in a b; do
	bash "$COMPONENTS/dkim.sh" genkey "$dir/key-$k" dkim.test "$k" > "$dir/genkey-$k.log" 2>&1 ||
		{ fail "dkim.sh genkey $k" "$(cat "$dir/genkey-$k.log")"; exit 1; }
done
PA=$(sed 's/.*p=//' "$dir/key-a/a.record")
PB=$(sed 's/.*p=//' "$dir/key-b/b.record")
[ ${#PA} -gt 300 ] && [ ${#PB} -gt 300 ] && [ "$PA" != "$PB" ] ||
	{ fail "two 2048-bit public keys" "A=$PA" "B=$PB"; exit 1; }
PA_RE=$(printf '%s' "$PA" | sed 's/+/\\+/g')   # for grep -E: base64 has '+'
KEY_A="$dir/key-a/a.private"
mkdir -p "$dir/dns/zones"
echo servfail.dkim.test > "$dir/dns/servfail.list"
z="$dir/dns/zones/dkim.test.zone"
cat > "$z" <<'ZONE'
$ORIGIN dkim.test.
$TTL 300
@        IN SOA ns.dkim.test. hostmaster.dkim.test. 1 3600 600 86400 60
@        IN NS  ns.dkim.test.
ns       IN A   127.0.0.1
ZONE
# rec SELECTOR "TAGS; " PVALUE: one TXT record, p= cut into strings of at
# most 200 bytes as in real zones (a TXT string holds 255 at most)
rec() {
	printf '%s._domainkey IN TXT ( "%s" %s )\n' "$1" "$2" \
		"$(printf 'p=%s' "$3" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' ')" >> "$z"
}
rec good "v=DKIM1; h=sha256; k=rsa; " "$PA"
rec emailonly "v=DKIM1; k=rsa; s=email; " "$PA"
rec both "v=DKIM1; k=rsa; s=email:tlsrpt; " "$PA"
rec reportsonly "v=DKIM1; k=rsa; s=tlsrpt; " "$PA"
rec other "v=DKIM1; k=rsa; " "$PB"
rec two "v=DKIM1; k=rsa; " "$PA"
rec two "v=DKIM1; k=rsa; " "$PB"
rec testing "v=DKIM1; k=rsa; t=y; " "$PA"
rec sha1 "v=DKIM1; h=sha1; " "$PA"
echo 'revoked._domainkey IN TXT "v=DKIM1; k=rsa; p="' >> "$z"
echo 'spf._domainkey IN TXT "v=spf1 -all"' >> "$z"
if ! bash "$COMPONENTS/dns.sh" start "$dir/dns" > "$dir/dns.log" 2>&1; then
	fail "dns.sh start" "$(cat "$dir/dns.log")" "$(cat "$z")"
	exit 1
fi
eval "$(cat "$dir/dns/env")"

# ---- the checks -----------------------------------------------------------
fail_out() { d1=$1; shift; fail "$d1" "$(printf '%s\n' "$@" | sed 's/^/# /')"; }
run() { # SELECTOR [extra args]: sets $out and $rc
	s=$1; shift
	out=$("$TLSRPT" check --resolver "$DNS_SERVER" --timeout 3 --dkim-selector "$s" "$@" dkim.test 2>&1)
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
refuse() { # DESCRIPTION REGEX: no line of $out matches
	if printf '%s\n' "$out" | grep -Eq -- "$2"; then fail_out "$1: a line matches /$2/" "$out"; else ok "$1"; fi
}

run good --dkim-key "$KEY_A"
expect "no s= and the key of --dkim-key: exit 0" 0 \
	'^tlsrpt check --dkim-selector good dkim.test$' \
	'^ok +dkim.record: DKIM key record at good._domainkey.dkim.test$' \
	'^ok +dkim.record: good._domainkey.dkim.test: no s= tag: the key serves every service \("\*"\), TLS reports included$' \
	'^ok +dkim.record: good._domainkey.dkim.test: 2048-bit RSA public key$' \
	"^ok +dkim.key: good._domainkey.dkim.test: the key in DNS is the public half of $KEY_A\$" '^worst: ok$'
refuse "only the DKIM key is checked with --dkim-selector (no TLSRPT/MTA-STS lookups)" '^[A-Za-z ]+ (tlsrpt|mta-sts|mx|dane)'

run emailonly --dkim-key "$KEY_A"
expect "s=email only: error, exit 5, with the fix" 5 \
	'^ERROR dkim.record: emailonly._domainkey.dkim.test: s=email: receivers must ignore this key for TLS reports \(RFC 6376 §3.6.1\) -- fix: publish s=email:tlsrpt or drop s=$' \
	'^ok +dkim.key: ' '^worst: error$'

run emailonly --json
if printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["domain"] == "dkim.test" and d["dkim-selector"] == "emailonly" and d["worst"] == "error", d
assert all(set(f) == {"check", "severity", "message", "fix"} for f in d["findings"])
e = [f for f in d["findings"] if f["severity"] == "error"]
assert len(e) == 1 and e[0]["check"] == "dkim.record" and e[0]["fix"] == "publish s=email:tlsrpt or drop s=", e
' 2> "$dir/json.err"; then ok "--json: the s=email error with its fix, and the selector"
else fail_out "--json output" "$out" "$(cat "$dir/json.err")"; fi

run both --dkim-key "$KEY_A"
expect "s=email:tlsrpt: exit 0" 0 '^ok +dkim.record: both._domainkey.dkim.test: s=email:tlsrpt covers TLS reports \(RFC 8460 §3\)$' \
	'^worst: ok$'
run reportsonly
expect "s=tlsrpt: exit 0" 0 '^ok +dkim.record: reportsonly._domainkey.dkim.test: s=tlsrpt covers TLS reports'

run revoked --dkim-key "$KEY_A"
expect "revoked key (empty p=): error" 5 \
	'^ERROR dkim.record: revoked._domainkey.dkim.test: p= is empty: the key is revoked \(RFC 6376 §3.6.1\)'
refuse "revoked key: no comparison with --dkim-key" '^[A-Za-z ]+ dkim.key:'

run none --dkim-key "$KEY_A"
expect "no record: error, the fix names the record to publish with the key's p=" 5 \
	'^ERROR dkim.record: no DKIM key record at none._domainkey.dkim.test \((nxdomain|nodata)\)' \
	"fix: publish the key: none._domainkey.dkim.test. TXT \"v=DKIM1; k=rsa; s=email:tlsrpt; p=$PA_RE\"\$"

run other --dkim-key "$KEY_A"
expect "key in DNS other than --dkim-key: error" 5 \
	"^ERROR dkim.key: other._domainkey.dkim.test: the key in DNS is not the one tlsrpt send signs with \\($KEY_A\\) -- fix: publish p=$PA_RE under other._domainkey.dkim.test"
run other
expect "the same record without --dkim-key: exit 0 (nothing to compare)" 0 '^worst: ok$'

run good --dkim-key "$dir/key-b/b.private"
expect "good record, the other private key: error" 5 '^ERROR dkim.key: good._domainkey.dkim.test: the key in DNS is not the one'

run good --dkim-key "$dir/missing.pem"
expect "unreadable --dkim-key: error naming the file" 5 \
	"^ERROR dkim.key: cannot compare the key in DNS with $dir/missing.pem: cannot open .*No such file"

run two
expect "two records under one selector: error" 5 '^ERROR dkim.record: 2 TXT records at two._domainkey.dkim.test'

run testing
expect "t=y: warning, exit 4" 4 '^WARN +dkim.record: testing._domainkey.dkim.test: t=y: the domain is testing DKIM' \
	'^worst: warning$'

run sha1
expect "h=sha1: error (tlsrpt send signs rsa-sha256)" 5 '^ERROR dkim.record: sha1._domainkey.dkim.test: h=sha1 excludes sha256'

run spf
expect "a TXT record that is not a DKIM key: error" 5 \
	'^ERROR dkim.record: spf._domainkey.dkim.test "v=spf1 -all" is not a valid DKIM key record: v=spf1 -all: not a DKIM key record'

out=$("$TLSRPT" check --resolver "$DNS_SERVER" --timeout 3 --dkim-selector sel servfail.dkim.test 2>&1); rc=$?
expect "SERVFAIL: error, temporary" 5 \
	'^ERROR dkim.dns: lookup of the DKIM key sel._domainkey.servfail.dkim.test failed temporarily \(servfail'

out=$("$TLSRPT" check --resolver "$DNS_SERVER" --dkim-key "$KEY_A" dkim.test 2>&1); rc=$?
expect "--dkim-key without --dkim-selector: usage error" 2 '^usage: tlsrpt check'
out=$("$TLSRPT" check --resolver "$DNS_SERVER" --dkim-selector "" dkim.test 2>&1); rc=$?
expect "empty selector: usage error" 2 'a DKIM selector and a domain are required'
tap_done
