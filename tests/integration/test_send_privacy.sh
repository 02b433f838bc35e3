#!/bin/sh
# What of a failure reaches a report we send (RFC 8460 §7), end to end:
# failures carrying a private sending-mta-ip, e-mail addresses and control
# characters in additional-information / failure-reason-code, and an over-long
# text are sent through our libtlsrpt to a real `tlsrpt collectd`; `tlsrpt
# send --dry-run` (real unbound for the _smtp._tls lookup) writes the report
# and the mail, whose JSON is checked: no address, no private IP, text cut;
# then --omit drops the named members and --send-private-ip keeps the IP.
. "$(dirname "$0")/tap.sh"
set -u
cd "$TLSRPT_SRC" || exit 1
C=$COMPONENTS
PY=/usr/bin/python3
command -v unbound >/dev/null 2>&1 || { echo "ok 1 # SKIP unbound not installed"; exit 0; }

T=$(mktemp -d /tmp/tlsrpt-privacy.XXXXXX)
chmod o+x "$T"
PID=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	"$C/dns.sh" stop "$T/dns" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

mkdir -p "$T/dns/zones"
cat > "$T/dns/zones/example.test.zone" <<ZONE
\$ORIGIN example.test.
\$TTL 300
@                   IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
@                   IN NS  ns.example.test.
ns                  IN A   127.0.0.1
_smtp._tls.priv     IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@example.test"
ZONE
"$C/dns.sh" start "$T/dns" >/dev/null || { fail "dns starts"; tap_done; exit 1; }
eval "$(cat "$T/dns/env")"

# The MTA side: three failures through libtlsrpt (only <tlsrpt.h>).
cat > "$T/mta.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include "tlsrpt.h"

static int
one(const char *sock, const char *ip, const char *info, const char *code)
{
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	int rc;

	if ((rc = tlsrpt_open(&con, sock)) != 0)
		return rc;
	tlsrpt_set_blocking();
	if ((rc = tlsrpt_init_delivery_request(&dr, con, "priv.example.test",
					       "v=TLSRPTv1; rua=mailto:tls-reports@example.test")) != 0)
		return rc;
	tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "priv.example.test");
	tlsrpt_add_policy_string(dr, "version: STSv1");
	tlsrpt_add_mx_host_pattern(dr, "mx.priv.example.test");
	tlsrpt_add_delivery_request_failure(dr, TLSRPT_CERTIFICATE_EXPIRED, ip,
					    "mx.priv.example.test", "mx.priv.example.test",
					    "192.0.2.80", info, code);
	tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE);
	rc = tlsrpt_finish_delivery_request(&dr);
	tlsrpt_close(&con);
	return rc;
}

int
main(int argc, char **argv)
{
	char longtext[1001];

	(void)argc;
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	return one(argv[1], "10.20.30.40",
		   "mail from alice@inside.example.test\r\nSubject: merger plans",
		   "550 5.1.1 <bob.secret@inside.example.test>: no such user") ||
	       one(argv[1], "fe80::1", "plain", "plain") ||
	       one(argv[1], "192.0.2.25", longtext, "421 try later") ? 1 : 0;
}
EOF
san=
nm "$TLSRPT_O/libtlsrpt.a" 2>/dev/null | grep -q __asan && san="-fsanitize=address,undefined"
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O1 $san -Iinclude -o "$T/mta" "$T/mta.c" \
	"$TLSRPT_O/libtlsrpt.a" 2>"$T/cc.log" || { fail "build the MTA tool" "$(cat "$T/cc.log")"; tap_done; exit 1; }

DB="sqlite:$T/results.db"
"$TLSRPT" collectd --socket "$T/c.sock" --db "$DB" --foreground --stats-secs 0 >"$T/collectd.log" 2>&1 &
PID=$!
i=0; while [ ! -S "$T/c.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$T/mta" "$T/c.sock" && ok "three failures sent through libtlsrpt to collectd" ||
	fail "libtlsrpt send" "$(cat "$T/collectd.log")"
sleep 0.5
kill -TERM "$PID"; wait "$PID"; PID=

D=$(date -u +%F)
dry() { # dry NAME [send options]: the report JSON on stdout
	n=$1; shift
	mkdir -p "$T/$n"
	TLSRPT_CONFIG=/dev/null "$TLSRPT" send --db "$DB" --resolver "127.0.0.1@$DNS_PORT" \
		--submitter example.test --dry-run "$T/$n" --day "$D" --force "$@" \
		>"$T/$n.out" 2>"$T/$n.err" || { echo "send failed: $(cat "$T/$n.err")" >&2; return 1; }
	gzip -dc "$T/$n"/*.json.gz
}
dets() { $PY -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps(r["policies"][0]["failure-details"], sort_keys=True))'; }

dry def >"$T/def.json" && dets <"$T/def.json" >"$T/def.det"
if [ -s "$T/def.det" ] && ! grep -q '@' "$T/def.det" && ! grep -q 'inside' "$T/def.json" &&
   ! grep -q 'merger plans' "$T/def.json" && ! grep -q 'merger plans' "$T/def"/*.eml && grep -q '\[address removed\]' "$T/def.det" &&
   ! grep -q '10\.20\.30\.40\|fe80' "$T/def.json" && grep -q '"sending-mta-ip": "192.0.2.25"' "$T/def.det" &&
   ! grep -q 'bob.secret\|alice' "$T/def"/*.eml; then
	ok "default: no e-mail address, no private or link-local sending-mta-ip, public one kept"
else
	fail "default privacy" "$(cat "$T/def.det" "$T/def.err")"
fi
long=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(max(len(x.get("additional-information","")) for x in d))' "$T/def.det")
[ "$long" = 256 ] && ok "long additional-information cut to 256 bytes" || fail "long text" "longest: $long"

dry omit --omit sending-mta-ip,failure-reason-code,additional-information,receiving-mx-helo | dets >"$T/omit.det"
if [ -s "$T/omit.det" ] && ! grep -q 'sending-mta-ip\|failure-reason-code\|additional-information\|receiving-mx-helo' "$T/omit.det" &&
   grep -q 'receiving-mx-hostname' "$T/omit.det"; then
	ok "--omit leaves the four members out"
else
	fail "--omit" "$(cat "$T/omit.det" "$T/omit.err")"
fi

printf 'report_send_private_ip = yes\nreport_omit = failure-reason-code\n' >"$T/tlsrpt.conf"
mkdir -p "$T/conf"
TLSRPT_CONFIG="$T/tlsrpt.conf" "$TLSRPT" send --db "$DB" --resolver "127.0.0.1@$DNS_PORT" \
	--submitter example.test --dry-run "$T/conf" --day "$D" --force >/dev/null 2>"$T/conf.err"
gzip -dc "$T/conf"/*.json.gz | dets >"$T/conf.det"
if grep -q '"sending-mta-ip": "10.20.30.40"' "$T/conf.det" && grep -q '"sending-mta-ip": "fe80::1"' "$T/conf.det" &&
   ! grep -q 'failure-reason-code' "$T/conf.det" && ! grep -q '@' "$T/conf.det"; then
	ok "report_send_private_ip and report_omit from tlsrpt.conf"
else
	fail "config" "$(cat "$T/conf.det" "$T/conf.err")"
fi
mkdir -p "$T/conf2"
TLSRPT_CONFIG="$T/tlsrpt.conf" "$TLSRPT" send --db "$DB" --resolver "127.0.0.1@$DNS_PORT" \
	--submitter example.test --dry-run "$T/conf2" --day "$D" --force --no-send-private-ip --omit none \
	>/dev/null 2>"$T/conf2.err"
gzip -dc "$T/conf2"/*.json.gz | dets >"$T/conf2.det"
if ! grep -q '10\.20\.30\.40' "$T/conf2.det" && grep -q 'failure-reason-code' "$T/conf2.det"; then
	ok "--no-send-private-ip and --omit none override tlsrpt.conf"
else
	fail "override" "$(cat "$T/conf2.det" "$T/conf2.err")"
fi

TLSRPT_CONFIG=/dev/null "$TLSRPT" send --db "$DB" --submitter example.test --omit bogus \
	--dry-run "$T/def" --day "$D" --force >/dev/null 2>"$T/bad.err"
rc=$?
[ "$rc" = 2 ] || [ "$rc" = 1 ] || [ "$rc" = 3 ]
if [ "$rc" != 0 ] && grep -q '"bogus" is not a field' "$T/bad.err"; then
	ok "--omit with an unknown field: refused, named (exit $rc)"
else
	fail "--omit bogus" "rc=$rc" "$(cat "$T/bad.err")"
fi
tap_done
